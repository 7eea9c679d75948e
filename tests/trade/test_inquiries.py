"""Inquiries: a buyer asks, the two organisations write in one thread, either side closes it."""

from __future__ import annotations

import pytest

from audit.models import AuditEvent
from listings.models import SourcingRequest
from notifications.models import Notification
from tests.problems import assert_problem, field_errors
from tests.trade.helpers import INQUIRIES, ask, make_listing, ok
from trade.models import Inquiry, InquiryMessage

pytestmark = pytest.mark.django_db


def messages_url(inquiry):
    return f"{INQUIRIES}{inquiry['id']}/messages/"


def test_a_buyer_asks_about_a_listing_and_the_cooperative_answers_in_the_thread(trade, buyer, producer_admin):
    inquiry = ask(buyer, trade.listing)

    assert inquiry["state"] == "open"
    assert inquiry["opened_by"] == "buyer"
    assert inquiry["grams"] == "300.000"
    assert inquiry["listing"] == str(trade.listing.pk)
    assert inquiry["producer"] == str(trade.producer.pk)
    told = Notification.objects.filter(kind="inquiry_received", target_id=inquiry["id"])
    assert {n.recipient.email for n in told} == {"president@example.test", "socia@example.test"}
    assert AuditEvent.objects.filter(action="trade.inquiry.opened", target_id=inquiry["id"]).count() == 1

    answer = ok(producer_admin.post(messages_url(inquiry), {"body": "Sí, en mayo desde Puerto Maldonado."}), 201)

    assert answer["side"] == "producer"
    thread = ok(buyer.get(messages_url(inquiry)))["results"]
    assert [m["body"] for m in thread] == ["¿Entregan en mayo?", "Sí, en mayo desde Puerto Maldonado."]
    assert [m["side"] for m in thread] == ["buyer", "producer"]
    told = Notification.objects.filter(kind="inquiry_message", target_id=inquiry["id"])
    assert {n.recipient.email for n in told} == {"buyer@example.test", "buyer-member@example.test"}


def test_a_plain_member_writes_in_the_thread(trade, buyer, buyer_member):
    inquiry = ask(buyer, trade.listing)

    ok(buyer_member.post(messages_url(inquiry), {"body": "Y el ensayo, ¿es de laboratorio?"}), 201)

    assert InquiryMessage.objects.filter(inquiry_id=inquiry["id"]).count() == 2


def test_either_side_closes_once_and_a_closed_inquiry_takes_no_messages(trade, buyer, producer_admin):
    inquiry = ask(buyer, trade.listing)

    closed = ok(producer_admin.post(f"{INQUIRIES}{inquiry['id']}/close/"))
    again = ok(buyer.post(f"{INQUIRIES}{inquiry['id']}/close/"))

    assert closed["state"] == again["state"] == "closed"
    assert AuditEvent.objects.filter(action="trade.inquiry.closed", target_id=inquiry["id"]).count() == 1
    assert Notification.objects.filter(kind="inquiry_closed", recipient__email="buyer@example.test").count() == 1
    assert_problem(buyer.post(messages_url(inquiry), {"body": "¿Hola?"}), 409, "inquiry_closed")
    assert InquiryMessage.objects.filter(inquiry_id=inquiry["id"]).count() == 1


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"grams": "-5"}, "grams", "min_value"),
        ({"grams": "0"}, "grams", "min_value"),
        ({"grams": "2000000000"}, "grams", "max_value"),
        ({"grams": "1.0001"}, "grams", "max_decimal_places"),
        ({"message": ""}, "message", "blank"),
        (
            {"target_price_per_fine_gram": {"amount_minor": 9000, "currency": "EUR"}},
            "target_price_per_fine_gram.currency",
            "invalid_choice",
        ),
        ({"listing": None}, "listing", "listing_or_producer_required"),
    ],
)
def test_bad_inquiries_are_refused_and_nothing_is_stored(trade, buyer, change, field, code):
    body = {"listing": str(trade.listing.pk), "grams": "300", "message": "¿Hay oro?", **change}

    response = buyer.post(INQUIRIES, body, format="json")

    assert field_errors(response) == {field: code}
    assert Inquiry.objects.count() == 0


def test_a_listing_nobody_sees_today_cannot_be_asked_about(trade, buyer):
    draft = make_listing(trade.producer, trade.site, status="draft")

    response = buyer.post(INQUIRIES, {"listing": str(draft.pk), "grams": "10", "message": "¿?"}, format="json")

    assert field_errors(response) == {"listing": "not_visible"}
    assert Inquiry.objects.count() == 0


