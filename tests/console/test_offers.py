"""The buyer's pages on the test client: the search reads the API's filters and says the API's words when it
refuses; asking about an offer is the API's inquiry, refused in the API's words."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from listings.selectors import entries_today
from tests.console.test_sign_in import browser, sign_in
from trade.models import Inquiry

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db: None) -> None:
    call_command("seed_demo")


def test_anyone_sees_the_offers_of_today_and_can_filter_them(demo: None) -> None:
    client = browser("en")
    everything = client.get("/offers/")
    huepetuhe = client.get("/offers/", {"district": "huepetuhe", "fineness_min": "", "q": " "})

    assert everything.status_code == huepetuhe.status_code == 200
    total = entries_today().count()
    assert f"{total} offers" in everything.content.decode()
    in_huepetuhe = entries_today().filter(district="huepetuhe").count()
    assert 0 < in_huepetuhe < total
    assert f"{in_huepetuhe} offers" in huepetuhe.content.decode()


def test_a_filter_the_api_refuses_is_refused_in_the_apis_words(demo: None, anon: Any) -> None:
    page = browser("en").get("/offers/", {"fineness_min": "1000.55"})
    api = anon.client.get("/api/v1/listings/", {"fineness_min": "1000.55"}, HTTP_ACCEPT_LANGUAGE="en")

    assert page.status_code == api.status_code == 400
    errors = api.json()["errors"]
    assert errors
    assert all(error["message"] in page.content.decode() for error in errors)


def test_an_htmx_request_gets_only_the_results(demo: None) -> None:
    response = browser("en").get("/offers/", {"district": "huepetuhe"}, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert "<html" not in response.content.decode()
    assert 'class="offer"' in response.content.decode()


def test_a_buyer_asks_and_a_bad_quantity_reads_as_the_apis_refusal(demo: None) -> None:
    listing = entries_today().filter(district="huepetuhe").first()
    assert listing is not None
    client = browser("en")
    sign_in(client, "buyer2@demo.test", "oro-limpio-2026")
    token = client.cookies["csrftoken"].value
    api = Client(HTTP_ACCEPT_LANGUAGE="en")
    login = api.post(
        "/api/v1/auth/login/",
        {"email": "buyer2@demo.test", "password": "oro-limpio-2026"},
        content_type="application/json",
    ).json()["token"]

    page = client.post(
        f"/offers/{listing.listing_id}/ask/", {"grams": "-5", "message": "¿?", "csrfmiddlewaretoken": token}
    )
    refused = api.post(
        "/api/v1/inquiries/",
        {"listing": str(listing.listing_id), "grams": "-5", "message": "¿?"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {login}",
    )

    assert page.status_code == refused.status_code == 400
    [error] = refused.json()["errors"]
    assert error["field"] == "grams"
    assert error["message"] in page.content.decode()
    assert 'aria-invalid="true"' in page.content.decode()
    assert not Inquiry.objects.filter(messages__body="¿?").exists()

    sent = client.post(
        f"/offers/{listing.listing_id}/ask/",
        {"grams": "50", "message": "¿Envío en enero?", "csrfmiddlewaretoken": token},
    )
    inquiry = Inquiry.objects.get(messages__body="¿Envío en enero?")
    assert sent.status_code == 302
    assert sent["Location"] == f"/inquiries/{inquiry.pk}/"
    assert "¿Envío en enero?" in client.get(sent["Location"]).content.decode()


def test_a_producer_cannot_ask_itself_as_a_buyer_would(demo: None) -> None:
    listing = entries_today().filter(district="huepetuhe").first()
    assert listing is not None
    client = browser("en")
    sign_in(client, "candelaria-admin@demo.test", "oro-limpio-2026")
    token = client.cookies["csrftoken"].value

    page = client.post(
        f"/offers/{listing.listing_id}/ask/", {"grams": "50", "message": "x", "csrfmiddlewaretoken": token}
    )

    assert page.status_code in (400, 403)
    assert 'class="refusal"' in page.content.decode()


def test_an_inquiry_sent_twice_with_its_forms_key_is_one_inquiry(demo: None) -> None:
    listing = entries_today().filter(district="huepetuhe").first()
    assert listing is not None
    client = browser("en")
    sign_in(client, "buyer2@demo.test", "oro-limpio-2026")
    ask = f"/offers/{listing.listing_id}/ask/"
    form = client.get(ask).content.decode()
    key = re.search(r'name="idempotency_key" value="([^"]+)"', form)
    assert key is not None
    body = {
        "grams": "60",
        "message": "¿Y en febrero?",
        "idempotency_key": key.group(1),
        "csrfmiddlewaretoken": client.cookies["csrftoken"].value,
    }

    first = client.post(ask, body)
    again = client.post(ask, body)  # the phone never saw the first answer and sends the same form again
    other = client.post(ask, {**body, "grams": "70"})

    assert first.status_code == again.status_code == 302
    assert first["Location"] == again["Location"]
    assert Inquiry.objects.filter(messages__body="¿Y en febrero?").count() == 1
    assert other.status_code == 422
    assert 'data-code="idempotency_key_reused"' in other.content.decode()
