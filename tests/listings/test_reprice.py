"""Re-pricing a listing on the market (issue 16, point 6): each price is a numbered version, the same price again
changes nothing, contracts keep their own terms, buyers are told about a newly matching price once."""

from __future__ import annotations

import datetime as dt
import importlib
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

from audit.models import AuditEvent
from core import clock
from jobs.services import sweep
from listings.models import Listing, ListingPrice, ListingPriceIsImmutable
from notifications.models import Notification
from producers.models import Producer, Site
from tests.factories import ListingFactory
from tests.listings.pricing_helpers import producing
from tests.problems import assert_problem, field_errors
from tests.trade.helpers import CONTRACTS, ask, ok, start, verify_kyc

pytestmark = pytest.mark.django_db


@dataclass
class World:
    producer: Producer
    site: Site
    listing: Listing


def url(listing: Listing, action: str) -> str:
    return f"/api/v1/listings/{listing.pk}/{action}/"


def draft(producer: Producer, site: Site, **fields: Any) -> Listing:
    values: dict[str, Any] = {
        "price_basis": "lbma_pm",
        "lbma_adjustment_bp": -200,
        "premium_per_kg_fine_minor": 400_000,
        "min_order_grams": Decimal("1"),
        "valid_until": clock.today_lima() + dt.timedelta(days=60),
        "title_es": "Doré 920 sin mercurio",
        "quantity_grams": Decimal("500"),
        "status": "draft",
    }
    return ListingFactory(producer=producer, sites=[site], **(values | fields))


@pytest.fixture
def world(producer_admin, coop) -> World:
    """coop compliant today, with a listing published through the API at LBMA PM - 2 % + USD 4,000 a kg."""
    producer, site = producing(coop)
    listing = draft(producer, site)
    assert ok(producer_admin.post(url(listing, "publish")))["status"] == "published"
    return World(producer, site, listing)


FIXED_8350 = {
    "price_basis": "fixed",
    "price_per_fine_gram": {"amount_minor": 8350, "currency": "USD"},
    "premium_per_kg_fine_minor": 400_000,
    "premium_currency": "USD",
}


def state(listing: Listing) -> tuple[Any, ...]:
    """What a refused re-price must leave as it was."""
    row = Listing.objects.get(pk=listing.pk)
    return (
        row.status,
        row.price_basis,
        row.currency,
        row.price_per_fine_gram_minor,
        row.lbma_adjustment_bp,
        row.premium_per_kg_fine_minor,
        row.premium_currency,
        row.updated_at,
        list(ListingPrice.objects.filter(listing=listing).values_list("number", flat=True)),
        AuditEvent.objects.count(),
    )


def test_publishing_writes_version_1_and_a_reprice_the_next(world, producer_admin):
    [first] = ok(producer_admin.get(url(world.listing, "prices")))["results"]
    assert first["number"] == 1
    assert (first["price_basis"], first["lbma_adjustment_percent"]) == ("lbma_pm", "-2")
    assert first["premium_per_kg_fine"] == {"amount_minor": 400_000, "currency": "USD"}

    body = ok(
        producer_admin.post(url(world.listing, "reprice"), {**FIXED_8350, "reason": "Campaña de junio"}, format="json")
    )

    assert body["price_basis"] == "fixed"
    assert body["price_per_fine_gram"] == {"amount_minor": 8350, "currency": "USD"}
    assert body["lbma_adjustment_percent"] is None
    versions = ok(producer_admin.get(url(world.listing, "prices")))["results"]
    assert [v["number"] for v in versions] == [2, 1]  # newest first
    assert versions[0]["reason"] == "Campaña de junio"
    assert versions[0]["created_by"] == str(producer_admin.user.pk)
    event = AuditEvent.objects.filter(action="listings.listing.repriced").get()
    assert event.data == {
        "version": 2,
        "from": {
            "price_basis": "lbma_pm",
            "currency": "USD",
            "lbma_adjustment_bp": -200,
            "premium_per_kg_fine_minor": 400_000,
            "premium_currency": "USD",
        },
        "to": {
            "price_basis": "fixed",
            "currency": "USD",
            "price_per_fine_gram_minor": 8350,
            "premium_per_kg_fine_minor": 400_000,
            "premium_currency": "USD",
        },
        "reason": "Campaña de junio",
    }
    assert event.subject_organization_id == world.producer.pk


