"""Responses that differ by who asks (public or private fields) still conform to the one documented schema."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from producers.models import Producer, Site
from tests.factories import make_ruc

pytestmark = pytest.mark.django_db
SCHEMA = yaml.safe_load((Path(__file__).resolve().parents[2] / "openapi" / "schema.yaml").read_text())


def _json_schema(node: Any) -> Any:
    """OpenAPI 3.0's `nullable: true` is JSON Schema's `type: [..., "null"]`."""
    if isinstance(node, dict):
        node = {key: _json_schema(value) for key, value in node.items()}
        if node.pop("nullable", False):
            if "type" in node:
                node["type"] = [node["type"], "null"]
            else:
                node = {"anyOf": [node, {"type": "null"}]}
        return node
    if isinstance(node, list):
        return [_json_schema(item) for item in node]
    return node


def assert_conforms(body: Any, method: str, path: str) -> None:
    response = SCHEMA["paths"][path][method]["responses"]["200"]["content"]["application/json"]["schema"]
    document = {"components": _json_schema(copy.deepcopy(SCHEMA["components"])), **_json_schema(response)}
    jsonschema.validate(body, document)


@pytest.fixture
def verified_coop(coop):
    producer = Producer.objects.create(
        organization=coop,
        legal_kind="cooperative",
        legal_category="REINFO",
        ruc=make_ruc("20"),
        district="huepetuhe",
        verification_status="verified",
    )
    Site.objects.create(
        producer=producer,
        name="Playa",
        concession_code="01-02",
        district="huepetuhe",
        status="approved",
        geometry={"type": "Point", "coordinates": [-70.51, -12.98]},
        latitude=-12.98,
        longitude=-70.51,
    )
    return producer


@pytest.mark.parametrize("who", ["anon", "buyer", "producer_admin", "reviewer"])
def test_producer_and_site_responses_conform_for_every_viewer(request, who, verified_coop):
    client = request.getfixturevalue(who)
    pk = verified_coop.pk

    assert_conforms(client.get("/api/v1/producers/").json(), "get", "/api/v1/producers/")
    assert_conforms(client.get(f"/api/v1/producers/{pk}/").json(), "get", "/api/v1/producers/{id}/")
    sites = client.get(f"/api/v1/producers/{pk}/sites/").json()
    assert_conforms(sites, "get", "/api/v1/producers/{producer_pk}/sites/")
    assert sites["results"]
    site = sites["results"][0]["id"]
    assert_conforms(
        client.get(f"/api/v1/producers/{pk}/sites/{site}/").json(), "get", "/api/v1/producers/{producer_pk}/sites/{id}/"
    )


def test_the_check_catches_a_missing_required_field(anon, verified_coop):
    body = anon.get(f"/api/v1/producers/{verified_coop.pk}/").json()
    del body["badges"]

    with pytest.raises(jsonschema.ValidationError):
        assert_conforms(body, "get", "/api/v1/producers/{id}/")
