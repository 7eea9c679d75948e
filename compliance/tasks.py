"""Compliance's scheduled jobs (settings.CELERY_BEAT_SCHEDULE): the same work as its management commands."""

from __future__ import annotations

from compliance.deadlines import validity_deadlines_apply
from compliance.reminders import send_compliance_reminders
from compliance.standing import standings_disagreeing
from jobs.registry import job


class StandingsDisagree(Exception):
    """The nightly check found stored verdicts that differ from the engine's: the job fails, so staff see it."""


@job("compliance.apply_validity_deadlines", max_attempts=5)
def apply_validity_deadlines() -> None:
    validity_deadlines_apply()


@job("compliance.send_reminders", max_attempts=5)
def send_reminders() -> None:
    send_compliance_reminders()  # each reminder is recorded once (ReminderSent): a repeated run sends nothing twice


@job("compliance.check_standings", max_attempts=2)
def check_standings() -> None:
    disagreeing = standings_disagreeing()
    if disagreeing:
        shown = ", ".join(str(pk) for pk in disagreeing[:10])
        raise StandingsDisagree(f"{len(disagreeing)} organisations' stored verdicts differ from the engine: {shown}")
