"""Which organisation a request acts for: the `X-Organization` header, or the caller's only membership."""

from __future__ import annotations

import uuid
from typing import Any

from django.utils.translation import gettext_lazy as _

from accounts.models import Membership
from core.actor import Actor
from core.errors import BadRequest, PermissionDenied

HEADER = "X-Organization"


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
