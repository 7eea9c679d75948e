"""Outbound webhooks (docs/webhooks.md): the endpoints an organisation registers with their signing secrets, the
events the dispatcher reads from the audit chain (one per event and receiving organisation, its id the one
receivers de-duplicate on), one delivery per endpoint and every attempt of it."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from accounts.models import Organization


class EndpointState(models.TextChoices):
    ACTIVE = "active", "active"
    DISABLED = "disabled", "disabled"


DISABLE_CHOICES = [("disabled", "disabled")]  # what a PATCH may set `state` to (enable/ turns it on)


class DisabledReason(models.TextChoices):
    FAILING = "failing", "failing"  # no delivery accepted for WEBHOOKS_DISABLE_AFTER_DAYS
    BY_ADMIN = "by_admin", "by_admin"  # PATCH {"state": "disabled"}


class WebhookEndpoint(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="webhook_endpoints")
    url = models.CharField(max_length=2000)
    description = models.CharField(max_length=200, blank=True)
    event_types = models.JSONField(default=list)  # the types it subscribes to (webhooks.events.EVENT_TYPES)
    state = models.CharField(max_length=8, choices=EndpointState.choices, default=EndpointState.ACTIVE)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=8, choices=DisabledReason.choices, blank=True)
    failing_since = models.DateTimeField(null=True, blank=True)  # the first failed attempt since the last success
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "id"]
        indexes = [models.Index(fields=["organization", "state"], name="webhook_endpoint_org_idx")]

    def __str__(self) -> str:
        return self.url


class WebhookSecret(models.Model):
    """A signing secret. The current one has no `expires_at`; a rotated one signs too until it expires."""

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="secrets")
    secret = models.CharField(max_length=80)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"secret of {self.endpoint_id}"


class DispatchCursor(models.Model):
    """One row: the last audit event the dispatcher has read. Locked by each run."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.PositiveBigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"after audit event {self.seq}"


class WebhookEvent(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)  # Oro-Event-Id
    type = models.CharField(max_length=40)
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    payload = models.JSONField()  # the body sent, as JSON: {id, type, created, data}
    audit_seq = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["audit_seq", "id"]
        constraints = [
            models.UniqueConstraint(fields=["audit_seq", "organization"], name="webhook_event_once_per_org"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.id}"


class DeliveryState(models.TextChoices):
    PENDING = "pending", "pending"  # being tried (the job retries it)
    DELIVERED = "delivered", "delivered"  # a 2xx answer
    FAILED = "failed", "failed"  # every attempt failed
    SKIPPED = "skipped", "skipped"  # the endpoint was disabled before it could go


class WebhookDelivery(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    event = models.ForeignKey(WebhookEvent, on_delete=models.PROTECT, related_name="deliveries")
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    state = models.CharField(max_length=9, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    replay_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "id"]
        indexes = [models.Index(fields=["endpoint", "-created_at"], name="webhook_delivery_endpoint_idx")]

    def __str__(self) -> str:
        return f"{self.event_id} to {self.endpoint_id}"


class WebhookAttempt(models.Model):
    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempts")
    at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=200, blank=True)
    latency_ms = models.PositiveIntegerField()
    response_excerpt = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.delivery_id} at {self.at:%Y-%m-%d %H:%M:%S}"