def test_the_same_price_again_changes_nothing(world, producer_admin):
    ok(producer_admin.post(url(world.listing, "reprice"), FIXED_8350, format="json"))
    before = state(world.listing)

    again = producer_admin.post(url(world.listing, "reprice"), {**FIXED_8350, "reason": "otra vez"}, format="json")

    assert again.status_code == 200
    assert state(world.listing) == before


@pytest.mark.parametrize("status", ["paused", "held"])
def test_paused_and_held_listings_are_repriced(world, producer_admin, status):
    Listing.objects.filter(pk=world.listing.pk).update(status=status)

    body = ok(producer_admin.post(url(world.listing, "reprice"), FIXED_8350, format="json"))

    assert (body["status"], body["price_per_fine_gram"]["amount_minor"]) == (status, 8350)
    assert ListingPrice.objects.filter(listing=world.listing).count() == 2


@pytest.mark.parametrize("status", ["draft", "closed"])
def test_a_draft_is_edited_and_a_closed_listing_is_not_repriced(world, producer_admin, status):
    Listing.objects.filter(pk=world.listing.pk).update(status=status)
    before = state(world.listing)

    response = producer_admin.post(url(world.listing, "reprice"), FIXED_8350, format="json")

    assert_problem(response, 409, "listing_not_repriceable")
    assert state(world.listing) == before


def test_only_the_producer_s_admins_reprice(world, anon, producer_member, reviewer, buyer, other_producer):
    before = state(world.listing)
    assert ok(buyer.get(f"/api/v1/listings/{world.listing.pk}/"))  # buyers see the listing itself

    assert_problem(producer_member.post(url(world.listing, "reprice"), FIXED_8350, format="json"), 403, "not_admin")
    assert_problem(reviewer.post(url(world.listing, "reprice"), FIXED_8350, format="json"), 403, "not_admin")
    assert_problem(buyer.post(url(world.listing, "reprice"), FIXED_8350, format="json"), 404, "not_found")
    assert_problem(other_producer.post(url(world.listing, "reprice"), FIXED_8350, format="json"), 404, "not_found")
    assert_problem(anon.post(url(world.listing, "reprice"), FIXED_8350, format="json"), 401, "not_authenticated")
    assert state(world.listing) == before


def test_the_versions_are_for_the_producer_reviewers_and_staff(
    world, anon, producer_member, reviewer, staff, buyer, other_producer
):
    for reader in (producer_member, reviewer, staff):
        assert [v["number"] for v in ok(reader.get(url(world.listing, "prices")))["results"]] == [1]
    # The listing is visible: buyers read its current price in it, never its history.
    assert ok(buyer.get(f"/api/v1/listings/{world.listing.pk}/"))["lbma_adjustment_percent"] == "-2"
    assert_problem(buyer.get(url(world.listing, "prices")), 404, "not_found")
    assert_problem(other_producer.get(url(world.listing, "prices")), 404, "not_found")
    assert_problem(anon.get(url(world.listing, "prices")), 401, "not_authenticated")


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({**FIXED_8350, "price_per_fine_gram": None}, "price_per_fine_gram", "required_by_price_basis"),
        (
            {
                **FIXED_8350,
                "price_basis": "lbma_pm",
                "price_per_fine_gram": {"amount_minor": 1, "currency": "PEN"},
                "lbma_adjustment_percent": "-1.00",
            },
            "currency",
            "lbma_in_usd",
        ),
        (
            {**FIXED_8350, "price_basis": "lbma_am", "price_per_fine_gram": None},
            "lbma_adjustment_percent",
            "required_by_price_basis",
        ),
        (
            {**FIXED_8350, "price_per_fine_gram": {"amount_minor": 10**9 + 1, "currency": "USD"}},
            "price_per_fine_gram",
            "above_maximum",
        ),
        (
            {k: v for k, v in FIXED_8350.items() if k != "premium_per_kg_fine_minor"},
            "premium_per_kg_fine_minor",
            "required",
        ),
        ({**FIXED_8350, "premium_currency": "EUR"}, "premium_currency", "invalid_choice"),
        ({**FIXED_8350, "premium_per_kg_fine_minor": -1}, "premium_per_kg_fine_minor", "min_value"),
        ({**FIXED_8350, "reason": "x" * 501}, "reason", "max_length"),
    ],
)
def test_a_bad_price_is_refused_and_nothing_changes(world, producer_admin, body, field, code):
    before = state(world.listing)

    response = producer_admin.post(url(world.listing, "reprice"), body, format="json")

    assert field_errors(response) == {field: code}
    assert state(world.listing) == before


