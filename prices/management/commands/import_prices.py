"""Load LBMA fixes or USD/PEN rates from a CSV file into the price table.

    manage.py import_prices fixes.csv --kind fixes --source "LBMA, lbma.org.uk" --by ops@example.org
    manage.py import_prices rates.csv --kind rates --source "SBS, tipo de cambio venta" --by ops@example.org

Headers: `date,benchmark,usd_per_troy_ounce` (fixes) and `date,base,quote,rate` (rates); `--sample` marks every
figure as a sample (demo data, never a real fix). One bad line refuses the whole file: every bad line is printed
with its number and why, nothing is written and the command exits with status 1. Lines already recorded with
the same figure are skipped and counted. The import is audited under the staff user named by `--by`
(`prices/imports.py`, docs/prices.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.actor import Actor
from core.errors import DomainError
from prices.imports import KINDS, ImportRefused, prices_import

MAX_FILE_BYTES = 10 * 1024 * 1024


def staff_actor(email: str) -> Actor:
    user = get_user_model().objects.filter(email__iexact=email.strip(), is_active=True).first()
    if user is None:
        raise CommandError(f"--by {email}: no active user with that e-mail")
    if not user.is_staff:
        raise CommandError(f"--by {email}: only staff record prices")
    return Actor(user)


class Command(BaseCommand):
    help = "Import LBMA fixes or exchange rates from a CSV file (all lines or none)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="the CSV file")
        parser.add_argument("--kind", required=True, choices=KINDS, help="fixes or rates")
        parser.add_argument("--source", required=True, help='where the figures were read, e.g. "LBMA, lbma.org.uk"')
        parser.add_argument("--by", required=True, help="e-mail of the staff user importing them")
        parser.add_argument("--sample", action="store_true", help="mark every figure as a sample (demo data)")

    def handle(self, *args: Any, path: Path, kind: str, source: str, by: str, sample: bool, **options: Any) -> None:
        actor = staff_actor(by)
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                raise CommandError(f"{path}: larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"{path}: cannot read it ({exc})") from exc
        try:
            result = prices_import(actor=actor, kind=kind, data=data, source=source, sample=sample, file_name=path.name)
        except ImportRefused as refused:
            for problem in refused.problems:
                where = f"line {problem.number}" if problem.number else "file"
                self.stderr.write(f"{path.name}, {where}: {problem.why}")
            raise CommandError(f"{path.name}: {len(refused.problems)} bad line(s); nothing was written.") from None
        except DomainError as exc:
            why = "; ".join(f"--{error['field']}: {error['message']}" for error in exc.errors or []) or exc.detail
            raise CommandError(f"{why} Nothing was written.") from exc
        label = "sample " if sample else ""
        self.stdout.write(
            f"{path.name}: {result.created} {label}{kind} recorded, {result.skipped} already recorded and skipped "
            f"(sha256 {result.sha256[:12]}…)."
        )
