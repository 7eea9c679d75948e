"""Loading many fixes or rates at once from a CSV file (`manage.py import_prices`, docs/prices.md).

The file is UTF-8 text with a header line: `date,benchmark,usd_per_troy_ounce` for fixes, `date,base,quote,rate`
for rates. Lines starting with `#` are comments and blank lines are skipped. Dates are written `YYYY-MM-DD`;
figures with digits and a point, at most 3 decimal places for a price and 6 for a rate, as the bulletin gives
them (a value a spreadsheet turned into `2650.3499999999999` or `2.65035e3` is refused, never rounded).

Reading is all or nothing: every bad line is reported with its number and why (a bad date, a day that has not
begun, an unknown benchmark or currency, a figure that is not an exact positive decimal, a day given twice,
a day already recorded with another figure), and one bad line refuses the whole file with nothing written.
A line whose figure is already recorded for its day is skipped and counted, so a file can be loaded again.
What is written gets one audit event, `prices.file.imported`, with the counts, the file's SHA-256 and the
source; a file that adds nothing records nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from audit.services import audit_record
from core import clock
from core.actor import Actor
from core.errors import BadRequest, Conflict
from core.money import Currency
from prices.calendar import today_london
from prices.models import Benchmark, ExchangeRate, MetalPrice
from prices.services import PRICE_MAX, RATE_MAX, clean_source, require_staff

KINDS = ("fixes", "rates")
HEADERS = {
    "fixes": ("date", "benchmark", "usd_per_troy_ounce"),
    "rates": ("date", "base", "quote", "rate"),
}
MAX_LINES = 100_000
PRICE_DECIMALS, RATE_DECIMALS = 3, 6  # prices.models.PRICE_PLACES and RATE_PLACES
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DECIMAL = re.compile(r"(?:0|[1-9][0-9]*)(?:\.[0-9]+)?")


@dataclass(frozen=True)
class Line:
    """One figure read from the file: `key` is (benchmark,) or (base, quote); `units` the figure in
    thousandths of a dollar (a price) or millionths (a rate)."""

    number: int
    date: dt.date
    key: tuple[str, ...]
    units: int


@dataclass(frozen=True)
class Problem:
    number: int
    why: str


@dataclass(frozen=True)
class ImportResult:
    kind: str
    created: int
    skipped: int
    sha256: str


class ImportRefused(BadRequest):
    """The file has bad lines: nothing was written. `problems` lists every one."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__(
            _("%(count)d line(s) of the file are wrong: nothing was written.") % {"count": len(problems)},
            code="import_refused",
            errors=[{"field": f"line {p.number}", "code": "bad_line", "message": p.why} for p in problems],
        )


def _figure(text: str, places: int, maximum: Decimal, what: str) -> int | str:
    """The figure in whole units of 10^-places, or why it cannot be read."""
    if not text:
        return _("no %(what)s") % {"what": what}
    if text.startswith("-") and _DECIMAL.fullmatch(text[1:]):
        return _("a negative %(what)s (%(text)s)") % {"what": what, "text": text}
    if not _DECIMAL.fullmatch(text):
        return _("%(what)s %(text)s is not a decimal written with digits and a point") % {"what": what, "text": text}
    written = len(text.partition(".")[2])
    if written > places:
        return _("%(what)s %(text)s has %(written)d decimal places; at most %(places)d") % {
            "what": what,
            "text": text,
            "written": written,
            "places": places,
        }
    number = Decimal(text)
    if number == 0:
        return _("a %(what)s of zero") % {"what": what}
    if number > maximum:
        return _("%(what)s %(text)s is larger than any real one") % {"what": what, "text": text}
    return int(number.scaleb(places))


def _date(text: str, today: dt.date, place: str) -> dt.date | str:
    if not _DATE.fullmatch(text):
        return _("bad date %(text)r: write it YYYY-MM-DD") % {"text": text}
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        return _("bad date %(text)r: no such day") % {"text": text}
    if day > today:
        return _("%(date)s has not begun in %(place)s yet") % {"date": text, "place": place}
    return day


