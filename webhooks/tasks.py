"""The webhooks' work on the queue: the dispatcher on Celery beat (`webhooks.dispatch`, every
WEBHOOKS_DISPATCH_SECONDS) and one job per delivery (`webhooks.deliver`), retried for about three days: 21 attempts,
1 minute doubling to 8 hours with equal jitter, so the last attempt comes 2 to 4 days (3 on average) after the
first. docs/webhooks.md."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task

from jobs.registry import job
from webhooks import services
from webhooks.services import DELIVER_MAX_ATTEMPTS


@shared_task(name="webhooks.dispatch", ignore_result=True)
def dispatch() -> int:
    return services.dispatch_events().deliveries


@job(
    "webhooks.deliver",
    max_attempts=DELIVER_MAX_ATTEMPTS,
    first_delay=timedelta(minutes=1),
    max_delay=timedelta(hours=8),
    lease=timedelta(minutes=2),
)
def deliver(*, delivery: str) -> None:
    outcome = services.deliver(delivery)
    if outcome == "retry":
        raise services.DeliveryFailed(f"Delivery {delivery} was not accepted; it is tried again later.")
