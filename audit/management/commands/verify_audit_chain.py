from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.verification import verify_chain


class Command(BaseCommand):
    help = (
        "Recompute the audit chain (or the range --from-seq..--to-seq of it); exit non-zero and name the first "
        "broken link if anything was altered."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from-seq", type=int, default=1, help="First event to check (default 1).")
        parser.add_argument("--to-seq", type=int, default=None, help="Last event to check (default: the newest).")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["from_seq"] < 1:
            raise CommandError("--from-seq starts at 1.")
        report = verify_chain(from_seq=options["from_seq"], to_seq=options["to_seq"])
        if not report.ok:
            raise CommandError(
                f"Audit chain BROKEN at event #{report.broken_at}: {report.reason} "
                f"({report.checked} events verified before it)."
            )
        self.stdout.write(self.style.SUCCESS(f"Audit chain OK: {report.checked} events, head {report.head}."))