def test_a_contract_proposed_before_keeps_its_own_terms(world, buyer, producer_admin):
    verify_kyc(buyer.organization)
    contract = start(producer_admin, ask(buyer, world.listing), world.site)  # LBMA PM - 2 % + USD 4,000 a kg
    proposed = ok(producer_admin.get(f"{CONTRACTS}{contract['id']}/"))

    ok(
        producer_admin.post(
            url(world.listing, "reprice"), {**FIXED_8350, "premium_per_kg_fine_minor": 0}, format="json"
        )
    )

    after = ok(producer_admin.get(f"{CONTRACTS}{contract['id']}/"))
    assert after["versions"] == proposed["versions"]
    [version] = after["versions"]
    assert (version["price_basis"], version["lbma_adjustment_percent"]) == ("lbma_pm", "-2.00")
    assert version["premium_per_kg_fine"] == {"amount_minor": 400_000, "currency": "USD"}
    assert ok(buyer.get(f"/api/v1/listings/{world.listing.pk}/"))["price_per_fine_gram"]["amount_minor"] == 8350


# --- Buyers told about a newly matching price, once ----------------------------------------------------------
def sourcing_request(buyer, **fields: Any) -> dict[str, Any]:
    today = clock.today_lima()
    body = {
        "title": "1 kg, 900+",
        "grams": "100.000",
        "min_fineness": "900.0",
        "delivery_from": today.isoformat(),
        "delivery_until": (today + dt.timedelta(days=90)).isoformat(),
        **fields,
    }
    return ok(buyer.post("/api/v1/sourcing-requests/", body, format="json"), 201)


def told(buyer, listing: Listing) -> int:
    """The buyer's match notices for the listing, once the queue has run what the commits asked for (the test's
    transaction never commits: its jobs are run here, as a worker would)."""
    sweep()
    return Notification.objects.filter(kind="sourcing_match", target_id=str(listing.pk), recipient=buyer.user).count()


def fixed_price(amount_minor: int) -> dict[str, Any]:
    return {**FIXED_8350, "price_per_fine_gram": {"amount_minor": amount_minor, "currency": "USD"}}


def test_a_request_newly_matching_at_the_new_price_is_told_once(buyer, producer_admin, coop):
    producer, site = producing(coop)
    sourcing_request(buyer, max_price_per_fine_gram={"amount_minor": 6400, "currency": "USD"})
    listing = draft(producer, site, price_basis="fixed", lbma_adjustment_bp=None, price_per_fine_gram_minor=6600)
    ok(producer_admin.post(url(listing, "publish")))
    assert told(buyer, listing) == 0  # above the buyer's maximum

    ok(producer_admin.post(url(listing, "reprice"), fixed_price(6300), format="json"))
    ok(producer_admin.post(url(listing, "reprice"), fixed_price(6200), format="json"))
    ok(producer_admin.post(url(listing, "reprice"), fixed_price(6700), format="json"))
    ok(producer_admin.post(url(listing, "reprice"), fixed_price(6100), format="json"))

    assert told(buyer, listing) == 1


def test_a_request_told_when_the_listing_was_published_is_not_told_again(world, buyer, producer_admin):
    # The request came after the publish: the re-price is the first time the listing is offered to it.
    sourcing_request(buyer)
    ok(producer_admin.post(url(world.listing, "reprice"), FIXED_8350, format="json"))
    assert told(buyer, world.listing) == 1

    ok(producer_admin.post(url(world.listing, "reprice"), fixed_price(8200), format="json"))
    ok(producer_admin.post(url(world.listing, "pause")))
    ok(producer_admin.post(url(world.listing, "resume")))

    assert told(buyer, world.listing) == 1


