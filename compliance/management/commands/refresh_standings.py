from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from compliance.standing import standings_disagreeing, standings_refresh


class Command(BaseCommand):
    help = (
        "Recompute every organisation's stored compliance verdict (what search reads) from its evidence. The "
        "services keep the verdicts current; run this after loading data by hand or deploying a catalogue "
        "change. With --check, change nothing and fail if any stored verdict differs from the engine's."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--check", action="store_true", help="Only compare; exit 1 on a difference.")
        parser.add_argument("--today", type=dt.date.fromisoformat, help="Run as if today were this date (YYYY-MM-DD).")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["check"]:
            disagreeing = standings_disagreeing(today=options.get("today"))
            if disagreeing:
                shown = ", ".join(str(pk) for pk in disagreeing[:10])
                raise CommandError(f"{len(disagreeing)} organisations' stored verdicts differ from the engine: {shown}")
            self.stdout.write("Every stored verdict agrees with the engine.")
            return
        count = standings_refresh(today=options.get("today"))
        self.stdout.write(f"{count} organisations' verdicts refreshed.")
