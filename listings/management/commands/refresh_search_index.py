from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from listings import search_index


class Command(BaseCommand):
    help = (
        "Rebuild the search read model (one row per listing search can return) from the listings, the stored "
        "compliance verdicts, the red flags and the price table. The services keep it current; run this after "
        "loading data by hand. --due: the daily look after midnight in Lima (rows a later policy version may "
        "offer again, rows lapsed for good, the indicative prices). --check: change nothing and fail if a row "
        "differs from a computation from scratch."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--check", action="store_true", help="Only compare; exit 1 on a difference.")
        group.add_argument("--due", action="store_true", help="Only the daily look.")
        parser.add_argument("--today", type=dt.date.fromisoformat, help="Check as if today were this date.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["check"]:
            differences = search_index.check(today=options.get("today"))
            if differences:
                shown = "\n".join(differences[:20])
                raise CommandError(f"{len(differences)} differences in the search read model:\n{shown}")
            self.stdout.write("The search read model agrees with a computation from scratch.")
            return
        if options["due"]:
            counts = search_index.refresh_due(today=options.get("today"))
            self.stdout.write(
                f"{counts['rechecked']} rows looked at again, {counts['lapsed']} lapsed rows removed, "
                f"{counts['priced']} indicative prices refreshed."
            )
            return
        self.stdout.write(f"{search_index.producers_changed()} rows written.")
