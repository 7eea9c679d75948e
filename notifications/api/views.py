"""The caller's own notification feed. Notifications of other users are 404."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.api import UUID_PATTERN
from core.filters import StrictBooleanFilter, StrictFilterSet
from core.permissions import IsAuthenticated
from notifications import selectors, services
from notifications.api.serializers import MarkedReadSerializer, NotificationSerializer, UnreadCountSerializer
from notifications.models import Notification


class NotificationFilter(StrictFilterSet):
    unread = StrictBooleanFilter(field_name="read_at", lookup_expr="isnull", label="Only unread")

    class Meta:
        model = Notification
        fields = ["unread", "kind"]


class NotificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    lookup_value_regex = UUID_PATTERN
    queryset = Notification.objects.none()  # for the schema; requests use get_queryset
    serializer_class = NotificationSerializer
    permission_classes = [IsAuthenticated]
    filterset_class = NotificationFilter

    def get_queryset(self) -> Any:
        return selectors.notifications_for(user=self.request.user)

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk: str | None = None) -> Response:
        notification = services.notification_mark_read(user=request.user, notification=self.get_object())
        return Response(NotificationSerializer(notification).data)

    @extend_schema(request=None, responses=MarkedReadSerializer)
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request: Request) -> Response:
        return Response(MarkedReadSerializer(services.notification_mark_all_read(user=request.user)).data)

    @extend_schema(responses=UnreadCountSerializer)
    @action(detail=False, methods=["get"], url_path="unread-count", pagination_class=None, filterset_class=None)
    def unread_count(self, request: Request) -> Response:
        return Response({"unread": selectors.unread_count(user=request.user)})
