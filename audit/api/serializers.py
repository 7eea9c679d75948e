from __future__ import annotations

from typing import Any

from rest_framework import serializers

from audit.models import AuditEvent


class AuditEventSerializer(serializers.ModelSerializer):
    """An event of the trail. Reviewers and staff read every actor's e-mail; an organisation reads the
    e-mail of its own people only: the other party's people appear by their organisation (and user id),
    not by their address (JOURNEYS.md 7: neither side sees the other's private data)."""

    actor_email = serializers.EmailField(
        source="actor.email",
        default=None,
        read_only=True,
        allow_null=True,
        help_text="Null for events of the system, and for people of another organisation than yours.",
    )

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

    def to_representation(self, instance: AuditEvent) -> dict[str, Any]:
        body = super().to_representation(instance)
        # The reading organisation; None for readers who see every address (reviewers and staff).
        reader = self.context.get("reader_organization_id", "nobody")
        if reader is not None and instance.actor_organization_id != reader:
            body["actor_email"] = None
        return body
