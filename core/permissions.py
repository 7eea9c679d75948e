"""DRF permissions built on the actor. Object scoping lives in selectors; these gate whole operations."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission

from core.actor import get_actor


class ActsForOrganization(BasePermission):
    """Authenticated and acting for one organisation (staff may act for none)."""

    def has_permission(self, request: Any, view: Any) -> bool:
        if not (request.user and request.user.is_authenticated):
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
