"""Demo prices: made-up LBMA gold AM and PM and silver fixes and USD/PEN rates for each London working day of the
last 45 days, every row flagged `sample` with a source that says so. They go through the same import as a
CSV file (`prices.imports.prices_import`), one audit event per kind, under the demo's staff account.

Only days that have come are recorded: a fix of today only once London's clock has passed its time (10:30,
12:00, 15:00), a rate only up to today in Lima. The figures are deterministic (derived from the date by
SHA-256, no random numbers): running the seed again finds each day recorded with the same figure and skips it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal

from accounts.models import Organization, User
from core import clock
from core.actor import Actor
from prices.calendar import LONDON, london_working_day
from prices.imports import prices_import
from prices.models import Benchmark

SOURCE = "Sample figures for the demo: not LBMA or SBS data"
DAYS = 45
FIX_TIMES = {
    Benchmark.GOLD_AM: dt.time(10, 30),
    Benchmark.SILVER: dt.time(12, 0),
    Benchmark.GOLD_PM: dt.time(15, 0),
}


def _noise(key: str, spread: int) -> int:
    """A whole number from -spread to spread, fixed by `key`."""
    digest = hashlib.sha256(key.encode()).digest()
    return int.from_bytes(digest[:8], "big") % (2 * spread + 1) - spread


def fix_milli(benchmark: str, day: dt.date) -> int:
    """Thousandths of a dollar per troy ounce: gold near 4,150 (late 2026), silver near 49.5."""
    if benchmark == Benchmark.SILVER:
        return 49_500 + _noise(f"silver:{day}", 1_500)
    level = 4_150_000 + _noise(f"gold:{day}", 40_000)
    return level + _noise(f"{benchmark}:{day}", 6_000)


def rate_micro(day: dt.date) -> int:
    """Millionths of a sol per dollar, near 3.45."""
    return 3_450_000 + _noise(f"usd-pen:{day}", 30_000)


def _decimal(units: int, places: int) -> str:
    return str(Decimal(units).scaleb(-places))


def _days(today: dt.date) -> list[dt.date]:
    first = today - dt.timedelta(days=DAYS - 1)
    return [first + dt.timedelta(days=n) for n in range(DAYS) if london_working_day(first + dt.timedelta(days=n))]


def fixes_csv(now: dt.datetime) -> bytes:
    london = now.astimezone(LONDON)
    lines = ["# " + SOURCE, "date,benchmark,usd_per_troy_ounce"]
    for day in _days(london.date()):
        for benchmark, at in FIX_TIMES.items():
            if day == london.date() and london.time() < at:
                continue  # today's fix has not been made yet
            lines.append(f"{day},{benchmark},{_decimal(fix_milli(benchmark, day), 3)}")
    return ("\n".join(lines) + "\n").encode()


def rates_csv(today_lima: dt.date) -> bytes:
    lines = ["# " + SOURCE, "date,base,quote,rate"]
    lines += [f"{day},USD,PEN,{_decimal(rate_micro(day), 6)}" for day in _days(today_lima)]
    return ("\n".join(lines) + "\n").encode()


def seed_prices(orgs: dict[str, Organization], users: dict[str, User]) -> int:
    staff = Actor(users["staff@demo.test"])
    fixes = prices_import(
        actor=staff, kind="fixes", data=fixes_csv(clock.now()), source=SOURCE, sample=True, file_name="demo-fixes.csv"
    )
    rates = prices_import(
        actor=staff,
        kind="rates",
        data=rates_csv(clock.today_lima()),
        source=SOURCE,
        sample=True,
        file_name="demo-rates.csv",
    )
    return fixes.created + rates.created
