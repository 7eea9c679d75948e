from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from trade.notices import inquiries_notify_listing_changes


class Command(BaseCommand):
    help = (
        "Tell buyers with an open inquiry when the listing they asked about stops being offered (a lapse, a "
        "pause, sold out) and when it is offered again. Run daily from cron, after midnight in Lima, next to "
        "send_compliance_reminders; safe to repeat: each change is told once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--today", type=dt.date.fromisoformat, help="Run as if today were this date (YYYY-MM-DD).")

    def handle(self, *args: Any, **options: Any) -> None:
        told = inquiries_notify_listing_changes(today=options.get("today"))
        self.stdout.write(f"{told} buyers told.")
