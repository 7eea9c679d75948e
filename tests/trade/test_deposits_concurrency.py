"""Deposits under races, on PostgreSQL with real threads: one deposit asked twice at once, one event delivered
several times at once, the events of one payment arriving together."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from audit.models import AuditEvent
from notifications.models import Notification
from payments.models import ProviderEvent
from tests.concurrency import postgres_only, run_at_once
from tests.trade.deposit_helpers import deliver_event, deposit_url, reseed_catalogue, signed_contract
from tests.trade.helpers import ok
from trade.models import Deposit

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True)]

LIFECYCLE = (
    "payment_intent.created",
    "payment_intent.processing",
    "payment_intent.amount_capturable_updated",
    "payment_intent.succeeded",
)
PEOPLE_ON_BOTH_SIDES = 4  # the buyer's admin and member, the cooperative's president and member


@pytest.fixture(autouse=True)
def _catalogue(db):
    reseed_catalogue()


def same_caller(actor) -> APIClient:
    """A client of its own (threads must not share one) with the actor's token."""
    client = APIClient()
    client.credentials(**actor.client._credentials)
    return client


@pytest.mark.parametrize("attempt", range(20))
def test_one_deposit_asked_twice_at_once_makes_one_row_and_one_payment_intent(
    attempt, trade, buyer, buyer_member, producer_admin, producer_member, stripe_on_localstripe
):
    stripe_on_localstripe.reset()
    contract = signed_contract(trade, buyer, producer_admin)
    clients = [same_caller(buyer), same_caller(buyer)]

    responses = run_at_once(2, lambda i: clients[i].post(deposit_url(contract)))

    # The second either finds the payment made (200) or, while the first is still at Stripe, is told at once
    # to come back (409 deposit_in_progress); its retry then gets the same deposit and payment.
    statuses = sorted(getattr(r, "status_code", r) for r in responses)
    assert statuses in ([200, 201], [201, 409], [200, 409]), responses
    for response in responses:
        if response.status_code == 409:
            assert (response.json()["code"], response["Retry-After"]) == ("deposit_in_progress", "1")
    bodies = [r.json() for r in responses if r.status_code != 409]
    if len(bodies) == 1:
        bodies.append(ok(clients[0].post(deposit_url(contract)), 200))
    assert len({(b["id"], b["payment_intent"], b["client_secret"]) for b in bodies}) == 1
    assert Deposit.objects.count() == 1
    intents = stripe_on_localstripe.request("GET", "/v1/payment_intents")["data"]
    assert [intent["id"] for intent in intents] == [bodies[0]["payment_intent"]]


@pytest.mark.parametrize("attempt", range(20))
def test_one_event_delivered_four_times_at_once_moves_the_deposit_once(
    attempt, trade, buyer, buyer_member, producer_admin, producer_member, fake_stripe
):
    contract = signed_contract(trade, buyer, producer_admin)
    started = ok(buyer.post(deposit_url(contract)), 201)
    fake_stripe.set(started["payment_intent"], "succeeded")
    event_id = f"evt_race{attempt}"

    responses = run_at_once(
        4, lambda i: deliver_event("payment_intent.succeeded", started["payment_intent"], event_id=event_id)
    )

    assert [getattr(r, "status_code", r) for r in responses] == [200] * 4
    assert sorted(r.json()["outcome"] for r in responses) == ["duplicate"] * 3 + ["processed"]
    assert Deposit.objects.get().status == "held"
    assert AuditEvent.objects.filter(action="trade.deposit.payment_held").count() == 1
    assert Notification.objects.filter(kind="deposit_paid").count() == PEOPLE_ON_BOTH_SIDES
    assert ProviderEvent.objects.get(event_id=event_id).outcome == "processed"


@pytest.mark.parametrize("attempt", range(20))
def test_the_four_events_of_one_payment_at_once_move_the_deposit_once(
    attempt, trade, buyer, buyer_member, producer_admin, producer_member, fake_stripe
):
    contract = signed_contract(trade, buyer, producer_admin)
    started = ok(buyer.post(deposit_url(contract)), 201)
    fake_stripe.set(started["payment_intent"], "succeeded")

    responses = run_at_once(4, lambda i: deliver_event(LIFECYCLE[i], started["payment_intent"]))

    assert sorted(r.json()["outcome"] for r in responses) == ["processed"] * 4
    assert Deposit.objects.get().status == "held"
    assert AuditEvent.objects.filter(action="trade.deposit.payment_held").count() == 1
    assert Notification.objects.filter(kind="deposit_paid").count() == PEOPLE_ON_BOTH_SIDES


@pytest.mark.parametrize("attempt", range(10))
def test_a_payment_arriving_while_the_contract_is_cancelled_is_refunded_once(
    attempt, trade, buyer, producer_admin, fake_stripe
):
    contract = signed_contract(trade, buyer, producer_admin)
    started = ok(buyer.post(deposit_url(contract)), 201)
    fake_stripe.set(started["payment_intent"], "succeeded")  # the buyer paid just as the contract is called off
    canceller = same_caller(buyer)

    def act(i):
        if i == 0:
            return canceller.post(f"/api/v1/contracts/{contract['id']}/cancel/", {"reason": ""}, format="json")
        return deliver_event("payment_intent.succeeded", started["payment_intent"])

    responses = run_at_once(2, act)

    assert [getattr(r, "status_code", r) for r in responses] == [200, 200]
    deposit = Deposit.objects.get()
    assert (deposit.status, deposit.refunded_minor) == ("refunded", deposit.amount_minor)
    assert [refund.amount for refund in fake_stripe.refunds] == [deposit.amount_minor]
    assert list(deposit.refunds.values_list("status", "cause")) == [("succeeded", "contract_cancelled")]
