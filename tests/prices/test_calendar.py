"""London working days (prices/calendar.py): the days the LBMA publishes its prices, as gov.uk lists the bank
holidays of England and Wales (years without a one-off holiday: 2022's jubilee and 2023's coronation moved or
added days no rule knows)."""

from __future__ import annotations

import datetime as dt

import pytest

from core import clock
from prices.calendar import bank_holidays, london_working_day, today_london

D = dt.date


@pytest.mark.parametrize(
    ("year", "holidays"),
    [
        (2026, {D(2026, 1, 1), D(2026, 4, 3), D(2026, 4, 6), D(2026, 5, 4), D(2026, 5, 25), D(2026, 8, 31),
                D(2026, 12, 25), D(2026, 12, 28)}),  # Boxing Day on a Saturday: Monday 28
        (2027, {D(2027, 1, 1), D(2027, 3, 26), D(2027, 3, 29), D(2027, 5, 3), D(2027, 5, 31), D(2027, 8, 30),
                D(2027, 12, 27), D(2027, 12, 28)}),  # Christmas on a Saturday: Monday 27 and Tuesday 28
        (2017, {D(2017, 1, 2), D(2017, 4, 14), D(2017, 4, 17), D(2017, 5, 1), D(2017, 5, 29), D(2017, 8, 28),
                D(2017, 12, 25), D(2017, 12, 26)}),  # New Year's Day on a Sunday: Monday 2
        (2016, {D(2016, 1, 1), D(2016, 3, 25), D(2016, 3, 28), D(2016, 5, 2), D(2016, 5, 30), D(2016, 8, 29),
                D(2016, 12, 26), D(2016, 12, 27)}),  # Christmas on a Sunday: Boxing Day 26, Christmas 27
    ],
)  # fmt: skip
def test_the_bank_holidays_of_england_and_wales(year, holidays):
    assert bank_holidays(year) == holidays


def test_weekends_and_bank_holidays_have_no_fix():
    assert london_working_day(D(2026, 12, 4))  # a Friday
    assert not london_working_day(D(2026, 12, 5))  # Saturday
    assert not london_working_day(D(2026, 12, 6))  # Sunday
    assert not london_working_day(D(2026, 12, 25))
    assert not london_working_day(D(2026, 12, 28))
    assert london_working_day(D(2026, 12, 29))


def test_london_is_a_day_ahead_of_lima_in_the_evening(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: dt.datetime(2026, 7, 1, 23, 30, tzinfo=dt.UTC))  # BST: 00:30 London

    assert (today_london(), clock.today_lima()) == (D(2026, 7, 2), D(2026, 7, 1))
