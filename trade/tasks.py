"""Trade's scheduled jobs (settings.CELERY_BEAT_SCHEDULE): the same work as its management commands."""

from __future__ import annotations

import logging

from jobs.registry import job
from payments.gateway import payments_configured
from trade.deposits.stripe_sync import deposits_reconcile
from trade.notices import inquiries_notify_listing_changes

logger = logging.getLogger(__name__)


@job("trade.send_trade_notices", max_attempts=5)
def send_trade_notices() -> None:
    inquiries_notify_listing_changes()  # each change told once: a repeated run tells nobody twice


@job("trade.reconcile_deposits", max_attempts=1)
def reconcile_deposits() -> None:
    # One attempt: the next run is five minutes away and does the same (same idempotency keys at Stripe).
    if not payments_configured():
        logger.info("Stripe is not configured: no deposit to reconcile")
        return
    for line in deposits_reconcile():
        logger.info("reconcile_deposits: %s", line)
