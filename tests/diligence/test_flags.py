"""Red flags over HTTP: who records, reads, closes and answers them; the subject's tenancy; the four eyes of a
high-severity close; and what an open high-severity flag does to the offers it concerns (docs/diligence.md)."""

from __future__ import annotations

import pytest

from audit.models import AuditEvent
from diligence.models import RedFlag, RedFlagAnswer, RedFlagAttachment
from diligence.selectors import flags_for_producer
from listings.models import Listing
from notifications.models import Notification
from tests.compliance.helpers import pdf_upload
from tests.diligence.helpers import FLAGS, LISTINGS, close, flag_body, ok, open_flag, search_ids
from tests.problems import assert_problem, field_errors
from tests.provenance.helpers import declare_row, last_month, lot_body, record_lot, spot_body
from tests.trade.helpers import make_approved_site, make_compliant_producer, make_listing

pytestmark = pytest.mark.django_db


def visible(anon, listing) -> bool:
    listing_id = str(listing.pk if isinstance(listing, Listing) else listing["id"])
    shown = listing_id in search_ids(anon)
    assert (anon.get(f"{LISTINGS}{listing_id}/").status_code == 200) == shown  # the detail agrees with search
    return shown


def test_a_high_flag_on_the_producer_hides_its_offers_until_two_reviewers_close_it(
    trade, reviewer, second_reviewer, producer_admin, anon, buyer
):
    assert visible(anon, trade.listing)

    flag = open_flag(reviewer, "producer", producer=trade.producer.pk)

    assert (flag["status"], flag["severity"], flag["suspends_offers"]) == ("open", "high", True)
    assert flag["facts"] == "The site's polygon overlaps the Tambopata National Reserve by 3.2 ha."  # trimmed
    assert flag["opened_by"] == str(reviewer.user.pk)
    assert not visible(anon, trade.listing)
    assert str(trade.listing.pk) not in search_ids(buyer)
    # The producer reads why, in the gate's words.
    own = ok(producer_admin.get(f"{LISTINGS}{trade.listing.pk}/"))
    assert own["visible"] is False
    [obstacle] = [o for o in own["hidden_because"] if o["code"] == "red_flag_open"]
    assert "Suspended: an open red flag (Site in a protected natural area" in obstacle["message"]
    assert obstacle["site"] is None
    # A first close is only a proposal: still open, still hidden.
    proposed = ok(close(reviewer, flag))
    assert (proposed["status"], proposed["close_proposed"], proposed["close_proposed_by"]) == (
        "open",
        True,
        str(reviewer.user.pk),
    )
    assert not visible(anon, trade.listing)
    # The same reviewer cannot confirm her own proposal.
    assert_problem(close(reviewer, flag, "Confirmed."), 409, "second_reviewer_required")
    assert RedFlag.objects.get(pk=flag["id"]).status == "open"
    # A second reviewer confirms: closed with the reason, and the offer is back.
    closed = ok(close(second_reviewer, flag, "Confirmed after reading the SERNANP letter."))
    assert (closed["status"], closed["close_reason"], closed["closed_by"]) == (
        "closed",
        "Confirmed after reading the SERNANP letter.",
        str(second_reviewer.user.pk),
    )
    assert closed["close_proposal_reason"] == "Field visit: the workings are outside the reserve."
    assert visible(anon, trade.listing)
    # Closing a closed flag changes nothing.
    before = AuditEvent.objects.count()
    assert ok(close(reviewer, flag, "Again."))["close_reason"] == "Confirmed after reading the SERNANP letter."
    assert AuditEvent.objects.count() == before
    actions = list(AuditEvent.objects.filter(target_id=flag["id"]).order_by("seq").values_list("action", "actor_id"))
    assert actions == [
        ("diligence.red_flag.opened", reviewer.user.pk),
        ("diligence.red_flag.close_proposed", reviewer.user.pk),
        ("diligence.red_flag.closed", second_reviewer.user.pk),
    ]


def test_a_site_flag_hides_the_offers_naming_that_site_only(trade, reviewer, anon, producer_admin):
    other_site = make_approved_site(trade.producer)
    other_listing = make_listing(trade.producer, other_site)
    assert visible(anon, trade.listing)

    flag = open_flag(reviewer, "site", site=trade.site.pk, producer=trade.producer.pk)

    assert (flag["organization"], flag["site"], flag["site_name"]) == (
        str(trade.producer.pk),
        str(trade.site.pk),
        trade.site.name,
    )
    assert not visible(anon, trade.listing)
    own = ok(producer_admin.get(f"{LISTINGS}{trade.listing.pk}/"))
    [obstacle] = [o for o in own["hidden_because"] if o["code"] == "red_flag_open"]
    assert obstacle["site"] == str(trade.site.pk)
    assert obstacle["message"].startswith(f"Site {trade.site.name}: Suspended")
    other = ok(producer_admin.get(f"{LISTINGS}{other_listing.pk}/"))
    assert "red_flag_open" not in [o["code"] for o in other["hidden_because"]]


