"""Re-pricing at once, on PostgreSQL with real threads: the listing's row lock orders the re-prices, so the
versions are numbered without a gap or a clash, each version's `from` is the version before it, the listing
ends at the last version's price, and the same new price sent twice at once is one version."""

from __future__ import annotations

import pytest

from audit.models import AuditEvent
from core import clock
from listings.models import Listing, ListingPrice
from tests.concurrency import run_at_once
from tests.conftest import make_client
from tests.factories import MembershipFactory, OrganizationFactory
from tests.provenance.helpers import declare_row
from tests.trade.deposit_helpers import reseed_catalogue
from tests.trade.helpers import make_compliant_producer, make_listing

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROUNDS = 5
THREADS = 4


@pytest.fixture
def catalogue():
    """Transactional tests empty every table when they end, the catalogue that migrations seeded included."""
    reseed_catalogue()


def price(amount_minor: int) -> dict:
    return {
        "price_basis": "fixed",
        "price_per_fine_gram": {"amount_minor": amount_minor, "currency": "USD"},
        "premium_per_kg_fine_minor": 0,
        "premium_currency": "USD",
    }


@pytest.fixture
def admins(catalogue):
    coop = OrganizationFactory()
    memberships = [MembershipFactory(organization=coop, role="admin") for _ in range(THREADS)]
    producer, site = make_compliant_producer(coop)
    declare_row(site, clock.today_lima().replace(day=1), "1000000.000", submitted_by=memberships[0].user)
    clients = [make_client(m.user, coop) for m in memberships]
    return producer, site, clients


def published_listing(producer, site, client) -> Listing:
    listing = make_listing(producer, site, grams="100", status="draft")
    assert client.post(f"/api/v1/listings/{listing.pk}/publish/").json()["status"] == "published"
    return listing


def test_re_prices_at_once_are_numbered_one_after_the_other(admins):
    producer, site, clients = admins
    for round_ in range(ROUNDS):
        listing = published_listing(producer, site, clients[0])
        url = f"/api/v1/listings/{listing.pk}/reprice/"

        answers = run_at_once(THREADS, lambda i, url=url: clients[i].post(url, price(8000 + i), format="json"))

        assert [getattr(a, "status_code", a) for a in answers] == [200] * THREADS, round_
        versions = list(ListingPrice.objects.filter(listing=listing).order_by("number"))
        assert [v.number for v in versions] == list(range(1, THREADS + 2)), round_
        assert sorted(v.price_per_fine_gram_minor for v in versions[1:]) == [8000 + i for i in range(THREADS)]
        events = AuditEvent.objects.filter(action="listings.listing.repriced", target_id=str(listing.pk))
        trail = sorted(events.values_list("data", flat=True), key=lambda data: data["version"])
        assert [data["version"] for data in trail] == list(range(2, THREADS + 2)), round_
        for before, data in zip(versions, trail, strict=False):
            assert data["from"].get("price_per_fine_gram_minor") == before.price_per_fine_gram_minor, round_
        listing.refresh_from_db()
        assert listing.price_per_fine_gram_minor == versions[-1].price_per_fine_gram_minor, round_


def test_the_same_new_price_sent_twice_at_once_is_one_version(admins):
    producer, site, clients = admins
    for round_ in range(ROUNDS):
        listing = published_listing(producer, site, clients[0])
        url = f"/api/v1/listings/{listing.pk}/reprice/"

        answers = run_at_once(2, lambda i, url=url: clients[i].post(url, price(9100), format="json"))

        assert [getattr(a, "status_code", a) for a in answers] == [200, 200], round_
        assert ListingPrice.objects.filter(listing=listing).count() == 2, round_
        events = AuditEvent.objects.filter(action="listings.listing.repriced", target_id=str(listing.pk))
        assert events.count() == 1, round_
