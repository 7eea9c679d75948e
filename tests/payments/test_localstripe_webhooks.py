"""End to end over HTTP: a buyer pays on localstripe, which delivers the signed event to our live server."""

from __future__ import annotations

import time

import pytest

from payments.gateway import WebhookEvent, gateway
from payments.models import ProviderEvent

pytestmark = pytest.mark.django_db(transaction=True)

DELIVERY_TIMEOUT_SECONDS = 8  # localstripe sends each event about a second after it happens


def wait_for_event(event_type: str, object_id: str) -> ProviderEvent:
    deadline = time.monotonic() + DELIVERY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        event = ProviderEvent.objects.filter(type=event_type, object_id=object_id).first()
        if event is not None and event.outcome != ProviderEvent.Outcome.PROCESSING:
            return event
        time.sleep(0.1)
    raise AssertionError(f"no {event_type} for {object_id} within {DELIVERY_TIMEOUT_SECONDS} s")


def test_localstripe_delivers_payment_intent_succeeded_and_it_is_recorded_and_handled(
    localstripe_webhooks, recorded_events
):
    intent = gateway().create_payment_intent(
        amount_minor=125000, currency="USD", idempotency_key="deposit:42:create", metadata={"deposit": "42"}
    )

    localstripe_webhooks.pay(intent.id, "pm_card_visa")
    event = wait_for_event("payment_intent.succeeded", intent.id)

    assert event.outcome == ProviderEvent.Outcome.PROCESSED
    assert event.object_type == "payment_intent"
    assert event.payload["data"]["object"]["metadata"] == {"deposit": "42"}
    assert WebhookEvent(event.event_id, "payment_intent.succeeded", intent.id, "payment_intent") in recorded_events
    assert ProviderEvent.objects.filter(event_id=event.event_id).count() == 1


def test_localstripe_delivers_payment_intent_payment_failed_for_a_declined_card(localstripe_webhooks, recorded_events):
    intent = gateway().create_payment_intent(
        amount_minor=5000, currency="PEN", idempotency_key="deposit:43:create", metadata={"deposit": "43"}
    )

    localstripe_webhooks.pay(intent.id, "pm_card_chargeCustomerFail")
    event = wait_for_event("payment_intent.payment_failed", intent.id)

    assert event.outcome == ProviderEvent.Outcome.PROCESSED
    assert gateway().retrieve_payment_intent(event.object_id).status == "requires_payment_method"
