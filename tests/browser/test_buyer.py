"""A buyer's search to inquiry in the browser (desktop), and the cooperative's answer on a phone; a buyer's standing
need and the offers that fit it."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command

from diligence.models import PackConsent
from listings.models import SourcingRequest
from tests.browser.conftest import DESK, PHONE, accessible, page_weight, shoot
from tests.browser.test_cooperative import sign_in_with_the_keyboard
from tests.localstripe_server import LocalStripe
from tests.trade.deposit_helpers import deliver_event
from trade.models import Contract, Deposit, Inquiry, InquiryMessage

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_refiner_finds_gold_asks_about_it_and_the_cooperative_answers(person: Any) -> None:
    call_command("seed_demo")
    refiner = person(viewport=DESK, locale="en-GB")

    page = refiner.open("/sign-in/")
    sign_in_with_the_keyboard(page, "buyer2@demo.test", label="E-mail address")
    assert page.url.endswith("/offers/")
    assert page.get_by_role("heading", name="Gold offered today").is_visible()
    total = page.locator(".total").inner_text()
    accessible(page)
    assert page_weight(page) < 100_000
    shoot(page, "buyer-01-search")

    page.get_by_label("Huepetuhe").check()
    with page.expect_response(lambda r: "/offers/?" in r.url):
        page.get_by_role("button", name="Search").click()
    page.wait_for_selector(".offer")
    assert "district=huepetuhe" in page.url
    assert page.locator(".total").inner_text() != total  # fewer than before the filter
    districts = page.locator(".offer .who").all_inner_texts()
    assert districts
    assert all(text.split(" · ")[-1] == "Huepetuhe" for text in districts), districts
    shoot(page, "buyer-02-filtered")

    page.locator(".offer h2 a").first.click()
    page.wait_for_selector("h2:has-text('What backs this gold')")
    accessible(page)
    shoot(page, "buyer-03-offer")

    page.get_by_role("link", name="Ask the producer").click()
    page.get_by_label("Grams you would buy").fill("100")
    page.get_by_label("Your message").fill("Could you ship 100 g in January?")
    page.get_by_role("button", name="Send").click()
    page.wait_for_url("**/inquiries/**")
    inquiry = Inquiry.objects.get(messages__body="Could you ship 100 g in January?")
    assert page.get_by_text("Could you ship 100 g in January?").is_visible()
    accessible(page)
    shoot(page, "buyer-04-inquiry")

    president = person(viewport=PHONE, locale="es-PE")
    phone = president.open("/sign-in/")
    producer_email = "coop-admin@demo.test" if "Huepetuhe" in inquiry.producer.organization.legal_name else None
    assert producer_email is not None, inquiry.producer.organization.legal_name
    sign_in_with_the_keyboard(phone, producer_email)
    phone.goto(president.base + f"/inquiries/{inquiry.pk}/")
    phone.get_by_label("Su respuesta").fill("Sí, podemos enviar en enero.")
    phone.get_by_role("button", name="Enviar").click()
    phone.wait_for_selector("text=Sí, podemos enviar en enero.")
    assert phone.get_by_text("Sí, podemos enviar en enero.").is_visible()
    assert InquiryMessage.objects.filter(inquiry=inquiry).count() == 2
    accessible(phone)
    shoot(phone, "coop-03-inquiry-answered")


def test_a_refiner_reads_the_producer_gets_its_pack_and_pays_the_deposit(
    person: Any, stripe_on_localstripe: LocalStripe, settings: Any
) -> None:
    """From an offer to its producer's page; the pack asked for, agreed to by the cooperative on a phone, and
    read; then the signed contract's deposit paid by card. Stripe.js is localstripe's stand-in, served from its
    own address (the one other host this test lets the page reach); the card is confirmed the way the stand-in
    can (its `confirmCardPayment` takes no card), and the deposit is held when Stripe's signed webhook says so."""
    call_command("seed_demo")
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_localstripe"
    settings.STRIPE_JS_URL = f"{stripe_on_localstripe.url}/js.stripe.com/v3/"
    refiner = person(viewport=DESK, locale="en-GB")
    page = refiner.open("/sign-in/")
    sign_in_with_the_keyboard(page, "buyer2@demo.test", label="E-mail address")

    signed = Contract.objects.get(state="signed", versions__deposit_amount_minor=200000)
    offer = signed.inquiry.listing
    page.goto(refiner.base + f"/offers/{offer.pk}/")
    page.get_by_role("link", name=offer.producer.organization.legal_name).click()
    page.wait_for_selector("h2:has-text('What backs its gold')")
    accessible(page)
    assert page_weight(page) < 100_000
    shoot(page, "buyer-08-producer")
    page.get_by_role("button", name="Ask for the pack").click()
    page.wait_for_selector("[data-status=requested]")

    president = person(viewport=PHONE, locale="es-PE")
    phone = president.open("/sign-in/")
    sign_in_with_the_keyboard(phone, "coop-admin@demo.test")
    phone.goto(president.base + "/coop/pack-requests/")
    accessible(phone)
    shoot(phone, "coop-16-pack-requests")
    phone.get_by_role("button", name="Aceptar").click()
    phone.wait_for_selector("[data-status=granted]")

    page.reload()
    page.get_by_role("link", name="Read the pack").click()
    page.wait_for_selector("code.digest")
    assert PackConsent.objects.get(producer_id=offer.producer_id).status == "granted"
    accessible(page)
    shoot(page, "buyer-09-pack")

    page.goto(refiner.base + f"/contracts/{signed.pk}/")
    page.get_by_role("link", name="Deposit").click()
    page.wait_for_selector("text=The signed terms ask for a deposit of USD 2,000.00.")
    refiner.watch.allowed.add(urlsplit(stripe_on_localstripe.url).netloc)
    page.get_by_role("button", name="Pay the deposit by card").click()
    page.wait_for_selector("#card-element input")  # Stripe.js loaded from its host, the card field mounted
    accessible(page, exclude=["#card-element"])  # Stripe's frame is Stripe's; the stand-in draws bare inputs
    shoot(page, "buyer-10-deposit-card")
    # deposit.js sends the card form itself (htmx leaves it alone: the page stays) and shows Stripe's answer. The
    # stand-in answers its 3-D Secure step with an error for an intent that asks for none: the message is shown.
    page.get_by_role("button", name="Pay USD 2,000.00").click()
    page.get_by_role("button", name="Complete authentication").click()
    page.wait_for_selector("#card-message:not(:empty)")
    assert page.url.endswith(f"/contracts/{signed.pk}/deposit/")
    assert page.get_by_role("button", name="Pay USD 2,000.00").is_enabled()
    deposit = Deposit.objects.get(contract=signed)
    stripe_on_localstripe.pay(deposit.provider_intent_id)
    assert deliver_event("payment_intent.succeeded", deposit.provider_intent_id).status_code == 200
    page.goto(refiner.base + f"/contracts/{signed.pk}/deposit/")
    assert page.locator(".deposit-status").inner_text() == "Held"
    shoot(page, "buyer-11-deposit-held")


