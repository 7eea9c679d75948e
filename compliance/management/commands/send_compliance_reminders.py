from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from compliance.reminders import send_compliance_reminders


class Command(BaseCommand):
    help = (
        "Remind producers and buyers 60, 30 and 7 days before an approved document lapses, and on the day it "
        "lapses; and buyers before their KYC verification lapses (at the KYC policy's thresholds). Safe to run "
        "as often as you like (daily from cron): nothing is sent twice."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--today", type=dt.date.fromisoformat, help="Run as if today were this date (YYYY-MM-DD).")

    def handle(self, *args: Any, **options: Any) -> None:
        sent = send_compliance_reminders(today=options.get("today"))
        self.stdout.write(f"{sent} reminders sent.")
