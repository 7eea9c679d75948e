"""Who a request acts as: the user, and the organisation they act for with their role in it.

A person can belong to several organisations; each request acts for one (`X-Organization` header, or the
only membership). Resolving it needs the accounts app, which comes after core and audit in the layer order,
so the resolver is named in settings (`ACTOR_RESOLVER`) the way Django names the user model.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True, slots=True)
class ActingDelegation:
    """The delegation through which a support organisation's field officer acts for a producer."""

    id: uuid.UUID
    scopes: frozenset[str]  # "evidence", "sites"
    support_organization_id: uuid.UUID


ORGANIZATION_HEADER = "X-Organization"
DELEGATE = "delegate"  # the role of a field officer acting for a producer through a delegation


@dataclass(frozen=True, slots=True)
class Actor:
    user: Any
    organization_id: uuid.UUID | None = None
    organization_kind: str | None = None  # "producer" | "buyer" | "network" | "support"
    role: str | None = None  # "admin" | "member" | "reviewer" | "delegate"
    delegation: ActingDelegation | None = None  # set for a delegate (role "delegate") only

    @property
    def is_staff(self) -> bool:
        return bool(self.user.is_staff)

    @property
    def is_org_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_delegate(self) -> bool:
        return self.delegation is not None

    def is_delegate_for(self, scope: str) -> bool:
        """A delegate of the organisation acted for, whose delegation covers `scope`."""
        return self.delegation is not None and scope in self.delegation.scopes

    @property
    def is_reviewer(self) -> bool:
        """A member of the network organisation who may decide (reviewers and the network's admins)."""
        return self.organization_kind == "network" and self.role in ("reviewer", "admin")


def get_actor(request: Any) -> Actor:
    """The request's actor, resolved once and cached on the request."""
    cached = getattr(request, "_actor", None)
    if cached is None:
        cached = import_string(settings.ACTOR_RESOLVER)(request)
        request._actor = cached
    return cached
