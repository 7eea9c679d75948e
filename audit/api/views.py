"""The audit trail, read-only: organisation admins read their own, reviewers and staff read everything."""

from __future__ import annotations

from typing import Any

import django_filters
from rest_framework import mixins, viewsets

from audit.api.serializers import AuditEventSerializer
from audit.models import AuditEvent
from audit.selectors import audit_events_for
from core.actor import get_actor
from core.filters import StrictFilterSet
from core.pagination import CursorPagination
from core.permissions import IsOrganizationAdminOrReviewer


class AuditEventFilter(StrictFilterSet):
    action = django_filters.CharFilter(field_name="action")
    action_prefix = django_filters.CharFilter(field_name="action", lookup_expr="startswith")
    target_type = django_filters.CharFilter(field_name="target_type")
    target_id = django_filters.CharFilter(field_name="target_id")
    organization = django_filters.UUIDFilter(method="filter_organization")
    since = django_filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="gte")
    until = django_filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="lt")

    class Meta:
        model = AuditEvent
        fields: list[str] = []

    def filter_organization(self, queryset: Any, name: str, value: Any) -> Any:
        return queryset.visible_to_organization(value)


class AuditPagination(CursorPagination):
    ordering = "-seq"


class AuditEventViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = AuditEvent.objects.none()  # for the schema; requests use get_queryset
    serializer_class = AuditEventSerializer
    permission_classes = [IsOrganizationAdminOrReviewer]
    filterset_class = AuditEventFilter
    pagination_class = AuditPagination
    lookup_field = "seq"
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> Any:
        return audit_events_for(actor=get_actor(self.request))

    def get_serializer_context(self) -> dict[str, Any]:
        context = dict(super().get_serializer_context())
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no actor
            return context
        actor = get_actor(self.request)
        sees_everyone = actor.is_staff or actor.is_reviewer
        return {**context, "reader_organization_id": None if sees_everyone else actor.organization_id}
