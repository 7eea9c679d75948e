"""How each of Stripe's errors reaches a client: status, stable code, and what it may do next.

Stripe's exceptions are built by hand here (localstripe cannot time out, rate-limit or refuse a key the way
Stripe does); the calls over HTTP are in test_gateway.py.
"""

from __future__ import annotations

import pytest
import stripe
from django.utils import translation

from core.errors import problem_exception_handler
from payments.gateway import _raise_domain_error


def render(exc: stripe.StripeError):
    with pytest.raises(Exception) as raised:
        _raise_domain_error("test", exc)
    response = problem_exception_handler(raised.value, {})
    assert response is not None
    assert raised.value.__cause__ is exc
    return response


def test_a_declined_card_is_402_with_the_decline_code():
    response = render(
        stripe.CardError("Your card was declined.", "card", "card_declined", http_status=402, json_body={})
    )

    assert response.status_code == 402
    assert response.data["code"] == "payment_declined"
    assert response.data["title"] == "Payment required"
    assert response.data["decline_code"] == "card_declined"


@pytest.mark.parametrize(
    "exc",
    [
        stripe.APIConnectionError("Connection refused"),
        stripe.APIError("Internal error", http_status=500),
    ],
    ids=["network", "stripe 5xx"],
)
def test_an_outage_is_503_with_retry_after(exc):
    response = render(exc)

    assert response.status_code == 503
    assert response.data["code"] == "payment_provider_unavailable"
    assert response["Retry-After"] == "5"
    assert response.data["retry_after"] == 5


def test_a_rate_limit_is_503_and_keeps_stripes_retry_after():
    response = render(stripe.RateLimitError("Too many requests", http_status=429, headers={"Retry-After": "12"}))

    assert response.status_code == 503
    assert response["Retry-After"] == "12"


@pytest.mark.parametrize(
    "exc",
    [stripe.AuthenticationError("Invalid API Key", http_status=401), stripe.PermissionError("No", http_status=403)],
    ids=["bad key", "restricted key"],
)
def test_a_refused_key_is_503_payments_not_configured(exc):
    response = render(exc)

    assert response.status_code == 503
    assert response.data["code"] == "payments_not_configured"


def test_a_refused_request_is_409_with_stripes_code_and_without_its_message():
    exc = stripe.InvalidRequestError(
        "This PaymentIntent's amount could not be updated because it has a status of succeeded.",
        "amount",
        code="payment_intent_unexpected_state",
        http_status=400,
    )

    response = render(exc)

    assert response.status_code == 409
    assert response.data["code"] == "payment_request_invalid"
    assert response.data["provider_code"] == "payment_intent_unexpected_state"
    assert "status of succeeded" not in response.data["detail"]


def test_the_problems_speak_spanish_when_asked():
    with translation.override("es"):
        response = render(stripe.CardError("Declined", "card", "card_declined", http_status=402))
        detail, title = str(response.data["detail"]), str(response.data["title"])

    assert "tarjeta" in detail.lower()
    assert title == "Pago requerido"
