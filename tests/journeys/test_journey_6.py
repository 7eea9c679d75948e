"""Journey 6: a lapse hides an offer the same day, and a renewal brings it back. Rosa Quispe's REINFO
record lapses within the week (demo data). On the day it lapses her listing leaves search, she sees why on
the listing, and the exporter with an open inquiry is told by the daily sweep; she uploads the renewed
record, a reviewer approves it, and the listing is offered again without being published anew. HTTP only,
"today" moved by patching the clock, never by editing rows. The steps are in `steps.py`."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command

from core import clock
from tests.journeys.steps import lapse_hides_and_renewal_restores, login, ok
from tests.listings.test_listings import offer

pytestmark = pytest.mark.django_db


def test_a_lapse_hides_an_offer_the_same_day_and_a_renewal_brings_it_back():
    call_command("seed_demo")
    rosa, exporter = login("miner@demo.test"), login("buyer2@demo.test", language="en")
    reviewers = (login("reviewer@demo.test"), login("network-admin@demo.test"))
    listing = ok(
        rosa.post("/api/v1/listings/", offer("Rosa Quispe", claims=[], quantity_grams="150.000"), format="json"), 201
    )
    ok(rosa.post(f"/api/v1/listings/{listing['id']}/publish/"))
    ok(
        exporter.post(
            "/api/v1/inquiries/",
            {"listing": listing["id"], "grams": "100.000", "message": "¿Pueden entregar en Lima?"},
            format="json",
        ),
        201,
    )

    lapse = clock.today_lima() + dt.timedelta(days=8)  # the demo's REINFO record has lapsed by then
    lapse_hides_and_renewal_restores(rosa, exporter, reviewers, listing["id"], lapse)
