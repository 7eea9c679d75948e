"""The compliance snapshot in the terms: each proposed version keeps what the offer's compliance rested on
(the policy in force, the evidence meeting each requirement and claim at each origin site, the files'
hashes), the signed hash covers it, the audit trail says which snapshot each side accepted, and an item
behind an accepted contract that is later revoked or superseded is told to both parties and shown on the
contract."""

from __future__ import annotations

import hashlib
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from compliance.models import Evidence, Policy
from compliance.selectors import compliance_snapshot
from core import clock
from notifications.models import Notification
from tests.compliance.helpers import decide, make_evidence, move, uploaded
from tests.trade.helpers import CONTRACTS, ask, ok, start, terms
from trade.models import Contract, ContractVersion
from trade.terms import canonical_document, terms_hash

pytestmark = pytest.mark.django_db
AUDIT = "/api/v1/audit-events/"


def url(contract, move=""):
    return f"{CONTRACTS}{contract['id']}/" + (f"{move}/" if move else "")


def propose(actor, contract, site, **overrides):
    return ok(actor.post(url(contract, "propose"), terms(site, **overrides), format="json"), 201)


def version(contract, number):
    return next(v for v in contract["versions"] if v["number"] == number)


def digest(snapshot) -> str:
    return hashlib.sha256(json.dumps(snapshot, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def item_of(trade, type_code: str) -> Evidence:
    return Evidence.objects.get(organization_id=trade.producer.pk, evidence_type_id=type_code, status="approved")


def renew(producer_admin, reviewer, type_code: str) -> dict:
    """The producer uploads a newer item of the type and a reviewer approves it: the older one is superseded."""
    newer = uploaded(producer_admin, type_code, document_number="renewed")
    ok(decide(reviewer, newer["id"], "approve"))
    return newer


def revoke(reviewer, evidence_id) -> None:
    ok(move(reviewer, evidence_id, "revoke", {"reason": "The registry cancelled the taxpayer record."}))


def told(actor, kind: str = "contract_evidence_withdrawn") -> list[dict]:
    return [n for n in ok(actor.get("/api/v1/notifications/"))["results"] if n["kind"] == kind]


def test_each_version_keeps_the_snapshot_of_the_day_it_was_proposed(trade, buyer, producer_admin):
    contract = start(buyer, ask(buyer, trade.listing), trade.site)
    snapshot = version(contract, 1)["compliance_snapshot"]

    policy = Policy.objects.get(pk=snapshot["policy"]["id"])
    assert (snapshot["policy"]["subject"], snapshot["policy"]["version"]) == (policy.subject, policy.version)
    assert [site["site"] for site in snapshot["sites"]] == [str(trade.site.pk)]
    requirements = snapshot["sites"][0]["requirements"]
    assert [r["code"] for r in requirements] == sorted(policy.requirements.values_list("code", flat=True))
    assert all(r["evidence"] for r in requirements)  # every requirement met
    ruc = item_of(trade, "TAX_RUC")
    assert next(r for r in requirements if r["code"] == "TAX_RUC")["evidence"] == [str(ruc.pk)]
    described = {item["id"]: item for item in snapshot["evidence"]}
    assert [item["id"] for item in snapshot["evidence"]] == sorted(described)
    assert described[str(ruc.pk)] == {
        "id": str(ruc.pk),
        "type": "TAX_RUC",
        "site": None,
        "valid_until": ruc.valid_until.isoformat(),
        "files": [],
    }
    assert snapshot["lots"] == []  # a forward listing: its lots are named later
    assert version(contract, 1)["compliance_snapshot_digest"] == digest(snapshot)
    # The list shows versions without their snapshot; the detail shows them to both parties.
    assert "compliance_snapshot" not in ok(buyer.get(CONTRACTS))["results"][0]["latest_version"]
    assert ok(producer_admin.get(url(contract)))["versions"][0]["compliance_snapshot"] == snapshot


def test_the_terms_hash_changes_when_the_evidence_behind_the_offer_changes(trade, buyer, producer_admin, reviewer):
    contract = start(buyer, ask(buyer, trade.listing), trade.site)
    # Nothing changed between the two proposals: the same snapshot.
    contract = propose(producer_admin, contract, trade.site, incoterm_place="Lima")
    first, second = version(contract, 1), version(contract, 2)
    assert second["compliance_snapshot"] == first["compliance_snapshot"]
    assert second["compliance_snapshot_digest"] == first["compliance_snapshot_digest"]

    # The taxpayer record is renewed: the new item stands behind the offer, with its file's hash.
    old = item_of(trade, "TAX_RUC")
    newer = renew(producer_admin, reviewer, "TAX_RUC")
    contract = propose(buyer, contract, trade.site, incoterm_place="Lima")
    third = version(contract, 3)
    assert third["compliance_snapshot_digest"] != second["compliance_snapshot_digest"]
    ruc = next(r for r in third["compliance_snapshot"]["sites"][0]["requirements"] if r["code"] == "TAX_RUC")
    assert ruc["evidence"] == [newer["id"]]
    described = {item["id"]: item for item in third["compliance_snapshot"]["evidence"]}
    assert str(old.pk) not in described
    assert described[newer["id"]]["files"] == [{"position": 1, "sha256": newer["files"][0]["sha256"]}]

    signed = ok(producer_admin.post(url(contract, "accept"), {"version": 3}, format="json"))
    stored = Contract.objects.get(pk=contract["id"])
    v2, v3 = (ContractVersion.objects.get(contract=stored, number=n) for n in (2, 3))
    assert signed["terms_hash"] == terms_hash(stored, v3)
    assert canonical_document(stored, v3)["compliance_snapshot"] == third["compliance_snapshot"]
    # The same terms resting on version 2's evidence hash differently; on an equal snapshot, the same.
    v3.compliance_snapshot = v2.compliance_snapshot
    assert terms_hash(stored, v3) != signed["terms_hash"]
    v3.compliance_snapshot = json.loads(json.dumps(third["compliance_snapshot"]))
    assert terms_hash(stored, v3) == signed["terms_hash"]


def test_versions_without_a_snapshot_hash_as_they_always_did(trade, buyer, producer_admin):
    contract = start(buyer, ask(buyer, trade.listing), trade.site)
    ContractVersion.objects.filter(contract_id=contract["id"]).update(compliance_snapshot={})  # as migrated
    stored = Contract.objects.get(pk=contract["id"])
    old = ContractVersion.objects.get(contract=stored, number=1)

    document = canonical_document(stored, old)
    assert "compliance_snapshot" not in document
    before = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    signed = ok(producer_admin.post(url(contract, "accept"), {"version": 1}, format="json"))
    assert signed["terms_hash"] == hashlib.sha256(before).hexdigest()
    assert (signed["versions"][0]["compliance_snapshot"], signed["versions"][0]["compliance_snapshot_digest"]) == (
        None,
        None,
    )


def test_the_audit_trail_says_which_snapshot_each_side_accepted(trade, buyer, producer_admin, reviewer):
    contract = start(producer_admin, ask(buyer, trade.listing), trade.site)
    renew(producer_admin, reviewer, "TAX_RUC")
    contract = propose(buyer, contract, trade.site)
    signed = ok(producer_admin.post(url(contract, "accept"), {"version": 2}, format="json"))

    events = ok(reviewer.get(f"{AUDIT}?target_type=trade.contract&target_id={contract['id']}"))["results"]
    by_action = {(e["action"], e["data"].get("version")): e for e in events}
    first = by_action[("trade.contract.proposed", 1)]
    second = by_action[("trade.contract.proposed", 2)]
    signing = by_action[("trade.contract.signed", 2)]
    # Proposing is the proposer's acceptance, with the snapshot it saw; signing names the one both accepted.
    assert first["data"]["compliance_snapshot_digest"] == version(signed, 1)["compliance_snapshot_digest"]
    assert second["data"]["compliance_snapshot_digest"] == version(signed, 2)["compliance_snapshot_digest"]
    assert first["data"]["compliance_snapshot_digest"] != second["data"]["compliance_snapshot_digest"]
    assert second["actor_organization"] == str(buyer.organization.pk)
    assert signing["actor_organization"] == str(producer_admin.organization.pk)
    assert signing["data"]["terms_hash"] == signed["terms_hash"]
    assert signing["data"]["compliance_snapshot_digest"] == version(signed, 2)["compliance_snapshot_digest"]


def test_a_revoked_item_behind_a_signed_contract_is_told_to_both_parties_and_shown(
    trade, buyer, buyer_member, producer_admin, producer_member, reviewer
):
    contract = start(buyer, ask(buyer, trade.listing), trade.site)
    ok(producer_admin.post(url(contract, "accept"), {"version": 1}, format="json"))
    assert ok(buyer.get(url(contract)))["compliance_alerts"] == []
    ruc = item_of(trade, "TAX_RUC")

    revoke(reviewer, ruc.pk)

    for side in (buyer, buyer_member, producer_admin, producer_member):
        [notice] = told(side)
        assert (notice["target_type"], notice["target_id"]) == ("trade.contract", contract["id"])
        assert notice["params"]["evidence"] == str(ruc.pk)
        assert notice["title"] == "Taxpayer registration record behind a contract: revoked"
    for side in (buyer, producer_admin):
        [alert] = ok(side.get(url(contract)))["compliance_alerts"]
        assert (alert["evidence_id"], alert["type"], alert["event"]) == (str(ruc.pk), "TAX_RUC", "revoked")
        assert alert["at"] is not None


def test_a_superseded_item_behind_a_proposal_is_told_and_shown_with_its_time(trade, buyer, producer_admin, reviewer):
    """Accepted by one side only (the proposal is the proposer's acceptance): both are told all the same."""
    contract = start(buyer, ask(buyer, trade.listing), trade.site)
    old = item_of(trade, "TAX_RUC")

    newer = renew(producer_admin, reviewer, "TAX_RUC")

    approval = ok(reviewer.get(f"{AUDIT}?action=compliance.evidence.approve&target_id={newer['id']}"))["results"]
    assert approval[0]["data"]["superseded"] == [str(old.pk)]  # the trail names what the approval replaced
    assert len(told(buyer)) == 1
    assert len(told(producer_admin)) == 1
    [alert] = ok(buyer.get(url(contract)))["compliance_alerts"]
    assert (alert["evidence_id"], alert["event"]) == (str(old.pk), "superseded")
    assert alert["at"] is not None
    # A new proposal rests on the renewed item: nothing of it has been withdrawn.
    contract = propose(producer_admin, contract, trade.site)
    assert contract["compliance_alerts"] == []


def test_a_revoked_item_behind_a_cancelled_contract_tells_nobody(trade, buyer, producer_admin, reviewer):
    contract = start(buyer, ask(buyer, trade.listing), trade.site)
    ok(producer_admin.post(url(contract, "accept"), {"version": 1}, format="json"))
    ok(buyer.post(url(contract, "cancel"), {"reason": "Cambio de planes."}, format="json"))

    revoke(reviewer, item_of(trade, "TAX_RUC").pk)

    assert told(buyer) == []
    assert told(producer_admin) == []
    assert not Notification.objects.filter(kind="contract_evidence_withdrawn").exists()
    assert ok(buyer.get(url(contract)))["compliance_alerts"] == []


def test_the_snapshot_takes_the_same_queries_however_many_items(trade, producer_admin):
    today = clock.today_lima()
    organization = trade.producer.organization

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            compliance_snapshot(trade.producer, [trade.site.pk], ["mercury_free", "fairmined"], today)
        return len(queries)

    few = count()
    for type_code in ("TAX_RUC", "OHS_TRAINING", "PPE_RECORD", "HG_DECL"):
        make_evidence(
            organization,
            type_code,
            submitted_by=producer_admin.user,
            status="approved",
            valid_until=today.replace(year=today.year + 1),
        )
    assert count() == few
