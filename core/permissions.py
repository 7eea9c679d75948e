"""DRF permissions built on the actor. Object scoping lives in selectors; these gate whole operations.

Every permission of the project derives from `DelegatesInScope`, the one place that keeps delegates in their
scopes: a field officer acting for a producer through a delegation (core.actor.ActingDelegation) may call an
operation only when its view declares the scope for it (`delegable = {"<action or method>": "<scope>"}`) and
the delegation covers that scope. Everything else answers 403 `delegation_out_of_scope`: deny by default, so
that a new view is never delegable by accident. tests/contract/test_delegation_scopes.py checks that every
view of the API uses these permissions and lists the operations each scope opens.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import permissions
from rest_framework.permissions import BasePermission

from core.actor import ORGANIZATION_HEADER, get_actor
from core.errors import PermissionDenied

DELEGATION_OUT_OF_SCOPE = "delegation_out_of_scope"


def out_of_scope() -> PermissionDenied:
    """The refusal of a delegate outside the scopes of their delegation (the API's and the console's)."""
    return PermissionDenied(
        _("Your delegation from this producer does not allow this operation."), code=DELEGATION_OUT_OF_SCOPE
    )


def delegable_scope(view: Any) -> str | None:
    """The scope the view declares for the operation called (a viewset's action, else the HTTP method)."""
    request = getattr(view, "request", None)
    operation = getattr(view, "action", None) or (request.method.lower() if request is not None else "")
    scope: str | None = getattr(view, "delegable", {}).get(operation)
    return scope


class DelegatesInScope(BasePermission):
    """Lets every caller through except a delegate outside the scopes of their delegation (403)."""

    def has_permission(self, request: Any, view: Any) -> bool:
        if not (request.user and request.user.is_authenticated) or ORGANIZATION_HEADER not in request.headers:
            return True  # a delegate always names the producer they act for
        delegation = get_actor(request).delegation
        if delegation is not None:
            scope = delegable_scope(view)
            if scope is None or scope not in delegation.scopes:
                raise out_of_scope()
        return True


class AllowAny(DelegatesInScope, permissions.AllowAny):
    """Anybody, even without a token (a delegate only within scope). DRF's AllowAny too, so that the schema
    says the token is optional."""


class IsAuthenticated(DelegatesInScope, permissions.IsAuthenticated):
    def has_permission(self, request: Any, view: Any) -> bool:
        return bool(request.user and request.user.is_authenticated) and super().has_permission(request, view)


class ActsForOrganization(DelegatesInScope):
    """Authenticated and acting for one organisation (staff may act for none)."""

    def has_permission(self, request: Any, view: Any) -> bool:
        if not (request.user and request.user.is_authenticated) or not super().has_permission(request, view):
            return False
        actor = get_actor(request)
        return actor.organization_id is not None or actor.is_staff


class IsOrganizationAdmin(ActsForOrganization):
    def has_permission(self, request: Any, view: Any) -> bool:
        return super().has_permission(request, view) and (get_actor(request).is_org_admin or request.user.is_staff)


class IsReviewerOrStaff(ActsForOrganization):
    def has_permission(self, request: Any, view: Any) -> bool:
        if not super().has_permission(request, view):
            return False
        actor = get_actor(request)
        return actor.is_reviewer or actor.is_staff


class IsOrganizationAdminOrReviewer(ActsForOrganization):
    """An admin of the acting organisation, a network reviewer, or staff."""

    def has_permission(self, request: Any, view: Any) -> bool:
        if not super().has_permission(request, view):
            return False
        actor = get_actor(request)
        return actor.is_org_admin or actor.is_reviewer or actor.is_staff
