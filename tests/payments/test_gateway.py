"""The Stripe gateway against localstripe over HTTP: intents, a buyer paying, declines, refunds, cancels, outages."""

from __future__ import annotations

import socket
import time

import pytest
from django.db import transaction

from core.errors import problem_exception_handler
from payments.errors import (
    PaymentProviderUnavailable,
    PaymentRequestInvalid,
    PaymentsNotConfigured,
)
from payments.gateway import Intent, gateway, payments_configured

DEPOSIT = {"deposit": "42", "contract": "17"}


def create(amount_minor: int = 125000, currency: str = "USD", key: str = "deposit:42:create") -> Intent:
    return gateway().create_payment_intent(
        amount_minor=amount_minor, currency=currency, idempotency_key=key, metadata=DEPOSIT
    )


def closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_new_intent_waits_for_the_buyers_card(stripe_on_localstripe):
    intent = create(125000, "USD")

    assert intent.id.startswith("pi_")
    assert intent.status == "requires_payment_method"
    assert (intent.amount, intent.amount_received, intent.currency) == (125000, 0, "USD")
    assert intent.client_secret is not None
    assert intent.client_secret.startswith(f"{intent.id}_secret_")
    assert dict(intent.metadata) == DEPOSIT
    assert not intent.succeeded


def test_a_buyer_pays_with_a_card_and_the_intent_reads_succeeded(stripe_on_localstripe):
    intent = create(250000, "PEN")

    paid = stripe_on_localstripe.pay(intent.id, "pm_card_visa")
    again = gateway().retrieve_payment_intent(intent.id)

    assert paid["status"] == "succeeded"
    assert again.status == "succeeded"
    assert again.succeeded
    assert (again.amount, again.amount_received, again.currency) == (250000, 250000, "PEN")
    assert again.last_payment_error is None


def test_a_declined_card_leaves_the_intent_waiting_for_another_card(stripe_on_localstripe):
    intent = create()

    answer = stripe_on_localstripe.pay(intent.id, "pm_card_chargeCustomerFail")
    again = gateway().retrieve_payment_intent(intent.id)

    assert answer["status_code"] == 402
    assert answer["error"]["code"] == "card_declined"
    assert again.status == "requires_payment_method"
    assert again.amount_received == 0
    assert again.last_payment_error == "card_declined"


def test_a_partial_refund_returns_part_of_a_paid_intent(stripe_on_localstripe):
    intent = create(125000)
    stripe_on_localstripe.pay(intent.id)

    refund = gateway().refund(payment_intent_id=intent.id, amount_minor=25000, idempotency_key="deposit:42:refund:1")

    assert refund.id.startswith("re_")
    assert (refund.status, refund.amount, refund.currency) == ("succeeded", 25000, "USD")
    assert refund.payment_intent_id == intent.id


def test_a_full_refund_returns_the_whole_amount(stripe_on_localstripe):
    intent = create(80000, "PEN")
    stripe_on_localstripe.pay(intent.id)

    refund = gateway().refund(payment_intent_id=intent.id, amount_minor=None, idempotency_key="deposit:43:refund:1")

    assert (refund.status, refund.amount, refund.currency) == ("succeeded", 80000, "PEN")


def test_an_unpaid_intent_can_be_cancelled(stripe_on_localstripe):
    intent = create()

    cancelled = gateway().cancel_payment_intent(intent.id)

    assert cancelled.status == "canceled"
    assert gateway().retrieve_payment_intent(intent.id).status == "canceled"


def test_cancelling_a_paid_intent_is_refused_as_a_conflict(stripe_on_localstripe):
    intent = create()
    stripe_on_localstripe.pay(intent.id)

    with pytest.raises(PaymentRequestInvalid) as refused:
        gateway().cancel_payment_intent(intent.id)

    assert (refused.value.status, refused.value.code) == (409, "payment_request_invalid")
    assert gateway().retrieve_payment_intent(intent.id).status == "succeeded"


def test_an_intent_stripe_does_not_know_is_refused(stripe_on_localstripe):
    with pytest.raises(PaymentRequestInvalid):
        gateway().retrieve_payment_intent("pi_NeverCreated")


def test_a_key_stripe_refuses_reads_as_payments_not_configured(stripe_on_localstripe, settings):
    settings.STRIPE_SECRET_KEY = "rk_not_a_secret_key"

    with pytest.raises(PaymentsNotConfigured):
        create()


def test_a_provider_that_does_not_answer_is_unavailable_within_the_timeout(settings):
    settings.STRIPE_SECRET_KEY = "sk_test_down"
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{closed_port()}"
    settings.STRIPE_TIMEOUT_SECONDS = 3
    started = time.monotonic()

    with pytest.raises(PaymentProviderUnavailable) as unavailable:
        create()

    assert time.monotonic() - started < settings.STRIPE_TIMEOUT_SECONDS
    assert (unavailable.value.status, unavailable.value.code) == (503, "payment_provider_unavailable")
    response = problem_exception_handler(unavailable.value, {})
    assert response is not None
    assert response.status_code == 503
    assert response["Retry-After"] == str(unavailable.value.retry_after)
    assert response.data["code"] == "payment_provider_unavailable"


def test_without_a_secret_key_payments_are_not_configured(settings):
    settings.STRIPE_SECRET_KEY = ""

    assert payments_configured() is False
    with pytest.raises(PaymentsNotConfigured) as refused:
        gateway()

    response = problem_exception_handler(refused.value, {})
    assert response is not None
    assert response.status_code == 503
    assert response.content_type == "application/problem+json"
    assert response.data["code"] == "payments_not_configured"
    assert "Retry-After" not in response


def test_with_a_secret_key_payments_are_configured(settings):
    settings.STRIPE_SECRET_KEY = "sk_test_configured"

    assert payments_configured() is True


@pytest.mark.django_db
def test_stripe_is_never_called_inside_an_open_transaction(stripe_on_localstripe):
    intent = create()  # outside: fine

    with pytest.raises(RuntimeError, match="never called inside an open transaction"), transaction.atomic():
        gateway().retrieve_payment_intent(intent.id)


@pytest.mark.parametrize(
    ("amount_minor", "key"),
    [(0, "deposit:1:create"), (-5, "deposit:1:create"), (100, ""), (100, "k" * 256)],
    ids=["zero", "negative", "no key", "key too long"],
)
def test_create_refuses_a_wrong_amount_or_key_before_calling(amount_minor, key, settings):
    settings.STRIPE_SECRET_KEY = "sk_test_never_called"
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{closed_port()}"

    with pytest.raises(ValueError):
        gateway().create_payment_intent(amount_minor=amount_minor, currency="USD", idempotency_key=key, metadata={})
