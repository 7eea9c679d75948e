"""Every operation that creates something takes an `Idempotency-Key`, and the schema says so.

The first tests pair each operation of the committed schema with the view method that answers it (the URL
resolver's endpoints, as drf-spectacular enumerates them): an operation answering 201 whose method is not wrapped
by `core.idempotency.idempotent` fails with its name, and so does one whose schema does not declare the header and
its 409/422. The last test replays a real create of many operations, in the permission matrix's world: the retry
gets the first answer and records nothing (no audit event: every write is audited), the same key with another body
is 422.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.files.uploadedfile import SimpleUploadedFile
from drf_spectacular.generators import SchemaGenerator

from audit.models import AuditEvent
from core import clock
from core.idempotency import HEADER, is_idempotent
from marketplace.demo_files import make_test_image, make_test_pdf
from tests.contract import test_permission_matrix as matrix
from tests.contract.test_permission_matrix import World
from tests.problems import assert_problem

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "openapi" / "schema.yaml"
# POSTs that answer 200 but still write something a retry would repeat: signing (one acceptance), a staff refund
# (one refund at Stripe), a webhook secret's rotation (one more secret, shown once).
ALSO_IDEMPOTENT = {"contracts_accept_create", "deposits_refund_create", "webhook_endpoints_rotate_secret_create"}

world = matrix.world
producer_status = matrix.producer_status
_stripe_configured = matrix._stripe_configured


def _schema() -> dict[str, Any]:
    return yaml.safe_load(SCHEMA_FILE.read_text())


def _operations() -> list[tuple[dict[str, Any], Any]]:
    """Each operation of the committed schema with the view method that answers it."""
    schema = _schema()
    generator = SchemaGenerator()
    generator._initialise_endpoints()
    found = []
    for path, _regex, method, view in generator._get_paths_and_endpoints():
        operation = schema["paths"].get(path, {}).get(method.lower())
        if operation is None:  # the schema's own pages (/api/schema/, /api/docs/)
            continue
        action = getattr(view, "action", None)
        found.append((operation, getattr(view, action) if action else getattr(view, method.lower())))
    return found


def _declares_the_key(operation: dict[str, Any]) -> bool:
    header = [p for p in operation.get("parameters", []) if p["in"] == "header" and p["name"] == HEADER]
    return len(header) == 1 and not header[0].get("required", False)


def test_every_operation_that_creates_something_takes_an_idempotency_key():
    operations = _operations()
    creates = [(op, handler) for op, handler in operations if "201" in op["responses"]]
    assert len(creates) >= 34, [op["operationId"] for op, _ in creates]  # the enumeration found them

    unwrapped = [op["operationId"] for op, handler in creates if not is_idempotent(handler)]
    undocumented = [op["operationId"] for op, _ in creates if not _declares_the_key(op)]

    assert unwrapped == [], f"decorate these creates with @idempotent (core/idempotency.py): {unwrapped}"
    assert undocumented == [], f"the schema does not declare {HEADER} on: {undocumented} (run `make schema`)"


def test_the_writes_that_answer_200_but_a_retry_would_repeat_take_a_key_too():
    wrapped = {op["operationId"] for op, handler in _operations() if is_idempotent(handler)}

    assert wrapped >= ALSO_IDEMPOTENT


def test_the_schema_declares_the_key_and_its_problems_exactly_where_the_server_honours_it():
    mismatched = []
    for operation, handler in _operations():
        wrapped, declared = is_idempotent(handler), _declares_the_key(operation)
        if wrapped != declared or (wrapped and not {"409", "422"} <= set(operation["responses"])):
            mismatched.append(operation["operationId"])

    assert mismatched == []


def test_a_method_without_the_decorator_is_not_taken_for_one():
    unwrapped = [op["operationId"] for op, handler in _operations() if not is_idempotent(handler)]

    assert {"inquiries_close_create", "listings_publish_create", "auth_login"} <= set(unwrapped)


# --- A real create of each, sent twice ------------------------------------------------------------------
@dataclass(frozen=True)
class Create:
    role: str
    path: Callable[[World], str]
    body: Callable[[World], dict[str, Any]] = lambda world: {}
    status: int = 201
    multipart: bool = False
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # field -> (name, bytes), fresh per request


def _days_ago(days: int) -> str:
    return (clock.today_lima() - dt.timedelta(days=days)).isoformat()


PDF = make_test_pdf("Constancia de capacitación en EPP, 2026")
PHOTO = make_test_image("JPEG", (96, 64))
HUEPETUHE_POINT = {"type": "Point", "coordinates": [-70.5123, -12.9876]}

CREATES: dict[str, Create] = {
    "producers_sites_create": Create(
        "producer_admin",
        lambda w: f"/api/v1/producers/{w.producer.pk}/sites/",
        lambda w: (
            {"name": "Playa Nueva", "concession_code": "010203499", "district": "huepetuhe"}
            | {"geometry": HUEPETUHE_POINT}
        ),
    ),
    "producers_members_create": Create(
        "producer_admin",
        lambda w: f"/api/v1/producers/{w.producer.pk}/members/",
        lambda w: {"full_name": "Rosa Quispe Huamán", "dni": "41234567", "birth_year": 1985, "sex": "female"},
    ),
    "inquiries_messages_create": Create(
        "buyer_admin", lambda w: f"/api/v1/inquiries/{w.inquiry.pk}/messages/", lambda w: {"body": "¿Y en junio?"}
    ),
    "sourcing_requests_create": Create(
        "buyer_admin",
        lambda w: "/api/v1/sourcing-requests/",
        lambda w: (
            {"title": "1 kg, 900+", "grams": "1000.000", "min_fineness": "900.0"}
            | {"delivery_from": _days_ago(0), "delivery_until": _days_ago(-60)}
        ),
    ),
    "invitations_create": Create(
        "producer_admin", lambda w: "/api/v1/invitations/", lambda w: {"email": "otra@example.test", "role": "member"}
    ),
    "prices_fixes_create": Create(
        "staff",
        lambda w: "/api/v1/prices/fixes/",
        lambda w: (
            {"benchmark": "lbma_gold_pm", "date": _days_ago(3), "usd_per_troy_ounce": "4118.900"}
            | {"source": "LBMA Gold Price PM", "sample": False}
        ),
    ),
    "prices_rates_create": Create(
        "staff",
        lambda w: "/api/v1/prices/rates/",
        lambda w: {"base": "USD", "quote": "PEN", "date": _days_ago(3), "rate": "3.452100", "source": "SBS"},
    ),
    "red_flags_answers_create": Create(
        "producer_admin",
        lambda w: f"/api/v1/red-flags/{w.red_flag.pk}/answers/",
        lambda w: {"text": "Dejamos de trabajar el tajo norte en 2025."},
    ),
    "webhook_endpoints_rotate_secret_create": Create(
        "producer_admin",
        lambda w: f"/api/v1/webhook-endpoints/{w.webhook_endpoint.pk}/rotate-secret/",
        lambda w: {"overlap_hours": 24},
        status=200,
    ),
    "webhook_deliveries_replay_create": Create(
        "producer_admin", lambda w: f"/api/v1/webhook-deliveries/{w.webhook_delivery.pk}/replay/"
    ),
    "evidence_create": Create(
        "producer_admin",
        lambda w: "/api/v1/evidence/",
        lambda w: {"evidence_type": "PPE_RECORD", "issue_date": _days_ago(10)},
        multipart=True,
        files={"files": ("epp.pdf", PDF)},
    ),
    "red_flags_attachments_create": Create(
        "reviewer",
        lambda w: f"/api/v1/red-flags/{w.red_flag.pk}/attachments/",
        multipart=True,
        files={"file": ("sernanp.pdf", PDF)},
    ),
    "listings_photos_create": Create(
        "producer_admin",
        lambda w: f"/api/v1/listings/{w.listing.pk}/photos/",
        multipart=True,
        files={"files": ("playa.jpg", PHOTO)},
    ),
}


def _send(world: World, create: Create, key: str, *, other: bool = False) -> Any:
    body = create.body(world)
    if create.multipart:
        for name, (filename, content) in create.files.items():
            body[name] = SimpleUploadedFile(filename, content + (b"\n%other" if other else b""))
        return world.actors[create.role].post(create.path(world), body, format="multipart", HTTP_IDEMPOTENCY_KEY=key)
    if other:
        body["another"] = "body"
    return world.actors[create.role].post(create.path(world), body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_the_replayed_creates_are_operations_that_take_a_key():
    wrapped = {op["operationId"] for op, handler in _operations() if is_idempotent(handler)}

    assert set(CREATES) <= wrapped


@pytest.mark.django_db
@pytest.mark.parametrize("operation", sorted(CREATES))
def test_a_create_retried_with_its_key_gets_the_first_answer_and_records_nothing(world, operation):
    create = CREATES[operation]
    first = _send(world, create, "one-user-action")
    assert first.status_code == create.status, first.content[:2000]
    events = AuditEvent.objects.count()

    retry = _send(world, create, "one-user-action")
    other = _send(world, create, "one-user-action", other=True)

    assert (retry.status_code, retry.json()) == (create.status, first.json())
    assert retry["Idempotent-Replayed"] == "true"
    assert_problem(other, 422, "idempotency_key_reused")
    assert AuditEvent.objects.count() == events
