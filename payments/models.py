"""The log of events the payment provider sent us: what came, once, and what we did with it."""

from __future__ import annotations

from django.db import models


class ProviderEvent(models.Model):
    """One verified webhook event. The unique (provider, event id) makes a replay, even a concurrent one, a no-op."""

    class Provider(models.TextChoices):
        STRIPE = "stripe"

    class Outcome(models.TextChoices):
        RECEIVED = "received"  # stored, no handler has run it yet
        PROCESSING = "processing"  # a request is running the handler now (a lease: see services.LEASE)
        PROCESSED = "processed"  # the handler ran to the end
        IGNORED = "ignored"  # no handler is configured (PAYMENTS_EVENT_HANDLER): recorded only
        FAILED = "failed"  # the handler raised; Stripe delivers the event again and it is run again

    # An event may be run (again) from these outcomes; PROCESSING only once its lease ran out.
    RUNNABLE = (Outcome.RECEIVED, Outcome.FAILED)
    DONE = (Outcome.PROCESSED, Outcome.IGNORED)

    provider = models.CharField(max_length=20, choices=Provider.choices, default=Provider.STRIPE)
    event_id = models.CharField(max_length=255)
    type = models.CharField(max_length=255)
    object_id = models.CharField(max_length=255, blank=True)
    object_type = models.CharField(max_length=100, blank=True)
    payload = models.JSONField()  # the whole event as the provider signed it
    received_at = models.DateTimeField(auto_now_add=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, default=Outcome.RECEIVED)
    attempts = models.PositiveIntegerField(default=0)  # times the handler was started
    claimed_at = models.DateTimeField(null=True, blank=True)  # when the running attempt started
    processed_at = models.DateTimeField(null=True, blank=True)  # when it reached PROCESSED or IGNORED
    last_error = models.TextField(blank=True)  # the exception of the last failed attempt

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_id"], name="provider_event_unique_event_id"),
            models.CheckConstraint(
                condition=models.Q(outcome__in=["received", "processing", "processed", "ignored", "failed"]),
                name="provider_event_outcome_valid",
            ),
            models.CheckConstraint(condition=models.Q(provider__in=["stripe"]), name="provider_event_provider_valid"),
        ]
        indexes = [
            models.Index(fields=["object_id"], name="provider_event_object_idx"),
            models.Index(fields=["outcome", "received_at"], name="provider_event_outcome_idx"),
        ]
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.provider} {self.event_id} {self.type}"
