from __future__ import annotations

from rest_framework import serializers

from audit.models import AuditEvent


class AuditEventSerializer(serializers.ModelSerializer):
    actor_email = serializers.EmailField(source="actor.email", default=None, read_only=True)

    class Meta:
        model = AuditEvent
        fields = [
            "seq",
            "occurred_at",
            "actor",
            "actor_email",
            "actor_organization",
            "subject_organization",
            "action",
            "target_type",
            "target_id",
            "data",
            "request_id",
            "prev_hash",
            "hash",
        ]
        read_only_fields = fields
