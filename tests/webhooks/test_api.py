"""The endpoints' API: secrets shown once and never again, audit, scope."""

from __future__ import annotations

import json
from typing import Any

import pytest

from audit.models import AuditEvent
from tests.problems import assert_problem
from webhooks.events import EVENT_TYPES
from webhooks.models import WebhookEndpoint

pytestmark = pytest.mark.django_db

ENDPOINTS = "/api/v1/webhook-endpoints/"


@pytest.fixture(autouse=True)
def _loopback(settings: Any) -> None:
    settings.WEBHOOKS_ALLOW_HTTP = True
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True


def create(client: Any, **body: Any) -> Any:
    return client.post(
        ENDPOINTS, {"url": "http://127.0.0.1:9/h", "event_types": ["contract.accepted"], **body}, format="json"
    )


def test_the_secret_is_answered_once_and_never_shown_again(buyer: Any) -> None:
    response = create(buyer, description="ERP")
    assert response.status_code == 201
    secret = response.json()["secret"]
    assert secret.startswith("whsec_")
    assert len(secret) == 70
    endpoint_id = response.json()["id"]

    rotated = buyer.post(f"{ENDPOINTS}{endpoint_id}/rotate-secret/", {"overlap_hours": 0}, format="json").json()
    for answer in (buyer.get(ENDPOINTS), buyer.get(f"{ENDPOINTS}{endpoint_id}/")):
        assert "secret" not in answer.content.decode()  # neither the key nor any value
    trail = json.dumps(list(AuditEvent.objects.values_list("data", flat=True)))
    assert secret not in trail
    assert rotated["secret"] not in trail


def test_every_write_is_audited(buyer: Any) -> None:
    endpoint_id = create(buyer).json()["id"]
    buyer.patch(f"{ENDPOINTS}{endpoint_id}/", {"description": "new", "state": "disabled"}, format="json")
    buyer.post(f"{ENDPOINTS}{endpoint_id}/enable/")
    buyer.post(f"{ENDPOINTS}{endpoint_id}/rotate-secret/", {}, format="json")
    assert buyer.delete(f"{ENDPOINTS}{endpoint_id}/").status_code == 204

    actions = list(AuditEvent.objects.filter(action__startswith="webhooks.").values_list("action", flat=True))
    assert actions == [
        "webhooks.endpoint.created",
        "webhooks.endpoint.updated",
        "webhooks.endpoint.enabled",
        "webhooks.endpoint.secret_rotated",
        "webhooks.endpoint.deleted",
    ]
    assert not WebhookEndpoint.objects.exists()


def test_unknown_types_and_overlaps_out_of_range_are_refused(buyer: Any) -> None:
    assert_problem(create(buyer, event_types=["contract.signed"]), 400, "validation_error")
    assert_problem(create(buyer, event_types=[]), 400, "validation_error")
    endpoint_id = create(buyer).json()["id"]
    response = buyer.post(f"{ENDPOINTS}{endpoint_id}/rotate-secret/", {"overlap_hours": 169}, format="json")
    assert_problem(response, 400, "validation_error")


def test_members_are_refused_and_other_organisations_see_nothing(
    buyer: Any, buyer_member: Any, other_buyer: Any
) -> None:
    endpoint_id = create(buyer).json()["id"]

    assert_problem(buyer_member.get(ENDPOINTS), 403, "not_org_admin")
    assert_problem(create(buyer_member), 403, "not_org_admin")
    assert_problem(other_buyer.get(f"{ENDPOINTS}{endpoint_id}/"), 404, "not_found")
    assert other_buyer.get(ENDPOINTS).json()["results"] == []


def test_a_replay_to_a_disabled_endpoint_is_refused(buyer: Any) -> None:
    from tests.webhooks.test_webhooks import a_delivery

    delivery = a_delivery(buyer)
    buyer.patch(f"{ENDPOINTS}{delivery.endpoint_id}/", {"state": "disabled"}, format="json")

    response = buyer.post(f"/api/v1/webhook-deliveries/{delivery.pk}/replay/")

    assert_problem(response, 409, "webhook_endpoint_disabled")


def test_the_event_types_are_public(anon: Any) -> None:
    response = anon.get("/api/v1/webhook-event-types/")

    assert response.status_code == 200
    assert [row["type"] for row in response.json()][:2] == ["evidence.decided", "listing.visible"]
    assert all(row["description"] for row in response.json())


def test_the_answers_carrying_a_secret_are_never_compressed(buyer: Any) -> None:
    gzip = {"HTTP_ACCEPT_ENCODING": "gzip, deflate, br"}
    body = {"url": "http://127.0.0.1:9/h", "event_types": list(EVENT_TYPES), "description": "ERP " * 40}
    created = buyer.post(ENDPOINTS, body, format="json", **gzip)
    rotated = buyer.post(f"{ENDPOINTS}{created.json()['id']}/rotate-secret/", {}, format="json", **gzip)
    listed = buyer.get(ENDPOINTS, **gzip)

    for response in (created, rotated):
        assert response.status_code in (200, 201)
        assert "Content-Encoding" not in response
        assert response["Cache-Control"] == "no-transform, private, no-store"
    assert len(created.content) > 200  # long enough that it would have been compressed
    assert listed["Content-Encoding"] == "gzip"  # the same fields without a secret are
