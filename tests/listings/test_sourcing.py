"""Sourcing requests: a buyer's own; producers browse them anonymised; other buyers never see them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import translation
from rest_framework.test import APIClient

from core import clock
from listings.matching import criteria, reasons
from listings.models import Listing, SourcingRequest


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


@pytest.mark.django_db
def test_another_buyer_gets_404_everywhere_and_nothing_changes(buyer, other_buyer):
    request = make_request(buyer)

    for url in (f"/api/v1/sourcing-requests/{request['id']}/", f"/api/v1/sourcing-requests/{request['id']}/matches/"):
        assert other_buyer.get(url).status_code == 404
    assert other_buyer.post(f"/api/v1/sourcing-requests/{request['id']}/close/").status_code == 404
    assert other_buyer.get("/api/v1/sourcing-requests/").json()["results"] == []
    assert SourcingRequest.objects.get(pk=request["id"]).state == "open"


@pytest.mark.django_db
def test_producers_see_open_requests_without_the_buyer_and_not_closed_ones(buyer, producer_admin):
    request = make_request(buyer)

    seen = producer_admin.get("/api/v1/sourcing-requests/").json()["results"]
    assert [r["id"] for r in seen] == [request["id"]]
    assert "buyer" not in seen[0]
    assert buyer.post(f"/api/v1/sourcing-requests/{request['id']}/close/").json()["state"] == "closed"
    assert producer_admin.get("/api/v1/sourcing-requests/").json()["results"] == []
    assert producer_admin.get(f"/api/v1/sourcing-requests/{request['id']}/").status_code == 404


@pytest.mark.django_db
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


def _pair(**request_fields):
    today = dt.date(2026, 5, 4)
    listing = Listing(
        fineness=Decimal("920.0"),
        available_grams=Decimal("500.000"),
        min_order_grams=Decimal("50.000"),
        price_basis="fixed",
        price_per_fine_gram_minor=6512,
        currency="USD",
        incoterm="FCA",
        valid_from=today,
        valid_until=today + dt.timedelta(days=60),
    )
    request = SourcingRequest(
        title="x",
        grams=Decimal("2000.000"),
        min_fineness=Decimal("900.0"),
        claims=["mercury_free"],
        max_price_per_fine_gram_minor=6400,
        currency="USD",
        incoterm="EXW",
        delivery_from=today + dt.timedelta(days=30),
        delivery_until=today + dt.timedelta(days=90),
    )
    for name, value in request_fields.items():
        setattr(request, name, value)
    return listing, request


def test_each_criterion_of_a_match_has_a_reason_with_the_figures_in_english_and_spanish():
    listing, request = _pair()
    met = criteria(listing, request)

    with translation.override("en"):
        english = reasons(listing, request, met)
    with translation.override("es"):
        spanish = reasons(listing, request, met)

    assert met == {
        "fineness": True,
        "claims": True,
        "quantity": False,
        "min_order": True,
        "price": False,
        "incoterm": False,
        "delivery_window": True,
    }
    assert english == {
        "fineness": "920.0‰ fine, at least 900.0‰ asked.",
        "claims": "Makes every claim asked: mercury_free.",
        "quantity": "Only 500.000 g available, 2000.000 g asked.",
        "min_order": "Minimum order 50.000 g, within the 2000.000 g asked.",
        "price": "USD 65.12 per fine gram, above the USD 64.00 asked.",
        "incoterm": "FCA offered, EXW asked.",
        "delivery_window": "Offered until 2026-07-03; your delivery window opens 2026-06-03.",
    }
    assert spanish == {
        "fineness": "Ley de 920.0‰; pidió al menos 900.0‰.",
        "claims": "Hace todas las declaraciones que pidió: mercury_free.",
        "quantity": "Solo hay 500.000 g disponibles; pidió 2000.000 g.",
        "min_order": "Pedido mínimo de 50.000 g, dentro de los 2000.000 g que pidió.",
        "price": "USD 65.12 por gramo fino, más que los USD 64.00 que pidió.",
        "incoterm": "Se ofrece FCA; pidió EXW.",
        "delivery_window": "Se ofrece hasta el 2026-07-03; su periodo de entrega empieza el 2026-06-03.",
    }


@pytest.mark.parametrize(
    ("request_fields", "price", "incoterm"),
    [
        ({"max_price_per_fine_gram_minor": None, "incoterm": ""}, "No maximum price asked.", "No Incoterm asked."),
        ({"currency": "PEN", "incoterm": "FCA"}, "Priced in USD; your maximum is in PEN.", "FCA, as asked."),
        ({"max_price_per_fine_gram_minor": 7000}, "USD 65.12 per fine gram, at most USD 70.00 asked.", None),
    ],
)
def test_the_price_and_incoterm_reasons_say_what_was_compared(request_fields, price, incoterm):
    listing, request = _pair(**request_fields)

    with translation.override("en"):
        said = reasons(listing, request, criteria(listing, request))

    assert said["price"] == price
    if incoterm is not None:
        assert said["incoterm"] == incoterm


def test_an_lbma_priced_listing_says_it_cannot_be_compared_before_the_fix():
    listing, request = _pair()
    listing.price_basis, listing.price_per_fine_gram_minor = "lbma_pm", None

    with translation.override("en"):
        said = reasons(listing, request, criteria(listing, request))

    assert said["price"] == (
        "Priced on the LBMA Gold Price with an adjustment: compare it with your maximum at the fix."
    )


def test_the_buyer_reads_why_each_match_fits_in_its_own_language(db):
    call_command("seed_demo")
    exporter = APIClient(HTTP_ACCEPT_LANGUAGE="es")
    token = exporter.post(
        "/api/v1/auth/login/", {"email": "buyer2@demo.test", "password": "oro-limpio-2026"}, format="json"
    )
    exporter.credentials(HTTP_AUTHORIZATION=f"Token {token.json()['token']}", HTTP_ACCEPT_LANGUAGE="es")
    request = SourcingRequest.objects.get(created_by__email="buyer2@demo.test")

    matches = exporter.get(f"/api/v1/sourcing-requests/{request.pk}/matches/")

    assert matches.status_code == 200
    assert matches.json()["results"], "the demo request has matches"
    for match in matches.json()["results"]:
        assert set(match["reasons"]) == set(match["criteria"])
        assert match["reasons"]["claims"] == "Hace todas las declaraciones que pidió: mercury_free."
        assert match["reasons"]["fineness"] == f"Ley de {match['listing']['fineness']}‰; pidió al menos 900.0‰."