def test_a_refiner_states_a_standing_need_and_sees_the_offers_that_fit(person: Any) -> None:
    call_command("seed_demo")
    refiner = person(viewport=DESK, locale="en-GB")

    page = refiner.open("/sign-in/")
    sign_in_with_the_keyboard(page, "buyer@demo.test", label="E-mail address")
    page.get_by_role("link", name="Sourcing requests").click()
    page.wait_for_selector("h1:has-text('Sourcing requests')")
    page.get_by_role("link", name="New sourcing request").click()
    page.wait_for_selector("h1:has-text('New sourcing request')")
    start = date.today() + timedelta(days=14)
    page.get_by_label("What you look for, in a few words").fill("Doré for our Swiss refinery")
    page.get_by_label("Grams per delivery").fill("200")
    page.get_by_label("Fineness at least (‰)").fill("850")
    page.get_by_label("Deliveries from").fill(start.isoformat())
    page.get_by_label("Deliveries until").fill((start + timedelta(days=90)).isoformat())
    page.get_by_label("Delivery (Incoterm)").select_option("FCA")
    accessible(page)
    shoot(page, "buyer-05-sourcing-new")
    page.get_by_role("button", name="Save the request").click()
    page.wait_for_selector("h2:has-text('Offers of today that fit')")

    made = SourcingRequest.objects.get(title="Doré for our Swiss refinery")
    assert page.url.endswith(f"/sourcing/{made.pk}/")
    matches = page.locator(".matches .offer")
    assert matches.count() > 0
    assert "criteria met" in matches.first.inner_text()
    accessible(page)
    assert page_weight(page) < 100_000
    shoot(page, "buyer-06-sourcing-matches")

    on_the_phone = person(viewport=PHONE, locale="en-GB")
    phone = on_the_phone.open("/sign-in/")
    sign_in_with_the_keyboard(phone, "buyer@demo.test", label="E-mail address")
    phone.goto(on_the_phone.base + f"/sourcing/{made.pk}/")
    phone.get_by_role("button", name="Close this request").click()
    phone.wait_for_selector("dd.status:has-text('Closed')")
    made.refresh_from_db()
    assert made.state == "closed"
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    accessible(phone)
    shoot(phone, "buyer-07-sourcing-closed-phone")
