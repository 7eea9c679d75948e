from __future__ import annotations

from rest_framework import serializers

from core.serializers import CharField, ModelSerializer
from webhooks.models import DISABLE_CHOICES, WebhookAttempt, WebhookDelivery, WebhookEndpoint


class WebhookEndpointSerializer(ModelSerializer):
    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "organization",
            "url",
            "description",
            "event_types",
            "state",
            "disabled_at",
            "disabled_reason",
            "failing_since",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class WebhookEndpointCreatedSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(help_text="The signing secret: shown in this answer only. Keep it.")

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class WebhookEndpointInputSerializer(serializers.Serializer):
    url = CharField(max_length=2000, help_text="https:// and a host with a public address.")
    event_types = serializers.ListField(
        child=CharField(max_length=40),
        min_length=1,
        help_text="The types to receive (GET /api/v1/webhook-event-types/).",
    )
    description = CharField(max_length=200, required=False, allow_blank=True, default="")


class WebhookEndpointPatchSerializer(serializers.Serializer):
    url = CharField(max_length=2000, required=False)
    event_types = serializers.ListField(child=CharField(max_length=40), min_length=1, required=False)
    description = CharField(max_length=200, required=False, allow_blank=True)
    state = serializers.ChoiceField(
        choices=DISABLE_CHOICES, required=False, help_text="`disabled` stops deliveries; enable/ resumes."
    )


class RotateSecretSerializer(serializers.Serializer):
    overlap_hours = serializers.IntegerField(
        min_value=0, max_value=168, default=24, help_text="How long the old secret keeps signing (0 to 168)."
    )


class SecretSerializer(serializers.Serializer):
    secret = serializers.CharField(help_text="The new signing secret: shown in this answer only.")
    previous_expire_at = serializers.DateTimeField(help_text="When the previous secret stops signing.")


class WebhookAttemptSerializer(ModelSerializer):
    class Meta:
        model = WebhookAttempt
        fields = ["at", "status_code", "error", "latency_ms", "response_excerpt"]
        read_only_fields = fields


class WebhookDeliverySerializer(ModelSerializer):
    event_id = serializers.UUIDField(source="event.id", read_only=True)
    event_type = serializers.CharField(source="event.type", read_only=True)
    payload = serializers.JSONField(source="event.payload", read_only=True)
    attempts = WebhookAttemptSerializer(many=True, read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "endpoint",
            "event_id",
            "event_type",
            "payload",
            "state",
            "replay_of",
            "created_at",
            "delivered_at",
            "attempts",
        ]
        read_only_fields = fields


class EventTypeSerializer(serializers.Serializer):
    type = serializers.CharField()
    description = serializers.CharField()
