"""Contracts on the test client: a stale version is refused in the API's words, a counter-proposal with a bad
field is refused field by field as the API refuses it, and the other side accepts the latest version by its
number."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client

from tests.console.test_sign_in import browser, sign_in
from trade.models import Contract

pytestmark = pytest.mark.django_db

DEMO = "oro-limpio-2026"


def api_token(email: str) -> str:
    response = Client().post("/api/v1/auth/login/", {"email": email, "password": DEMO}, content_type="application/json")
    return response.json()["token"]


def signed_in_as(email: str) -> tuple[Client, str]:
    client = browser("en")
    sign_in(client, email, DEMO)
    return client, client.cookies["csrftoken"].value


def test_negotiating_in_the_console_reads_as_the_api(db: None) -> None:
    call_command("seed_demo")
    contract = Contract.objects.filter(state="negotiating").select_related("buyer").first()
    assert contract is not None
    latest = contract.versions.order_by("-number").first()
    answering = "buyer2@demo.test" if latest.side == "producer" else "coop-admin@demo.test"
    client, token = signed_in_as(answering)
    page = client.get(f"/contracts/{contract.pk}/")
    assert page.status_code == 200
    assert f"Accept version {latest.number} and sign" in page.content.decode()

    stale = client.post(
        f"/contracts/{contract.pk}/accept/", {"version": latest.number - 1 or 99, "csrfmiddlewaretoken": token}
    )
    api = Client().post(
        f"/api/v1/contracts/{contract.pk}/accept/",
        {"version": latest.number - 1 or 99},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {api_token(answering)}",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert stale.status_code == api.status_code == 409
    assert api.json()["detail"] in stale.content.decode()
    assert f'data-code="{api.json()["code"]}"' in stale.content.decode()

    bad = client.post(
        f"/contracts/{contract.pk}/propose/",
        {
            "quantity_grams": "-1",
            "fineness": "900",
            "price_basis": "fixed",
            "price_per_fine_gram": "80",
            "incoterm": "FCA",
            "incoterm_place": "Puerto Maldonado",
            "delivery_date": "2027-01-15",
            "csrfmiddlewaretoken": token,
        },
    )
    assert bad.status_code == 400
    assert 'aria-invalid="true"' in bad.content.decode()
    assert contract.versions.count() == latest.number

    signed = client.post(f"/contracts/{contract.pk}/accept/", {"version": latest.number, "csrfmiddlewaretoken": token})
    contract.refresh_from_db()
    assert signed.status_code == 302
    assert contract.state == "signed"
    assert contract.signed_version.number == latest.number


def test_a_stranger_gets_a_404_page(db: None) -> None:
    call_command("seed_demo")
    contract = Contract.objects.first()
    client, _token = signed_in_as("candelaria-admin@demo.test")

    response = client.get(f"/contracts/{contract.pk}/")

    assert response.status_code == 404
    assert 'data-code="not_found"' in response.content.decode()
