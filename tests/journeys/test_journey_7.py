"""Journey 7: anyone can check what happened. A reviewer reads the audit trail of the demo's signed
contract and of every evidence decision behind the producer, with who, when and the file hashes seen;
`verify_audit_chain` confirms nothing was altered. The cooperative and the exporter each read their own
trail, both see the contract's signing, and neither sees the other's private compliance decisions."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from tests.journeys.test_journey_4 import ok
from tests.listings.test_listings import login

pytestmark = pytest.mark.django_db


def trail(client, query: str = "") -> list[dict]:
    return ok(client.get(f"/api/v1/audit-events/?page_size=100{query}"))["results"]


def test_anyone_can_check_what_happened():
    call_command("seed_demo")
    reviewer = login("reviewer@demo.test")
    cooperative, exporter, refiner = login("coop-admin@demo.test"), login("buyer2@demo.test"), login("buyer@demo.test")
    coop_id = ok(cooperative.get("/api/v1/me/"))["memberships"][0]["organization"]["id"]
    exporter_id = ok(exporter.get("/api/v1/me/"))["memberships"][0]["organization"]["id"]
    [contract] = ok(exporter.get("/api/v1/contracts/?state=signed"))["results"]

    # The reviewer reads the contract's trail: who did what, when, and the hash of the signed terms.
    contract_events = trail(reviewer, f"&target_type=trade.contract&target_id={contract['id']}")
    actions = [event["action"] for event in reversed(contract_events)]
    assert actions == ["trade.contract.proposed", "trade.contract.signed"]
    signed = contract_events[0]
    assert signed["actor_email"] == "coop-admin@demo.test"
    assert signed["occurred_at"]
    assert signed["data"]["terms_hash"] == ok(exporter.get(f"/api/v1/contracts/{contract['id']}/"))["terms_hash"]

    # ...and every evidence decision behind the producer, with the reviewer and the file hashes seen.
    approvals = trail(reviewer, f"&action=compliance.evidence.approve&organization={coop_id}")
    assert approvals
    for event in approvals:
        assert event["subject_organization"] == coop_id
        assert event["actor_email"] in {"reviewer@demo.test", "network-admin@demo.test"}
        assert event["data"]["file_hashes"]
        assert all(len(seen["sha256"]) == 64 for seen in event["data"]["file_hashes"])

    out = io.StringIO()
    call_command("verify_audit_chain", stdout=out)
    assert "Audit chain OK" in out.getvalue()

    # Each party reads its own trail: both see the signing; neither sees the other's compliance decisions.
    own = {"cooperative": trail(cooperative), "exporter": trail(exporter)}
    for organization_id, events in ((coop_id, own["cooperative"]), (exporter_id, own["exporter"])):
        assert events
        assert all(organization_id in (e["actor_organization"], e["subject_organization"]) for e in events)
        assert signed["seq"] in {e["seq"] for e in events}
    assert not [
        e
        for e in own["cooperative"]
        if e["action"].startswith("compliance.") and e["subject_organization"] == exporter_id
    ]
    assert not [
        e for e in own["exporter"] if e["action"].startswith("compliance.") and e["subject_organization"] == coop_id
    ]
    # A third organisation reads nothing of this contract, and members who are not admins read no trail.
    assert signed["seq"] not in {e["seq"] for e in trail(refiner)}
    assert login("coop-member@demo.test").get("/api/v1/audit-events/").status_code == 403
