from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from payments.gateway import payments_configured
from trade.deposits.stripe_sync import deposits_reconcile


class Command(BaseCommand):
    help = (
        "Finish deposits that webhooks or interrupted requests left unfinished: follow each unpaid deposit's "
        "PaymentIntent, create the missing ones (same idempotency key), retry pending refunds, cancel or refund "
        "deposits of cancelled contracts. Safe to run again at any time (cron it every few minutes)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        if not payments_configured():
            raise CommandError("Stripe is not configured (STRIPE_SECRET_KEY): nothing can be reconciled.")
        lines = deposits_reconcile()
        for line in lines:
            self.stdout.write(line)
        self.stdout.write(self.style.SUCCESS(f"Reconciled: {len(lines)} deposit(s) and refund(s) looked at."))
