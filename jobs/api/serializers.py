from __future__ import annotations

from core.serializers import ModelSerializer
from jobs.models import Job


class JobSerializer(ModelSerializer):
    class Meta:
        model = Job
        fields = [
            "id",
            "name",
            "args",
            "key",
            "state",
            "attempts",
            "max_attempts",
            "run_after",
            "lease_until",
            "enqueued_at",
            "last_error",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields
