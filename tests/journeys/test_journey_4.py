"""Journey 4: a refiner finds responsible gold - KYC verified by a reviewer, search, facets, the listing and
the producer's badges, a sourcing request with ranked and explained matches, and one notification when
another cooperative publishes a matching offer a week later. HTTP only, on the demo data."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from tests.journeys.steps import (
    approve,
    kyc_verified,
    login,
    matching_offer_next_week,
    next_week_offer,
    ok,
    responsible_gold_found,
    sourcing_request_saved,
    upload,
)

L_0412_TITLE = "Lot L-0412: fire-assayed 921.4 ‰ doré, mercury-free"
pytestmark = pytest.mark.django_db


def test_a_refiner_finds_responsible_gold():
    call_command("seed_demo")
    refiner = login("buyer@demo.test", language="en")
    reviewers = (login("reviewer@demo.test"), login("network-admin@demo.test"))
    me = ok(refiner.get("/api/v1/me/"))
    refiner_id = me["memberships"][0]["organization"]["id"]

    kyc_verified(refiner, refiner_id, reviewers)
    listing = responsible_gold_found(refiner, huepetuhe_offers=2)  # this doré and the demo's lot L-0412
    candelaria = login("candelaria-admin@demo.test")
    # Lot L-0412 (mercury-free, 921.4 ‰) matches too, and ranks first: finer gold.
    request = sourcing_request_saved(refiner, listing, candelaria, finer_first=(L_0412_TITLE,))

    # A week later another cooperative completes its evidence and publishes a matching offer.
    coop = ok(candelaria.get("/api/v1/me/"))["memberships"][0]["organization"]["id"]
    site = ok(candelaria.get(f"/api/v1/producers/{coop}/sites/"))["results"][0]["id"]
    approve(reviewers, upload(candelaria, "OHS_TRAINING")["id"])
    approve(reviewers, upload(candelaria, "HG_FREE_PROCESS", site=site)["id"])
    approve(reviewers, upload(candelaria, "SITE_VISIT", site=site)["id"], second=True)
    matching_offer_next_week(refiner, "buyer@demo.test", request, candelaria, next_week_offer(site))
