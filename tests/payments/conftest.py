"""Payments tests: localstripe on loopback (tests/localstripe_server.py) and signed webhook deliveries."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.localstripe_server import (  # noqa: F401  (fixtures)
    WEBHOOK_PATH,
    WEBHOOK_SECRET,
    localstripe,
    localstripe_webhooks,
    stripe_on_localstripe,
)
from tests.payments import handlers


def sign(body: bytes, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """A `Stripe-Signature` header computed as Stripe documents it (not with the stripe library under test)."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def stripe_event(
    event_type: str = "payment_intent.succeeded", *, event_id: str | None = None, object_id: str = "pi_3Deposit1"
) -> bytes:
    """The body of an event as Stripe sends it (the fields we read, and some we do not)."""
    event = {
        "id": event_id or f"evt_{uuid.uuid4().hex[:24]}",
        "object": "event",
        "api_version": "2026-10-28.endive",
        "created": int(time.time()),
        "livemode": False,
        "pending_webhooks": 1,
        "type": event_type,
        "data": {
            "object": {
                "id": object_id,
                "object": "payment_intent" if object_id.startswith("pi_") else "charge",
                "amount": 125000,
                "currency": "usd",
                "status": "succeeded",
                "metadata": {"deposit": "42"},
            }
        },
    }
    return json.dumps(event, indent=2).encode()


@pytest.fixture(autouse=True)
def _no_event_handler(settings: Any) -> None:
    """These tests are of the Stripe boundary alone: no handler runs unless a test names one (the deposit
    handler that the settings name is tested in tests/trade/)."""
    settings.PAYMENTS_EVENT_HANDLER = None


@pytest.fixture
def webhook_secret(settings: Any) -> str:
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    return WEBHOOK_SECRET


@pytest.fixture
def deliver(client: Any, webhook_secret: str) -> Callable[..., Any]:
    """POST a body to the webhook as Stripe does: raw JSON with a signature header (or the one given)."""

    def post(body: bytes, signature: str | None = "sign", **headers: Any) -> Any:
        if signature == "sign":
            signature = sign(body)
        if signature is not None:
            headers["HTTP_STRIPE_SIGNATURE"] = signature
        return client.post(WEBHOOK_PATH, data=body, content_type="application/json", **headers)

    return post


@pytest.fixture
def recorded_events(settings: Any) -> Iterator[list[Any]]:
    """PAYMENTS_EVENT_HANDLER records each event it receives; the list of them."""
    handlers.reset()
    settings.PAYMENTS_EVENT_HANDLER = "tests.payments.handlers.record"
    yield handlers.CALLS
    handlers.reset()
