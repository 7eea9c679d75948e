"""The public catalogue, evidence upload and download, the reviewers' queue and decisions, the engine's
answer for a producer, and buyer KYC."""

from __future__ import annotations

from typing import Any, cast

import django_filters
from django.conf import settings
from django.core.files.storage import storages
from django.db.models import Prefetch, Q
from django.http import HttpResponse, QueryDict
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import DelegationScope
from accounts.selectors import buyer_get
from compliance import kyc, selectors, services
from compliance.api.serializers import (
    ApproveSerializer,
    ComplianceSerializer,
    DecisionReasonSerializer,
    EvidenceInputSerializer,
    EvidenceSerializer,
    EvidenceTypeCatalogueSerializer,
    KycRejectSerializer,
    OptionalReasonSerializer,
    RequirementSerializer,
)
from compliance.models import (
    Area,
    Evidence,
    EvidenceStatus,
    EvidenceType,
    Policy,
    Requirement,
    ValidityDeadline,
)
from compliance.overview import compliance_overview, producer_compliance
from compliance.policy import EXPIRING_SOON_DAYS
from core import clock
from core.actor import get_actor
from core.api import UUID_PATTERN
from core.downloads import attachment_response, read_or_refuse
from core.errors import PermissionDenied, documents_problems
from core.filters import StrictBooleanFilter, StrictFilterSet, StrictOrderingFilter
from core.idempotency import idempotent
from core.pagination import CursorPagination
from core.permissions import ActsForOrganization, AllowAny
from core.uploads import check_upload_length


class EvidenceTypePagination(CursorPagination):
    ordering = "code"


class EvidenceTypeFilter(StrictFilterSet):
    area = django_filters.ChoiceFilter(choices=Area.choices)
    subject = django_filters.ChoiceFilter(choices=EvidenceType.Subject.choices)
    per = django_filters.ChoiceFilter(
        choices=EvidenceType.Per.choices, method="filter_per", label="What one item covers"
    )

    class Meta:
        model = EvidenceType
        fields = ["area", "subject", "per"]

    def filter_per(self, queryset: Any, name: str, value: str) -> Any:
        lot = Q(validity=EvidenceType.Validity.PER_LOT)
        if value == EvidenceType.Per.LOT:
            return queryset.filter(lot)
        return queryset.exclude(lot).filter(site_specific=value == EvidenceType.Per.SITE)


@extend_schema_view(
    retrieve=extend_schema(
        examples=[
            OpenApiExample(
                "IGAFOM",
                response_only=True,
                value={
                    "code": "IGAFOM",
                    "name": "Environmental instrument for formalization",
                    "area": "environment",
                    "subject": "producer",
                    "proves": "That the site has the environmental instrument for formalization (corrective and "
                    "preventive parts).",
                    "issuer": "DREM / GREM",
                    "validity": {
                        "kind": "deadline",
                        "description": "Until a deadline set by law (ValidityDeadline), or the document's expiry "
                        "if sooner",
                        "days": None,
                        "deadline": {
                            "code": "formalization",
                            "date": "2025-12-31",
                            "effective_from": "2025-01-01",
                            "norm": "D.S. 012-2025-EM",
                        },
                        "allows_no_expiry": False,
                    },
                    "per": "site",
                    "needs_second_review": False,
                    "reviewer_checks": "corrective and preventive parts; area matches the site; closure measures",
                    "requirements": [
                        {
                            "code": "ENVIRONMENTAL_INSTRUMENT",
                            "name": "Environmental instrument (IGAFOM or approved certification)",
                            "claims": [],
                        }
                    ],
                    "claims": [],
                    "purpose": "",
                    "purpose_note": "",
                    "basis": [
                        {
                            "citation": "D.L. 1336",
                            "clause": "",
                            "url": "",
                            "to_confirm": False,
                            "note": "creates the IGAFOM",
                        }
                    ],
                },
            )
        ]
    )
)
class EvidenceTypeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The evidence catalogue, public: what each type of document proves, who issues it, how long it counts,
    the requirements and claims it serves (or why it exists when it serves none), and the norms that ask for
    it. Names and texts in the caller's language (Accept-Language)."""

    queryset = EvidenceType.objects.prefetch_related(
        Prefetch("requirements", queryset=Requirement.objects.order_by("code").prefetch_related("claims")),
        "basis",
    )
    serializer_class = EvidenceTypeCatalogueSerializer
    permission_classes = [AllowAny]
    delegable = {"list": DelegationScope.EVIDENCE, "retrieve": DelegationScope.EVIDENCE}
    pagination_class = EvidenceTypePagination
    filterset_class = EvidenceTypeFilter
    lookup_value_regex = r"[A-Z0-9_]{1,30}"

    def get_serializer_context(self) -> dict[str, Any]:
        today = clock.today_lima()
        deadlines: dict[str, Any] = {}
        for row in ValidityDeadline.objects.filter(effective_from__lte=today).order_by("code", "-effective_from"):
            deadlines.setdefault(row.code, row)
        return {**super().get_serializer_context(), "deadlines": deadlines}


class RequirementViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The requirement catalogue: what each kind of organisation must prove, and with which documents."""

    queryset = Requirement.objects.prefetch_related("evidence_types").order_by("area", "code")
    serializer_class = RequirementSerializer
    permission_classes = [AllowAny]
    delegable = {"list": DelegationScope.EVIDENCE, "retrieve": DelegationScope.EVIDENCE}
    pagination_class = None
    lookup_value_regex = r"[A-Z0-9_]{1,40}"

    def get_serializer_context(self) -> dict[str, Any]:
        today = clock.today_lima()
        in_force: dict[str, set[str]] = {}
        for subject in Policy.Subject.values:
            policy = (
                Policy.objects.filter(subject=subject, effective_from__lte=today).order_by("-effective_from").first()
            )
            if policy is not None:
                in_force[subject] = set(policy.requirements.values_list("code", flat=True))
        return {**super().get_serializer_context(), "policies_in_force": in_force}


class EvidenceFilter(StrictFilterSet):
    status = django_filters.MultipleChoiceFilter(choices=EvidenceStatus.choices)
    evidence_type = django_filters.CharFilter(field_name="evidence_type_id")
    area = django_filters.ChoiceFilter(field_name="evidence_type__area", choices=Area.choices)
    organization = django_filters.UUIDFilter(field_name="organization_id")
    expiring_soon = StrictBooleanFilter(
        method="filter_expiring_soon", label=f"Approved and lapsing within {EXPIRING_SOON_DAYS} days"
    )
    unclaimed = StrictBooleanFilter(method="filter_unclaimed")

    class Meta:
        model = Evidence
        fields = ["status", "evidence_type", "area", "organization", "expiring_soon", "unclaimed"]

    def filter_expiring_soon(self, queryset: Any, name: str, value: bool) -> Any:
        return selectors.expiring_soon(queryset, value)

    def filter_unclaimed(self, queryset: Any, name: str, value: bool) -> Any:
        return selectors.unclaimed(queryset, value)


class EvidenceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Your organisation's evidence; for reviewers, the queue of every organisation's, oldest first."""

    queryset = Evidence.objects.none()
    serializer_class = EvidenceSerializer
    permission_classes = [ActsForOrganization]
    # A delegate uploads and reads the producer's evidence; the review moves are never theirs.
    delegable = {action: DelegationScope.EVIDENCE for action in ("list", "retrieve", "create", "files")}
    filterset_class = EvidenceFilter
    filter_backends = [DjangoFilterBackend, StrictOrderingFilter]
    ordering_fields = ["created_at"]
    ordering = ["created_at"]  # the queue: oldest first
    lookup_value_regex = UUID_PATTERN

    @property
    def throttle_scope(self) -> str | None:  # type: ignore[override]
        return "uploads" if getattr(self, "action", None) == "create" else None

    def get_parsers(self) -> list[Any]:
        # Uploads are multipart; decisions are JSON. `action` is known when the schema is generated; for a
        # request the parsers are chosen before it is, so the method and path decide.
        action_name = getattr(self, "action", None)
        if action_name is not None:
            return [MultiPartParser()] if action_name == "create" else super().get_parsers()
        if self.request is not None and self.request.method == "POST" and self.kwargs.get("pk") is None:
            return [MultiPartParser()]
        return super().get_parsers()

    def get_queryset(self) -> Any:
        return selectors.evidence_for(actor=get_actor(self.request))

    def get_object(self) -> Evidence:
        return selectors.evidence_get(actor=get_actor(self.request), evidence_id=self.kwargs["pk"])

    @extend_schema(request={"multipart/form-data": EvidenceInputSerializer}, responses={201: EvidenceSerializer})
    @documents_problems(409)
    @idempotent
    def create(self, request: Request) -> Response:
        actor = get_actor(request)
        services.require_uploader(actor)
        check_upload_length(request.META.get("CONTENT_LENGTH"), max_request_bytes=settings.EVIDENCE_MAX_REQUEST_BYTES)
        form = cast(QueryDict, request.data)
        fields = {key: value for key, value in form.items() if key != "files"}
        data = EvidenceInputSerializer(data={**fields, "files": request.FILES.getlist("files")})
        data.is_valid(raise_exception=True)
        evidence = services.evidence_upload(actor=actor, **data.validated_data)
        return Response(
            EvidenceSerializer(selectors.evidence_get(actor=actor, evidence_id=evidence.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        responses={200: OpenApiResponse(description="The file, byte-exact, as an attachment.")},
        operation_id="evidence_files_download",
    )
    @documents_problems(500)
    @action(detail=True, methods=["get"], url_path=r"files/(?P<position>[1-9][0-9]{0,2})")
    def files(self, request: Request, pk: str, position: str) -> HttpResponse:
        """Download one file. Its SHA-256 is checked again: a file altered in storage is never served."""
        actor = get_actor(request)
        file = selectors.evidence_file_get(actor=actor, evidence_id=pk, position=int(position))
        content = read_or_refuse(
            storages["evidence"],
            str(file.file.name),
            file.sha256,
            what=f"Evidence file {pk}/{position}",
            on_failure=lambda: services.evidence_integrity_failed(actor=actor, file=file),
        )
        return attachment_response(content, file.content_type, file.original_name)

    def _reviewer_move(self, request: Request, move: str) -> Response:
        actor, evidence = get_actor(request), self.get_object()
        services.require_independent_reviewer(actor, evidence.organization_id)
        if move == "claim":
            evidence = services.evidence_claim(actor=actor, evidence=evidence)
        elif move == "approve":
            data = ApproveSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            evidence = services.evidence_approve(actor=actor, evidence=evidence, **data.validated_data)
        else:
            decision = DecisionReasonSerializer(data=request.data)
            decision.is_valid(raise_exception=True)
            reason = decision.validated_data["reason"]
            if move == "revoke":
                evidence = services.evidence_revoke(actor=actor, evidence=evidence, reason=reason)
            else:
                evidence = services.evidence_refuse(actor=actor, evidence=evidence, move=move, reason=reason)
        return Response(EvidenceSerializer(selectors.evidence_get(actor=actor, evidence_id=evidence.pk)).data)

    @extend_schema(request=None, responses=EvidenceSerializer)
    @documents_problems(409)
    @action(detail=True, methods=["post"])
    def claim(self, request: Request, pk: str) -> Response:
        """Take the item from the queue; one reviewer at a time."""
        return self._reviewer_move(request, "claim")

    @extend_schema(request={"application/json": ApproveSerializer}, responses=EvidenceSerializer)
    @documents_problems(409)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str) -> Response:
        return self._reviewer_move(request, "approve")

    @extend_schema(request={"application/json": DecisionReasonSerializer}, responses=EvidenceSerializer)
    @documents_problems(409)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str) -> Response:
        return self._reviewer_move(request, "reject")

    @extend_schema(request={"application/json": DecisionReasonSerializer}, responses=EvidenceSerializer)
    @documents_problems(409)
    @action(detail=True, methods=["post"], url_path="request-changes")
    def request_changes(self, request: Request, pk: str) -> Response:
        return self._reviewer_move(request, "request_changes")

    @extend_schema(request={"application/json": DecisionReasonSerializer}, responses=EvidenceSerializer)
    @documents_problems(409)
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: str) -> Response:
        return self._reviewer_move(request, "revoke")


