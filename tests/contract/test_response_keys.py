"""Which keys each role reads: every cell of the permission matrix whose answer is a JSON body, against a
committed snapshot (tests/contract/response_keys.json), so a new field, private or not, cannot leave the
server without somebody deciding it should.

The world is the matrix's (the same home objects, the same requests), made fuller so that every list and
nested object has something in it: coop is compliant and its listing published with a photo, the home
contract is signed by both sides with its deposit held and partly refunded (and both weights, three assays, a
statement and a confirmed payment each way recorded for its shipment), and the buyer's organisation
has approved KYC evidence, an invitation it sent and an audit trail of its own (and the network an
invitation to a producer organisation). Reviewers read no inquiry: that list stays empty for them.
A cell that answers 2xx with JSON must have an entry whose keys are equal; a cell that does not must have
none.

Keys are dotted paths; a list's items are `[]`: `results[].latest_version.price_per_fine_gram.currency`.
Free-form objects (an audit event's `data`, a notification's `params`) are followed too: what they carry
is as much an answer as any other field.

To change the snapshot deliberately, after checking that every new key is meant for that role (the roles in the README,
"What it is, and for whom"): `UPDATE_RESPONSE_KEYS=1 .venv/bin/python -m pytest tests/contract/test_response_keys.py
tests/contract/test_privileged_fields.py` (the second records the answers to valid write bodies), then
review the diff of response_keys.json like code (docs/security.md). Each test rewrites only its own entry, so running a
subset updates only that subset.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from audit.services import audit_record
from marketplace.demo_files import make_test_image
from tests.contract import test_permission_matrix as matrix
from tests.contract.helpers import approve_every_requirement, offer_the_listing
from tests.contract.test_permission_matrix import MATRIX, ROLES, World, home_url, schema_operations, send
from tests.factories import InvitationFactory
from tests.settlement.home import fill_records
from trade.models import ContractAcceptance, DepositRefund

pytestmark = pytest.mark.django_db

# The matrix's world, and the fixtures it stands on, are this module's fixtures too (the Stripe settings are
# autouse there, and so here).
world = matrix.world
producer_status = matrix.producer_status
_stripe_configured = matrix._stripe_configured

SNAPSHOT = Path(__file__).with_name("response_keys.json")
UPDATE = os.environ.get("UPDATE_RESPONSE_KEYS") == "1"
_update_lock = threading.Lock()


def response_keys(value: Any, prefix: str = "") -> set[str]:
    """Every key path of a JSON value: `a.b` for nested objects, `a[].b` for the objects in a list."""
    keys: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            path = f"{prefix}.{key}" if prefix else key
            keys.add(path)
            keys |= response_keys(item, path)
    elif isinstance(value, list):
        for item in value:
            keys |= response_keys(item, f"{prefix}[]")
    return keys


def entry(operation: tuple[str, str], role: str, suffix: str = "") -> str:
    return f"{operation[0]} {operation[1]} {role}{suffix}"


# The entries of write operations called with a valid body (test_privileged_fields.py records them).
VALID_BODY = ", valid body"


def load_snapshot() -> dict[str, list[str]]:
    return json.loads(SNAPSHOT.read_text()) if SNAPSHOT.exists() else {}


def write_entry(name: str, keys: list[str] | None) -> None:
    with _update_lock:
        recorded = load_snapshot()
        if keys is None:
            recorded.pop(name, None)
        else:
            recorded[name] = keys
        SNAPSHOT.write_text(json.dumps(dict(sorted(recorded.items())), indent=1, ensure_ascii=False) + "\n")


def assert_keys_match_the_snapshot(name: str, response: Any) -> None:
    """The answer's keys equal the entry `name`; an answer that is not JSON has no entry."""
    is_json = 200 <= response.status_code < 300 and response.get("Content-Type") == "application/json"
    keys = sorted(response_keys(response.json())) if is_json else None
    if UPDATE:
        write_entry(name, keys)
        return
    recorded = load_snapshot().get(name)
    if keys is None:
        assert recorded is None, f"{name} answers {response.status_code} without JSON but has a snapshot entry"
        return
    assert recorded is not None, f"{name} has no snapshot entry: check its keys, then UPDATE_RESPONSE_KEYS=1"
    new, gone = sorted(set(keys) - set(recorded)), sorted(set(recorded) - set(keys))
    assert (new, gone) == ([], []), f"{name}: keys new to the snapshot {new}, keys no longer sent {gone}"


