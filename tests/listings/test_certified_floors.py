"""Certified floors on listings (issue 16, point 5): a listing claiming a certified standard is checked against
the standard's figures in force today when it goes to market (publish, release, resume) and at every re-price;
a draft's edits are not (a draft is not an offer)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from audit.models import AuditEvent
from core import clock
from listings.models import Listing, ListingClaim, ListingPrice
from tests.factories import ListingFactory
from tests.listings.pricing_helpers import back_claims, producing, record_fix, record_rate
from tests.problems import assert_problem
from tests.trade.helpers import ok

pytestmark = pytest.mark.django_db

# The Fairmined minimum is 95 % of the LBMA Gold Price: at a PM fix of 2650.350 USD, 80.9502... USD a fine gram,
# rounded up to 8096 cents; its premium USD 4,000 a kilogram of fine gold (prices/migrations/0002).
FLOOR_AT_2650 = 8096


def url(listing: Listing, action: str) -> str:
    return f"/api/v1/listings/{listing.pk}/{action}/"


@pytest.fixture
def certified(producer_admin, coop):
    """coop compliant today with its Fairmined claim backed; a Fairmined draft at a fixed USD 85.00 a gram plus
    the Fairmined premium."""
    producer, site = producing(coop)
    back_claims(producer, site, ["fairmined"])
    listing = ListingFactory(
        producer=producer,
        sites=[site],
        status="draft",
        price_basis="fixed",
        lbma_adjustment_bp=None,
        price_per_fine_gram_minor=8500,
        premium_per_kg_fine_minor=400_000,
        min_order_grams=Decimal("1"),
        valid_until=clock.today_lima() + dt.timedelta(days=60),
    )
    ListingClaim.objects.create(listing=listing, claim_id="fairmined")
    return listing


def state(listing: Listing) -> tuple[Any, ...]:
    row = Listing.objects.get(pk=listing.pk)
    return (
        row.status,
        row.price_per_fine_gram_minor,
        row.lbma_adjustment_bp,
        row.premium_per_kg_fine_minor,
        row.premium_currency,
        ListingPrice.objects.filter(listing=listing).count(),
        AuditEvent.objects.count(),
    )


def reprice(**fields: Any) -> dict[str, Any]:
    return {
        "price_basis": "fixed",
        "price_per_fine_gram": {"amount_minor": 8500, "currency": "USD"},
        "premium_per_kg_fine_minor": 400_000,
        "premium_currency": "USD",
        **fields,
    }


def test_a_fixed_price_certified_listing_is_not_published_before_a_fix_is_recorded(certified, producer_admin):
    before = state(certified)

    response = producer_admin.post(url(certified, "publish"))

    body = assert_problem(response, 409, "no_fix_recorded")
    assert body["benchmark"] == "lbma_gold_pm"
    assert state(certified) == before


def test_it_is_published_at_or_above_its_floor(certified, producer_admin):
    record_fix("2650.350")

    assert ok(producer_admin.post(url(certified, "publish")))["status"] == "published"
    assert ListingPrice.objects.get(listing=certified).price_per_fine_gram_minor == 8500


def test_below_its_floor_it_is_not_published_and_the_answer_gives_the_figures(certified, producer_admin):
    record_fix("2650.350")
    Listing.objects.filter(pk=certified.pk).update(price_per_fine_gram_minor=FLOOR_AT_2650 - 1)
    before = state(certified)

    response = producer_admin.post(url(certified, "publish"))

    body = assert_problem(response, 400, "validation_error", field="price_per_fine_gram")
    [error] = body["errors"]
    assert error["code"] == "below_certified_minimum"
    assert error["figures"]["minimum_per_fine_gram"] == {"amount_minor": FLOOR_AT_2650, "currency": "USD"}
    assert error["figures"]["offered_per_fine_gram"] == {"amount_minor": FLOOR_AT_2650 - 1, "currency": "USD"}
    assert error["figures"]["fix"]["usd_per_troy_ounce"] == "2650.350"
    assert state(certified) == before


def test_a_draft_is_edited_below_the_floor_unchecked(certified, producer_member):
    edited = producer_member.patch(
        f"/api/v1/listings/{certified.pk}/",
        {"price_basis": "fixed", "price_per_fine_gram": {"amount_minor": 100, "currency": "USD"}},
        format="json",
    )

    assert ok(edited)["price_per_fine_gram"]["amount_minor"] == 100  # no fix recorded, and no refusal


@pytest.fixture
def on_market(certified, producer_admin):
    record_fix("2650.350", days_ago=1)
    ok(producer_admin.post(url(certified, "publish")))
    return certified


@pytest.mark.parametrize(
    ("fields", "code", "field"),
    [
        (
            {"price_per_fine_gram": {"amount_minor": FLOOR_AT_2650 - 1, "currency": "USD"}},
            "below_certified_minimum",
            "price_per_fine_gram",
        ),
        (
            {"price_basis": "lbma_pm", "price_per_fine_gram": None, "lbma_adjustment_percent": "-5.01"},
            "below_certified_minimum",
            "lbma_adjustment_percent",
        ),
        ({"premium_per_kg_fine_minor": 399_999}, "premium_below_standard", "premium_per_kg_fine"),
    ],
)
def test_a_reprice_below_a_floor_is_refused_with_the_figures(on_market, producer_admin, fields, code, field):
    before = state(on_market)

    response = producer_admin.post(url(on_market, "reprice"), reprice(**fields), format="json")

    body = assert_problem(response, 400, "validation_error", field=field)
    assert body["errors"][0]["code"] == code
    assert body["errors"][0]["figures"]["standard"] == "fairmined"
    assert state(on_market) == before


def test_a_reprice_at_the_floor_is_taken(on_market, producer_admin):
    body = reprice(price_per_fine_gram={"amount_minor": FLOOR_AT_2650, "currency": "USD"})

    assert ok(producer_admin.post(url(on_market, "reprice"), body, format="json"))["price_per_fine_gram"] == {
        "amount_minor": FLOOR_AT_2650,
        "currency": "USD",
    }


def test_a_premium_in_soles_needs_a_rate_to_be_compared(on_market, producer_admin):
    body = reprice(premium_per_kg_fine_minor=1_600_000, premium_currency="PEN")
    before = state(on_market)

    assert_problem(producer_admin.post(url(on_market, "reprice"), body, format="json"), 409, "no_rate_recorded")
    assert state(on_market) == before

    record_rate("3.745")  # USD 4,000 = PEN 14,980.00: PEN 16,000.00 is above it
    assert ok(producer_admin.post(url(on_market, "reprice"), body, format="json"))["premium_currency"] == "PEN"


@pytest.mark.parametrize(
    ("held_in", "move", "mover"), [("paused", "resume", "producer_admin"), ("held", "release", "reviewer")]
)
def test_going_back_to_market_below_today_s_floor_is_refused(on_market, request, held_in, move, mover):
    Listing.objects.filter(pk=on_market.pk).update(status=held_in)
    record_fix("3000.000")  # today's fix: the floor rises to 91.63 USD a gram, above the 85.00 asked
    before = state(on_market)

    response = request.getfixturevalue(mover).post(url(on_market, move))

    body = assert_problem(response, 400, "validation_error", field="price_per_fine_gram")
    assert body["errors"][0]["figures"]["minimum_per_fine_gram"]["amount_minor"] == 9163
    assert state(on_market) == before


def test_a_listing_claiming_no_certified_standard_needs_no_fix(producer_admin, coop):
    producer, site = producing(coop)
    listing = ListingFactory(
        producer=producer,
        sites=[site],
        price_basis="fixed",
        lbma_adjustment_bp=None,
        price_per_fine_gram_minor=100,
        min_order_grams=Decimal("1"),
        valid_until=clock.today_lima() + dt.timedelta(days=60),
    )

    assert ok(producer_admin.post(url(listing, "publish")))["status"] == "published"
