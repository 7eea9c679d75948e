from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from jobs import services


class Command(BaseCommand):
    help = (
        "Run the jobs that are due and have no worker: in process when no broker is configured (a developer's "
        "machine: jobs whose first attempt failed come back here), or put them on the queue again. --loop repeats "
        "every few seconds until interrupted."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loop", action="store_true", help="Repeat until interrupted.")
        parser.add_argument("--every", type=float, default=5.0, help="Seconds between two rounds with --loop.")

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            count = services.sweep()
            verb = "ran" if services.in_process() else "sent to the queue"
            self.stdout.write(f"{count} jobs {verb}.")
            if not options["loop"]:
                return
            time.sleep(options["every"])
