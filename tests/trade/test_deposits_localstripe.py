"""The deposit flow end to end over HTTP: our API, localstripe as Stripe, and the signed webhooks localstripe
delivers to the live server about a second after the buyer pays."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection
from rest_framework.test import APIClient

from notifications.models import Notification
from payments.gateway import StripeGateway
from payments.models import ProviderEvent
from tests.problems import assert_problem
from tests.provenance.helpers import deliver_lot
from tests.trade.deposit_helpers import (
    TEN_PERCENT_MINOR,
    deposit_url,
    refund_url,
    release_url,
    reseed_catalogue,
    signed_contract,
)
from tests.trade.helpers import CONTRACTS, ok
from trade.models import Deposit, DepositRefund

pytestmark = pytest.mark.django_db(transaction=True)

DELIVERY_TIMEOUT_SECONDS = 8
BUYER_SIDE = ["buyer-member@example.test", "buyer@example.test"]
PRODUCER_SIDE = ["president@example.test", "socia@example.test"]


@pytest.fixture(autouse=True)
def _catalogue(db):
    reseed_catalogue()


def wait_for_status(deposit_id: str, status: str) -> Deposit:
    deadline = time.monotonic() + DELIVERY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        deposit = Deposit.objects.get(pk=deposit_id)
        if deposit.status == status:
            return deposit
        time.sleep(0.1)
    raise AssertionError(f"deposit {deposit_id} is {deposit.status}, not {status}, after {DELIVERY_TIMEOUT_SECONDS} s")


def wait_for_event(event_type: str, object_id: str) -> ProviderEvent:
    """The event once its handler finished (the deposit moves inside the handler, a moment before)."""
    deadline = time.monotonic() + DELIVERY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        event = ProviderEvent.objects.filter(type=event_type, object_id=object_id).first()
        if event is not None and event.outcome != ProviderEvent.Outcome.PROCESSING:
            return event
        time.sleep(0.1)
    raise AssertionError(f"no {event_type} for {object_id} handled within {DELIVERY_TIMEOUT_SECONDS} s")


def recipients(kind: str) -> list[str]:
    return sorted(Notification.objects.filter(kind=kind).values_list("recipient__email", flat=True))


def test_a_deposit_is_paid_held_partly_refunded_and_released(
    trade, buyer, buyer_member, producer_admin, producer_member, staff, localstripe_webhooks
):
    contract = signed_contract(trade, buyer, producer_admin)

    # The buyer asks to pay: the API creates the PaymentIntent at localstripe.
    started = ok(buyer.post(deposit_url(contract)), 201)
    intent_id = started["payment_intent"]
    assert started["client_secret"].startswith(f"{intent_id}_secret_")
    assert started["amount"] == {"amount_minor": TEN_PERCENT_MINOR, "currency": "USD"}

    # The buyer's browser pays with the client secret; localstripe sends the signed webhook.
    assert localstripe_webhooks.pay(intent_id, "pm_card_visa")["status"] == "succeeded"
    deposit = wait_for_status(started["id"], "held")

    assert wait_for_event("payment_intent.succeeded", intent_id).outcome == "processed"
    assert recipients("deposit_paid") == sorted(BUYER_SIDE + PRODUCER_SIDE)
    assert ok(producer_member.get(deposit_url(contract)))["status"] == "held"

    # Staff refund part of it through localstripe.
    refunded = ok(staff.post(refund_url(deposit.pk), {"amount_minor": 70480}, format="json"))

    assert (refunded["status"], refunded["refunded"]) == ("held", {"amount_minor": 70480, "currency": "USD"})
    refund = DepositRefund.objects.get()
    at_stripe = localstripe_webhooks.request("GET", f"/v1/refunds/{refund.provider_refund_id}")
    assert (at_stripe["amount"], at_stripe["payment_intent"], at_stripe["status"]) == (70480, intent_id, "succeeded")

    # The gold is delivered and confirmed; staff record the payout of the rest to the cooperative.
    deliver_lot(producer_admin, contract, trade.site)
    ok(producer_admin.post(f"{CONTRACTS}{contract['id']}/mark-delivered/"))
    ok(buyer.post(f"{CONTRACTS}{contract['id']}/complete/"))
    released = ok(staff.post(release_url(deposit.pk), {"payout_reference": "BCP op. 00077812"}, format="json"))

    assert (released["status"], released["payout_reference"]) == ("released", "BCP op. 00077812")
    assert recipients("deposit_released") == PRODUCER_SIDE
    assert Deposit.objects.get().released_by == staff.user


def test_a_declined_card_fails_the_deposit_and_tells_the_buyer(
    trade, buyer, buyer_member, producer_admin, localstripe_webhooks
):
    contract = signed_contract(trade, buyer, producer_admin)
    started = ok(buyer.post(deposit_url(contract)), 201)

    declined = localstripe_webhooks.pay(started["payment_intent"], "pm_card_chargeCustomerFail")

    assert declined["status_code"] == 402
    wait_for_status(started["id"], "failed")
    # The deposit moves a moment before its handler finishes and the notification is written: wait for both.
    assert wait_for_event("payment_intent.payment_failed", started["payment_intent"]).outcome == "processed"
    assert recipients("deposit_failed") == BUYER_SIDE
    again = ok(buyer.post(deposit_url(contract)), 200)
    assert (again["status"], again["payment_intent"]) == ("requires_payment", started["payment_intent"])
    # Stripe lets the buyer confirm the same intent with another card; localstripe answers 400 to a second
    # confirm, so that part is tested with the fake gateway (test_deposits.py).


def test_a_second_deposit_request_while_the_first_is_at_stripe_answers_at_once_and_its_retry_the_same_payment(
    trade, buyer, producer_admin, stripe_on_localstripe, monkeypatch
):
    stripe_on_localstripe.reset()
    contract = signed_contract(trade, buyer, producer_admin)
    at_stripe, let_go = threading.Event(), threading.Event()
    create_at_localstripe = StripeGateway.create_payment_intent

    def held_at_stripe(self, **arguments):
        at_stripe.set()
        assert let_go.wait(timeout=30)
        return create_at_localstripe(self, **arguments)

    monkeypatch.setattr(StripeGateway, "create_payment_intent", held_at_stripe)
    first_client = APIClient()
    first_client.credentials(**buyer.client._credentials)
    in_spanish = APIClient()
    in_spanish.credentials(**(buyer.client._credentials | {"HTTP_ACCEPT_LANGUAGE": "es"}))
    answers: list = []

    def first_request() -> None:
        try:
            answers.append(first_client.post(deposit_url(contract)))
        finally:
            connection.close()  # the thread's own connection: left open it keeps the test database from being dropped

    first = threading.Thread(target=first_request)
    first.start()
    try:
        assert at_stripe.wait(timeout=30)

        started = time.monotonic()
        second = in_spanish.post(deposit_url(contract))
        waited = time.monotonic() - started

        body = assert_problem(second, 409, "deposit_in_progress")
        assert (second["Retry-After"], body["retry_after"]) == ("1", 1)
        assert body["detail"] == "Otra solicitud está preparando el pago de este depósito en este momento. " + (
            "Inténtelo de nuevo en un momento."
        )
        assert waited < 3.0, waited  # the old code polled for up to 5 s before answering
        assert first.is_alive()  # the first request is still held inside its call to Stripe
    finally:
        let_go.set()
        first.join(timeout=30)
    created = ok(answers[0], 201)
    retried = ok(buyer.post(deposit_url(contract)), 200)
    assert (retried["id"], retried["payment_intent"], retried["client_secret"]) == (
        created["id"],
        created["payment_intent"],
        created["client_secret"],
    )
    intents = stripe_on_localstripe.request("GET", "/v1/payment_intents")["data"]
    assert [intent["id"] for intent in intents] == [created["payment_intent"]]