class ProducerComplianceView(APIView):
    """The engine's answer for a producer: requirement by requirement, and until when it all holds."""

    permission_classes = [ActsForOrganization]
    delegable = {"get": DelegationScope.EVIDENCE}

    @extend_schema(responses=ComplianceSerializer, operation_id="producers_compliance_retrieve")
    def get(self, request: Request, producer_pk: str) -> Response:
        return Response(
            ComplianceSerializer(producer_compliance(actor=get_actor(request), producer_id=producer_pk)).data
        )


class KycView(APIView):
    """A buyer's KYC: the buyer policy's requirements and their state."""

    permission_classes = [ActsForOrganization]

    @extend_schema(responses=ComplianceSerializer, operation_id="organizations_kyc_retrieve")
    def get(self, request: Request, organization_pk: str) -> Response:
        organization = buyer_get(actor=get_actor(request), organization_id=organization_pk)
        return Response(
            ComplianceSerializer(compliance_overview(organization, organization.kyc_effective_status())).data
        )


class KycMoveView(APIView):
    """submit (the buyer's admin), verify or reject (a reviewer)."""

    permission_classes = [ActsForOrganization]
    move = ""
    reason_serializer: type[serializers.Serializer] = OptionalReasonSerializer

    @extend_schema(request=OptionalReasonSerializer, responses=ComplianceSerializer)
    @documents_problems(409)
    def post(self, request: Request, organization_pk: str) -> Response:
        actor = get_actor(request)
        organization = buyer_get(actor=actor, organization_id=organization_pk)
        if self.move == "submit":
            if not (actor.is_staff or (actor.organization_id == organization.pk and actor.is_org_admin)):
                raise PermissionDenied(_("Only an administrator of this organisation can do this."), code="not_admin")
        else:
            services.require_independent_reviewer(actor, organization.pk)
        data = self.reason_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        reason = data.validated_data["reason"]
        organization = kyc.kyc_transition(actor=actor, organization=organization, move=self.move, reason=reason)
        return Response(
            ComplianceSerializer(compliance_overview(organization, organization.kyc_effective_status())).data
        )


class KycRejectView(KycMoveView):
    """reject (a reviewer): the buyer reads the reason, so it is required."""

    reason_serializer = KycRejectSerializer

    @extend_schema(request=KycRejectSerializer, responses=ComplianceSerializer)
    @documents_problems(409)
    def post(self, request: Request, organization_pk: str) -> Response:
        return super().post(request, organization_pk)