def test_a_lot_flag_hides_the_spot_offer_of_that_lot_and_not_the_forward_one(trade, reviewer, anon, producer_admin):
    declare_row(trade.site, last_month(), "5000.000")
    lot = ok(record_lot(producer_admin, lot_body(trade.site, "300.000", code="A")), 201)
    spot = ok(producer_admin.post(LISTINGS, spot_body(lot["id"]), format="json"), 201)
    assert ok(producer_admin.post(f"{LISTINGS}{spot['id']}/publish/"))["status"] == "published"
    assert visible(anon, spot)

    flag = open_flag(reviewer, "lot", lot=lot["id"])

    assert (flag["organization"], flag["lot"], flag["lot_code"]) == (str(trade.producer.pk), lot["id"], "A")
    assert not visible(anon, spot)
    assert visible(anon, trade.listing)  # the forward listing offers no lot
    own = ok(producer_admin.get(f"{LISTINGS}{spot['id']}/"))
    assert [o["site"] for o in own["hidden_because"] if o["code"] == "red_flag_open"] == [None]


def test_low_and_medium_flags_suspend_nothing_and_close_with_one_reviewer(trade, reviewer, anon):
    for severity in ("low", "medium"):
        flag = open_flag(reviewer, "producer", severity, producer=trade.producer.pk)
        assert flag["suspends_offers"] is False
        assert visible(anon, trade.listing)
        closed = ok(close(reviewer, flag))
        assert (closed["status"], closed["close_proposed_by"]) == ("closed", None)


def test_a_subject_of_another_tenant_or_that_does_not_exist_is_refused_and_changes_nothing(
    trade, reviewer, other_producer, buyer
):
    _other, other_site = make_compliant_producer(other_producer.organization)
    declare_row(other_site, last_month(), "1000.000")
    other_lot = ok(record_lot(other_producer, lot_body(other_site, "100.000", code="X")), 201)
    missing = "00000000-0000-0000-0000-000000000000"
    before = (RedFlag.objects.count(), AuditEvent.objects.count(), Notification.objects.count())

    site_mismatch = reviewer.post(
        FLAGS, flag_body("site", site=other_site.pk, producer=trade.producer.pk), format="json"
    )
    body = assert_problem(site_mismatch, 400, "subject_not_of_producer")
    assert body["errors"][0]["field"] == "site"
    lot_mismatch = reviewer.post(
        FLAGS, flag_body("lot", lot=other_lot["id"], producer=trade.producer.pk), format="json"
    )
    assert assert_problem(lot_mismatch, 400, "subject_not_of_producer")["errors"][0]["field"] == "lot"
    cases = [
        (flag_body("site", site=missing), {"site": "does_not_exist"}),
        (flag_body("lot", lot=missing), {"lot": "does_not_exist"}),
        (flag_body("producer", producer=missing), {"producer": "does_not_exist"}),
        (flag_body("producer", producer=buyer.organization.pk), {"producer": "does_not_exist"}),
        (flag_body("buyer", buyer=trade.producer.pk), {"buyer": "does_not_exist"}),
        (flag_body("site", site=trade.site.pk, producer=missing), {"producer": "does_not_exist"}),
        (flag_body("producer"), {"producer": "required_by_subject_kind"}),
        (
            flag_body("producer", producer=trade.producer.pk, site=trade.site.pk),
            {"site": "not_allowed_for_subject_kind"},
        ),
        (
            flag_body("buyer", buyer=buyer.organization.pk, producer=trade.producer.pk),
            {"producer": "not_allowed_for_subject_kind"},
        ),
        (flag_body("producer", producer=trade.producer.pk, category="brujeria"), {"category": "does_not_exist"}),
        ({**flag_body("producer", producer=trade.producer.pk), "facts": "   "}, {"facts": "blank"}),
        ({**flag_body("producer", producer=trade.producer.pk), "facts": "x" * 5001}, {"facts": "max_length"}),
        ({**flag_body("producer", producer=trade.producer.pk), "severity": "grave"}, {"severity": "invalid_choice"}),
    ]
    for body, errors in cases:
        assert field_errors(reviewer.post(FLAGS, body, format="json")) == errors, body

    assert (RedFlag.objects.count(), AuditEvent.objects.count(), Notification.objects.count()) == before


def test_who_reads_which_flags(trade, reviewer, staff, producer_admin, producer_member, other_producer, buyer, anon):
    producer_flag = open_flag(reviewer, "producer", "medium", producer=trade.producer.pk)
    buyer_flag = open_flag(reviewer, "buyer", category="sanctions_hit", buyer=buyer.organization.pk)

    for network in (reviewer, staff):
        assert {row["id"] for row in ok(network.get(FLAGS))["results"]} == {producer_flag["id"], buyer_flag["id"]}
    for member in (producer_admin, producer_member):
        [row] = ok(member.get(FLAGS))["results"]
        assert row["id"] == producer_flag["id"]
        # Who in the network opened it is not said to the producer.
        assert (row["opened_by"], row["opened_by_name"]) == (None, None)
        assert_problem(member.get(f"{FLAGS}{buyer_flag['id']}/"), 404, "not_found")
    # Buyers see no flag, not even one against themselves (a sanctions match is not tipped off).
    assert ok(buyer.get(FLAGS))["results"] == []
    assert_problem(buyer.get(f"{FLAGS}{buyer_flag['id']}/"), 404, "not_found")
    assert_problem(buyer.get(f"{FLAGS}{producer_flag['id']}/"), 404, "not_found")
    assert ok(other_producer.get(FLAGS))["results"] == []
    assert_problem(other_producer.get(f"{FLAGS}{producer_flag['id']}/"), 404, "not_found")
    assert_problem(anon.get(FLAGS), 401, "not_authenticated")
    # Filters.
    assert [r["id"] for r in ok(reviewer.get(f"{FLAGS}?subject_kind=buyer"))["results"]] == [buyer_flag["id"]]
    assert [r["id"] for r in ok(reviewer.get(f"{FLAGS}?severity=medium"))["results"]] == [producer_flag["id"]]
    assert [r["id"] for r in ok(reviewer.get(f"{FLAGS}?category=sanctions_hit"))["results"]] == [buyer_flag["id"]]
    assert [r["id"] for r in ok(reviewer.get(f"{FLAGS}?producer={trade.producer.pk}"))["results"]] == [
        producer_flag["id"]
    ]
    assert len(ok(reviewer.get(f"{FLAGS}?status=open"))["results"]) == 2
    assert ok(reviewer.get(f"{FLAGS}?status=closed"))["results"] == []
    assert_problem(reviewer.get(f"{FLAGS}?status=gone"), 400, "validation_error", field="status")
    assert_problem(reviewer.get(f"{FLAGS}?producer=nadie"), 400, "validation_error", field="producer")


def test_only_reviewers_record_and_close_and_only_the_producer_answers(
    trade, reviewer, staff, producer_admin, producer_member, buyer
):
    body = flag_body("producer", producer=trade.producer.pk)
    for not_reviewer in (producer_admin, producer_member, buyer):
        assert_problem(not_reviewer.post(FLAGS, body, format="json"), 403, "not_reviewer")
    flag = open_flag(reviewer, "producer", producer=trade.producer.pk)
    assert_problem(close(producer_admin, flag), 403, "not_reviewer")
    assert_problem(close(buyer, flag), 404, "not_found")
    for network in (reviewer, staff):
        answer = network.post(f"{FLAGS}{flag['id']}/answers/", {"text": "No."}, format="json")
        assert_problem(answer, 403, "not_producer_member")
    assert_problem(close(reviewer, {"id": flag["id"]}, "   "), 400, "validation_error", field="reason")
    assert RedFlag.objects.get(pk=flag["id"]).close_proposed_by_id is None


def test_a_reviewer_who_belongs_to_the_organisation_does_not_flag_it(trade, reviewer):
    from accounts.models import Membership, Role

    Membership.objects.create(user=reviewer.user, organization_id=trade.producer.pk, role=Role.MEMBER)
    reviewer.client.credentials(**reviewer.client._credentials, HTTP_X_ORGANIZATION=str(reviewer.organization.pk))
    response = reviewer.post(FLAGS, flag_body("producer", producer=trade.producer.pk), format="json")
    assert_problem(response, 403, "own_organization")


