from __future__ import annotations

from typing import Any

from rest_framework import serializers

from core.serializers import ModelSerializer
from notifications.kinds import render
from notifications.models import Notification


class NotificationSerializer(ModelSerializer):
    title = serializers.SerializerMethodField()
    body = serializers.SerializerMethodField()
    is_read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = [
            "id",
            "kind",
            "title",
            "body",
            "params",
            "organization",
            "target_type",
            "target_id",
            "created_at",
            "read_at",
            "is_read",
        ]
        read_only_fields = fields

    def get_title(self, obj: Notification) -> str:
        return render(obj.kind, obj.params)[0]

    def get_body(self, obj: Notification) -> str:
        return render(obj.kind, obj.params)[1]

    def get_is_read(self, obj: Notification) -> bool:
        return obj.read_at is not None


class UnreadCountSerializer(serializers.Serializer):
    unread = serializers.IntegerField()


class MarkedReadSerializer(serializers.Serializer):
    marked_read = serializers.IntegerField()

    def to_representation(self, instance: Any) -> dict[str, Any]:
        return {"marked_read": instance}
