"""A signed contract's deposit in the console, over HTTP against localstripe: both parties see it, the buyer's
admin starts it (the API's service: the amount from the signed terms, the same deposit again on a second try),
the card form gets the client secret and a policy that lets Stripe.js in on that page only, and the deposit
shows as held once Stripe's signed webhook says so. Refusals are the API's."""

from __future__ import annotations

import html
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from tests.console.test_contracts import api_token, signed_in_as
from tests.localstripe_server import LocalStripe
from tests.trade.deposit_helpers import deliver_event
from trade.models import Contract, Deposit

pytestmark = pytest.mark.django_db

DEMO_DEPOSIT = "USD 2,000.00"


@pytest.fixture
def signed(db: None, settings: object) -> Contract:
    call_command("seed_demo")
    return Contract.objects.get(state="signed", versions__deposit_amount_minor=200000)


def test_the_buyers_admin_pays_and_the_deposit_shows_held_when_stripe_says_so(
    signed: Contract, stripe_on_localstripe: LocalStripe, settings: object
) -> None:
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_localstripe"  # type: ignore[attr-defined]
    settings.STRIPE_JS_URL = f"{stripe_on_localstripe.url}/js.stripe.com/v3/"  # type: ignore[attr-defined]
    buyer, csrf = signed_in_as("buyer2@demo.test")
    before = buyer.get(f"/contracts/{signed.pk}/deposit/")
    assert before.status_code == 200
    assert "Pay the deposit by card" in before.content.decode()
    assert stripe_on_localstripe.url not in before["Content-Security-Policy"]  # no card form, no Stripe

    started = buyer.post(f"/contracts/{signed.pk}/deposit/", {"csrfmiddlewaretoken": csrf})
    again = buyer.post(f"/contracts/{signed.pk}/deposit/", {"csrfmiddlewaretoken": csrf})
    deposit = Deposit.objects.get(contract=signed)  # one, however many tries
    assert started.status_code == again.status_code == 200
    text = started.content.decode()
    assert f'data-secret="{deposit.provider_intent_id}_secret_' in text
    assert f'<script src="{stripe_on_localstripe.url}/js.stripe.com/v3/">' in text
    assert 'id="deposit-card" class="stack" hx-boost="false"' in text  # only deposit.js sends it
    policy = started["Content-Security-Policy"]
    assert f"script-src 'self' {stripe_on_localstripe.url}" in policy
    assert "no-store" in started["Cache-Control"]
    assert "no-transform" in started["Cache-Control"]
    assert DEMO_DEPOSIT in text
    assert deposit.amount_minor == 200000
    assert deposit.status == "requires_payment"

    stripe_on_localstripe.pay(deposit.provider_intent_id)  # what Stripe.js does in the browser
    assert deliver_event("payment_intent.succeeded", deposit.provider_intent_id).status_code == 200
    producer, _ = signed_in_as("coop-admin@demo.test")
    for client in (buyer, producer):
        shown = client.get(f"/contracts/{signed.pk}/deposit/").content.decode()
        assert 'data-status="held"' in shown
        assert "Pay the deposit by card" not in shown


def _both_doors(contract: Contract, email: str) -> tuple[Any, Any]:
    """The same person starts the same deposit on the page and in the API: (the page's answer, the API's)."""
    client, csrf = signed_in_as(email)
    page = client.post(f"/contracts/{contract.pk}/deposit/", {"csrfmiddlewaretoken": csrf})
    api = Client(HTTP_ACCEPT_LANGUAGE="en").post(
        f"/api/v1/contracts/{contract.pk}/deposit/", HTTP_AUTHORIZATION=f"Token {api_token(email)}"
    )
    return page, api


def test_only_the_buyers_admin_pays_refused_in_the_apis_words(
    signed: Contract, stripe_on_localstripe: LocalStripe
) -> None:
    page, api = _both_doors(signed, "coop-admin@demo.test")
    assert page.status_code == api.status_code == 403
    assert html.escape(api.json()["detail"]) in page.content.decode()
    assert not Deposit.objects.exists()
    assert "Pay the deposit by card" not in page.content.decode()


def test_without_stripe_the_page_says_so_as_the_api_does(signed: Contract, settings: object) -> None:
    settings.STRIPE_SECRET_KEY = ""  # type: ignore[attr-defined]
    page, api = _both_doors(signed, "buyer2@demo.test")
    assert page.status_code == api.status_code == 503
    assert f'data-code="{api.json()["code"]}"' in page.content.decode()
    assert not Deposit.objects.exists()


def test_a_contract_not_theirs_is_the_apis_404(signed: Contract) -> None:
    other, _ = signed_in_as("buyer@demo.test")
    assert other.get(f"/contracts/{signed.pk}/deposit/").status_code == 404
