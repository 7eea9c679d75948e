"""The e-mail of notifications, on the queue (jobs): retried with backoff for most of a day (14 attempts, 15 to 20
hours) while the mail server refuses; the feed shows the notification meanwhile."""

from __future__ import annotations

from datetime import timedelta

from jobs.registry import job
from notifications.services import send_notification_emails


@job("notifications.email", max_attempts=14, first_delay=timedelta(seconds=30), max_delay=timedelta(hours=4))
def email(*, ids: list[str]) -> None:
    send_notification_emails(ids)
