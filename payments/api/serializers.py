from __future__ import annotations

from rest_framework import serializers

from core.serializers import CharField

WEBHOOK_OUTCOMES = ["processed", "ignored", "duplicate"]


class WebhookReceiptSerializer(serializers.Serializer):
    event_id = CharField(help_text="The id of the event received (evt_...).")
    outcome = serializers.ChoiceField(
        choices=WEBHOOK_OUTCOMES,
        help_text=(
            "processed: handled now; ignored: recorded, nothing handles this type; duplicate: a replay of an "
            "event already handled (or being handled), nothing was done."
        ),
    )
