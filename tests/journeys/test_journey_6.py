"""Journey 6: a lapse hides an offer the same day, and a renewal brings it back. Rosa Quispe's REINFO
record lapses within the week (demo data). On the day it lapses her listing leaves search, she sees why on
the listing, and the exporter with an open inquiry is told by the daily sweep; she uploads the renewed
record, a reviewer approves it, and the listing is offered again without being published anew. HTTP only,
"today" moved by patching the clock, never by editing rows."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from core import clock
from tests.journeys.test_journey_4 import approve, ok, upload
from tests.listings.test_listings import login, offer

pytestmark = pytest.mark.django_db


def kinds(client: APIClient) -> list[str]:
    return [row["kind"] for row in ok(client.get("/api/v1/notifications/?page_size=100"))["results"]]


def test_a_lapse_hides_an_offer_the_same_day_and_a_renewal_brings_it_back():
    call_command("seed_demo")
    rosa, exporter, anon = login("miner@demo.test"), login("buyer2@demo.test", "en"), APIClient()
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

    def search() -> list[str]:
        return [row["id"] for row in ok(anon.get("/api/v1/listings/?page_size=100"))["results"]]

    assert listing["id"] in search()
    call_command("send_trade_notices", verbosity=0)
    assert "inquiry_listing_hidden" not in kinds(exporter)  # offered: nothing to tell

    lapse = clock.today_lima() + dt.timedelta(days=8)  # the demo's REINFO record has lapsed by then
    with mock.patch.object(clock, "today_lima", return_value=lapse):
        # The same day, with no job: gone from search, and Rosa reads why on her listing.
        assert listing["id"] not in search()
        own = ok(rosa.get(f"/api/v1/listings/{listing['id']}/"))
        assert own["visible"] is False
        assert "FORMALIZATION" in {item["code"] for item in own["hidden_because"]}

        # The daily sweeps: Rosa is reminded, the exporter with the open inquiry is told, once.
        call_command("send_compliance_reminders", verbosity=0)
        call_command("send_trade_notices", verbosity=0)
        call_command("send_trade_notices", verbosity=0)
        assert kinds(exporter).count("inquiry_listing_hidden") == 1

        # The renewal: uploaded, approved, and the listing is back without publishing it again.
        renewed = upload(rosa, "REINFO", issue_date=(lapse - dt.timedelta(days=1)).isoformat())
        approve(reviewers, renewed["id"])
        assert listing["id"] in search()
        assert ok(rosa.get(f"/api/v1/listings/{listing['id']}/"))["visible"] is True
        assert ok(rosa.get(f"/api/v1/listings/{listing['id']}/"))["status"] == "published"
        call_command("send_trade_notices", verbosity=0)
        assert kinds(exporter).count("inquiry_listing_offered_again") == 1
