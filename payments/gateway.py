"""The one place that talks to Stripe.

`gateway()` gives the `StripeGateway` for the current settings. Its operations take and return plain
values (frozen dataclasses of str and int), never Stripe objects, and raise the errors of `payments.errors`,
never Stripe's. Amounts are integer minor units; currency codes go out lowercase (as Stripe wants them) and
come back uppercase (ISO 4217, as the rest of the API writes them).

Stripe is never called inside an open database transaction (docs/architecture.md, conventions): a call can take
seconds, and a transaction that rolls back after Stripe charged a card forgets money that moved. The gateway
refuses such a call with a `RuntimeError` (a programming error, not a client's).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from typing import Any, NoReturn

import stripe
from django.conf import settings
from django.db import connection

from payments.errors import (
    DEFAULT_RETRY_AFTER_SECONDS,
    PaymentDeclined,
    PaymentProviderUnavailable,
    PaymentRequestInvalid,
    PaymentsNotConfigured,
    WebhookPayloadInvalid,
    WebhookSignatureInvalid,
)

logger = logging.getLogger(__name__)

# Every request says which API version it was written for, so a change of the account's default version in
# the Stripe dashboard never changes what this code receives. Upgrade on purpose, with the tests.
STRIPE_API_VERSION = "2026-10-28.endive"
# Deposits are paid by card only. stripe-python 16.1.0 types this create parameter as
# `allowed_payment_method_types` for the pinned version, while localstripe (the tests' Stripe) accepts only
# `payment_method_types` and answers 400 to the other. We send `payment_method_types`, which the tests prove
# end to end; check it against Stripe's test mode before taking live payments (see the README).
PAYMENT_METHOD_TYPES = ["card"]
# Stripe's limit for an idempotency key.
IDEMPOTENCY_KEY_MAX_LENGTH = 255
# A webhook signed longer ago than this is refused (Stripe's own default): a captured request cannot be
# replayed later.
WEBHOOK_TOLERANCE_SECONDS = 300


@dataclass(frozen=True)
class Intent:
    """A PaymentIntent as the rest of the project sees it."""

    id: str
    status: str  # requires_payment_method, requires_confirmation, requires_action, processing, succeeded, canceled
    amount: int  # minor units
    amount_received: int  # minor units actually captured
    currency: str  # ISO 4217, uppercase
    client_secret: str | None  # handed to the buyer's browser to confirm the payment; None when Stripe omits it
    metadata: Mapping[str, str] = field(default_factory=dict)
    last_payment_error: str | None = None  # why the last attempt failed (card_declined...); None if none did

    @property
    def succeeded(self) -> bool:
        return self.status == "succeeded"


@dataclass(frozen=True)
class Refund:
    id: str
    status: str  # pending, requires_action, succeeded, failed, canceled
    amount: int  # minor units
    currency: str  # ISO 4217, uppercase
    payment_intent_id: str | None


@dataclass(frozen=True)
class WebhookEvent:
    """A verified event, as the `PAYMENTS_EVENT_HANDLER` receives it: re-read the object, never trust the body."""

    event_id: str  # evt_...
    type: str  # payment_intent.succeeded, charge.refunded...
    object_id: str  # the id of the object the event is about (pi_..., ch_...); "" if it has none
    object_type: str  # its kind (payment_intent, charge...); "" if it has none


def payments_configured() -> bool:
    """True when this server has a Stripe secret key. Callers answer `PaymentsNotConfigured` (503) otherwise."""
    return bool(settings.STRIPE_SECRET_KEY)


def gateway() -> StripeGateway:
    """The gateway for the current settings; raises `PaymentsNotConfigured` when there is no secret key."""
    if not payments_configured():
        raise PaymentsNotConfigured()
    return _gateway_for(
        settings.STRIPE_SECRET_KEY,
        settings.STRIPE_API_BASE or None,
        float(settings.STRIPE_TIMEOUT_SECONDS),
        int(settings.STRIPE_MAX_NETWORK_RETRIES),
    )


@cache
def _gateway_for(secret_key: str, api_base: str | None, timeout: float, retries: int) -> StripeGateway:
    """One gateway (and so one pool of HTTP connections) per configuration, kept for the process's life."""
    return StripeGateway(secret_key=secret_key, api_base=api_base, timeout_seconds=timeout, max_network_retries=retries)


