"""Reminders before an approved item or a buyer's KYC verification lapses, each sent once per threshold."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import transaction
from django.db.models import Q

from accounts.models import Organization
from accounts.selectors import organization_admins
from audit.services import audit_record
from compliance import catalogue
from compliance.models import (
    NO_EXPIRY,
    PENDING_STATUSES,
    Evidence,
    EvidenceStatus,
    KycReminderSent,
    ReminderSent,
)
from compliance.services import type_names
from core import clock
from notifications.services import notify

REMINDER_DAYS = (60, 30, 7, 0)


# --- Reminders ------------------------------------------------------------------------------------
def _threshold(thresholds: Sequence[int], days_left: int) -> int | None:
    """The reminder due `days_left` days before a lapse: the smallest threshold not yet passed (so a run
    missed at 60 days sends the 60-day reminder at 50), None when none is due yet."""
    due = [d for d in thresholds if days_left <= d]
    return min(due) if due else None


def send_compliance_reminders(*, today: dt.date | None = None) -> int:
    """Remind at 60, 30 and 7 days before an approved item lapses, and on the day it lapses. Each
    (item, threshold) is sent once, whatever runs twice; an item already renewed is not reminded. Buyers'
    KYC verifications are reminded in the same run (`send_kyc_reminders`)."""
    today = today or clock.today_lima()
    return _send_evidence_reminders(today) + send_kyc_reminders(today=today)


def _send_evidence_reminders(today: dt.date) -> int:
    sent = 0
    horizon = today + dt.timedelta(days=max(REMINDER_DAYS))
    candidates = (
        Evidence.objects.filter(
            status=EvidenceStatus.APPROVED, valid_until__lte=horizon, valid_until__gte=today - dt.timedelta(days=1)
        )
        .exclude(valid_until=NO_EXPIRY)
        .select_related("evidence_type", "organization")
    )
    for item in candidates:
        assert item.valid_until is not None
        lapse_day = item.valid_until + dt.timedelta(days=1)  # the first day it no longer counts
        days_left = (lapse_day - today).days
        threshold = _threshold(REMINDER_DAYS, days_left)
        if threshold is None:
            continue
        # Renewed: a newer approved item lasts longer, or a newer one waits for review.
        renewed = Evidence.objects.filter(
            Q(status=EvidenceStatus.APPROVED, valid_until__gt=item.valid_until)
            | Q(status__in=PENDING_STATUSES, created_at__gt=item.created_at),
            organization_id=item.organization_id,
            evidence_type_id=item.evidence_type_id,
        ).exists()
        if renewed:
            continue
        with transaction.atomic():
            _reminder, created = ReminderSent.objects.get_or_create(evidence=item, days_before=threshold)
            if not created:
                continue
            params = {
                **type_names(item.evidence_type),
                "document": item.document_number or str(item.pk)[:8],
                "organization": item.organization.legal_name,
                "valid_until": item.valid_until.isoformat(),
                "days": str(max(days_left, 0)),
            }
            notify(
                recipients=organization_admins(organization_id=item.organization_id),
                kind="requirement_lapsed" if threshold == 0 else "requirement_expiring",
                params=params,
                organization=item.organization,
                target=item,
            )
            audit_record(
                action="compliance.reminder.sent",
                subject_organization=item.organization,
                target=item,
                data={"days_before": threshold, "valid_until": item.valid_until.isoformat()},
            )
        sent += 1
    return sent


def kyc_reminder_days(today: dt.date) -> tuple[int, ...]:
    """The days before a KYC verification lapses when its buyer is reminded: the KYC policy in force's, or
    those of evidence when it names none."""
    return tuple(catalogue.kyc_policy_in_force(today).reminder_days) or REMINDER_DAYS


def send_kyc_reminders(*, today: dt.date | None = None) -> int:
    """Remind a verified buyer's admins before its KYC verification lapses, at the thresholds of the KYC
    policy in force today (those of evidence when it names none), and on the day it lapses. Each (buyer,
    validity, threshold) is sent once; a buyer renewing (submitted again) or verified again is not reminded
    of the old validity."""
    today = today or clock.today_lima()
    thresholds = kyc_reminder_days(today)
    horizon = today + dt.timedelta(days=max(thresholds))
    buyers = Organization.objects.filter(
        kind=Organization.Kind.BUYER,
        kyc_status=Organization.KycStatus.VERIFIED,
        kyc_valid_until__lte=horizon,
        kyc_valid_until__gte=today - dt.timedelta(days=1),
    ).order_by("pk")
    sent = 0
    for buyer in buyers:
        assert buyer.kyc_valid_until is not None
        days_left = (buyer.kyc_valid_until + dt.timedelta(days=1) - today).days
        threshold = _threshold(thresholds, days_left)
        if threshold is None:
            continue
        with transaction.atomic():
            _reminder, created = KycReminderSent.objects.get_or_create(
                organization=buyer, valid_until=buyer.kyc_valid_until, days_before=threshold
            )
            if not created:
                continue
            notify(
                recipients=organization_admins(organization_id=buyer.pk),
                kind="kyc_lapsed" if days_left <= 0 else "kyc_expiring",
                params={
                    "organization": buyer.legal_name,
                    "valid_until": buyer.kyc_valid_until.isoformat(),
                    **({} if days_left <= 0 else {"days": str(days_left)}),
                },
                organization=buyer,
                target=buyer,
            )
            audit_record(
                action="compliance.kyc_reminder.sent",
                subject_organization=buyer,
                target=buyer,
                data={"days_before": threshold, "valid_until": buyer.kyc_valid_until.isoformat()},
            )
        sent += 1
    return sent
