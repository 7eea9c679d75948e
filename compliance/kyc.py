"""Buyer KYC: a buyer submits its KYC; only a reviewer's decision makes it verified, for the months the KYC
policy in force grants (docs/domain.md)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils.translation import gettext as _

from accounts.models import Organization
from accounts.selectors import organization_admins, organizations_for
from accounts.services import organization_kyc_set
from audit.services import audit_record
from compliance import catalogue
from compliance.reminders import kyc_reminder_days
from compliance.selectors import require_reviewer, standing_of
from core import clock
from core.actor import Actor
from core.errors import Conflict, PermissionDenied, field_error
from notifications.services import notify
from producers.services import require_independent_reviewer

# --- Buyer KYC ------------------------------------------------------------------------------------
KYC_TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    # A verified buyer submits again to renew, before or after its verification lapses: a renewal under
    # review leaves the last verification counting until its `kyc_valid_until` (Organization.kyc_cleared).
    "submit": (("unverified", "rejected", "verified"), "submitted"),
    "verify": (("submitted",), "verified"),
    "reject": (("submitted",), "rejected"),
}


def kyc_to_review(*, actor: Actor, today: dt.date | None = None) -> QuerySet[Organization]:
    """The buyers a reviewer should look at: KYC submitted and waiting for a decision, or a verification that
    lapses within the reminder days of the KYC policy in force (or has lapsed). Soonest lapse first, then the
    ones waiting."""
    require_reviewer(actor)
    today = today or clock.today_lima()
    horizon = today + dt.timedelta(days=max(kyc_reminder_days(today)))
    lapsing = Q(kyc_status__in=["verified", "submitted"], kyc_valid_until__lte=horizon)
    buyers = organizations_for(actor=actor).filter(kind=Organization.Kind.BUYER)
    return buyers.filter(lapsing | Q(kyc_status="submitted")).order_by(
        F("kyc_valid_until").asc(nulls_last=True), "legal_name"
    )


@transaction.atomic
def kyc_transition(*, actor: Actor, organization: Organization, move: str, reason: str = "") -> Organization:
    """A buyer submits its KYC; only a reviewer's decision makes it verified, and only when the buyer
    policy is met by approved evidence."""
    if organization.kind != Organization.Kind.BUYER:
        raise Conflict(_("Only buyer organisations go through KYC."), code="not_buyer")
    allowed_from, target = KYC_TRANSITIONS[move]
    if move == "submit":
        if not (actor.is_staff or (actor.organization_id == organization.pk and actor.is_org_admin)):
            raise PermissionDenied(_("Only an administrator of this organisation can do this."), code="not_admin")
    else:
        require_independent_reviewer(actor, organization.pk)
        if move == "reject" and not reason.strip():
            raise field_error("reason", "required", _("Give the reason: the buyer will read it."))
    if organization.kyc_status == target:
        return organization
    standing = standing_of(organization)
    if move == "submit" and any(r.state == "missing" for r in standing.result.requirements):
        raise Conflict(
            _("Upload every KYC document before submitting."),
            code="requirements_missing",
            extra={"missing": [r.code for r in standing.result.requirements if r.state == "missing"]},
        )
    if move == "verify" and not standing.result.compliant:
        raise Conflict(
            _("The KYC documents are not all approved yet."),
            code="requirements_missing",
            extra={"missing": [r.code for r in standing.result.missing]},
        )
    previous = organization.kyc_status
    validity: dict[str, Any] = {}
    if move == "verify":
        # The KYC policy in force today decides how long this verification counts; the date is stored, so a
        # later policy version never changes it.
        kyc_policy = catalogue.kyc_policy_in_force(clock.today_lima())
        validity = {
            "verified_at": clock.now(),
            "valid_until": catalogue.add_months(clock.today_lima(), kyc_policy.validity_months),
            "policy_from": kyc_policy.effective_from.isoformat(),
        }
    dates = {key: validity[key] for key in ("verified_at", "valid_until") if key in validity}
    if not organization_kyc_set(organization=organization, allowed_from=allowed_from, to=target, **dates):
        raise Conflict(
            _("The KYC is %(status)s: it cannot be moved that way.")
            % {"status": Organization.KycStatus(organization.kyc_status).label},
            code="invalid_transition",
        )
    organization.refresh_from_db()
    audit_record(
        action=f"compliance.kyc.{move}",
        actor=actor,
        subject_organization=organization,
        target=organization,
        data={
            "from": previous,
            "to": target,
            "reason": reason.strip(),
            "policy_version": standing.policy.version,
            **(
                {"valid_until": validity["valid_until"].isoformat(), "kyc_policy_from": validity["policy_from"]}
                if validity
                else {}
            ),
        },
    )
    if move != "submit":
        notify(
            recipients=organization_admins(organization_id=organization.pk),
            kind="kyc_decided",
            params={"organization": organization.legal_name, "status": target, "reason": reason.strip()},
            organization=organization,
            target=organization,
        )
    return organization
