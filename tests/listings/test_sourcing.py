"""Sourcing requests: a buyer's own; producers browse them anonymised; other buyers never see them."""

from __future__ import annotations

import datetime as dt

import pytest

from core import clock
from listings.models import SourcingRequest

pytestmark = pytest.mark.django_db


def make_request(buyer):
    today = clock.today_lima()
    body = {
        "title": "2 kg, 900+",
        "grams": "2000.000",
        "min_fineness": "900.0",
        "claims": ["mercury_free"],
        "delivery_from": today.isoformat(),
        "delivery_until": (today + dt.timedelta(days=90)).isoformat(),
    }
    response = buyer.post("/api/v1/sourcing-requests/", body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def test_another_buyer_gets_404_everywhere_and_nothing_changes(buyer, other_buyer):
    request = make_request(buyer)

    for url in (f"/api/v1/sourcing-requests/{request['id']}/", f"/api/v1/sourcing-requests/{request['id']}/matches/"):
        assert other_buyer.get(url).status_code == 404
    assert other_buyer.post(f"/api/v1/sourcing-requests/{request['id']}/close/").status_code == 404
    assert other_buyer.get("/api/v1/sourcing-requests/").json()["results"] == []
    assert SourcingRequest.objects.get(pk=request["id"]).state == "open"


def test_producers_see_open_requests_without_the_buyer_and_not_closed_ones(buyer, producer_admin):
    request = make_request(buyer)

    seen = producer_admin.get("/api/v1/sourcing-requests/").json()["results"]
    assert [r["id"] for r in seen] == [request["id"]]
    assert "buyer" not in seen[0]
    assert buyer.post(f"/api/v1/sourcing-requests/{request['id']}/close/").json()["state"] == "closed"
    assert producer_admin.get("/api/v1/sourcing-requests/").json()["results"] == []
    assert producer_admin.get(f"/api/v1/sourcing-requests/{request['id']}/").status_code == 404


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [("min_fineness", "1000.1", "max_value"), ("grams", "-1", "min_value"), ("claims", ["made_up"], "unknown_claim")],
)
def test_bad_requests_are_refused_and_nothing_is_stored(buyer, field, value, code):
    today = clock.today_lima()
    body = {
        "title": "x",
        "grams": "10",
        "min_fineness": "900",
        "delivery_from": today.isoformat(),
        "delivery_until": today.isoformat(),
        field: value,
    }

    response = buyer.post("/api/v1/sourcing-requests/", body, format="json")

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == code
    assert SourcingRequest.objects.count() == 0
