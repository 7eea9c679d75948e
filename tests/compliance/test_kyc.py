"""Buyer KYC: the buyer policy's requirements, submitted by the buyer's admin once every document is in,
verified or rejected only by a reviewer, and only when every document is approved."""

from __future__ import annotations

import pytest

from accounts.models import Organization
from audit.models import AuditEvent
from notifications.models import Notification
from tests.compliance.helpers import decide, ok, uploaded
from tests.problems import assert_problem, field_errors

pytestmark = pytest.mark.django_db

# The buyer policy's requirements, each met by one evidence type.
KYC_REQUIREMENTS = {
    "KYC_COMPANY": "KYC_COMPANY_REG",
    "KYC_OWNERS": "KYC_UBO",
    "KYC_SANCTIONS": "KYC_SANCTIONS",
    "KYC_DUE_DILIGENCE": "KYC_DD_POLICY",
}


def kyc_url(organization, action: str = "") -> str:
    return f"/api/v1/organizations/{organization.pk}/kyc/" + (f"{action}/" if action else "")


def kyc_status(organization) -> str:
    return Organization.objects.get(pk=organization.pk).kyc_status


def upload_kyc(buyer, types=None) -> dict[str, str]:
    """Upload the KYC documents of these types (all of them by default): {type: evidence id}."""
    codes = KYC_REQUIREMENTS.values() if types is None else types
    return {code: uploaded(buyer, code, document_number=f"{code}-1")["id"] for code in codes}


def approve_all(reviewer, items: dict[str, str]) -> None:
    for evidence_id in items.values():
        assert ok(decide(reviewer, evidence_id, "approve"))["status"] == "approved"


def test_the_buyer_reads_its_kyc_requirements(buyer, buyer_org):
    body = ok(buyer.get(kyc_url(buyer_org)))

    assert body["organization"] == str(buyer_org.pk)
    assert body["policy"] == "buyer"
    assert body["verification_status"] == "unverified"
    assert body["compliant"] is False
    assert {r["code"] for r in body["requirements"]} == set(KYC_REQUIREMENTS)
    assert {r["state"] for r in body["requirements"]} == {"missing"}


def test_uploaded_kyc_documents_are_pending_then_met(buyer, buyer_org, reviewer):
    items = upload_kyc(buyer)
    pending = ok(buyer.get(kyc_url(buyer_org)))
    assert {r["code"]: r["state"] for r in pending["requirements"]} == dict.fromkeys(KYC_REQUIREMENTS, "pending")

    approve_all(reviewer, items)

    met = ok(buyer.get(kyc_url(buyer_org)))
    assert met["compliant"] is True
    assert {r["code"]: r["evidence"] for r in met["requirements"]} == {
        requirement: [items[evidence_type]] for requirement, evidence_type in KYC_REQUIREMENTS.items()
    }


def test_reviewers_read_any_buyers_kyc_and_other_organisations_do_not(
    buyer_org, buyer_member, reviewer, other_buyer, producer_admin, anon
):
    assert ok(buyer_member.get(kyc_url(buyer_org)))["policy"] == "buyer"
    assert ok(reviewer.get(kyc_url(buyer_org)))["policy"] == "buyer"
    assert_problem(other_buyer.get(kyc_url(buyer_org)), 404, "not_found")
    assert_problem(producer_admin.get(kyc_url(buyer_org)), 404, "not_found")
    assert_problem(anon.get(kyc_url(buyer_org)), 401, "not_authenticated")


def test_a_producer_organisation_has_no_kyc(coop, producer_admin, reviewer):
    for actor in (producer_admin, reviewer):
        assert_problem(actor.get(kyc_url(coop)), 404, "not_found")
    assert_problem(reviewer.post(kyc_url(coop, "verify"), {}, format="json"), 404, "not_found")
    assert_problem(producer_admin.post(kyc_url(coop, "submit"), {}, format="json"), 404, "not_found")
    assert kyc_status(coop) == ""