class StripeGateway:
    def __init__(
        self,
        *,
        secret_key: str,
        api_base: str | None = None,
        timeout_seconds: float = 10,
        max_network_retries: int = 2,
    ) -> None:
        self.timeout_seconds = timeout_seconds
        self._client = stripe.StripeClient(
            secret_key,
            stripe_version=STRIPE_API_VERSION,
            base_addresses={"api": api_base} if api_base else None,
            max_network_retries=max_network_retries,
            http_client=stripe.RequestsClient(timeout=timeout_seconds),
        )

    def create_payment_intent(
        self, *, amount_minor: int, currency: str, idempotency_key: str, metadata: Mapping[str, str]
    ) -> Intent:
        """A card payment captured as soon as the buyer confirms it (a hold would lapse after about 7 days).

        Only parameters that localstripe (the tests' Stripe) accepts are sent: amount, currency,
        payment_method_types, capture_method and metadata. `idempotency_key` must be derived from our own
        ids and stored before the call (`deposit:<id>:create`), so a retry after a timeout gets the same intent.
        """
        if amount_minor <= 0:
            raise ValueError("amount_minor must be positive")
        _check_idempotency_key(idempotency_key)
        with _provider_errors("create_payment_intent"):
            intent = self._client.v1.payment_intents.create(
                params={  # type: ignore[typeddict-unknown-key]  # see PAYMENT_METHOD_TYPES
                    "amount": amount_minor,
                    "currency": currency.lower(),
                    "payment_method_types": PAYMENT_METHOD_TYPES,
                    "capture_method": "automatic",
                    "metadata": dict(metadata),
                },
                options={"idempotency_key": idempotency_key},
            )
        return _intent(intent)

    def retrieve_payment_intent(self, intent_id: str) -> Intent:
        with _provider_errors("retrieve_payment_intent"):
            intent = self._client.v1.payment_intents.retrieve(intent_id)
        return _intent(intent)

    def cancel_payment_intent(self, intent_id: str) -> Intent:
        """Cancel an intent that was not paid. A paid one is refused (`PaymentRequestInvalid`): refund it."""
        with _provider_errors("cancel_payment_intent"):
            intent = self._client.v1.payment_intents.cancel(intent_id)
        return _intent(intent)

    def refund(self, *, payment_intent_id: str, amount_minor: int | None, idempotency_key: str) -> Refund:
        """Refund `amount_minor` of a paid intent, or all that is left of it when `amount_minor` is None."""
        if amount_minor is not None and amount_minor <= 0:
            raise ValueError("amount_minor must be positive")
        _check_idempotency_key(idempotency_key)
        params: dict[str, Any] = {"payment_intent": payment_intent_id}
        if amount_minor is not None:
            params["amount"] = amount_minor
        with _provider_errors("refund"):
            refund = self._client.v1.refunds.create(params=params, options={"idempotency_key": idempotency_key})  # type: ignore[arg-type]
        return _refund(refund)


def verify_webhook(*, payload: bytes, signature: str | None) -> tuple[WebhookEvent, dict[str, Any]]:
    """Check the `Stripe-Signature` of a webhook body against STRIPE_WEBHOOK_SECRET, then read it.

    Returns the event's summary and the whole event as plain JSON data (to store). Raises
    `PaymentsNotConfigured` without a signing secret, `WebhookSignatureInvalid` for a missing, wrong or
    stale signature, `WebhookPayloadInvalid` for a signed body that is not an event.
    """
    secret = settings.STRIPE_WEBHOOK_SECRET
    if not secret:
        raise PaymentsNotConfigured()
    if not signature:
        raise WebhookSignatureInvalid()
    try:
        event = stripe.Webhook.construct_event(payload, signature, secret, tolerance=WEBHOOK_TOLERANCE_SECONDS)
    except stripe.SignatureVerificationError as exc:
        raise WebhookSignatureInvalid() from exc
    except (ValueError, AttributeError) as exc:  # bad JSON or UTF-8 (ValueError); JSON that is no object
        raise WebhookPayloadInvalid() from exc
    data = event.to_dict(for_json=True)
    event_id, event_type = data.get("id"), data.get("type")
    inner = data.get("data")
    subject = inner.get("object") if isinstance(inner, dict) else None
    if not (isinstance(event_id, str) and event_id and isinstance(event_type, str) and event_type):
        raise WebhookPayloadInvalid()
    if not isinstance(subject, dict):
        raise WebhookPayloadInvalid()
    object_id, object_type = subject.get("id"), subject.get("object")
    summary = WebhookEvent(
        event_id=event_id,
        type=event_type,
        object_id=object_id if isinstance(object_id, str) else "",
        object_type=object_type if isinstance(object_type, str) else "",
    )
    return summary, data


