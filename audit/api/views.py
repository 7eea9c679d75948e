"""The audit trail, read-only: organisation admins read their own, reviewers and staff read everything."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import django_filters
from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from audit.api.serializers import AuditEventSerializer, ChainVerificationSerializer, ChainVerifyQuerySerializer
from audit.models import AuditEvent
from audit.selectors import audit_events_for
from audit.verification import chain_head_seq, verify_chain
from core.actor import get_actor
from core.filters import StrictFilterSet
from core.pagination import CursorPagination
from core.permissions import IsOrganizationAdminOrReviewer, IsReviewerOrStaff


class AuditEventFilter(StrictFilterSet):
    action = django_filters.CharFilter(field_name="action")
    action_prefix = django_filters.CharFilter(field_name="action", lookup_expr="startswith")
    target_type = django_filters.CharFilter(field_name="target_type")
    target_id = django_filters.CharFilter(field_name="target_id")
    organization = django_filters.UUIDFilter(method="filter_organization")
    since = django_filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="gte")
    until = django_filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="lt")

    class Meta:
        model = AuditEvent
        fields: list[str] = []

    def filter_organization(self, queryset: Any, name: str, value: UUID) -> Any:  # the hint types the schema
        return queryset.visible_to_organization(value)


HASH_INPUT = """Each event's `hash` is the SHA-256 (lowercase hex) of these bytes: the JSON object of the event's
fields below, serialised with keys sorted alphabetically at every level (so in this order: `action`, `actor`,
`actor_organization`, `data`, `occurred_at`, `prev_hash`, `request_id`, `seq`, `subject_organization`,
`target_id`, `target_type`), separators `,` and `:` with no spaces, every non-ASCII character written as a
`\\uXXXX` escape (Python's `json.dumps(payload, sort_keys=True, separators=(",", ":"))`), encoded as ASCII.

- `seq`: the integer.
- `occurred_at`: the time in UTC as `YYYY-MM-DDTHH:MM:SS.ffffff+00:00` (Python's
  `isoformat(timespec="microseconds")` of the UTC time; this API shows the time in Lima, convert it first).
- `actor`, `actor_organization`, `subject_organization`: the UUID as a lowercase string with hyphens, or null.
- `action`, `target_type`, `target_id`, `request_id`: strings, "" when empty.
- `data`: the JSON object exactly as this API returns it.
- `prev_hash`: the previous event's `hash`; for event 1, sixty-four zeros (`"0" * 64`).
- `delegation`, `delegate_organization`: only for an event done through a delegation (either is not null): the
  two keys join the object (UUID strings), so in sorted order `delegate_organization` comes after `data` and
  `delegation` after it. Every other event, older ones included, has neither key.

The chain is intact when every event's hash recomputes and every `prev_hash` equals the `hash` of the event
with the seq before it. Keep the `head_hash` you verified: a later verification that finds a different hash
for that event proves the trail was rewritten."""


class AuditPagination(CursorPagination):
    ordering = "-seq"


class AuditEventViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = AuditEvent.objects.none()  # for the schema; requests use get_queryset
    serializer_class = AuditEventSerializer
    permission_classes = [IsOrganizationAdminOrReviewer]
    filterset_class = AuditEventFilter
    pagination_class = AuditPagination
    lookup_field = "seq"
    throttle_scope: str | None = None  # verifying uses "audit_verify"
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> Any:
        return audit_events_for(actor=get_actor(self.request))

    def get_serializer_context(self) -> dict[str, Any]:
        context = dict(super().get_serializer_context())
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no actor
            return context
        actor = get_actor(self.request)
        sees_everyone = actor.is_staff or actor.is_reviewer
        return {**context, "reader_organization_id": None if sees_everyone else actor.organization_id}

    @extend_schema(
        parameters=[ChainVerifyQuerySerializer],
        responses=ChainVerificationSerializer,
        description=(
            "Recompute the audit chain, or a range of it, and say whether every event is intact (reviewers and "
            "staff). One request checks at most `max_events` events (AUDIT_VERIFY_MAX_EVENTS, 10,000 by default); "
            "`next_from_seq` says where to continue. The answer is 200 whether the chain is intact or not: read "
            "`ok`.\n\n" + HASH_INPUT
        ),
    )
    @action(
        detail=False,
        methods=["get"],
        permission_classes=[IsReviewerOrStaff],
        pagination_class=None,
        filterset_class=None,
        throttle_scope="audit_verify",
    )
    def verify(self, request: Request) -> Response:
        query = ChainVerifyQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        first, last = query.validated_data["from_seq"], query.validated_data["to_seq"]
        report = verify_chain(from_seq=first, to_seq=last)
        head_seq = chain_head_seq()
        reached = report.last_seq if report.last_seq is not None else first - 1
        body = {
            "ok": report.ok,
            "checked": report.checked,
            "first_seq": report.first_seq,
            "last_seq": report.last_seq,
            "head_hash": report.head or None,
            "broken_at": report.broken_at,
            "reason": report.reason_code,
            "detail": report.reason or None,
            "chain_head_seq": head_seq,
            "next_from_seq": reached + 1 if report.ok and reached < head_seq else None,
            "max_events": settings.AUDIT_VERIFY_MAX_EVENTS,
        }
        return Response(ChainVerificationSerializer(body).data)