def make_fuller(world: World) -> None:
    """The matrix's world with something in every list and nested object (see the module's docstring)."""
    coop_admin = world.coop_admin
    offer_the_listing(world)
    photo = SimpleUploadedFile("oro.jpg", make_test_image("JPEG", (64, 48)), content_type="image/jpeg")
    uploaded = world.actors["producer_admin"].client.post(
        f"/api/v1/listings/{world.listing.pk}/photos/", {"files": [photo]}, format="multipart"
    )
    assert uploaded.status_code == 201, uploaded.content

    contract, version = world.contract, world.contract.versions.get()
    contract.state, contract.signed_version, contract.signed_at = "signed", version, timezone.now()
    contract.terms_hash = "0" * 64
    contract.save()
    buyer_admin = world.actors["buyer_admin"].user
    assert buyer_admin is not None
    for side, organization, user in (("producer", world.coop, coop_admin), ("buyer", world.buyer_org, buyer_admin)):
        ContractAcceptance.objects.create(
            contract=contract,
            version=version,
            side=side,
            organization=organization,
            user=user,
            accepted_at=timezone.now(),
        )
    deposit = world.deposit
    deposit.status, deposit.held_at, deposit.provider_intent_id = "held", timezone.now(), "pi_response_keys"
    deposit.refunded_minor = 10000
    deposit.save()
    DepositRefund.objects.create(
        deposit=deposit,
        amount_minor=10000,
        status="succeeded",
        cause="staff",
        idempotency_key=f"deposit:{deposit.pk}:refund:1",
        provider_refund_id="re_response_keys",
    )
    approve_every_requirement(world.buyer_org, ["buyer"], buyer_admin)  # the buyer's own evidence list
    InvitationFactory(
        organization=world.buyer_org, invited_by=buyer_admin, invited_by_organization=world.buyer_org, role="member"
    )
    reviewer = world.actors["reviewer"]
    assert reviewer.organization is not None
    InvitationFactory(
        kind="producer_organization",
        organization=None,
        invited_by=reviewer.user,
        invited_by_organization=reviewer.organization,
        role="admin",
        legal_name="Asociación Nueva Esperanza",
        country="PE",
    )
    audit_record(
        action="accounts.organization.updated",
        actor=buyer_admin,
        actor_organization=world.buyer_org,
        target=world.buyer_org,
        data={"website": "https://helvetia.example"},
    )
    fill_records(world)  # the signed home contract's weighings, assays, statement and payments


def _cases() -> list[Any]:
    return [
        pytest.param(operation, role, id=entry(operation, role))
        for operation in MATRIX
        for role in ROLES
        if operation[0] == "GET" or 200 <= MATRIX[operation][ROLES.index(role)] < 300
    ]


@pytest.mark.parametrize(("operation", "role"), _cases())
def test_response_keys_match_the_snapshot(operation, role, world):
    make_fuller(world)
    actor = world.actors[role]
    url = home_url(operation[1], world, actor.user or world.coop_admin)
    has_body = "requestBody" in schema_operations()[operation]

    response = send(actor, operation, url, {} if has_body else None)

    assert_keys_match_the_snapshot(entry(operation, role), response)


def test_every_readable_get_of_the_matrix_has_a_snapshot_entry():
    recorded = load_snapshot()
    json_gets = {
        entry(operation, role)
        for operation in MATRIX
        for role in ROLES
        if operation[0] == "GET"
        and MATRIX[operation][ROLES.index(role)] == 200
        and "application/json" in schema_operations()[operation]["responses"]["200"].get("content", {})
    }

    assert sorted(json_gets - recorded.keys()) == [], "readable GETs without a snapshot entry"
    assert all(recorded[name] for name in json_gets), "an entry with no keys records nothing"


def test_the_snapshot_has_no_entry_the_matrix_does_not_know():
    cells = {entry(op, role, suffix) for op in MATRIX for role in ROLES for suffix in ("", VALID_BODY)}

    assert sorted(load_snapshot().keys() - cells) == []
