"""The queue's jobs, for staff: what is pending, running, done or failed, and trying a failed one again. Everybody
else is 403 (401 without a token). docs/jobs.md."""

from __future__ import annotations

from typing import Any

import django_filters
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.actor import get_actor
from core.api import UUID_PATTERN
from core.errors import documents_problems
from core.filters import StrictFilterSet
from core.pagination import CursorPagination
from core.permissions import ActsForOrganization
from jobs import services
from jobs.api.serializers import JobSerializer
from jobs.models import Job, JobState

FAILED_JOB_EXAMPLE = {
    "id": "5b2c8e4a-1f3d-4a6b-9c7e-0d1e2f3a4b5c",
    "name": "notifications.email",
    "args": {"ids": ["8f14e45f-ceea-467f-a0e6-0d1e2f3a4b5c"]},
    "key": None,
    "state": "failed",
    "attempts": 14,
    "max_attempts": 14,
    "run_after": "2026-12-05T06:12:09Z",
    "lease_until": None,
    "enqueued_at": "2026-12-05T06:12:09Z",
    "last_error": "EmailsNotSent: 1 of 1 e-mails refused; first: 8f14e45f-ceea-467f-a0e6-0d1e2f3a4b5c",
    "created_at": "2026-12-04T14:02:11Z",
    "started_at": "2026-12-05T06:12:09Z",
    "finished_at": "2026-12-05T06:12:19Z",
}


class JobPagination(CursorPagination):
    ordering = ("-created_at", "id")  # type: ignore[assignment]  # DRF takes a tuple; the stubs say str


class JobFilter(StrictFilterSet):
    state = django_filters.ChoiceFilter(choices=JobState.choices)
    name = django_filters.CharFilter(help_text="A job's name, e.g. `notifications.email`.")

    class Meta:
        model = Job
        fields: list[str] = []


class JobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = Job.objects.none()  # for the schema; requests use get_queryset
    serializer_class = JobSerializer
    permission_classes = [ActsForOrganization]
    filterset_class = JobFilter
    pagination_class = JobPagination
    lookup_value_regex = UUID_PATTERN

    def get_queryset(self) -> Any:
        services.require_staff(get_actor(self.request))
        return Job.objects.all()

    @extend_schema(examples=[OpenApiExample("A failed e-mail", value=FAILED_JOB_EXAMPLE, response_only=True)])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The queue's jobs, newest first (staff): `?state=failed` lists those whose every attempt failed, with
        the last error. Done jobs are kept for JOBS_KEEP_DAYS, failed ones twice as long."""
        return super().list(request, *args, **kwargs)

    @extend_schema(examples=[OpenApiExample("A failed e-mail", value=FAILED_JOB_EXAMPLE, response_only=True)])
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """One job (staff)."""
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        request=None,
        responses=JobSerializer,
        examples=[
            OpenApiExample(
                "Back in the queue",
                value={**FAILED_JOB_EXAMPLE, "state": "pending", "attempts": 0, "finished_at": None},
                response_only=True,
            )
        ],
    )
    @documents_problems(409)
    @action(detail=True, methods=["post"])
    def retry(self, request: Request, pk: str | None = None) -> Response:
        """Try a failed job again from its first attempt, now (staff; audited `jobs.job.retried`). A job that is
        not failed is 409 `job_not_failed`."""
        job = services.job_retry(actor=get_actor(request), job=self.get_object())
        return Response(JobSerializer(job).data)
