"""The review queue and decisions: claim, approve (two reviewers where the type asks), reject, request
changes, revoke; each one a compare-and-set with one audit event, one decision row and a notification."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Role
from audit.models import AuditEvent
from compliance.models import Evidence, EvidenceDecision
from notifications.models import Notification
from tests.compliance.helpers import (
    EVIDENCE_URL,
    add_member,
    add_reviewer,
    day,
    decide,
    image_upload,
    iso,
    make_evidence,
    make_producer,
    make_site,
    move,
    ok,
    pdf_upload,
    today,
    uploaded,
)
from tests.factories import MembershipFactory, OrganizationFactory
from tests.problems import assert_problem, field_errors

pytestmark = pytest.mark.django_db

DECISION_MOVES = ["claim", "approve", "reject", "request-changes", "revoke"]


@pytest.fixture
def producer(coop):
    return make_producer(coop)


@pytest.fixture
def site(producer):
    return make_site(producer)


@pytest.fixture
def rosa(network):
    """A second reviewer of the network."""
    return add_reviewer(network, "rosa@red.test")


def status_of(evidence_id) -> str:
    return Evidence.objects.get(pk=evidence_id).status


def ids(response) -> list[str]:
    return [item["id"] for item in ok(response)["results"]]


# --- The queue --------------------------------------------------------------------------------------------


def test_the_queue_shows_every_organisation_oldest_first(producer_admin, other_producer, reviewer):
    first = uploaded(producer_admin, "TAX_RUC")["id"]
    second = uploaded(other_producer, "REINFO")["id"]
    third = uploaded(producer_admin, "HG_DECL")["id"]

    assert ids(reviewer.get(EVIDENCE_URL)) == [first, second, third]
    assert ids(reviewer.get(f"{EVIDENCE_URL}?ordering=-created_at")) == [third, second, first]


def test_the_queue_pages_oldest_first(producer_admin, reviewer):
    items = [uploaded(producer_admin, code)["id"] for code in ("TAX_RUC", "REINFO", "HG_DECL")]

    page = ok(reviewer.get(f"{EVIDENCE_URL}?page_size=2"))
    rest = ok(reviewer.get(page["next"]))

    assert [i["id"] for i in page["results"]] + [i["id"] for i in rest["results"]] == items


@pytest.fixture
def queue(coop, producer_admin, other_producer, reviewer):
    """Five items in different states, oldest first."""
    author = producer_admin.user
    return {
        "submitted": make_evidence(coop, "TAX_RUC", submitted_by=author),
        "claimed": make_evidence(coop, "HG_DECL", submitted_by=author, status="in_review", claimed_by=reviewer.user),
        "expiring": make_evidence(coop, "OHS_TRAINING", submitted_by=author, status="approved", valid_until=day(10)),
        "lasting": make_evidence(coop, "PPE_RECORD", submitted_by=author, status="approved", valid_until=day(200)),
        "theirs": make_evidence(other_producer.organization, "REINFO", submitted_by=other_producer.user),
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=submitted", ["submitted", "theirs"]),
        ("status=submitted&status=in_review", ["submitted", "claimed", "theirs"]),
        ("status=approved", ["expiring", "lasting"]),
        ("evidence_type=TAX_RUC", ["submitted"]),
        ("area=ohs", ["expiring", "lasting"]),
        ("area=legality", ["submitted", "theirs"]),
        ("expiring_soon=true", ["expiring"]),
        ("expiring_soon=false", ["submitted", "claimed", "lasting", "theirs"]),
        ("unclaimed=true", ["submitted", "expiring", "lasting", "theirs"]),
        ("unclaimed=false", ["claimed"]),
        ("status=submitted&ordering=-created_at", ["theirs", "submitted"]),
    ],
)
def test_the_queue_filters(reviewer, queue, query, expected):
    assert ids(reviewer.get(f"{EVIDENCE_URL}?{query}")) == [str(queue[name].pk) for name in expected]


def test_the_queue_filters_by_organisation(reviewer, queue, other_producer):
    response = reviewer.get(f"{EVIDENCE_URL}?organization={other_producer.organization.pk}")

    assert ids(response) == [str(queue["theirs"].pk)]


@pytest.mark.parametrize("query", ["status=lost", "area=astrology", "organization=not-a-uuid", "ordering=status"])
def test_a_bad_queue_filter_is_400_never_500(reviewer, queue, query):
    response = reviewer.get(f"{EVIDENCE_URL}?{query}")

    assert_problem(response, 400, "validation_error")  # an ordering outside the allow-list too, never ignored


def test_a_producer_sees_only_its_own_items(producer_admin, queue, other_producer):
    ours = [str(queue[name].pk) for name in ("submitted", "claimed", "expiring", "lasting")]

    assert ids(producer_admin.get(EVIDENCE_URL)) == ours
    assert ids(producer_admin.get(f"{EVIDENCE_URL}?organization={other_producer.organization.pk}")) == []
    assert_problem(producer_admin.get(f"{EVIDENCE_URL}{queue['theirs'].pk}/"), 404, "not_found")
    assert ok(producer_admin.get(f"{EVIDENCE_URL}{queue['claimed'].pk}/"))["status"] == "in_review"


def test_a_buyer_sees_no_producer_evidence(buyer, queue):
    assert ids(buyer.get(EVIDENCE_URL)) == []
    assert_problem(buyer.get(f"{EVIDENCE_URL}{queue['submitted'].pk}/"), 404, "not_found")


def test_the_queue_runs_the_same_queries_for_2_and_12_items(reviewer, coop, producer_admin, site):
    def add(count):
        for n in range(count):
            make_evidence(coop, "SITE_GEO" if n % 2 else "TAX_RUC", submitted_by=producer_admin.user, site=site)

    def measure():
        with CaptureQueriesContext(connection) as queries:
            rows = ids(reviewer.get(f"{EVIDENCE_URL}?page_size=50"))
        return len(queries.captured_queries), len(rows)

    add(2)
    few_queries, few = measure()
    add(10)
    more_queries, more = measure()

    assert (few, more) == (2, 12)
    assert more_queries == few_queries


# --- Claim ------------------------------------------------------------------------------------------------


def test_a_reviewer_claims_an_item(producer_admin, reviewer):
    item = uploaded(producer_admin, "TAX_RUC")["id"]

    body = ok(move(reviewer, item, "claim"))

    assert body["status"] == "in_review"
    assert body["claimed_by"] == str(reviewer.user.pk)
    evidence = Evidence.objects.get(pk=item)
    assert (evidence.status, evidence.claimed_by_id) == ("in_review", reviewer.user.pk)
    assert ids(reviewer.get(f"{EVIDENCE_URL}?unclaimed=true")) == []


def test_one_reviewer_at_a_time(producer_admin, reviewer, rosa):
    item = uploaded(producer_admin, "TAX_RUC")["id"]
    ok(move(reviewer, item, "claim"))

    assert_problem(move(rosa, item, "claim"), 409, "already_claimed")

    assert Evidence.objects.get(pk=item).claimed_by_id == reviewer.user.pk
    assert_problem(move(rosa, item, "approve"), 409, "not_claimed")
    assert status_of(item) == "in_review"


def test_claiming_twice_is_a_no_op(producer_admin, reviewer):
    item = uploaded(producer_admin, "TAX_RUC")["id"]
    first = ok(move(reviewer, item, "claim"))

    again = ok(move(reviewer, item, "claim"))

    assert again["claimed_at"] == first["claimed_at"]
    assert EvidenceDecision.objects.filter(evidence_id=item, action="claim").count() == 1
    assert AuditEvent.objects.filter(action="compliance.evidence.claim", target_id=item).count() == 1


def test_a_decided_item_cannot_be_claimed(producer_admin, reviewer, rosa):
    item = uploaded(producer_admin, "TAX_RUC")["id"]
    ok(decide(reviewer, item, "approve"))

    assert_problem(move(rosa, item, "claim"), 409, "invalid_transition")
    assert status_of(item) == "approved"


# --- Approve ----------------------------------------------------------------------------------------------


def test_approving_without_a_claim_is_409_not_claimed(producer_admin, reviewer):
    item = uploaded(producer_admin, "TAX_RUC")["id"]

    assert_problem(move(reviewer, item, "approve"), 409, "not_claimed")

    assert status_of(item) == "submitted"
    assert not EvidenceDecision.objects.filter(evidence_id=item).exists()


def test_tax_ruc_is_valid_30_days_from_its_issue(
    producer_admin, reviewer, mailoutbox, django_capture_on_commit_callbacks
):
    item = uploaded(producer_admin, "TAX_RUC", issue_date=iso(-5))["id"]

    with django_capture_on_commit_callbacks(execute=True):
        body = ok(decide(reviewer, item, "approve"))

    assert body["status"] == "approved"
    assert body["valid_until"] == iso(25)
    assert body["decided_by"] == str(reviewer.user.pk)
    evidence = Evidence.objects.get(pk=item)
    assert (evidence.status, evidence.valid_until) == ("approved", day(25))
    notification = Notification.objects.get(kind="evidence_decided", recipient=producer_admin.user)
    assert notification.params["status"] == "approved"
    assert [m.to for m in mailoutbox] == [[producer_admin.user.email]]


def test_the_mining_fee_receipt_is_valid_until_the_end_of_its_year(producer_admin, reviewer):
    item = uploaded(producer_admin, "VIGENCIA_PAY", issue_date=iso(0))["id"]

    body = ok(decide(reviewer, item, "approve"))

    assert body["valid_until"] == dt.date(today().year, 12, 31).isoformat()


def test_a_document_with_an_expiry_is_valid_until_that_expiry(producer_admin, reviewer):
    item = uploaded(producer_admin, "CERT_FAIRTRADE", issue_date=iso(-60), expiry_date=iso(305))["id"]

    assert ok(decide(reviewer, item, "approve"))["valid_until"] == iso(305)


def test_a_type_without_expiry_shows_no_end(producer_admin, reviewer, site):
    item = uploaded(producer_admin, "ENV_CERT", site=str(site.pk))["id"]

    body = ok(decide(reviewer, item, "approve"))

    assert body["valid_until"] is None
    assert Evidence.objects.get(pk=item).valid_until == dt.date(9999, 12, 31)


def test_the_reviewer_can_shorten_the_validity(producer_admin, reviewer):
    item = uploaded(producer_admin, "CERT_FAIRTRADE", issue_date=iso(-60), expiry_date=iso(305))["id"]

    body = ok(decide(reviewer, item, "approve", valid_until=iso(100), reason="Auditoría anual en tres meses"))

    assert body["valid_until"] == iso(100)
    assert Evidence.objects.get(pk=item).valid_until == day(100)
    decision = EvidenceDecision.objects.get(evidence_id=item, action="approve")
    assert (decision.valid_until, decision.reason) == (day(100), "Auditoría anual en tres meses")


def test_the_validity_cannot_go_past_the_documents_expiry(producer_admin, reviewer):
    item = uploaded(producer_admin, "CERT_FAIRTRADE", issue_date=iso(-60), expiry_date=iso(305))["id"]

    response = decide(reviewer, item, "approve", valid_until=iso(306))

    assert field_errors(response) == {"valid_until": "after_expiry"}
    evidence = Evidence.objects.get(pk=item)
    assert (evidence.status, evidence.valid_until) == ("in_review", None)
    assert not EvidenceDecision.objects.filter(evidence_id=item, action="approve").exists()


def test_the_validity_cannot_go_past_the_types_freshness_window(producer_admin, reviewer):
    # A Ficha RUC is a 30-day re-check: a reviewer may shorten that, never stretch it to a year.
    item = uploaded(producer_admin, "TAX_RUC", issue_date=iso(-5))["id"]

    response = decide(reviewer, item, "approve", valid_until=iso(360))

    assert response.status_code == 400, response.json()
    assert "valid_until" in field_errors(response)
    assert status_of(item) == "in_review"


def test_approving_an_already_lapsed_document_is_refused(producer_admin, reviewer):
    item = uploaded(producer_admin, "TAX_RUC", issue_date=iso(-40))["id"]  # lapsed ten days ago

    response = decide(reviewer, item, "approve")

    assert field_errors(response) == {"valid_until": "already_lapsed"}
    assert status_of(item) == "in_review"


def test_a_validity_in_the_past_is_refused(producer_admin, reviewer):
    item = uploaded(producer_admin, "TAX_RUC", issue_date=iso(-5))["id"]

    response = decide(reviewer, item, "approve", valid_until=iso(-1))

    assert field_errors(response) == {"valid_until": "already_lapsed"}
    assert status_of(item) == "in_review"


def test_a_malformed_validity_is_400(producer_admin, reviewer):
    item = uploaded(producer_admin, "TAX_RUC")["id"]

    response = decide(reviewer, item, "approve", valid_until="next year")

    assert "valid_until" in field_errors(response)
    assert status_of(item) == "in_review"


@pytest.mark.parametrize("evidence_type", ["SITE_GEO", "SITE_VISIT", "CERT_FAIRMINED"])
def test_some_types_need_a_second_different_reviewer(producer_admin, reviewer, rosa, site, evidence_type):
    extra = {"expiry_date": iso(200)} if evidence_type == "CERT_FAIRMINED" else {"site": str(site.pk)}
    item = uploaded(producer_admin, evidence_type, **extra)["id"]

    first = ok(decide(reviewer, item, "approve"))

    assert first["status"] == "in_review"
    assert first["first_approved_by"] == str(reviewer.user.pk)
    assert first["claimed_by"] is None
    assert first["valid_until"] is None
    assert_problem(move(reviewer, item, "claim"), 409, "second_reviewer_required")
    assert_problem(move(reviewer, item, "approve"), 409, "not_claimed")
    assert status_of(item) == "in_review"

    second = ok(decide(rosa, item, "approve"))

    assert second["status"] == "approved"
    assert second["decided_by"] == str(rosa.user.pk)
    assert second["first_approved_by"] == str(reviewer.user.pk)
    assert [(d.action, d.reviewer_id) for d in EvidenceDecision.objects.filter(evidence_id=item)] == [
        ("claim", reviewer.user.pk),
        ("first_approval", reviewer.user.pk),
        ("claim", rosa.user.pk),
        ("approve", rosa.user.pk),
    ]


def test_approving_twice_is_a_no_op(producer_admin, reviewer):
    item = uploaded(producer_admin, "TAX_RUC", issue_date=iso(-5))["id"]
    first = ok(decide(reviewer, item, "approve"))

    again = ok(move(reviewer, item, "approve", {"valid_until": iso(3)}))

    assert again["valid_until"] == first["valid_until"] == iso(25)
    assert again["decided_at"] == first["decided_at"]
    assert EvidenceDecision.objects.filter(evidence_id=item, action="approve").count() == 1
    assert AuditEvent.objects.filter(action="compliance.evidence.approve", target_id=item).count() == 1
    assert Notification.objects.filter(kind="evidence_decided", target_id=item).count() == 1


def test_a_newer_approved_item_supersedes_the_older_one(producer_admin, reviewer):
    older = uploaded(producer_admin, "TAX_RUC", issue_date=iso(-20))["id"]
    ok(decide(reviewer, older, "approve"))
    newer = uploaded(producer_admin, "TAX_RUC", issue_date=iso(-1))["id"]
    assert status_of(older) == "approved"  # still counts while the renewal waits

    ok(decide(reviewer, newer, "approve"))

    assert (status_of(older), status_of(newer)) == ("superseded", "approved")
    assert ids(producer_admin.get(f"{EVIDENCE_URL}?status=approved")) == [newer]


def test_a_renewal_naming_the_approved_item_replaces_it_only_once_approved(producer_admin, reviewer):
    older = uploaded(producer_admin, "TAX_RUC", issue_date=iso(-20))["id"]
    ok(decide(reviewer, older, "approve"))

    newer = uploaded(producer_admin, "TAX_RUC", issue_date=iso(-1), supersedes=older)["id"]
    assert status_of(older) == "approved"

    ok(decide(reviewer, newer, "approve"))
    assert status_of(older) == "superseded"


def test_a_correction_replaces_an_item_with_changes_requested_at_once(producer_admin, reviewer):
    blurred = uploaded(producer_admin, "PPE_RECORD", [image_upload("borrosa.jpg")])["id"]
    ok(decide(reviewer, blurred, "request-changes", reason="La foto está borrosa."))

    sharp = uploaded(producer_admin, "PPE_RECORD", [image_upload("nitida.jpg")], supersedes=blurred)

    assert (status_of(blurred), sharp["supersedes"]) == ("superseded", blurred)
    assert_problem(move(reviewer, blurred, "claim"), 409, "invalid_transition")


def test_an_approval_of_another_type_or_site_does_not_supersede(producer_admin, reviewer, producer):
    first_site, second_site = make_site(producer, "111"), make_site(producer, "222", "Playa Baja")
    ruc = uploaded(producer_admin, "TAX_RUC")["id"]
    right_one = uploaded(producer_admin, "MINING_RIGHT", site=str(first_site.pk), expiry_date=iso(400))["id"]
    right_two = uploaded(producer_admin, "MINING_RIGHT", site=str(second_site.pk), expiry_date=iso(400))["id"]
    for item in (ruc, right_one, right_two):
        ok(decide(reviewer, item, "approve"))

    assert {status_of(item) for item in (ruc, right_one, right_two)} == {"approved"}


# --- Reject, request changes, revoke ----------------------------------------------------------------------


@pytest.mark.parametrize(("action", "status"), [("reject", "rejected"), ("request-changes", "changes_requested")])
def test_a_refusal_needs_a_reason(producer_admin, reviewer, action, status):
    item = uploaded(producer_admin, "TAX_RUC")["id"]
    ok(move(reviewer, item, "claim"))

    for body in ({}, {"reason": ""}, {"reason": "   "}):
        assert "reason" in field_errors(move(reviewer, item, action, body))

    assert status_of(item) == "in_review"
    assert not Notification.objects.filter(kind="evidence_decided").exists()


@pytest.mark.parametrize(("action", "status"), [("reject", "rejected"), ("request-changes", "changes_requested")])
def test_a_refusal_tells_the_producers_admins_why(
    producer_admin, producer_member, reviewer, action, status, mailoutbox, django_capture_on_commit_callbacks
):
    second_admin = add_member(producer_admin.organization, Role.ADMIN, "tesorera@example.test", language="en")
    item = uploaded(producer_admin, "TAX_RUC", document_number="RUC-2026-01")["id"]
    reason = "La ficha no muestra la condición HABIDO."

    with django_capture_on_commit_callbacks(execute=True):
        body = ok(decide(reviewer, item, action, reason=reason))

    assert (body["status"], body["decision_reason"]) == (status, reason)
    evidence = Evidence.objects.get(pk=item)
    assert (evidence.status, evidence.decision_reason, evidence.decided_by_id) == (status, reason, reviewer.user.pk)
    notified = Notification.objects.filter(kind="evidence_decided", target_id=item)
    assert {n.recipient_id for n in notified} == {producer_admin.user.pk, second_admin.user.pk}
    assert {n.params["reason"] for n in notified} == {reason}
    assert {n.params["status"] for n in notified} == {status}
    assert sorted(m.to[0] for m in mailoutbox) == sorted([producer_admin.user.email, second_admin.user.email])
    assert all(reason in m.body for m in mailoutbox)
    feed = ok(producer_admin.get("/api/v1/notifications/?kind=evidence_decided"))["results"]
    assert len(feed) == 1
    assert reason in feed[0]["body"]
    assert ok(producer_member.get("/api/v1/notifications/?kind=evidence_decided"))["results"] == []


def test_an_unclaimed_item_can_be_refused_by_any_reviewer(producer_admin, reviewer):
    item = uploaded(producer_admin, "TAX_RUC")["id"]

    body = ok(move(reviewer, item, "reject", {"reason": "No es una ficha RUC."}))

    assert body["status"] == "rejected"


def test_an_item_claimed_by_another_reviewer_cannot_be_refused(producer_admin, reviewer, rosa):
    item = uploaded(producer_admin, "TAX_RUC")["id"]
    ok(move(reviewer, item, "claim"))

    assert_problem(move(rosa, item, "reject", {"reason": "No."}), 409, "not_claimed")

    assert status_of(item) == "in_review"


@pytest.mark.parametrize(
    ("first", "then"),
    [
        ("approve", "reject"),
        ("approve", "request-changes"),
        ("reject", "approve"),
        ("reject", "request-changes"),
        ("request-changes", "reject"),
        ("reject", "revoke"),
    ],
)
def test_a_decided_item_cannot_be_decided_otherwise(producer_admin, reviewer, first, then):
    item = uploaded(producer_admin, "TAX_RUC", issue_date=iso(-5))["id"]
    ok(decide(reviewer, item, first, **({} if first == "approve" else {"reason": "Motivo"})))
    decided = Evidence.objects.get(pk=item)

    response = move(reviewer, item, then, {} if then == "approve" else {"reason": "Otro motivo"})

    assert_problem(response, 409, "invalid_transition")
    after = Evidence.objects.get(pk=item)
    assert (after.status, after.decision_reason, after.decided_at) == (
        decided.status,
        decided.decision_reason,
        decided.decided_at,
    )


@pytest.mark.parametrize(("action", "status"), [("reject", "rejected"), ("request-changes", "changes_requested")])
def test_repeating_a_refusal_is_a_no_op(producer_admin, reviewer, action, status):
    item = uploaded(producer_admin, "TAX_RUC")["id"]
    first = ok(decide(reviewer, item, action, reason="Primera razón"))

    again = ok(move(reviewer, item, action, {"reason": "Segunda razón"}))

    assert (again["status"], again["decision_reason"], again["decided_at"]) == (
        status,
        "Primera razón",
        first["decided_at"],
    )
    decision = action.replace("-", "_")
    assert EvidenceDecision.objects.filter(evidence_id=item, action=decision).count() == 1
    assert AuditEvent.objects.filter(action=f"compliance.evidence.{decision}", target_id=item).count() == 1
    assert Notification.objects.filter(kind="evidence_decided", target_id=item).count() == 1


def test_an_approved_item_is_revoked_with_a_reason(
    producer_admin, reviewer, rosa, mailoutbox, django_capture_on_commit_callbacks
):
    item = uploaded(producer_admin, "TAX_RUC", issue_date=iso(-5))["id"]
    ok(decide(reviewer, item, "approve"))

    assert "reason" in field_errors(move(rosa, item, "revoke"))
    assert status_of(item) == "approved"

    with django_capture_on_commit_callbacks(execute=True):
        body = ok(move(rosa, item, "revoke", {"reason": "SUNAT la dio de baja: NO HABIDO."}))

    assert (body["status"], body["decision_reason"]) == ("revoked", "SUNAT la dio de baja: NO HABIDO.")
    decision = EvidenceDecision.objects.get(evidence_id=item, action="revoke")
    assert (decision.reviewer_id, decision.reason) == (rosa.user.pk, "SUNAT la dio de baja: NO HABIDO.")
    revoked = Notification.objects.filter(kind="evidence_decided", target_id=item, params__status="revoked")
    assert [n.recipient_id for n in revoked] == [producer_admin.user.pk]
    assert "NO HABIDO" in mailoutbox[-1].body


def test_only_an_approved_item_can_be_revoked(producer_admin, reviewer):
    item = uploaded(producer_admin, "TAX_RUC")["id"]

    assert_problem(move(reviewer, item, "revoke", {"reason": "Sin motivo"}), 409, "invalid_transition")

    assert status_of(item) == "submitted"


def test_revoking_twice_is_a_no_op(producer_admin, reviewer):
    item = uploaded(producer_admin, "TAX_RUC", issue_date=iso(-5))["id"]
    ok(decide(reviewer, item, "approve"))
    ok(move(reviewer, item, "revoke", {"reason": "Primera"}))

    again = ok(move(reviewer, item, "revoke", {"reason": "Segunda"}))

    assert (again["status"], again["decision_reason"]) == ("revoked", "Primera")
    assert EvidenceDecision.objects.filter(evidence_id=item, action="revoke").count() == 1


# --- Who may decide ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("action", DECISION_MOVES)
def test_a_reviewer_never_decides_on_their_own_organisation(producer_admin, reviewer, network, coop, action):
    item = uploaded(producer_admin, "TAX_RUC", issue_date=iso(-5))["id"]
    MembershipFactory(user=reviewer.user, organization=coop, role=Role.MEMBER)

    response = move(reviewer, item, action, {"reason": "Conflicto de interés"}, HTTP_X_ORGANIZATION=str(network.pk))

    assert_problem(response, 403, "own_organization")
    assert status_of(item) == "submitted"
    assert not EvidenceDecision.objects.filter(evidence_id=item).exists()


def test_a_reviewer_of_another_network_membership_still_decides_elsewhere(producer_admin, reviewer, network):
    # Belonging to an unrelated organisation does not stop a reviewer.
    MembershipFactory(user=reviewer.user, organization=OrganizationFactory(), role=Role.MEMBER)
    item = uploaded(producer_admin, "TAX_RUC", issue_date=iso(-5))["id"]

    body = ok(decide(reviewer, item, "approve", headers={"HTTP_X_ORGANIZATION": str(network.pk)}))

    assert body["status"] == "approved"


@pytest.mark.parametrize("action", DECISION_MOVES)
def test_producers_buyers_and_anonymous_cannot_decide(producer_admin, producer_member, buyer, anon, action):
    item = uploaded(producer_admin, "TAX_RUC", issue_date=iso(-5))["id"]
    body = {"reason": "Aprobado por mí"}

    assert_problem(move(producer_admin, item, action, body), 403, "not_reviewer")
    assert_problem(move(producer_member, item, action, body), 403, "not_reviewer")
    assert_problem(move(buyer, item, action, body), 404, "not_found")  # another organisation's item
    assert_problem(move(anon, item, action, body), 401, "not_authenticated")

    assert status_of(item) == "submitted"
    assert not EvidenceDecision.objects.filter(evidence_id=item).exists()


def test_staff_can_decide(producer_admin, staff):
    item = uploaded(producer_admin, "TAX_RUC", issue_date=iso(-5))["id"]

    assert ok(decide(staff, item, "approve"))["status"] == "approved"


# --- The trail --------------------------------------------------------------------------------------------


def test_each_decision_writes_one_audit_event_with_the_file_hashes_and_a_decision_row(producer_admin, reviewer, coop):
    body = uploaded(producer_admin, "TAX_RUC", [pdf_upload("uno.pdf", "uno"), image_upload("dos.png", "PNG")])
    item = body["id"]
    hashes = [{"position": f["position"], "sha256": f["sha256"]} for f in body["files"]]

    steps = [
        ("claim", {}, "claim"),
        ("approve", {"reason": "Conforme"}, "approve"),
        ("revoke", {"reason": "Dada de baja"}, "revoke"),
    ]
    for action, payload, recorded in steps:
        events_before = AuditEvent.objects.count()
        ok(move(reviewer, item, action, payload))
        new_events = list(AuditEvent.objects.order_by("seq")[events_before:])
        assert [e.action for e in new_events] == [f"compliance.evidence.{recorded}"]
        event = new_events[0]
        assert event.data["file_hashes"] == hashes
        assert event.data["reason"] == payload.get("reason", "")
        assert (event.actor_id, event.subject_organization_id, event.target_id) == (reviewer.user.pk, coop.pk, item)
        decision = EvidenceDecision.objects.filter(evidence_id=item).last()
        assert (decision.action, decision.reviewer_id, decision.file_hashes) == (recorded, reviewer.user.pk, hashes)
    assert EvidenceDecision.objects.filter(evidence_id=item).count() == 3


@pytest.mark.parametrize("action", ["reject", "request-changes"])
def test_a_refusal_writes_one_audit_event_with_the_file_hashes(producer_admin, reviewer, action):
    body = uploaded(producer_admin, "TAX_RUC")
    item = body["id"]
    events_before = AuditEvent.objects.count()

    ok(move(reviewer, item, action, {"reason": "Ilegible"}))

    new_events = list(AuditEvent.objects.order_by("seq")[events_before:])
    assert [e.action for e in new_events] == [f"compliance.evidence.{action.replace('-', '_')}"]
    assert new_events[0].data["file_hashes"] == [{"position": 1, "sha256": body["files"][0]["sha256"]}]
    assert EvidenceDecision.objects.get(evidence_id=item).reason == "Ilegible"


def test_the_decisions_are_in_the_audit_trail_the_producer_reads(producer_admin, reviewer):
    item = uploaded(producer_admin, "TAX_RUC", issue_date=iso(-5))["id"]
    ok(decide(reviewer, item, "approve"))

    trail = ok(producer_admin.get(f"/api/v1/audit-events/?target_id={item}"))["results"]

    assert {"compliance.evidence.submitted", "compliance.evidence.claim", "compliance.evidence.approve"} <= {
        e["action"] for e in trail
    }
