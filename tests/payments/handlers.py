"""Event handlers for PAYMENTS_EVENT_HANDLER in tests: they record what they are given."""

from __future__ import annotations

import threading
import time

from payments.gateway import WebhookEvent

CALLS: list[WebhookEvent] = []
_lock = threading.Lock()


def reset() -> None:
    with _lock:
        CALLS.clear()


def record(event: WebhookEvent) -> None:
    with _lock:
        CALLS.append(event)


def record_slowly(event: WebhookEvent) -> None:
    """Takes a while, as a handler that re-reads the intent from Stripe does: concurrent deliveries overlap."""
    time.sleep(0.3)
    record(event)


def fail(event: WebhookEvent) -> None:
    raise RuntimeError(f"the deposit for {event.object_id} could not be updated")