def read(data: bytes, kind: str) -> tuple[list[Line], list[Problem]]:
    """The file's lines and its problems (both in the file's order)."""
    header = HEADERS[kind]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], [Problem(0, _("the file is not UTF-8 text"))]
    today = today_london() if kind == "fixes" else clock.today_lima()
    place = "London" if kind == "fixes" else "Lima"
    lines: list[Line] = []
    problems: list[Problem] = []
    seen: dict[tuple[Any, ...], int] = {}
    reader = csv.reader(io.StringIO(text, newline=""))
    found_header = False
    for row in reader:
        number = reader.line_num
        cells = [cell.strip() for cell in row]
        if not any(cells) or cells[0].startswith("#"):
            continue
        if not found_header:
            found_header = True
            if tuple(cell.lower() for cell in cells) != header:
                problems.append(Problem(number, _("the header must be %(header)s") % {"header": ",".join(header)}))
                break
            continue
        if len(lines) + len(problems) >= MAX_LINES:
            problems.append(Problem(number, _("more than %(count)d lines") % {"count": MAX_LINES}))
            break
        if len(cells) != len(header):
            problems.append(
                Problem(
                    number,
                    _("%(found)d columns where the header has %(expected)d")
                    % {"found": len(cells), "expected": len(header)},
                )
            )
            continue
        why: list[str] = []
        day = _date(cells[0], today, place)
        if isinstance(day, str):
            why.append(day)
        if kind == "fixes":
            key: tuple[str, ...] = (cells[1],)
            if cells[1] not in Benchmark.values:
                why.append(
                    _("unknown benchmark %(text)r (one of %(choices)s)")
                    % {"text": cells[1], "choices": ", ".join(Benchmark.values)}
                )
            units = _figure(cells[2], PRICE_DECIMALS, PRICE_MAX, _("price"))
        else:
            key = (cells[1], cells[2])
            for code in key:
                if code not in Currency.values:
                    why.append(
                        _("unknown currency %(text)r (one of %(choices)s)")
                        % {"text": code, "choices": ", ".join(Currency.values)}
                    )
            if cells[1] == cells[2]:
                why.append(_("a rate is between two different currencies"))
            units = _figure(cells[3], RATE_DECIMALS, RATE_MAX, _("rate"))
        if isinstance(units, str):
            why.append(units)
        if isinstance(day, dt.date) and not why:
            earlier = seen.setdefault((*key, day), number)
            if earlier != number:
                why.append(_("the same day as line %(line)d") % {"line": earlier})
        if why:
            problems.append(Problem(number, "; ".join(why)))
        else:
            assert isinstance(day, dt.date)
            assert isinstance(units, int)
            lines.append(Line(number, day, key, units))
    if not found_header:
        message = _("the file is empty: it needs the header %(header)s") % {"header": ",".join(header)}
        problems.append(Problem(0, message))
    elif not lines and not problems:
        problems.append(Problem(0, _("the file has a header but no figures")))
    return lines, problems


def _recorded(kind: str, lines: list[Line]) -> dict[tuple[Any, ...], Any]:
    """The current rows of the file's days, by (key..., date), in one query."""
    dates = {line.date for line in lines}
    if kind == "fixes":
        fixes = MetalPrice.objects.filter(current=True, date__in=dates)
        return {(row.benchmark, row.date): row for row in fixes}
    rates = ExchangeRate.objects.filter(current=True, date__in=dates)
    return {(row.base, row.quote, row.date): row for row in rates}


def _units(kind: str, row: Any) -> int:
    return row.usd_per_troy_ounce_milli if kind == "fixes" else row.rate_micro  # type: ignore[no-any-return]


def _shown(kind: str, row: Any) -> str:
    return str(row.usd_per_troy_ounce if kind == "fixes" else row.rate)


@transaction.atomic
def prices_import(
    *, actor: Actor, kind: str, data: bytes, source: str, sample: bool = False, file_name: str = ""
) -> ImportResult:
    """Write the file's new figures, skip those already recorded, or refuse the whole file (`ImportRefused`)."""
    require_staff(actor)
    if kind not in KINDS:
        raise BadRequest(_("Import fixes or rates."), code="invalid_kind")
    source = clean_source(source)
    sha256 = hashlib.sha256(data).hexdigest()
    lines, problems = read(data, kind)
    recorded = _recorded(kind, lines)
    new: list[Line] = []
    skipped = 0
    for line in lines:
        existing = recorded.get((*line.key, line.date))
        if existing is None:
            new.append(line)
        elif _units(kind, existing) == line.units and existing.sample == sample:
            skipped += 1
        else:
            problems.append(
                Problem(
                    line.number,
                    _("%(date)s is already recorded as %(figure)s%(sample)s: correct that row instead")
                    % {
                        "date": line.date.isoformat(),
                        "figure": _shown(kind, existing),
                        "sample": _(" (a sample figure)") if existing.sample else "",
                    },
                )
            )
    if problems:
        raise ImportRefused(sorted(problems, key=lambda p: p.number))
    result = ImportResult(kind=kind, created=len(new), skipped=skipped, sha256=sha256)
    if not new:
        return result
    common = {"source": source, "sample": sample, "recorded_by": actor.user}
    try:
        with transaction.atomic():
            if kind == "fixes":
                MetalPrice.objects.bulk_create(
                    MetalPrice(benchmark=line.key[0], date=line.date, usd_per_troy_ounce_milli=line.units, **common)
                    for line in new
                )
            else:
                ExchangeRate.objects.bulk_create(
                    ExchangeRate(base=line.key[0], quote=line.key[1], date=line.date, rate_micro=line.units, **common)
                    for line in new
                )
    except IntegrityError:
        raise Conflict(
            _("Some of these days were recorded while the file was read: nothing was written. Import it again."),
            code="prices_changed",
        ) from None
    audit_record(
        action="prices.file.imported",
        actor=actor,
        data={
            "kind": kind,
            "file_name": file_name,
            "sha256": sha256,
            "source": source,
            "sample": sample,
            "created": result.created,
            "skipped": result.skipped,
            "first_date": min(line.date for line in new).isoformat(),
            "last_date": max(line.date for line in new).isoformat(),
        },
    )
    return result
