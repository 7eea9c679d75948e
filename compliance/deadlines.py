"""Deadlines set by law (the formalization process's), recorded as new rows and applied to the items granted
the earlier one (docs/domain.md)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from audit.services import audit_record
from compliance import catalogue
from compliance.models import (
    Evidence,
    EvidenceStatus,
    EvidenceType,
    ValidityDeadline,
)
from compliance.standing import standings_refresh
from core import clock
from core.errors import Conflict, field_error


# --- Deadlines set by law --------------------------------------------------------------------------
@transaction.atomic
def validity_deadline_add(
    *, actor: Any, code: str, deadline: dt.date, effective_from: dt.date, norm: str, source: str = ""
) -> ValidityDeadline:
    """Record a deadline a norm sets or moves (a decree extending the formalization process): a new row,
    never an edit. A row dated before today would change the past and is refused, changing nothing. A row
    in force today is applied at once (`validity_deadlines_apply`); a later one by the daily job."""
    today = clock.today_lima()
    if effective_from < today:
        raise field_error(
            "effective_from",
            "edits_the_past",
            _("A new deadline cannot take effect before today: date it today or later."),
        )
    if not norm.strip():
        raise field_error("norm", "required", _("Name the norm that sets the deadline."))
    if ValidityDeadline.objects.filter(code=code, effective_from=effective_from).exists():
        raise Conflict(
            _("A deadline %(code)s already takes effect on %(date)s.") % {"code": code, "date": effective_from},
            code="deadline_exists",
        )
    row = ValidityDeadline.objects.create(
        code=code, deadline=deadline, effective_from=effective_from, norm=norm, source=source
    )
    audit_record(
        action="compliance.validity_deadline.added",
        actor=actor,
        target=row,
        data={
            "code": code,
            "deadline": deadline.isoformat(),
            "effective_from": effective_from.isoformat(),
            "norm": norm,
            "source": source,
        },
    )
    if effective_from == today:
        validity_deadlines_apply(today=today)
    return row


@transaction.atomic
def validity_deadlines_apply(*, today: dt.date | None = None) -> int:
    """Move the validity of approved items whose grant was the deadline of an earlier row to the deadline in
    force today (never past the document's own expiry), audit each move, and refresh the verdicts of the
    organisations concerned. Returns how many items moved; safe to repeat (the daily job runs it).

    Why approved items move: the deadline is the law's, not the document's. The reviewer granted "until the
    formalization deadline"; when a decree moves it, the same document counts until the new one, and no
    producer has to upload it again. Items a reviewer granted less than the deadline keep their date."""
    today = today or clock.today_lima()
    moved: set[Any] = set()
    count = 0
    codes = EvidenceType.objects.filter(validity=EvidenceType.Validity.DEADLINE).values_list("deadline_code", flat=True)
    for code in sorted(set(codes)):
        current = catalogue.deadline_in_force(code, today)
        if current is None:
            continue
        earlier = set(
            ValidityDeadline.objects.filter(code=code, effective_from__lte=today)
            .exclude(pk=current.pk)
            .values_list("deadline", flat=True)
        ) - {current.deadline}
        items = (
            Evidence.objects.select_for_update()
            .filter(
                status=EvidenceStatus.APPROVED,
                evidence_type__validity=EvidenceType.Validity.DEADLINE,
                evidence_type__deadline_code=code,
                valid_until__in=sorted(earlier),
            )
            .select_related("organization")
            .order_by("pk")
        )
        for item in items:
            until = min(current.deadline, item.expiry_date) if item.expiry_date else current.deadline
            if until == item.valid_until:
                continue
            Evidence.objects.filter(pk=item.pk).update(valid_until=until)
            audit_record(
                action="compliance.evidence.validity_moved",
                subject_organization=item.organization,
                target=item,
                data={
                    "from": item.valid_until.isoformat() if item.valid_until else None,
                    "to": until.isoformat(),
                    "deadline": code,
                    "norm": current.norm,
                },
            )
            moved.add(item.organization_id)
            count += 1
    if moved:
        standings_refresh(organization_ids=moved, today=today)
    return count
