from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from compliance.deadlines import validity_deadlines_apply


class Command(BaseCommand):
    help = (
        "Apply the deadlines set by law (ValidityDeadline) that are in force today: approved items granted an "
        "earlier row's deadline count until the one in force (never past the document's expiry), each move "
        "audited, and the stored verdicts of their organisations refreshed. Daily; safe to repeat."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--today", type=dt.date.fromisoformat, help="Run as if today were this date (YYYY-MM-DD).")

    def handle(self, *args: Any, **options: Any) -> None:
        count = validity_deadlines_apply(today=options.get("today"))
        self.stdout.write(f"{count} approved items moved to the deadline in force.")
