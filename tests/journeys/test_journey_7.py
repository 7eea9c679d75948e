"""Journey 7: anyone can check what happened. A reviewer reads the audit trail of the demo's signed
contract and of every evidence decision behind the producer, with who, when and the file hashes seen;
`verify_audit_chain` confirms nothing was altered. The cooperative and the exporter each read their own
trail, both see the contract's signing, and neither sees the other's private compliance decisions. The
steps are in `steps.py` (`anyone_can_check`)."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from tests.journeys.steps import Trail, anyone_can_check, login, ok

pytestmark = pytest.mark.django_db


def test_anyone_can_check_what_happened():
    call_command("seed_demo")
    cooperative, exporter = login("coop-admin@demo.test"), login("buyer2@demo.test")
    # The contract the cooperative signed for flakes (the exporter's other signed contract is the one the demo
    # settled, on an offer of its own, signed by the exporter: its trail is journey 10's).
    signed = ok(exporter.get("/api/v1/contracts/?state=signed"))["results"]
    [contract] = [c for c in signed if c["latest_version"]["price_basis"] == "fixed"]
    who = Trail(
        reviewer=login("reviewer@demo.test"),
        reviewer_emails=frozenset({"reviewer@demo.test", "network-admin@demo.test"}),
        signer_email="coop-admin@demo.test",
        cooperative=cooperative,
        cooperative_id=ok(cooperative.get("/api/v1/me/"))["memberships"][0]["organization"]["id"],
        buyer=exporter,
        buyer_id=ok(exporter.get("/api/v1/me/"))["memberships"][0]["organization"]["id"],
        third_party=login("buyer@demo.test"),
        plain_member=login("coop-member@demo.test"),
    )

    anyone_can_check(who, contract["id"], ["trade.contract.proposed", "trade.contract.signed"])
