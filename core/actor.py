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
class Actor:
    user: Any
    organization_id: uuid.UUID | None = None
    organization_kind: str | None = None  # "producer" | "buyer" | "network"
    role: str | None = None  # "admin" | "member" | "reviewer"

    @property
    def is_staff(self) -> bool:
        return bool(self.user.is_staff)

    @property
    def is_org_admin(self) -> bool:
        return self.role == "admin"

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
