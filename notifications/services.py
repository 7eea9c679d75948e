"""Notifying people: a feed row in the caller's transaction, and the e-mail as a job asked for in the same
transaction (`notifications.email`, notifications/tasks.py): sent after the commit by a worker, retried until the
mail server takes it, once per notification."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import models, transaction
from django.utils import timezone, translation

from audit.services import audit_record
from jobs.services import enqueue
from notifications.kinds import KINDS, check_params, render
from notifications.models import Notification

logger = logging.getLogger(__name__)


def notify(
    *,
    recipients: Iterable[Any],
    kind: str,
    params: dict[str, Any] | None = None,
    organization: Any = None,
    target: models.Model | None = None,
) -> list[Notification]:
    """Create one notification per distinct recipient, and ask for their e-mail (one job for them all) in the
    same transaction: it is sent once the transaction commits, or never if it rolls back."""
    params = {key: str(value) for key, value in (params or {}).items()}
    check_params(kind, params, allow_extra=True)  # a text left with a hole fails here, at the call site
    seen: set[Any] = set()
    created = []
    for user in recipients:
        if user.pk in seen or not user.is_active:
            continue
        seen.add(user.pk)
        created.append(
            Notification(
                recipient=user,
                organization=organization,
                kind=kind,
                params=params,
                target_type=target._meta.label_lower if target is not None else "",
                target_id=str(target.pk) if target is not None else "",
            )
        )
    Notification.objects.bulk_create(created)
    if KINDS[kind].email and created:
        enqueue("notifications.email", args={"ids": [str(n.pk) for n in created]})
    return created


class EmailsNotSent(Exception):
    """Some e-mails of a job were refused: the job is tried again later for those alone."""


def message_id(notification: Notification) -> str:
    """The same Message-ID on every attempt at one notification's e-mail: if a mail server took a message whose
    acceptance never reached us (a worker killed between the two), a second copy is one a mail client folds."""
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip(" >") or "localhost"
    return f"<notification.{notification.pk}@{domain}>"


def send_notification_emails(notification_ids: list[Any]) -> int:
    """Send the e-mail of each notification not e-mailed yet, in its recipient's language, and mark it sent. Raises
    `EmailsNotSent` after trying them all when the mail server refused any: the job comes back for those (the ones
    sent are marked, so never sent again)."""
    sent = 0
    failed = []
    pending = Notification.objects.filter(pk__in=notification_ids, emailed_at__isnull=True).select_related("recipient")
    for notification in pending:
        user = notification.recipient
        with translation.override(user.preferred_language):
            subject, body = render(notification.kind, notification.params)
        message = EmailMessage(
            subject, body, settings.DEFAULT_FROM_EMAIL, [user.email], headers={"Message-ID": message_id(notification)}
        )
        try:
            message.send()
        except Exception as error:
            logger.warning("Could not e-mail notification %s: %s", notification.pk, error)
            failed.append(notification.pk)
            continue
        Notification.objects.filter(pk=notification.pk).update(emailed_at=timezone.now())
        sent += 1
    if failed:
        raise EmailsNotSent(f"{len(failed)} of {len(failed) + sent} e-mails refused; first: {failed[0]}")
    return sent


def notification_mark_read(*, user: Any, notification: Notification) -> Notification:
    """Mark one of the user's notifications read; reading it again changes nothing and records nothing.

    The audit event is the reader's own, like a sign-in: it names no organisation, so only the network's
    reviewers and staff read it (an organisation's admins do not learn when a member reads her inbox)."""
    if notification.read_at is None:
        with transaction.atomic():
            marked = Notification.objects.filter(pk=notification.pk, recipient=user, read_at__isnull=True).update(
                read_at=timezone.now()
            )
            if marked:
                audit_record(
                    action="notifications.notification.read",
                    actor=user,
                    target=notification,
                    data={"kind": notification.kind},
                )
        notification.refresh_from_db(fields=["read_at"])
    return notification


@transaction.atomic
def notification_mark_all_read(*, user: Any) -> int:
    """Mark every unread notification of the user read: one audit event with the count, none when there was
    nothing to mark (the same visibility as `notification_mark_read`)."""
    marked = Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())
    if marked:
        audit_record(action="notifications.notification.read_all", actor=user, target=user, data={"marked": marked})
    return marked
