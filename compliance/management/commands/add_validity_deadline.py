from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from compliance.deadlines import validity_deadline_add
from core.errors import DomainError


class Command(BaseCommand):
    help = (
        "Record a deadline a norm sets or moves (a decree extending the formalization process) as a new "
        "ValidityDeadline row, audited. It takes effect today or later, never before; a row in force today is "
        "applied at once. The same can be done in the admin."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--code", required=True, help='The deadline\'s name, e.g. "formalization".')
        parser.add_argument("--deadline", required=True, type=dt.date.fromisoformat, help="YYYY-MM-DD")
        parser.add_argument("--effective-from", required=True, type=dt.date.fromisoformat, help="YYYY-MM-DD")
        parser.add_argument("--norm", required=True, help='The norm, e.g. "D.S. 012-2025-EM".')
        parser.add_argument("--source", default="", help="Where it was read (El Peruano, a URL).")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            row = validity_deadline_add(
                actor=None,
                code=options["code"],
                deadline=options["deadline"],
                effective_from=options["effective_from"],
                norm=options["norm"],
                source=options["source"],
            )
        except DomainError as error:
            detail = "; ".join(e["message"] for e in error.errors) if error.errors else str(error.detail)
            raise CommandError(detail) from None
        self.stdout.write(f"Recorded: {row}.")
