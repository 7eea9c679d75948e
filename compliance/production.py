"""Production declarations: grams produced per site and calendar month, as declared and as confirmed.

A type with `declares_production` (PROD_DECL) carries `production: [{"month": "2026-04", "grams": "2100.000"}]`
(1 to 6 distinct months, none in the future, grams > 0 with at most three decimals). Approving it needs the
reviewer's `confirmed_production` for exactly the same months, each at most what was declared. The mass balance
(provenance) reads `declared_by_site_month`: for each site and month, the confirmed grams of the most recently
approved item still approved. An approved item's validity does not matter here: the gold was produced.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _

from compliance.models import DeclaredProduction, EvidenceStatus
from core import clock
from core.errors import BadRequest
from core.serializers import DECIMAL_TEXT
from core.units import grams

MAX_MONTHS = 6
MONTH_REGEX = r"^([1-9]\d{3})-(0[1-9]|1[0-2])$"  # YYYY-MM from year 1000: the schema publishes it too
MONTH_PATTERN = re.compile(MONTH_REGEX)


def parse_month(value: Any) -> dt.date | None:
    """`"2026-04"` → 2026-04-01; anything else → None."""
    if not isinstance(value, str):
        return None
    match = MONTH_PATTERN.match(value)
    return dt.date(int(match.group(1)), int(match.group(2)), 1) if match else None


def _invalid(field: str, code: str, message: str) -> BadRequest:
    return BadRequest(
        _("Some fields are invalid: see `errors`."),
        code="validation_error",
        errors=[{"field": field, "code": code, "message": message}],
    )


def parse_production(field: str, entries: Any, *, allow_zero: bool = False) -> dict[dt.date, Decimal]:
    """The months of a declaration (or of a confirmation), checked: month → grams, in month order."""
    if not isinstance(entries, list) or not 1 <= len(entries) <= MAX_MONTHS:
        raise _invalid(field, "invalid", _("Give from 1 to %(max)s months.") % {"max": MAX_MONTHS})
    months: dict[dt.date, Decimal] = {}
    this_month = clock.today_lima().replace(day=1)
    for index, entry in enumerate(entries):
        where = f"{field}.{index}"
        if not isinstance(entry, dict) or set(entry) != {"month", "grams"}:
            raise _invalid(where, "invalid", _('Each month is {"month": "YYYY-MM", "grams": "0.000"}.'))
        month = parse_month(entry["month"])
        if month is None:
            raise _invalid(f"{where}.month", "invalid", _("A month is written YYYY-MM."))
        if month > this_month:
            raise _invalid(f"{where}.month", "in_future", _("This month has not happened yet."))
        if month in months:
            raise _invalid(f"{where}.month", "duplicate", _("Each month appears once."))
        if not isinstance(entry["grams"], str) or not DECIMAL_TEXT.fullmatch(entry["grams"]):
            raise _invalid(f"{where}.grams", "invalid", _('Grams are a decimal string, such as "2100.000".'))
        try:
            amount = grams(entry["grams"])
        except ValidationError as error:
            raise _invalid(f"{where}.grams", "invalid", " ".join(error.messages)) from None
        if amount < 0 or (amount == 0 and not allow_zero):
            raise _invalid(f"{where}.grams", "not_positive", _("Grams must be more than zero."))
        months[month] = amount
    return dict(sorted(months.items()))


def check_confirmation(declared: dict[dt.date, Decimal], confirmed: dict[dt.date, Decimal]) -> None:
    """The reviewer confirms every declared month and no other, never more grams than declared."""
    if set(confirmed) != set(declared):
        raise _invalid(
            "confirmed_production",
            "months_differ",
            _("Confirm exactly the declared months: %(months)s.")
            % {"months": ", ".join(f"{m:%Y-%m}" for m in declared)},
        )
    for month, amount in confirmed.items():
        if amount > declared[month]:
            raise _invalid(
                "confirmed_production",
                "more_than_declared",
                _("%(month)s: %(confirmed)s g confirmed is more than the %(declared)s g declared.")
                % {"month": f"{month:%Y-%m}", "confirmed": amount, "declared": declared[month]},
            )


def declared_by_site_month(site_ids: Iterable[Any], months: Sequence[dt.date] | None = None) -> dict[Any, Decimal]:
    """(site id, month) → declared grams: the confirmed grams of the most recently approved item that is
    still approved and covers the month. Site-months with no such item are absent (they have 0)."""
    rows = DeclaredProduction.objects.filter(
        site_id__in=list(site_ids), evidence__status=EvidenceStatus.APPROVED, confirmed_grams__isnull=False
    )
    if months is not None:
        rows = rows.filter(month__in=list(months))
    declared: dict[Any, Decimal] = {}
    ordered = rows.order_by("site_id", "month", "-evidence__decided_at", "-evidence__created_at")
    for site_id, month, confirmed in ordered.values_list("site_id", "month", "confirmed_grams"):
        assert confirmed is not None  # filtered above
        declared.setdefault((site_id, month), confirmed)
    return declared


def covered_only_by(months: Iterable[dt.date]) -> Q:
    """Items none of whose months lies outside `months` (items without months too): what a newer approved
    declaration of the same site may supersede without losing a month the balance still counts."""
    return ~Q(pk__in=DeclaredProduction.objects.exclude(month__in=list(months)).values("evidence_id"))
