"""Who sees a producer's lots, mass balance and the exact geometry of its sites: its own members, the
network's reviewers, staff and the buyers with an inquiry with it. Everybody else: 404 (anonymous 401);
the public site representation shows the district and a rounded point only."""

from __future__ import annotations

import pytest

from tests.compliance.helpers import ok
from tests.factories import InquiryFactory
from tests.problems import assert_problem
from tests.provenance.helpers import LOTS, approved_site, declare_row, last_month, lot_body, record_lot, ym
from tests.trade.helpers import make_listing

pytestmark = pytest.mark.django_db

POLYGON = {
    "type": "Polygon",
    "coordinates": [[[-70.5123, -12.9876], [-70.5023, -12.9876], [-70.5023, -12.9776], [-70.5123, -12.9876]]],
}


@pytest.fixture
def world(producer_admin, buyer, other_buyer):
    site = approved_site(producer_admin.organization)
    type(site).objects.filter(pk=site.pk).update(geometry=POLYGON)
    declare_row(site, last_month(), "1000.000")
    lot = ok(record_lot(producer_admin, lot_body(site, "480.000")), 201)
    InquiryFactory(buyer=buyer.organization, producer=site.producer, listing=make_listing(site.producer, site))
    return site, lot


def test_readers_of_lots_and_the_mass_balance(world, producer_member, reviewer, staff, buyer, buyer_member):
    site, lot = world
    for reader in (producer_member, reviewer, staff, buyer, buyer_member):
        assert ok(reader.get(f"{LOTS}{lot['id']}/"))["code"] == "L-0412"
        assert [row["id"] for row in ok(reader.get(LOTS))["results"]] == [lot["id"]]
        rows = ok(reader.get(f"/api/v1/producers/{site.producer_id}/mass-balance/"))["rows"]
        assert [(row["month"], row["used_grams"]) for row in rows] == [(ym(last_month()), "480.000")]


def test_everybody_else_gets_404_and_anonymous_401(world, other_buyer, other_producer, anon):
    site, lot = world
    for stranger in (other_buyer, other_producer):
        assert_problem(stranger.get(f"{LOTS}{lot['id']}/"), 404, "not_found")
        assert ok(stranger.get(LOTS))["results"] == []
        assert_problem(stranger.get(f"/api/v1/producers/{site.producer_id}/mass-balance/"), 404, "not_found")
    assert_problem(anon.get(f"/api/v1/producers/{site.producer_id}/mass-balance/"), 401, "not_authenticated")
    assert_problem(anon.get(LOTS), 401, "not_authenticated")


def test_readers_may_not_write(world, reviewer, buyer):
    _site, lot = world
    for reader in (reviewer, buyer):
        response = reader.post(f"{LOTS}{lot['id']}/custody-events/", {}, format="json")
        assert_problem(response, 403, "not_producer_member")


def test_the_mass_balance_filters(world, producer_admin):
    site, _lot = world
    url = f"/api/v1/producers/{site.producer_id}/mass-balance/"
    month = ym(last_month())
    assert len(ok(producer_admin.get(f"{url}?site={site.pk}&from={month}&to={month}"))["rows"]) == 1
    assert ok(producer_admin.get(f"{url}?from=2999-01"))["rows"] == []
    assert_problem(producer_admin.get(f"{url}?from=abril"), 400, "validation_error", field="from")
    assert_problem(producer_admin.get(f"{url}?site=ajeno"), 400, "validation_error", field="site")
    assert_problem(producer_admin.get(f"{url}?sitio=1"), 400, "validation_error", field="sitio")


def test_the_lot_list_filters(world, producer_admin):
    site, lot = world
    month = ym(last_month())
    assert [r["id"] for r in ok(producer_admin.get(f"{LOTS}?site={site.pk}&month={month}"))["results"]] == [lot["id"]]
    assert ok(producer_admin.get(f"{LOTS}?month=2001-01"))["results"] == []
    assert_problem(producer_admin.get(f"{LOTS}?month=enero"), 400, "validation_error", field="month")


def test_the_exact_geometry_goes_to_buyers_under_an_inquiry_only(
    world, buyer, other_buyer, anon, reviewer, producer_admin
):
    site, _lot = world
    url = f"/api/v1/producers/{site.producer_id}/sites/{site.pk}/"
    from producers.models import Producer, Verification

    Producer.objects.filter(pk=site.producer_id).update(verification_status=Verification.VERIFIED)
    for public in (anon, other_buyer):
        body = ok(public.get(url))
        assert set(body) == {"id", "name", "district", "approximate_location", "status"}
        assert body["approximate_location"]["coordinates"] == [-70.5, -13.0]
    assert ok(buyer.get(url))["geometry"] == POLYGON
    assert "review_reason" not in ok(buyer.get(url))
    for insider in (reviewer, producer_admin):
        assert ok(insider.get(url))["geometry"] == POLYGON
