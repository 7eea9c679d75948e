"""A job is a row first, a message second: the row is written in the transaction of the change that asks for
the work (an outbox), so a committed change never loses its work, whatever happens to the broker; the message
on the queue only says "look at this row now" (docs/jobs.md)."""

from __future__ import annotations

import uuid

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models


class JobState(models.TextChoices):
    PENDING = "pending", "pending"  # waiting for its time (`run_after`) and a worker
    RUNNING = "running", "running"  # claimed by a worker until `lease_until`; past it, another may take it over
    DONE = "done", "done"
    FAILED = "failed", "failed"  # every attempt failed: staff see it and may retry it


class Job(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=80)  # a name of jobs.registry: which function runs it
    args = models.JSONField(default=dict, encoder=DjangoJSONEncoder)
    # Work asked for twice under one key is one job (a daily run's key is its name and day).
    key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    state = models.CharField(max_length=10, choices=JobState.choices, default=JobState.PENDING)
    attempts = models.PositiveIntegerField(default=0)  # begun so far; also the claim's fencing token
    max_attempts = models.PositiveIntegerField()
    run_after = models.DateTimeField()
    lease_until = models.DateTimeField(null=True, blank=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)  # last time a message was put on the queue for it
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # The sweeper's two questions: pending and due, running past its lease.
            models.Index(fields=["run_after"], condition=models.Q(state="pending"), name="job_pending_due_idx"),
            models.Index(fields=["lease_until"], condition=models.Q(state="running"), name="job_running_lease_idx"),
            models.Index(fields=["state", "-created_at"], name="job_state_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.state})"