def test_a_buyer_may_ask_a_verified_producer_directly(trade, buyer):
    body = {"producer": str(trade.producer.pk), "grams": "1000", "message": "¿Tienen 1 kg para julio?"}
    body["target_price_per_fine_gram"] = {"amount_minor": 9500, "currency": "USD"}

    inquiry = ok(buyer.post(INQUIRIES, body, format="json"), 201)

    assert inquiry["listing"] is None
    assert inquiry["target_price_per_fine_gram"] == {"amount_minor": 9500, "currency": "USD"}


def test_a_producer_answers_an_open_sourcing_request_with_an_inquiry(trade, buyer, producer_admin):
    request = SourcingRequest.objects.create(
        buyer=buyer.organization,
        created_by=buyer.user,
        title="2 kg",
        grams="2000",
        min_fineness="900",
        delivery_from=trade.listing.valid_from,
        delivery_until=trade.listing.valid_until,
    )
    body = {
        "sourcing_request": str(request.pk),
        "listing": str(trade.listing.pk),
        "grams": "500",
        "message": "Ofrecemos 500 g.",
    }

    inquiry = ok(producer_admin.post(INQUIRIES, body, format="json"), 201)

    assert inquiry["opened_by"] == "producer"
    assert inquiry["buyer"] == str(buyer.organization.pk)
    assert Notification.objects.filter(kind="inquiry_received", recipient=buyer.user).count() == 1
    SourcingRequest.objects.filter(pk=request.pk).update(state="closed")
    assert field_errors(producer_admin.post(INQUIRIES, body, format="json")) == {"sourcing_request": "not_open"}
    assert field_errors(producer_admin.post(INQUIRIES, {**body, "sourcing_request": None}, format="json")) == {
        "sourcing_request": "required_for_producers"
    }


def test_others_and_the_networks_reviewers_get_404(trade, buyer, other_buyer, other_producer, reviewer, staff):
    inquiry = ask(buyer, trade.listing)
    for intruder in (other_buyer, other_producer, reviewer):
        assert_problem(intruder.get(f"{INQUIRIES}{inquiry['id']}/"), 404, "not_found")
        assert_problem(intruder.get(messages_url(inquiry)), 404, "not_found")
        assert_problem(intruder.post(messages_url(inquiry), {"body": "intruso"}), 404, "not_found")
        assert_problem(intruder.post(f"{INQUIRIES}{inquiry['id']}/close/"), 404, "not_found")
        assert ok(intruder.get(INQUIRIES))["results"] == []

    assert ok(staff.get(f"{INQUIRIES}{inquiry['id']}/"))["id"] == inquiry["id"]
    assert_problem(staff.post(messages_url(inquiry), {"body": "Soporte"}), 403, "not_party")
    assert Inquiry.objects.get().state == "open"
    assert InquiryMessage.objects.count() == 1


def test_the_list_filters_by_state_and_listing(trade, buyer, producer_admin):
    first = ask(buyer, trade.listing)
    other_listing = make_listing(trade.producer, trade.site)
    second = ask(buyer, other_listing)
    ok(buyer.post(f"{INQUIRIES}{first['id']}/close/"))

    assert [i["id"] for i in ok(producer_admin.get(f"{INQUIRIES}?state=open"))["results"]] == [second["id"]]
    assert [i["id"] for i in ok(buyer.get(f"{INQUIRIES}?state=closed"))["results"]] == [first["id"]]
    by_listing = ok(buyer.get(f"{INQUIRIES}?listing={other_listing.pk}"))["results"]
    assert [i["id"] for i in by_listing] == [second["id"]]


def test_asking_and_writing_are_throttled_but_reading_is_not(trade, buyer, rates):
    rates(inquiries="2/min")
    inquiry = ask(buyer, trade.listing)
    ok(buyer.post(messages_url(inquiry), {"body": "¿Y el precio?"}), 201)

    third = buyer.post(messages_url(inquiry), {"body": "¿Hola?"})
    fourth = buyer.post(INQUIRIES, {"listing": str(trade.listing.pk), "grams": "1", "message": "?"}, format="json")

    assert assert_problem(third, 429, "throttled")["retry_after"] >= 1
    assert_problem(fourth, 429, "throttled")
    assert [buyer.get(messages_url(inquiry)).status_code for _ in range(3)] == [200, 200, 200]
    assert ok(buyer.post(f"{INQUIRIES}{inquiry['id']}/close/"))["state"] == "closed"
    assert InquiryMessage.objects.count() == 2
    assert Inquiry.objects.count() == 1
