"""The demo's sample prices (marketplace/demo_prices.py): the same figures every run, and only fixes that have
been made (a fix of today once London's clock has passed its time)."""

from __future__ import annotations

import datetime as dt

from marketplace.demo_prices import SOURCE, fixes_csv, rates_csv
from prices.calendar import LONDON
from prices.imports import read


def at_london(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON)


def test_todays_fixes_appear_only_once_made():
    friday = dt.date(2026, 12, 4)

    def today_benchmarks(now: dt.datetime) -> list[str]:
        lines = fixes_csv(now).decode().splitlines()
        return [line.split(",")[1] for line in lines if line.startswith(friday.isoformat())]

    assert today_benchmarks(at_london(friday, 10, 29)) == []
    assert today_benchmarks(at_london(friday, 10, 30)) == ["lbma_gold_am"]
    assert today_benchmarks(at_london(friday, 12, 0)) == ["lbma_gold_am", "lbma_silver"]
    assert today_benchmarks(at_london(friday, 16, 0)) == ["lbma_gold_am", "lbma_silver", "lbma_gold_pm"]


def test_the_figures_are_the_same_every_run_and_read_as_a_valid_file(monkeypatch):
    now = at_london(dt.date(2026, 12, 4), 16)
    monkeypatch.setattr("core.clock.now", lambda: now)

    fixes, rates = fixes_csv(now), rates_csv(dt.date(2026, 12, 4))

    assert fixes == fixes_csv(now)
    assert fixes.decode().startswith(f"# {SOURCE}\n")
    lines, problems = read(fixes, "fixes")
    assert problems == []
    assert {line.date for line in lines} == {line.date for line in read(rates, "rates")[0]}
    assert dt.date(2026, 11, 28) not in {line.date for line in lines}  # a Saturday
    assert len(lines) == 3 * 33  # the 33 London working days from 21 October to 4 December