def test_submitting_is_refused_until_every_kyc_document_is_uploaded(buyer, buyer_org):
    upload_kyc(buyer, ["KYC_COMPANY_REG", "KYC_UBO", "KYC_SANCTIONS"])

    body = assert_problem(buyer.post(kyc_url(buyer_org, "submit"), {}, format="json"), 409, "requirements_missing")

    assert body["missing"] == ["KYC_DUE_DILIGENCE"]
    assert kyc_status(buyer_org) == "unverified"
    assert not AuditEvent.objects.filter(action="compliance.kyc.submit").exists()


def test_the_buyer_admin_submits_once_everything_is_uploaded(buyer, buyer_org):
    upload_kyc(buyer)

    body = ok(buyer.post(kyc_url(buyer_org, "submit"), {}, format="json"))

    assert body["verification_status"] == "submitted"
    assert kyc_status(buyer_org) == "submitted"
    event = AuditEvent.objects.get(action="compliance.kyc.submit")
    assert (event.actor_id, event.target_id) == (buyer.user.pk, str(buyer_org.pk))
    assert (event.data["from"], event.data["to"]) == ("unverified", "submitted")


def test_submitting_twice_is_a_no_op(buyer, buyer_org):
    upload_kyc(buyer)
    ok(buyer.post(kyc_url(buyer_org, "submit"), {}, format="json"))

    again = ok(buyer.post(kyc_url(buyer_org, "submit"), {}, format="json"))

    assert again["verification_status"] == "submitted"
    assert AuditEvent.objects.filter(action="compliance.kyc.submit").count() == 1


def test_a_buyer_member_cannot_submit(buyer, buyer_member, buyer_org):
    upload_kyc(buyer)

    assert_problem(buyer_member.post(kyc_url(buyer_org, "submit"), {}, format="json"), 403, "not_admin")

    assert kyc_status(buyer_org) == "unverified"


def test_another_buyer_cannot_submit_for_this_one(buyer, other_buyer, buyer_org):
    upload_kyc(buyer)

    assert_problem(other_buyer.post(kyc_url(buyer_org, "submit"), {}, format="json"), 404, "not_found")

    assert kyc_status(buyer_org) == "unverified"


def test_a_reviewer_verifies_only_when_every_document_is_approved(
    buyer, buyer_org, reviewer, mailoutbox, django_capture_on_commit_callbacks
):
    items = upload_kyc(buyer)
    ok(buyer.post(kyc_url(buyer_org, "submit"), {}, format="json"))
    approve_all(reviewer, {k: v for k, v in items.items() if k != "KYC_SANCTIONS"})

    body = assert_problem(reviewer.post(kyc_url(buyer_org, "verify"), {}, format="json"), 409, "requirements_missing")
    assert body["missing"] == ["KYC_SANCTIONS"]
    assert kyc_status(buyer_org) == "submitted"

    approve_all(reviewer, {"KYC_SANCTIONS": items["KYC_SANCTIONS"]})
    with django_capture_on_commit_callbacks(execute=True):
        verified = ok(reviewer.post(kyc_url(buyer_org, "verify"), {}, format="json"))

    assert (verified["verification_status"], verified["compliant"]) == ("verified", True)
    assert kyc_status(buyer_org) == "verified"
    assert AuditEvent.objects.filter(action="compliance.kyc.verify", actor=reviewer.user).count() == 1
    notified = Notification.objects.filter(kind="kyc_decided")
    assert [(n.recipient_id, n.params["status"]) for n in notified] == [(buyer.user.pk, "verified")]
    assert [m.to for m in mailoutbox if "KYC" in m.subject] == [[buyer.user.email]]


def test_verifying_twice_is_a_no_op(buyer, buyer_org, reviewer):
    approve_all(reviewer, upload_kyc(buyer))
    ok(buyer.post(kyc_url(buyer_org, "submit"), {}, format="json"))
    ok(reviewer.post(kyc_url(buyer_org, "verify"), {}, format="json"))

    again = ok(reviewer.post(kyc_url(buyer_org, "verify"), {}, format="json"))

    assert again["verification_status"] == "verified"
    assert AuditEvent.objects.filter(action="compliance.kyc.verify").count() == 1
    assert Notification.objects.filter(kind="kyc_decided").count() == 1


