"""Which day it is where each figure is published, and which days London publishes fixes.

An LBMA fix belongs to a London day (the gold price at 10:30 and 15:00, silver at 12:00, London time); the SBS
publishes the USD/PEN rate for a Lima day. A figure for a day that has not begun where it is published cannot
exist yet, so the services refuse it. The LBMA publishes on London working days: Monday to Friday except the
bank holidays of England and Wales (`london_working_day`), which the demo data follows.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from core import clock

LONDON = ZoneInfo("Europe/London")


def today_london() -> dt.date:
    return clock.now().astimezone(LONDON).date()


def _easter(year: int) -> dt.date:
    """Easter Sunday in the Gregorian calendar (the anonymous algorithm, Meeus/Jones/Butcher)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    lunar = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * lunar) // 451
    month = (h + lunar - 7 * m + 114) // 31
    day = (h + lunar - 7 * m + 114) % 31 + 1
    return dt.date(year, month, day)


def _first_monday(year: int, month: int) -> dt.date:
    first = dt.date(year, month, 1)
    return first + dt.timedelta(days=(7 - first.weekday()) % 7)


def _last_monday(year: int, month: int) -> dt.date:
    last = (dt.date(year, month % 12 + 1, 1) if month < 12 else dt.date(year + 1, 1, 1)) - dt.timedelta(days=1)
    return last - dt.timedelta(days=last.weekday())


def bank_holidays(year: int) -> frozenset[dt.date]:
    """The regular bank holidays of England and Wales: New Year's Day, Good Friday, Easter Monday, the early May,
    spring and summer bank holidays, Christmas and Boxing Day, each moved to the next working day when it falls
    on a weekend. One-off holidays proclaimed for an occasion are not known here."""
    easter = _easter(year)
    days = {
        easter - dt.timedelta(days=2),
        easter + dt.timedelta(days=1),
        _first_monday(year, 5),
        _last_monday(year, 5),
        _last_monday(year, 8),
    }
    new_year = dt.date(year, 1, 1)
    while new_year.weekday() >= 5:
        new_year += dt.timedelta(days=1)
    days.add(new_year)
    christmas, boxing = dt.date(year, 12, 25), dt.date(year, 12, 26)
    if christmas.weekday() == 5:  # Saturday: Monday 27 and Tuesday 28
        christmas, boxing = dt.date(year, 12, 27), dt.date(year, 12, 28)
    elif christmas.weekday() == 6:  # Sunday: Boxing Day on Monday 26, Christmas on Tuesday 27
        christmas = dt.date(year, 12, 27)
    elif boxing.weekday() == 5:  # Christmas on Friday: Boxing Day on Monday 28
        boxing = dt.date(year, 12, 28)
    days |= {christmas, boxing}
    return frozenset(days)


def london_working_day(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in bank_holidays(day.year)
