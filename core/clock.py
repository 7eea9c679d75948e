"""The one place that says what "now" and "today" are.

Compliance is judged by the calendar date in Madre de Dios (America/Lima), whatever the server's zone.
Tests move time by patching these functions, never by editing rows.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.utils import timezone

LIMA = ZoneInfo("America/Lima")


def now() -> dt.datetime:
    return timezone.now()


def today_lima() -> dt.date:
    return now().astimezone(LIMA).date()
