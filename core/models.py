"""Core tables: the stored answers of idempotent requests."""

from __future__ import annotations

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models


class IdempotencyRecord(models.Model):
    """The first answer to a request sent with an `Idempotency-Key`, replayed to its retries."""

    class State(models.TextChoices):
        IN_PROGRESS = "in_progress"  # the first request is still running
        COMPLETED = "completed"  # its answer is stored below and replayed

    scope = models.CharField(max_length=80)  # "user:<id>" or "anonymous": keys never cross users
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)  # HMAC of method, path and canonical body
    state = models.CharField(max_length=20, choices=State.choices, default=State.IN_PROGRESS)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="idempotency_key_unique_per_scope"),
            models.CheckConstraint(
                condition=models.Q(state__in=["in_progress", "completed"]), name="idempotency_state_valid"
            ),
        ]
        indexes = [models.Index(fields=["expires_at"], name="idempotency_expiry_idx")]

    def __str__(self) -> str:
        return f"{self.scope} {self.key}"
