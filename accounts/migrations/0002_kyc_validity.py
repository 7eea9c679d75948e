"""A buyer's KYC verification now lapses: each verification stores when it was made and the last day it
counts (the verified day plus the months of the KYC policy in force, compliance.KycPolicy).

Buyers verified before this migration get the validity of the first KYC policy (12 months) counted from the
day of their verification, read from the audit trail (the latest `compliance.kyc.verify` event naming them):
that is the date a reviewer checked them, and the rule they would have been verified under. A buyer whose
verification the trail does not show (data loaded by hand) gets 12 months from the day this migration runs
rather than lapsing at once: lapsing it for a date nobody knows would stop its trading with no warning, while
this way its admins are reminded before it lapses, like everybody else's."""

from __future__ import annotations

import calendar
import datetime as dt
from zoneinfo import ZoneInfo

from django.db import migrations, models
from django.utils import timezone

FIRST_POLICY_MONTHS = 12
LIMA = ZoneInfo("America/Lima")


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def backfill(apps, schema_editor):
    Organization = apps.get_model("accounts", "Organization")
    AuditEvent = apps.get_model("audit", "AuditEvent")
    today = timezone.now().astimezone(LIMA).date()
    for organization in Organization.objects.filter(kind="buyer", kyc_status="verified"):
        verified_at = (
            AuditEvent.objects.filter(
                action="compliance.kyc.verify", target_type="accounts.organization", target_id=str(organization.pk)
            )
            .order_by("-seq")
            .values_list("occurred_at", flat=True)
            .first()
        )
        counted_from = verified_at.astimezone(LIMA).date() if verified_at else today
        Organization.objects.filter(pk=organization.pk).update(
            kyc_verified_at=verified_at, kyc_valid_until=_add_months(counted_from, FIRST_POLICY_MONTHS)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("audit", "0002_append_only_trigger"),
    ]

    operations = [
        migrations.AddField(
            model_name="organization",
            name="kyc_verified_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="organization",
            name="kyc_valid_until",
            field=models.DateField(blank=True, null=True),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
