"""The committed OpenAPI schema is the contract: it must be exactly what the code generates."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.test import override_settings

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "openapi" / "schema.yaml"


def test_committed_schema_matches_the_code(tmp_path):
    generated = tmp_path / "schema.yaml"

    with override_settings(LANGUAGE_CODE="en"):
        call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(generated))

    assert generated.read_text() == SCHEMA_FILE.read_text(), (
        "openapi/schema.yaml is out of date: run `make schema` and commit it"
    )


def test_every_operation_documents_its_problem_responses():
    schema = yaml.safe_load(SCHEMA_FILE.read_text())
    missing = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            for status in ("400", "429"):
                if status not in responses:
                    missing.append(f"{method.upper()} {path}: {status}")
            if "{" in path and "404" not in responses:
                missing.append(f"{method.upper()} {path}: 404")
            if operation.get("security") != [{}] and "401" not in responses:
                missing.append(f"{method.upper()} {path}: 401")
            for status, response in responses.items():
                if status.startswith(("4", "5")):
                    assert list(response["content"]) == ["application/problem+json"], (method, path, status)
    assert missing == []


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/api/schema/", "/api/docs/", "/api/redoc/"])
def test_docs_are_served_without_outside_network(client, url):
    response = client.get(url)

    assert response.status_code == 200
    body = response.content.decode()
    for cdn in ("cdn.jsdelivr.net", "unpkg.com", "cdnjs", "fonts.googleapis.com"):
        assert cdn not in body


@pytest.mark.django_db
def test_the_docs_assets_come_from_the_sidecar(client):
    page = client.get("/api/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    asset = client.get("/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")
    assert asset.status_code == 200
    assert b"SwaggerUI" in b"".join(asset.streaming_content)  # read to the end: the test client closes it


def test_read_only_fields_of_optional_text_say_they_may_be_empty():
    """Found by schemathesis: an organisation without a web site, e-mail address or buyer type reads "" there,
    and a sourcing request without an incoterm too; the schema called "" invalid for those read-only fields."""
    components = yaml.safe_load(SCHEMA_FILE.read_text())["components"]["schemas"]
    empty = {"type": "string", "maxLength": 0}
    blank_enum = {"$ref": "#/components/schemas/BlankEnum"}
    organization = components["Organization"]["properties"]

    assert empty in organization["contact_email"]["oneOf"]
    assert empty in organization["website"]["oneOf"]
    assert blank_enum in organization["buyer_type"]["oneOf"]
    assert blank_enum in organization["kyc_status"]["oneOf"]
    assert blank_enum in components["SourcingRequest"]["properties"]["incoterm"]["oneOf"]
    assert components["BlankEnum"]["enum"] == [""]


def test_fields_shown_to_some_readers_only_are_not_required():
    """Found by schemathesis: producers browse open sourcing requests without `buyer` (who has the need), but the
    schema required it in every answer."""
    sourcing = yaml.safe_load(SCHEMA_FILE.read_text())["components"]["schemas"]["SourcingRequest"]

    assert "buyer" in sourcing["properties"]
    assert "buyer" not in sourcing["required"]
    assert "id" in sourcing["required"]


def _resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    if "allOf" in node and len(node["allOf"]) == 1:
        return _resolve(schema, node["allOf"][0])
    return node


def _points_at_a_property(schema: dict, node: dict, pointer: str) -> bool:
    for part in pointer.strip("/").split("/"):
        node = _resolve(schema, node)
        if part.isdigit():
            if node.get("type") != "array":
                return False
            node = node["items"]
        elif part in node.get("properties", {}):
            node = node["properties"][part]
        else:
            return False
    return True


def _operations_by_id(schema: dict) -> dict[str, dict]:
    return {operation["operationId"]: operation for ops in schema["paths"].values() for operation in ops.values()}


def test_links_follow_the_main_journeys():
    """Generated clients and the stateful fuzzing follow create → read → act through these links."""
    schema = yaml.safe_load(SCHEMA_FILE.read_text())
    operations = _operations_by_id(schema)

    def targets(operation_id: str, status: str) -> set[str]:
        links = operations[operation_id]["responses"][status].get("links", {})
        return {link["operationId"] for link in links.values()}

    assert targets("evidence_create", "201") == {
        "evidence_retrieve",
        "evidence_claim_create",
        "evidence_approve_create",
        "evidence_reject_create",
        "evidence_request_changes_create",
        "evidence_files_download",
    }
    assert {
        "listings_retrieve",
        "listings_partial_update",
        "listings_publish_create",
        "listings_pause_create",
        "listings_resume_create",
        "listings_withdraw_create",
        "inquiries_create",
    } == targets("listings_create", "201")
    assert {"inquiries_retrieve", "inquiries_messages_list", "contracts_create"} <= targets("inquiries_create", "201")
    assert {
        "contracts_retrieve",
        "contracts_propose_create",
        "contracts_accept_create",
        "contracts_decline_create",
        "contracts_withdraw_create",
        "contracts_cancel_create",
        "contracts_mark_delivered_create",
        "contracts_complete_create",
        "contracts_deposit_create",
    } <= targets("contracts_create", "201")
    for status in ("200", "201"):
        assert targets("contracts_deposit_create", status) == {
            "contracts_deposit_retrieve",
            "deposits_refund_create",
            "deposits_release_create",
        }
    start_contract = operations["inquiries_create"]["responses"]["201"]["links"]["StartContract"]
    assert start_contract["requestBody"] == {"inquiry": "$response.body#/id"}


def test_every_link_names_a_real_operation_parameter_and_field():
    schema = yaml.safe_load(SCHEMA_FILE.read_text())
    operations = _operations_by_id(schema)
    checked, problems = 0, []
    for source_id, source in operations.items():
        for status, response in source["responses"].items():
            for name, link in response.get("links", {}).items():
                checked += 1
                where = f"{source_id} {status} {name}"
                target = operations.get(link["operationId"])
                if target is None:
                    problems.append(f"{where}: no operation {link['operationId']}")
                    continue
                path_parameters = {p["name"] for p in target.get("parameters", []) if p["in"] == "path"}
                if set(link.get("parameters", {})) != path_parameters:
                    problems.append(f"{where}: fills {set(link.get('parameters', {}))}, needs {path_parameters}")
                body = target.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
                for field in link.get("requestBody", {}):
                    if body is None or field not in _resolve(schema, body).get("properties", {}):
                        problems.append(f"{where}: {link['operationId']} takes no body field {field}")
                expressions = [*link.get("parameters", {}).values(), *link.get("requestBody", {}).values()]
                response_body = response["content"]["application/json"]["schema"]
                for expression in expressions:
                    if expression.startswith("$response.body#"):
                        if not _points_at_a_property(schema, response_body, expression.split("#", 1)[1]):
                            problems.append(f"{where}: the response has no {expression}")
                    elif expression.startswith("$request.path."):
                        if expression.removeprefix("$request.path.") not in {
                            p["name"] for p in source.get("parameters", []) if p["in"] == "path"
                        }:
                            problems.append(f"{where}: the request has no {expression}")
                    else:
                        problems.append(f"{where}: unexpected expression {expression}")
    assert problems == []
    assert checked >= 40
