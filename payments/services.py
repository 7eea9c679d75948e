"""Receiving provider events: record each one once, run the configured handler once it is recorded.

The handler is named by the setting `PAYMENTS_EVENT_HANDLER` (a dotted path, like `core.extensions`
hooks; None records events and ignores them), so that `trade`, which comes after `payments` in the layer
order, moves deposits without `payments` importing it. The handler receives a `WebhookEvent` (event id,
type, object id, object type) and must be idempotent and move state forward only: Stripe delivers events
more than once and out of order, so it re-reads the PaymentIntent (`gateway().retrieve_payment_intent`)
instead of trusting the event's body. It runs outside any transaction (it may call Stripe) and opens its own.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.module_loading import import_string

from payments.errors import WebhookProcessingFailed
from payments.gateway import WebhookEvent
from payments.models import ProviderEvent

logger = logging.getLogger(__name__)

# A handler that started this long ago and never finished (its process died) may be started again.
LEASE = timedelta(minutes=5)
DUPLICATE = "duplicate"

Outcome = ProviderEvent.Outcome


def event_handler() -> Callable[[WebhookEvent], Any] | None:
    """The function named by PAYMENTS_EVENT_HANDLER, or None. Resolved at each call, so tests may change it."""
    path = getattr(settings, "PAYMENTS_EVENT_HANDLER", None)
    return import_string(path) if path else None


def provider_event_receive(*, event: WebhookEvent, payload: dict[str, Any]) -> str:
    """Record a verified event and run its handler, unless it was already handled or is being handled.

    Returns the outcome: `processed`, `ignored` (no handler configured) or `duplicate` (a replay of an event
    that was handled, or that another request is handling right now: nothing is done).

    If the handler raises, the event is marked `failed` and `WebhookProcessingFailed` (500) is raised: a
    non-2xx answer is how Stripe learns to deliver the event again (live mode retries for up to 3 days), and
    the next delivery runs the handler again. Answering 2xx would drop the event for good and leave the
    deposit to the `reconcile_deposits` sweep. Retrying is safe because handlers are idempotent.
    """
    if not _claim(event, payload):
        return DUPLICATE
    try:
        handler = event_handler()
        if handler is not None:
            handler(event)
    except Exception as exc:
        logger.exception("Handler failed for %s event %s", event.type, event.event_id)
        _finish(event, Outcome.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000])
        raise WebhookProcessingFailed() from exc
    outcome = Outcome.PROCESSED if handler is not None else Outcome.IGNORED
    _finish(event, outcome)
    return str(outcome)


def _claim(event: WebhookEvent, payload: dict[str, Any]) -> bool:
    """Store the event as PROCESSING, or take over a failed or abandoned one; False when it is not ours to run.

    The insert relies on the unique (provider, event id): of two concurrent deliveries one inserts and the
    other gets IntegrityError (PostgreSQL makes it wait for the first to commit), then finds the event
    PROCESSING (or done) and leaves it alone. The take-over is a compare-and-set update for the same reason.
    """
    now = timezone.now()
    try:
        with transaction.atomic():
            ProviderEvent.objects.create(
                provider=ProviderEvent.Provider.STRIPE,
                event_id=event.event_id,
                type=event.type,
                object_id=event.object_id,
                object_type=event.object_type,
                payload=payload,
                outcome=Outcome.PROCESSING,
                attempts=1,
                claimed_at=now,
            )
        return True
    except IntegrityError:
        pass
    runnable = Q(outcome__in=ProviderEvent.RUNNABLE) | Q(outcome=Outcome.PROCESSING, claimed_at__lt=now - LEASE)
    taken = ProviderEvent.objects.filter(
        runnable, provider=ProviderEvent.Provider.STRIPE, event_id=event.event_id
    ).update(outcome=Outcome.PROCESSING, claimed_at=now, attempts=F("attempts") + 1)
    return taken == 1


def _finish(event: WebhookEvent, outcome: str, *, error: str = "") -> None:
    done = outcome in ProviderEvent.DONE
    ProviderEvent.objects.filter(provider=ProviderEvent.Provider.STRIPE, event_id=event.event_id).update(
        outcome=outcome, processed_at=timezone.now() if done else None, last_error=error
    )
