"""Notifying people: a feed row in the caller's transaction, and the e-mail only after it commits."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import models, transaction
from django.utils import timezone, translation

from audit.services import audit_record
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
    """Create one notification per distinct recipient; e-mail them once the transaction commits."""
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
    if KINDS[kind].email:
        ids = [n.pk for n in created]
        transaction.on_commit(lambda: send_notification_emails(ids))
    return created


def send_notification_emails(notification_ids: list[Any]) -> int:
    """Send each notification's e-mail in its recipient's language. Failures are logged, never raised:
    the change that caused them is already committed, and the feed still shows them."""
    sent = 0
    pending = Notification.objects.filter(pk__in=notification_ids, emailed_at__isnull=True).select_related("recipient")
    for notification in pending:
        user = notification.recipient
        with translation.override(user.preferred_language):
            subject, body = render(notification.kind, notification.params)
        try:
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
        except Exception:
            logger.exception("Could not e-mail notification %s", notification.pk)
            continue
        Notification.objects.filter(pk=notification.pk).update(emailed_at=timezone.now())
        sent += 1
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
