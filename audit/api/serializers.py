from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from audit.models import AuditEvent
from core.serializers import CharField, EmailField, ModelSerializer


class AuditEventSerializer(ModelSerializer):
    """An event of the trail. Reviewers and staff read every actor's e-mail; an organisation reads the
    e-mail of its own people only: the other party's people appear by their organisation (and user id),
    not by their address (journey 7 in docs/journeys.md: neither side sees the other's private data)."""

    actor_email = EmailField(
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
            "delegation",
            "delegate_organization",
            "action",
            "target_type",
            "target_id",
            "data",
            "request_id",
            "prev_hash",
            "hash",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "actor_organization": {
                "help_text": "The organisation the actor acted for: for a delegate, the producer acted for."
            },
            "delegation": {
                "help_text": "For an event done by a support organisation's field officer for a producer (`actor` "
                "for `actor_organization`): the delegation they acted through. Null otherwise."
            },
            "delegate_organization": {
                "help_text": "For an event done through a delegation: the officer's support organisation. Null "
                "otherwise."
            },
        }

    def to_representation(self, instance: AuditEvent) -> dict[str, Any]:
        body = super().to_representation(instance)
        # The reading organisation; None for readers who see every address (reviewers and staff).
        reader = self.context.get("reader_organization_id", "nobody")
        if reader is not None and instance.actor_organization_id != reader:
            body["actor_email"] = None
        return body


class ChainVerifyQuerySerializer(serializers.Serializer):
    from_seq = serializers.IntegerField(min_value=1, default=1, help_text="First event to check (default 1).")
    to_seq = serializers.IntegerField(
        min_value=1,
        required=False,
        help_text="Last event to check (default: as far as the range limit allows, at most the newest event).",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        limit = settings.AUDIT_VERIFY_MAX_EVENTS
        first = attrs["from_seq"]
        last = attrs.get("to_seq", first + limit - 1)
        if last < first:
            raise serializers.ValidationError(
                {
                    "to_seq": [
                        serializers.ErrorDetail(str(_("to_seq must not be below from_seq.")), code="range_reversed")
                    ]
                }
            )
        if last - first + 1 > limit:
            message = _("At most %(limit)d events per request: ask for a shorter range.") % {"limit": limit}
            error = serializers.ErrorDetail(str(message), code="range_too_large")
            raise serializers.ValidationError({"to_seq": [error]})
        return {"from_seq": first, "to_seq": last}


class ChainVerificationSerializer(serializers.Serializer):
    ok = serializers.BooleanField(help_text="True when every event of the range recomputes and links.")
    checked = serializers.IntegerField(help_text="Events recomputed and found intact.")
    first_seq = serializers.IntegerField(allow_null=True, help_text="First event of the range; null if it is empty.")
    last_seq = serializers.IntegerField(
        allow_null=True, help_text="Last intact event checked (the end of the range when ok); null if none."
    )
    head_hash = CharField(
        allow_null=True,
        help_text="Hash of the last intact event checked: the next range's first event must link to it (its "
        "prev_hash). For an empty range, the hash the range's first event must link to; null when unknown.",
    )
    broken_at = serializers.IntegerField(allow_null=True, help_text="Seq of the first event that fails; null if ok.")
    reason = serializers.ChoiceField(
        choices=["event_missing", "link_broken", "hash_mismatch"],
        allow_null=True,
        help_text="Why `broken_at` fails: a missing event, a prev_hash that is not the previous event's hash, or "
        "content that does not hash to the stored hash. Null if ok.",
    )
    detail = CharField(allow_null=True, help_text="The reason in words, in the language asked for.")
    chain_head_seq = serializers.IntegerField(help_text="Seq of the newest event of the whole chain (0 if empty).")
    next_from_seq = serializers.IntegerField(
        allow_null=True, help_text="Where to continue to verify the rest of the chain; null when the range reached it."
    )
    max_events = serializers.IntegerField(help_text="The most events one request may check.")
