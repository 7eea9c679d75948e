"""A buyer whose KYC verification lapsed neither proposes nor signs (409 `buyer_kyc_lapsed`, with the day it
lapsed) from the day after its `kyc_valid_until`, with no job; it still reads its contracts, inquiries and
listings, and asks about listings. A renewal under review keeps the last verification counting until then."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest

from accounts.models import Organization
from core import clock
from tests.problems import assert_problem
from tests.trade.helpers import CONTRACTS, INQUIRIES, ask, ok, start, terms, verify_kyc
from tests.trade.test_contracts import table, url

pytestmark = pytest.mark.django_db

VALID_FOR_DAYS = 2  # the buyer's verification counts until the day after tomorrow


def on(day: dt.date):
    return mock.patch.object(clock, "today_lima", return_value=day)


@pytest.fixture
def valid_until(trade, buyer) -> dt.date:
    verify_kyc(buyer.organization, valid_for_days=VALID_FOR_DAYS)
    return clock.today_lima() + dt.timedelta(days=VALID_FOR_DAYS)


@pytest.fixture
def inquiry(trade, buyer) -> dict:
    return ask(buyer, trade.listing)


@pytest.fixture
def by_the_producer(trade, inquiry, producer_admin) -> dict:
    """Version 1, proposed by the cooperative: the buyer's to accept."""
    return start(producer_admin, inquiry, trade.site)


def lapsed(response, on_day: dt.date) -> None:
    body = assert_problem(response, 409, "buyer_kyc_lapsed")
    assert body["lapsed_on"] == on_day.isoformat()
    assert body["kyc_valid_until"] == (on_day - dt.timedelta(days=1)).isoformat()
    assert on_day.isoformat() in body["detail"]


def test_on_its_last_valid_day_the_buyer_still_proposes_and_signs(
    trade, buyer, producer_admin, by_the_producer, valid_until
):
    with on(valid_until):
        countered = ok(buyer.post(url(by_the_producer, "propose"), terms(trade.site), format="json"), 201)
        assert countered["versions"][-1]["side"] == "buyer"

        started = start(buyer, ask(buyer, trade.listing, grams="100.000"), trade.site, quantity_grams="100")
        assert started["versions"][0]["side"] == "buyer"
        signed = ok(producer_admin.post(url(by_the_producer, "accept"), {"version": 2}, format="json"))
        assert signed["state"] == "signed"


def test_the_day_after_it_lapses_the_buyer_can_neither_propose_nor_accept(
    trade, buyer, by_the_producer, inquiry, valid_until
):
    lapse_day = valid_until + dt.timedelta(days=1)
    before = table(by_the_producer)

    with on(lapse_day):
        lapsed(buyer.post(url(by_the_producer, "accept"), {"version": 1}, format="json"), lapse_day)
        lapsed(buyer.post(url(by_the_producer, "propose"), terms(trade.site), format="json"), lapse_day)
        lapsed(buyer.post(CONTRACTS, {"inquiry": inquiry["id"], **terms(trade.site)}, format="json"), lapse_day)

    assert table(by_the_producer) == before


def test_the_producer_cannot_sign_with_a_lapsed_buyer_either(trade, buyer, producer_admin, inquiry, valid_until):
    by_the_buyer = start(buyer, inquiry, trade.site)
    lapse_day = valid_until + dt.timedelta(days=1)
    before = table(by_the_buyer)

    with on(lapse_day):
        lapsed(producer_admin.post(url(by_the_buyer, "accept"), {"version": 1}, format="json"), lapse_day)
        # The producer may still answer with terms: the buyer signs them once verified again.
        ok(
            producer_admin.post(url(by_the_buyer, "propose"), terms(trade.site, quantity_grams="250"), format="json"),
            201,
        )

    assert table(by_the_buyer)[2:] == before[2:]  # nothing signed, nothing reserved


def test_a_lapsed_buyer_still_reads_its_own_data_and_asks(trade, buyer, buyer_member, by_the_producer, valid_until):
    with on(valid_until + dt.timedelta(days=1)):
        assert ok(buyer.get(url(by_the_producer)))["id"] == by_the_producer["id"]
        assert [c["id"] for c in ok(buyer.get(CONTRACTS))["results"]] == [by_the_producer["id"]]
        assert ok(buyer_member.get(url(by_the_producer)))["id"] == by_the_producer["id"]
        assert len(ok(buyer.get(INQUIRIES))["results"]) == 1
        assert ok(buyer.get(f"/api/v1/listings/{trade.listing.pk}/"))["id"] == str(trade.listing.pk)
        assert ok(buyer.get(f"/api/v1/organizations/{buyer.organization.pk}/"))["kyc_effective_status"] == "lapsed"
        ask(buyer, trade.listing, grams="50.000", message="¿Tienen más para junio?")


def test_a_buyer_renewing_before_it_lapses_still_signs_and_a_rejected_renewal_does_not(
    trade, buyer, producer_admin, by_the_producer, valid_until
):
    Organization.objects.filter(pk=buyer.organization.pk).update(kyc_status="submitted")  # renewing
    with on(valid_until):
        assert ok(buyer.post(url(by_the_producer, "accept"), {"version": 1}, format="json"))["state"] == "signed"

    second = start(producer_admin, ask(buyer, trade.listing, grams="100.000"), trade.site, quantity_grams="100")
    Organization.objects.filter(pk=buyer.organization.pk).update(kyc_status="rejected")
    before = table(second)

    assert_problem(buyer.post(url(second, "accept"), {"version": 1}, format="json"), 409, "buyer_kyc_not_verified")

    assert table(second) == before