def test_a_paused_listing_re_priced_is_news_only_when_it_is_offered_again(world, buyer, producer_admin):
    ok(producer_admin.post(url(world.listing, "pause")))
    sourcing_request(buyer)

    ok(producer_admin.post(url(world.listing, "reprice"), FIXED_8350, format="json"))
    assert told(buyer, world.listing) == 0
    ok(producer_admin.post(url(world.listing, "resume")))

    assert told(buyer, world.listing) == 1


# --- Versions are history --------------------------------------------------------------------------------------
def test_a_version_is_never_changed(world):
    version = ListingPrice.objects.get(listing=world.listing, number=1)

    version.reason = "otra historia"
    with pytest.raises(ListingPriceIsImmutable):
        version.save()
    with pytest.raises(ListingPriceIsImmutable):
        ListingPrice.objects.filter(pk=version.pk).update(reason="otra historia")
    assert ListingPrice.objects.get(pk=version.pk).reason == ""


def test_a_listing_on_the_market_without_versions_keeps_its_old_price_as_version_1(producer_admin, coop):
    producer, site = producing(coop)
    listing = draft(producer, site, status="published", published_at=timezone.now())  # written outside the API

    ok(producer_admin.post(url(listing, "reprice"), FIXED_8350, format="json"))

    versions = ListingPrice.objects.filter(listing=listing).order_by("number")
    assert [(v.number, v.price_basis, v.price_per_fine_gram_minor) for v in versions] == [
        (1, "lbma_pm", None),
        (2, "fixed", 8350),
    ]


def test_the_migration_gives_every_listing_that_was_on_the_market_its_version_1(coop, producer_admin):
    migration = importlib.import_module("listings.migrations.0010_first_price_versions")
    producer, site = producing(coop)
    published_at = timezone.now() - dt.timedelta(days=20)
    on_market = {
        status: draft(producer, site, status=status, published_at=published_at)
        for status in ("published", "paused", "held", "closed")
    }
    never = draft(producer, site)

    # The models as the migration sees them (no immutability guard: that is the application's).
    historical = MigrationLoader(connection).project_state(("listings", "0010_first_price_versions")).apps
    migration.first_versions(historical, None)
    migration.first_versions(historical, None)  # run twice: nothing twice

    for listing in on_market.values():
        [version] = ListingPrice.objects.filter(listing=listing)
        assert (version.number, version.price_basis, version.lbma_adjustment_bp) == (1, "lbma_pm", -200)
        assert version.premium_per_kg_fine_minor == 400_000
        assert version.created_at == published_at
        assert version.created_by_id == listing.created_by_id
    assert not ListingPrice.objects.filter(listing=never).exists()


# --- The premium's currency -------------------------------------------------------------------------------------
def test_a_draft_takes_its_premium_in_soles_and_edits_it(producer_admin, producer_member, coop):
    from tests.journeys.steps import offer_body

    _producer, site = producing(coop)
    body = offer_body(site.pk, claims=[], premium_per_kg_fine_minor=1_498_000, premium_currency="PEN")

    created = ok(producer_member.post("/api/v1/listings/", body, format="json"), 201)
    assert created["premium_per_kg_fine"] == {"amount_minor": 1_498_000, "currency": "PEN"}
    assert created["premium_currency"] == "PEN"

    edited = ok(producer_member.patch(f"/api/v1/listings/{created['id']}/", {"premium_currency": "USD"}, format="json"))
    assert edited["premium_per_kg_fine"] == {"amount_minor": 1_498_000, "currency": "USD"}
    assert not ListingPrice.objects.filter(listing_id=created["id"]).exists()  # a draft's edits write no version

    wrong = producer_member.patch(f"/api/v1/listings/{created['id']}/", {"premium_currency": "EUR"}, format="json")
    assert field_errors(wrong) == {"premium_currency": "invalid_choice"}
    assert Listing.objects.get(pk=created["id"]).premium_currency == "USD"