# --- Internals ------------------------------------------------------------------------------------
def _check_idempotency_key(key: str) -> None:
    if not key or len(key) > IDEMPOTENCY_KEY_MAX_LENGTH:
        raise ValueError(f"an idempotency key has 1 to {IDEMPOTENCY_KEY_MAX_LENGTH} characters")


def _ensure_outside_transaction() -> None:
    # The tests wrap each test in a transaction of their own (marked `_from_testcase` by Django): only the
    # application's own atomic blocks count.
    if any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks):
        raise RuntimeError("Stripe is never called inside an open transaction: commit first, then call.")


def _id_of(value: Any) -> str | None:
    """An id, whether Stripe sent the id or the expanded object."""
    if value is None or isinstance(value, str):
        return value
    return str(value["id"]) if isinstance(value, dict) else None


def _intent(intent: Any) -> Intent:
    data = intent.to_dict()  # a StripeObject is no dict: read its plain data
    return Intent(
        id=data["id"],
        status=str(data["status"]),
        amount=int(data["amount"]),
        amount_received=_amount_received(data),
        currency=str(data["currency"]).upper(),
        client_secret=data.get("client_secret"),
        metadata={str(key): str(value) for key, value in (data.get("metadata") or {}).items()},
        last_payment_error=(data.get("last_payment_error") or {}).get("code"),
    )


def _amount_received(intent: dict[str, Any]) -> int:
    if intent.get("amount_received") is not None:
        return int(intent["amount_received"])
    # localstripe (the tests' Stripe) leaves the field out: derive it from the captured charge.
    charge = intent.get("latest_charge")
    if isinstance(charge, dict) and charge.get("captured") and charge.get("status") == "succeeded":
        return int(charge["amount"])
    return 0


def _refund(refund: Any) -> Refund:
    data = refund.to_dict()
    return Refund(
        id=data["id"],
        status=str(data["status"]),
        amount=int(data["amount"]),
        currency=str(data["currency"]).upper(),
        payment_intent_id=_id_of(data.get("payment_intent")),
    )


@contextmanager
def _provider_errors(operation: str) -> Iterator[None]:
    """Turn Stripe's exceptions into ours, and log what Stripe said (it is never shown to clients)."""
    _ensure_outside_transaction()
    try:
        yield
    except stripe.StripeError as exc:
        _raise_domain_error(operation, exc)


def _raise_domain_error(operation: str, exc: stripe.StripeError) -> NoReturn:
    details = {"operation": operation, "http_status": exc.http_status, "code": exc.code, "request_id": exc.request_id}
    if isinstance(exc, stripe.CardError):
        logger.info("Stripe declined a card: %s %s", details, exc.user_message)
        raise PaymentDeclined(decline_code=getattr(exc, "decline_code", None) or exc.code) from exc
    if isinstance(exc, stripe.RateLimitError):
        logger.warning("Stripe rate limit: %s", details)
        raise PaymentProviderUnavailable(retry_after=_retry_after(exc)) from exc
    if isinstance(exc, (stripe.APIConnectionError, stripe.APIError)):
        logger.warning("Stripe unavailable: %s %s", details, exc.user_message or exc)
        raise PaymentProviderUnavailable() from exc
    if isinstance(exc, (stripe.AuthenticationError, stripe.PermissionError)):
        logger.error("Stripe refused our secret key: %s", details)
        raise PaymentsNotConfigured() from exc
    if isinstance(exc, (stripe.InvalidRequestError, stripe.IdempotencyError)):
        logger.warning("Stripe refused a request: %s %s", details, exc.user_message or exc)
        raise PaymentRequestInvalid(provider_code=exc.code or type(exc).__name__) from exc
    logger.error("Stripe answered an unexpected error: %s %r", details, exc)
    raise PaymentProviderUnavailable() from exc


def _retry_after(exc: stripe.StripeError) -> int:
    value = (exc.headers or {}).get("Retry-After") or (exc.headers or {}).get("retry-after")
    try:
        return max(1, int(value)) if value else DEFAULT_RETRY_AFTER_SECONDS
    except ValueError:
        return DEFAULT_RETRY_AFTER_SECONDS