def test_the_producer_is_notified_without_the_reviewer_and_answers_with_files(
    trade, reviewer, second_reviewer, producer_admin, producer_member, other_producer
):
    flag = open_flag(reviewer, "site", site=trade.site.pk)

    [notice] = Notification.objects.filter(kind="red_flag_opened")
    assert notice.recipient == producer_admin.user  # the admins
    assert reviewer.user.full_name not in str(notice.params)
    listed = ok(producer_admin.get("/api/v1/notifications/"))["results"]
    shown = next(row for row in listed if row["kind"] == "red_flag_opened")
    assert trade.site.name in shown["title"]
    assert "hidden from buyers" in shown["body"]

    form = {"text": "We stopped working the northern pit in 2025.", "file": [pdf_upload("sernanp.pdf", "SERNANP")]}
    answered = ok(producer_member.post(f"{FLAGS}{flag['id']}/answers/", form, format="multipart"), 201)

    [answer] = answered["answers"]
    assert answer["text"] == "We stopped working the northern pit in 2025."
    [attachment] = answered["attachments"]
    assert (attachment["position"], attachment["side"], attachment["answer"]) == (1, "producer", answer["id"])
    assert {n.recipient for n in Notification.objects.filter(kind="red_flag_answered")} == {
        reviewer.user,
        second_reviewer.user,
    }
    # A JSON answer too; and the reviewer attaches a file of the facts.
    ok(producer_admin.post(f"{FLAGS}{flag['id']}/answers/", {"text": "Map attached."}, format="json"), 201)
    with_map = ok(
        reviewer.post(f"{FLAGS}{flag['id']}/attachments/", {"file": pdf_upload("mapa.pdf")}, format="multipart"), 201
    )
    assert [(a["position"], a["side"]) for a in with_map["attachments"]] == [(1, "producer"), (2, "network")]
    # Downloaded byte-exact by who reads the flag; 404 for anybody else.
    for reader in (reviewer, producer_admin):
        download = reader.get(attachment["download"])
        assert download.status_code == 200
        assert download["Content-Disposition"].startswith("attachment")
        assert download["X-Content-Type-Options"] == "nosniff"
    assert_problem(other_producer.get(attachment["download"]), 404, "not_found")
    assert_problem(reviewer.get(f"{FLAGS}{flag['id']}/attachments/9/"), 404, "not_found")
    actions = list(AuditEvent.objects.filter(target_id=flag["id"]).order_by("seq").values_list("action", flat=True))
    assert actions == [
        "diligence.red_flag.opened",
        "diligence.red_flag.answered",
        "diligence.red_flag.answered",
        "diligence.red_flag.attachment_added",
    ]
    # A closed flag takes no more answers or files.
    ok(close(reviewer, flag))
    ok(close(second_reviewer, flag))
    before = (RedFlagAnswer.objects.count(), RedFlagAttachment.objects.count())
    late = producer_admin.post(f"{FLAGS}{flag['id']}/answers/", {"text": "More."}, format="json")
    assert_problem(late, 409, "red_flag_closed")
    late_file = reviewer.post(f"{FLAGS}{flag['id']}/attachments/", {"file": pdf_upload("x.pdf")}, format="multipart")
    assert_problem(late_file, 409, "red_flag_closed")
    assert (RedFlagAnswer.objects.count(), RedFlagAttachment.objects.count()) == before


def test_a_buyer_flag_notifies_nobody_and_a_high_one_stops_its_signing(trade, reviewer, producer_admin, buyer):
    from tests.trade.helpers import ask, start

    inquiry = ask(buyer, trade.listing)
    contract = start(producer_admin, inquiry, trade.site)
    before = Notification.objects.count()
    flag = open_flag(reviewer, "buyer", category="sanctions_hit", buyer=buyer.organization.pk)
    assert Notification.objects.count() == before
    # The event stays in the network's trail: the buyer's admins do not read it.
    assert AuditEvent.objects.get(target_id=flag["id"]).subject_organization_id == reviewer.organization.pk

    accept = buyer.post(f"/api/v1/contracts/{contract['id']}/accept/", {"version": 1}, format="json")

    body = assert_problem(accept, 409, "buyer_under_review")
    assert "sanction" not in body["detail"].lower()
    ok(close(reviewer, flag))
    assert RedFlag.objects.get(pk=flag["id"]).status == "open"  # high: waits for a second reviewer


def test_flags_for_producer_gives_the_pack_every_flag_with_its_answers(
    trade, reviewer, second_reviewer, producer_admin, buyer
):
    old = open_flag(reviewer, "producer", "low", producer=trade.producer.pk)
    ok(close(reviewer, old))
    current = open_flag(reviewer, "site", site=trade.site.pk)
    ok(producer_admin.post(f"{FLAGS}{current['id']}/answers/", {"text": "Answered."}, format="json"), 201)
    open_flag(reviewer, "buyer", category="sanctions_hit", buyer=buyer.organization.pk)

    flags = flags_for_producer(trade.producer.pk)

    assert [(str(f.pk), f.status) for f in flags] == [(current["id"], "open"), (old["id"], "closed")]
    assert [a.text for a in flags[0].answers.all()] == ["Answered."]


def test_the_categories_are_public_data_with_their_sources(anon):
    categories = ok(anon.get("/api/v1/red-flag-categories/"))
    codes = [row["code"] for row in categories]
    assert {"conflict_financing", "serious_abuses", "protected_area", "sanctions_hit", "illegal_title"} <= set(codes)
    assert all(row["source"] and row["name_es"] and row["name_en"] for row in categories)
