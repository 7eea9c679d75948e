"""Which organisation a request acts for: the `X-Organization` header, or the caller's only membership.

A field officer of a support organisation names a producer they are not a member of: with a delegation of that
producer to them that is active, not past its last day, and while they still belong to the support organisation
it names, they act for the producer as its `delegate` (docs/delegation.md). Without one, they are a stranger:
403 `not_a_member`, as for anybody else. Which operations a delegate may call is `core.permissions`' to say.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Delegation, Membership, Organization, Role
from core import clock
from core.actor import DELEGATE, ORGANIZATION_HEADER, ActingDelegation, Actor
from core.errors import BadRequest, PermissionDenied

HEADER = ORGANIZATION_HEADER


def resolve_actor(request: Any) -> Actor:
    user = request.user
    if not (user and user.is_authenticated):
        return Actor(user=user)
    raw = request.headers.get(HEADER)
    memberships = Membership.objects.select_related("organization").filter(user=user)
    if raw is not None:
        try:
            organization_id = uuid.UUID(raw.strip())
        except ValueError:
            raise BadRequest(
                _("The X-Organization header must be the id (a UUID) of one of your organisations."),
                code="invalid_organization_header",
            ) from None
        membership = memberships.filter(organization_id=organization_id).first()
        if membership is None:
            delegate = _as_delegate(user, organization_id)
            if delegate is not None:
                return delegate
            raise PermissionDenied(
                _("You are not a member of the organisation named in X-Organization."), code="not_a_member"
            )
    else:
        found = list(memberships[:2])
        if not found:
            return Actor(user=user)
        if len(found) > 1:
            raise BadRequest(
                _("You belong to several organisations: say which one you act for in the X-Organization header."),
                code="organization_required",
            )
        membership = found[0]
    return Actor(
        user=user,
        organization_id=membership.organization_id,
        organization_kind=membership.organization.kind,
        role=membership.role,
    )


def _as_delegate(user: Any, organization_id: uuid.UUID) -> Actor | None:
    """The user as a delegate of this producer, through a delegation in force today; else None."""
    delegation = (
        Delegation.objects.filter(
            Q(valid_until__isnull=True) | Q(valid_until__gte=clock.today_lima()),
            organization_id=organization_id,
            organization__kind=Organization.Kind.PRODUCER,
            officer=user,
            status=Delegation.Status.ACTIVE,
            support_organization__kind=Organization.Kind.SUPPORT,
            support_organization__memberships__user=user,
            support_organization__memberships__role__in=[Role.ADMIN, Role.MEMBER],
        )
        .only("id", "scope_evidence", "scope_sites", "support_organization_id")
        .first()
    )
    if delegation is None:
        return None
    return Actor(
        user=user,
        organization_id=organization_id,
        organization_kind=Organization.Kind.PRODUCER,
        role=DELEGATE,
        delegation=ActingDelegation(
            id=delegation.pk,
            scopes=frozenset(delegation.scopes),
            support_organization_id=delegation.support_organization_id,
        ),
    )
