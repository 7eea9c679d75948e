"""Delegations: a producer organisation lets a support organisation's field officer act for it.

A producer's admin grants a delegation to a named officer (a member of a support organisation) with scopes
(`evidence`, `sites`) and, optionally, a last day; the producer's admins revoke it. The officer then acts for
the producer by sending its id in `X-Organization` (accounts.acting), as a `delegate` whom core.permissions
keeps inside the scopes. docs/delegation.md says what a delegate may and may never do.

The model lives here, beside memberships, because it answers the same question ("who may act for this
organisation?") and the actor resolver, in accounts, reads it: producers comes after accounts and may not be
imported by it. The producer is the organisation (of kind producer), not its producer profile.

Each write is atomic with its audit event, notifies the officer, and is a compare-and-set: at most one active
delegation per producer and officer (a partial unique constraint decides between two grants at once); revoking a
revoked delegation changes nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Delegation, DelegationScope, Membership, Organization, Role, User
from audit.services import audit_record
from core import clock
from core.actor import Actor
from core.errors import Conflict, NotFound, PermissionDenied, field_error
from notifications.services import notify

# The scopes as one parameter of the officer's notification, translated for each reader.
SCOPE_LABELS = {
    "evidence": gettext_lazy("evidence"),
    "sites": gettext_lazy("sites"),
    "evidence,sites": gettext_lazy("evidence and sites"),
}
OFFICER_ROLES = (Role.ADMIN, Role.MEMBER)


# --- Reads ---------------------------------------------------------------------------------------------
def delegations_for(*, actor: Actor) -> QuerySet[Delegation]:
    """A producer's people: the delegations it granted; anybody else: those granted to them (a field officer);
    reviewers and staff: all of them. A delegate reads none (the permission refuses them first)."""
    rows = Delegation.objects.select_related(
        "organization", "officer", "support_organization", "granted_by", "revoked_by"
    )
    if actor.is_staff or actor.is_reviewer:
        return rows
    if actor.delegation is not None:
        return rows.none()
    if actor.organization_kind == Organization.Kind.PRODUCER and actor.organization_id is not None:
        return rows.filter(organization_id=actor.organization_id)
    return rows.filter(officer=actor.user)


def delegation_get(*, actor: Actor, delegation_id: Any) -> Delegation:
    delegation = delegations_for(actor=actor).filter(pk=delegation_id).first()
    if delegation is None:
        raise NotFound()
    return delegation


# --- Writes --------------------------------------------------------------------------------------------
def require_producer_admin(actor: Actor) -> Organization:
    """The producer organisation the actor administers (staff act for none: they do not grant)."""
    if actor.organization_kind != Organization.Kind.PRODUCER or actor.delegation is not None:
        raise PermissionDenied(
            _("Only a producer organisation delegates to a support organisation's officers."), code="not_producer"
        )
    if not actor.is_org_admin or actor.organization_id is None:
        raise PermissionDenied(_("Only an administrator of this producer can do this."), code="not_admin")
    return Organization.objects.get(pk=actor.organization_id)


def _officer_and_support(email: str, support_organization_id: Any) -> tuple[User, Organization]:
    """The officer named by e-mail and the support organisation they act through. Nobody by that address and
    somebody who is not a field officer get the same answer, so the form tells nobody who has an account."""
    memberships = list(
        Membership.objects.select_related("user", "organization").filter(
            user__email__iexact=email.strip(),
            user__is_active=True,
            organization__kind=Organization.Kind.SUPPORT,
            role__in=OFFICER_ROLES,
        )
    )
    if not memberships:
        raise field_error(
            "officer_email",
            "not_a_support_officer",
            _("Nobody with this e-mail address is a field officer of a support organisation."),
        )
    if support_organization_id is not None:
        chosen = [m for m in memberships if m.organization_id == support_organization_id]
        if not chosen:
            raise field_error(
                "support_organization",
                "not_officers_organization",
                _("This officer is not a member of that support organisation."),
            )
        return chosen[0].user, chosen[0].organization
    if len(memberships) > 1:
        raise field_error(
            "support_organization",
            "support_organization_required",
            _("This officer belongs to several support organisations: say through which one they act."),
        )
    return memberships[0].user, memberships[0].organization


def _audit(action: str, actor: Actor, delegation: Delegation, **data: Any) -> None:
    audit_record(
        action=f"accounts.delegation.{action}",
        actor=actor,
        subject_organization=delegation.organization,
        target=delegation,
        data={
            "officer": str(delegation.officer_id),
            "officer_email": delegation.officer.email,
            "support_organization": str(delegation.support_organization_id),
            "scopes": delegation.scopes,
            "valid_until": delegation.valid_until,
            "status": delegation.status,
            **data,
        },
    )


def _notify_officer(kind: str, delegation: Delegation) -> None:
    notify(
        recipients=[delegation.officer],
        kind=kind,
        params={"organization": delegation.organization.legal_name, "scopes": ",".join(delegation.scopes)},
        organization=delegation.support_organization,
        target=delegation,
    )


@transaction.atomic
def delegation_grant(
    *,
    actor: Actor,
    officer_email: str,
    scopes: list[str],
    valid_until: dt.date | None = None,
    support_organization: Any = None,
) -> Delegation:
    """Let the officer act for the actor's producer within `scopes`, until `valid_until` (included) if given.

    An active delegation to the same officer answers 409 `delegation_exists` (revoke it to change it); one that
    is past its last day is ended by this grant (revoked by the granter, named in the event as `replaces`)."""
    producer = require_producer_admin(actor)
    chosen = set(scopes)
    if not chosen or not chosen <= set(DelegationScope.values):
        raise field_error("scopes", "invalid_scopes", _("Choose one or more of: evidence, sites."))
    today = clock.today_lima()
    if valid_until is not None and valid_until < today:
        raise field_error("valid_until", "valid_until_past", _("The last day of a delegation cannot be in the past."))
    officer, support = _officer_and_support(officer_email, support_organization)
    if officer.pk == actor.user.pk:
        raise PermissionDenied(_("You cannot delegate to yourself."), code="delegation_to_self")
    if Membership.objects.filter(user=officer, organization=producer).exists():
        raise field_error(
            "officer_email",
            "officer_is_member",
            _("This person is a member of your organisation already: they need no delegation."),
        )
    now = clock.now()
    current = (
        Delegation.objects.select_for_update()
        .filter(organization=producer, officer=officer, status=Delegation.Status.ACTIVE)
        .first()
    )
    replaces = None
    if current is not None:
        if not current.expired(today):
            raise Conflict(
                _("This officer already has an active delegation from you: revoke it before granting another."),
                code="delegation_exists",
            )
        Delegation.objects.filter(pk=current.pk, status=Delegation.Status.ACTIVE).update(
            status=Delegation.Status.REVOKED, revoked_by=actor.user, revoked_at=now
        )
        replaces = str(current.pk)
    try:
        with transaction.atomic():
            delegation = Delegation.objects.create(
                organization=producer,
                officer=officer,
                support_organization=support,
                scope_evidence=DelegationScope.EVIDENCE in chosen,
                scope_sites=DelegationScope.SITES in chosen,
                valid_until=valid_until,
                granted_by=actor.user,
                granted_at=now,
            )
    except IntegrityError:  # the same officer granted a moment ago by a concurrent request
        raise Conflict(
            _("This officer already has an active delegation from you: revoke it before granting another."),
            code="delegation_exists",
        ) from None
    _audit("granted", actor, delegation, replaces=replaces)
    _notify_officer("delegation_granted", delegation)
    return delegation_get(actor=actor, delegation_id=delegation.pk)


@transaction.atomic
def delegation_revoke(*, actor: Actor, delegation: Delegation) -> Delegation:
    """End the delegation at once: the officer's next request for the producer is a stranger's (403
    `not_a_member`). The producer's admins (and staff) may; revoking it again changes nothing."""
    if not (actor.is_staff or (actor.organization_id == delegation.organization_id and actor.is_org_admin)):
        raise PermissionDenied(
            _("Only an administrator of this producer can revoke its delegations."), code="not_admin"
        )
    sources, target = Delegation.ALLOWED_TRANSITIONS["revoke"]
    moved = Delegation.objects.filter(pk=delegation.pk, status__in=sources).update(
        status=target, revoked_by=actor.user, revoked_at=clock.now()
    )
    delegation = Delegation.objects.select_related(
        "organization", "officer", "support_organization", "granted_by", "revoked_by"
    ).get(pk=delegation.pk)
    if not moved:
        return delegation  # revoked already (by another admin, or a moment ago): nothing changes
    _audit("revoked", actor, delegation)
    _notify_officer("delegation_revoked", delegation)
    return delegation