def test_a_kyc_that_was_not_submitted_cannot_be_verified(buyer, buyer_org, reviewer):
    approve_all(reviewer, upload_kyc(buyer))

    assert_problem(reviewer.post(kyc_url(buyer_org, "verify"), {}, format="json"), 409, "invalid_transition")

    assert kyc_status(buyer_org) == "unverified"


def test_only_a_reviewer_verifies_or_rejects(buyer, buyer_member, buyer_org, reviewer, producer_admin, anon):
    approve_all(reviewer, upload_kyc(buyer))
    ok(buyer.post(kyc_url(buyer_org, "submit"), {}, format="json"))

    for action in ("verify", "reject"):
        body = {"reason": "Todo en orden"}
        assert_problem(buyer.post(kyc_url(buyer_org, action), body, format="json"), 403, "not_reviewer")
        assert_problem(buyer_member.post(kyc_url(buyer_org, action), body, format="json"), 403, "not_reviewer")
        assert_problem(producer_admin.post(kyc_url(buyer_org, action), body, format="json"), 404, "not_found")
        assert_problem(anon.post(kyc_url(buyer_org, action), body, format="json"), 401, "not_authenticated")

    assert kyc_status(buyer_org) == "submitted"


def test_a_rejection_needs_a_reason_and_the_buyer_may_submit_again(buyer, buyer_org, reviewer):
    upload_kyc(buyer)
    ok(buyer.post(kyc_url(buyer_org, "submit"), {}, format="json"))

    for body in ({}, {"reason": ""}, {"reason": "   "}):
        assert "reason" in field_errors(reviewer.post(kyc_url(buyer_org, "reject"), body, format="json"))
    assert kyc_status(buyer_org) == "submitted"

    rejected = ok(reviewer.post(kyc_url(buyer_org, "reject"), {"reason": "Falta el beneficiario final"}, format="json"))

    assert rejected["verification_status"] == "rejected"
    assert kyc_status(buyer_org) == "rejected"
    notification = Notification.objects.get(kind="kyc_decided", recipient=buyer.user)
    assert (notification.params["status"], notification.params["reason"]) == ("rejected", "Falta el beneficiario final")
    event = AuditEvent.objects.get(action="compliance.kyc.reject")
    assert event.data["reason"] == "Falta el beneficiario final"

    assert ok(buyer.post(kyc_url(buyer_org, "submit"), {}, format="json"))["verification_status"] == "submitted"


def test_a_verified_kyc_cannot_be_rejected_until_it_is_submitted_again(buyer, buyer_org, reviewer):
    approve_all(reviewer, upload_kyc(buyer))
    ok(buyer.post(kyc_url(buyer_org, "submit"), {}, format="json"))
    ok(reviewer.post(kyc_url(buyer_org, "verify"), {}, format="json"))

    late_rejection = reviewer.post(kyc_url(buyer_org, "reject"), {"reason": "Cambio de opinión"}, format="json")
    assert_problem(late_rejection, 409, "invalid_transition")
    assert kyc_status(buyer_org) == "verified"

    # Submitting again is a renewal (tests/compliance/test_kyc_validity.py); that one a reviewer may refuse.
    assert ok(buyer.post(kyc_url(buyer_org, "submit"), {}, format="json"))["verification_status"] == "submitted"
    ok(reviewer.post(kyc_url(buyer_org, "reject"), {"reason": "Cambio de accionistas sin declarar"}, format="json"))
    assert kyc_status(buyer_org) == "rejected"


def test_the_kyc_status_never_changes_through_patch(buyer, buyer_org, staff):
    for actor in (buyer, staff):
        response = actor.patch(
            f"/api/v1/organizations/{buyer_org.pk}/", {"kyc_status": "verified", "website": ""}, format="json"
        )
        assert ok(response)["kyc_status"] == "unverified"  # an unknown field is ignored, never applied

    assert kyc_status(buyer_org) == "unverified"
    assert not AuditEvent.objects.filter(action__startswith="compliance.kyc").exists()
