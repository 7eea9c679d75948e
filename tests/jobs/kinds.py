"""Jobs that exist only for the tests (and the worker the tests start, which imports this module): each records
its attempts in a file named by its arguments, so that a test in another process can read them."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

from django.db import transaction

from jobs.registry import job
from notifications.models import Notification


class Refused(Exception):
    pass


def _attempt(log: str, word: str) -> int:
    path = Path(log)
    with path.open("a") as out:
        out.write(word + "\n")
    return path.read_text().splitlines().count(word)


@job("tests.flaky", max_attempts=4, first_delay=timedelta(milliseconds=200), max_delay=timedelta(seconds=1))
def flaky(*, log: str, failures: int) -> None:
    """Fails its first `failures` attempts."""
    if _attempt(log, "attempt") <= failures:
        raise Refused("not yet")


@job("tests.slow", max_attempts=3, first_delay=timedelta(milliseconds=200), lease=timedelta(seconds=3))
def slow(*, log: str, seconds: float, notification: str) -> None:
    """Takes `seconds`, then marks the notification read: once, whatever the number of attempts."""
    _attempt(log, "start")
    time.sleep(seconds)
    with transaction.atomic():
        Notification.objects.filter(pk=notification, read_at__isnull=True).update(read_at="2026-12-05T12:00:00Z")
    _attempt(log, "end")
