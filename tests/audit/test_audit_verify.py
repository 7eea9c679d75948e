"""`GET /api/v1/audit-events/verify/`: reviewers and staff prove the chain, range by range, over the API."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json

import pytest
from django.core.management import CommandError, call_command

from audit.models import AuditEvent
from audit.services import audit_record
from core.actor import DELEGATE, ActingDelegation, Actor
from tests.audit.test_audit import _tamper
from tests.conftest import make_client
from tests.factories import DelegationFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/audit-events/verify/"


def _events(n):
    return [audit_record(action="tests.event.recorded", data={"i": i, "name": "Señora Quispe"}) for i in range(n)]


def test_a_reviewer_verifies_the_whole_chain(reviewer):
    events = _events(5)

    response = reviewer.get(URL)

    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    assert response.json() == {
        "ok": True,
        "checked": 5,
        "first_seq": 1,
        "last_seq": 5,
        "head_hash": events[-1].hash,
        "broken_at": None,
        "reason": None,
        "detail": None,
        "chain_head_seq": 5,
        "next_from_seq": None,
        "max_events": 10_000,
    }


def test_staff_verify_a_range_and_are_told_where_to_continue(staff):
    events = _events(5)

    body = staff.get(f"{URL}?from_seq=2&to_seq=3").json()

    assert (body["ok"], body["checked"], body["first_seq"], body["last_seq"]) == (True, 2, 2, 3)
    assert body["head_hash"] == events[2].hash
    assert body["next_from_seq"] == 4


def test_without_to_seq_one_request_checks_at_most_the_limit(reviewer, settings):
    settings.AUDIT_VERIFY_MAX_EVENTS = 3
    _events(7)

    first = reviewer.get(URL).json()
    second = reviewer.get(f"{URL}?from_seq={first['next_from_seq']}").json()
    third = reviewer.get(f"{URL}?from_seq={second['next_from_seq']}").json()

    assert [(page["first_seq"], page["last_seq"], page["next_from_seq"]) for page in (first, second, third)] == [
        (1, 3, 4),
        (4, 6, 7),
        (7, 7, None),
    ]
    assert all(page["ok"] for page in (first, second, third))


def test_a_range_over_the_limit_is_refused(reviewer, settings):
    settings.AUDIT_VERIFY_MAX_EVENTS = 3

    response = reviewer.get(f"{URL}?from_seq=1&to_seq=4")

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "field": "to_seq",
            "code": "range_too_large",
            "message": "At most 3 events per request: ask for a shorter range.",
        }
    ]
    in_spanish = make_client(reviewer.user, reviewer.organization, language="es")
    spanish = in_spanish.get(f"{URL}?from_seq=1&to_seq=4").json()["errors"][0]["message"]
    assert spanish == "Como máximo 3 eventos por solicitud: pida un rango más corto."


@pytest.mark.parametrize(
    ("query", "field", "code"),
    [
        ("from_seq=0", "from_seq", "min_value"),
        ("from_seq=abc", "from_seq", "invalid"),
        ("from_seq=5&to_seq=4", "to_seq", "range_reversed"),
    ],
)
def test_a_bad_range_is_a_field_error(reviewer, query, field, code):
    response = reviewer.get(f"{URL}?{query}")

    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert (error["field"], error["code"]) == (field, code)


def test_a_range_past_the_newest_event_checks_nothing(reviewer):
    _events(2)

    body = reviewer.get(f"{URL}?from_seq=10").json()

    assert (body["ok"], body["checked"], body["first_seq"], body["last_seq"], body["next_from_seq"]) == (
        True,
        0,
        None,
        None,
        None,
    )


@pytest.mark.audit_chain_tampered
def test_an_altered_event_is_named_in_english_and_spanish(reviewer):
    events = _events(4)
    _tamper("UPDATE audit_auditevent SET data = %s WHERE seq = %s", ['{"i": 99}', events[1].seq])

    body = reviewer.get(URL).json()
    spanish = make_client(reviewer.user, reviewer.organization, language="es").get(URL).json()

    assert {key: body[key] for key in ("ok", "checked", "last_seq", "broken_at", "reason", "detail")} == {
        "ok": False,
        "checked": 1,
        "last_seq": 1,
        "broken_at": 2,
        "reason": "hash_mismatch",
        "detail": "its content does not match its hash",
    }
    assert body["head_hash"] == events[0].hash
    assert body["next_from_seq"] is None
    assert spanish["detail"] == "su contenido no corresponde a su hash"


@pytest.mark.audit_chain_tampered
def test_a_range_after_a_deleted_event_is_broken_at_the_gap(reviewer):
    events = _events(4)
    _tamper("DELETE FROM audit_auditevent WHERE seq = %s", [events[1].seq])

    body = reviewer.get(f"{URL}?from_seq=3").json()

    assert (body["ok"], body["broken_at"], body["reason"], body["detail"]) == (
        False,
        2,
        "event_missing",
        "event #2 is missing",
    )


@pytest.mark.parametrize(
    ("role", "status"),
    [("anon", 401), ("buyer", 403), ("buyer_member", 403), ("producer_admin", 403), ("producer_member", 403)],
)
def test_only_reviewers_and_staff_verify(request, role, status):
    _events(1)
    client = request.getfixturevalue(role)

    response = client.get(URL)

    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"


def _delegated_event(coop):
    """An event as a field officer acting for coop through a delegation records it."""
    delegation = DelegationFactory(organization=coop)
    actor = Actor(
        user=delegation.officer,
        organization_id=coop.pk,
        organization_kind="producer",
        role=DELEGATE,
        delegation=ActingDelegation(
            id=delegation.pk, scopes=frozenset({"evidence"}), support_organization_id=delegation.support_organization_id
        ),
    )
    return audit_record(action="tests.event.recorded", actor=actor, data={"for": "coop"})


def test_an_outsider_recomputes_every_hash_from_the_documented_recipe(reviewer, coop):
    """docs/audit.md and the schema describe the hash input; this is an implementation from that text alone."""
    _events(3)
    audit_record(action="accounts.organization.updated", actor=reviewer.user, data={"grams": "1.500", "n": None})
    delegated = _delegated_event(coop)

    events = reviewer.get("/api/v1/audit-events/?page_size=100").json()["results"]
    previous = "0" * 64
    for event in sorted(events, key=lambda e: e["seq"]):
        occurred = dt.datetime.fromisoformat(event["occurred_at"]).astimezone(dt.UTC)
        payload = {
            "seq": event["seq"],
            "occurred_at": occurred.isoformat(timespec="microseconds"),
            "actor": event["actor"],
            "actor_organization": event["actor_organization"],
            "subject_organization": event["subject_organization"],
            "action": event["action"],
            "target_type": event["target_type"],
            "target_id": event["target_id"],
            "data": event["data"],
            "request_id": event["request_id"],
            "prev_hash": event["prev_hash"],
        }
        if event["delegation"] is not None or event["delegate_organization"] is not None:
            payload |= {"delegation": event["delegation"], "delegate_organization": event["delegate_organization"]}
        encoded = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode("ascii")
        assert event["prev_hash"] == previous
        assert hashlib.sha256(encoded).hexdigest() == event["hash"]
        previous = event["hash"]
    assert previous == reviewer.get(URL).json()["head_hash"]
    assert [e["delegation"] for e in events if e["seq"] == delegated.seq] == [str(delegated.delegation_id)]


def test_events_without_a_delegation_hash_as_they_did_before_delegations_existed(coop):
    """The recipe before delegations: the eleven keys, no more. Every event not done through a delegation (all the
    events recorded before) still hashes to it, so old chains verify."""
    plain = _events(2)
    delegated = _delegated_event(coop)

    def old_recipe(event):
        payload = {
            "seq": event.seq,
            "occurred_at": event.occurred_at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
            "actor": str(event.actor_id) if event.actor_id else None,
            "actor_organization": str(event.actor_organization_id) if event.actor_organization_id else None,
            "subject_organization": str(event.subject_organization_id) if event.subject_organization_id else None,
            "action": event.action,
            "target_type": event.target_type,
            "target_id": event.target_id,
            "data": event.data,
            "request_id": event.request_id,
            "prev_hash": event.prev_hash,
        }
        return hashlib.sha256(json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()).hexdigest()

    assert [old_recipe(event) for event in plain] == [event.hash for event in plain]
    assert old_recipe(delegated) != delegated.hash  # the delegation is part of what its hash covers


@pytest.mark.audit_chain_tampered
def test_removing_the_delegation_from_an_event_breaks_its_hash(reviewer, coop):
    _events(1)
    delegated = _delegated_event(coop)
    _tamper(
        "UPDATE audit_auditevent SET delegation_id = NULL, delegate_organization_id = NULL WHERE seq = %s",
        [delegated.seq],
    )

    body = reviewer.get(URL).json()

    assert (body["ok"], body["broken_at"], body["reason"]) == (False, delegated.seq, "hash_mismatch")


def test_the_command_verifies_a_range_with_the_same_function():
    _events(4)
    out = io.StringIO()

    call_command("verify_audit_chain", "--from-seq", "3", stdout=out)

    assert f"Audit chain OK: 2 events, head {AuditEvent.objects.get(seq=4).hash}." in out.getvalue()
    with pytest.raises(CommandError, match="--from-seq starts at 1"):
        call_command("verify_audit_chain", "--from-seq", "0")
