"""Lots: record, list, read; add an assay certificate and download it; the next custody event; a
producer's mass balance. Readers: the producer's members, reviewers, staff and the buyers with an inquiry
with the producer; anybody else gets 404."""

from __future__ import annotations

import uuid
from typing import Any, cast

import django_filters
from django.conf import settings
from django.http import HttpResponse, QueryDict
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from compliance.production import MONTH_REGEX, parse_month
from core import clock
from core.actor import get_actor
from core.api import UUID_PATTERN
from core.downloads import attachment_response
from core.errors import documents_problems, field_error
from core.filters import StrictFilterSet
from core.idempotency import idempotent
from core.parsers import ExactJSONParser
from core.permissions import ActsForOrganization
from core.uploads import CheckedFile, check_upload_length, check_uploads
from provenance import selectors, services
from provenance.api.serializers import (
    AssayInputSerializer,
    CustodyFormSerializer,
    CustodyInputSerializer,
    LotInputSerializer,
    LotSerializer,
    MassBalanceSerializer,
)
from provenance.models import Lot

LOT_EXAMPLE = {
    "code": "L-0412",
    "form": "dore",
    "gross_grams": "480.000",
    "declared_fineness": "920.0",
    "production_from": "2026-04-01",
    "production_to": "2026-04-15",
    "processing_methods": ["shaking_table", "borax_smelting"],
    "sources": [{"site": "5f0c6a1e-8a59-4d7e-9d4c-2b1f3e9a7c11", "grams": "480.000", "month": "2026-04"}],
    "seal_number": "",
    "place": "Planta de beneficio, Huepetuhe",
}
CUSTODY_EXAMPLE = {
    "kind": "received_by_buyer",
    "occurred_at": "2026-05-06T10:30:00-05:00",
    "place": "Refinery intake, Lima",
    "weight_grams": "479.200",
}


MONTH_SCHEMA = {"type": "string", "pattern": MONTH_REGEX}


class LotFilter(StrictFilterSet):
    producer = django_filters.UUIDFilter(field_name="producer_id")
    site = extend_schema_field(OpenApiTypes.UUID)(
        django_filters.UUIDFilter(method="filter_site", help_text="Lots with grams from this site.")
    )
    month = extend_schema_field(MONTH_SCHEMA)(
        django_filters.Filter(method="filter_month", help_text="YYYY-MM: lots with grams from this month.")
    )

    class Meta:
        model = Lot
        fields: list[str] = []

    def filter_site(self, queryset: Any, name: str, value: Any) -> Any:
        return queryset.filter(pk__in=Lot.objects.filter(sources__site_id=value).values("pk"))

    def filter_month(self, queryset: Any, name: str, value: str) -> Any:
        month = parse_month(value)
        if month is None:
            raise field_error("month", "invalid", _("A month is written YYYY-MM."))
        return queryset.filter(pk__in=Lot.objects.filter(sources__month=month).values("pk"))


def _one_file(files: list[Any]) -> CheckedFile:
    """The one file of the part, through the hardened upload checks (type from the bytes, size, pixels)."""
    return check_uploads(
        files,
        max_files=1,
        max_file_bytes=settings.EVIDENCE_MAX_FILE_BYTES,
        max_request_bytes=settings.EVIDENCE_MAX_REQUEST_BYTES,
        max_pixels=settings.IMAGE_MAX_PIXELS,
    )[0]


class LotViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Lots of gold: where they came from, their assays and their chain of custody."""

    queryset = Lot.objects.none()
    serializer_class = LotSerializer
    permission_classes = [ActsForOrganization]
    filter_backends = [DjangoFilterBackend]
    filterset_class = LotFilter
    lookup_value_regex = UUID_PATTERN

    @property
    def throttle_scope(self) -> str | None:  # type: ignore[override]
        return "uploads" if getattr(self, "action", None) in ("assays", "custody_events") else None

    def get_parsers(self) -> list[Any]:
        # Assays are multipart; custody events JSON or multipart (with a document); lots JSON. For a request
        # the parsers are chosen before `action` is known, so the path decides.
        action_name = getattr(self, "action", None)
        path = self.request.path if self.request is not None else ""
        if action_name == "assays" or (action_name is None and path.endswith("/assays/")):
            return [MultiPartParser()]
        if action_name == "custody_events" or (action_name is None and path.endswith("/custody-events/")):
            return [ExactJSONParser(), MultiPartParser()]
        return super().get_parsers()

    def get_queryset(self) -> Any:
        return selectors.lots_for(actor=get_actor(self.request))

    def get_object(self) -> Lot:
        return selectors.lot_get(actor=get_actor(self.request), lot_id=self.kwargs["pk"])

    def _detail(self, lot: Lot, status_code: int = status.HTTP_200_OK) -> Response:
        body = LotSerializer(selectors.lot_get(actor=get_actor(self.request), lot_id=lot.pk)).data
        return Response(body, status=status_code)

    @extend_schema(
        request=LotInputSerializer,
        responses={201: LotSerializer},
        examples=[OpenApiExample("Lot L-0412", value=LOT_EXAMPLE, request_only=True)],
    )
    @documents_problems(409, 422)
    @idempotent
    def create(self, request: Request) -> Response:
        """Record a lot (a member of the producer): its sources must add up to its gross weight, and no
        site-month may give more gold than was declared and confirmed there: 409 `mass_balance_exceeded`
        with the figures (`declared_grams`, `used_grams`, `requested_grams`, `left_grams`)."""
        actor = get_actor(request)
        services.require_lot_recorder(actor)
        data = LotInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        lot = services.lot_record(actor=actor, **data.validated_data)
        return self._detail(lot, status.HTTP_201_CREATED)

    @extend_schema(request={"multipart/form-data": AssayInputSerializer}, responses={201: LotSerializer})
    @documents_problems(409)
    @action(detail=True, methods=["post"])
    @idempotent
    def assays(self, request: Request, pk: str) -> Response:
        """Add an assay certificate with its file (append-only). A fire assay sets the lot's fineness; an
        XRF reading is shown but never does."""
        actor = get_actor(request)
        lot = self.get_object()
        services.require_producer_member(actor, lot.producer_id)
        check_upload_length(request.META.get("CONTENT_LENGTH"), max_request_bytes=settings.EVIDENCE_MAX_REQUEST_BYTES)
        form = cast(QueryDict, request.data)
        fields = {key: value for key, value in form.items() if key != "file"}
        data = AssayInputSerializer(data={**fields, "file": request.FILES.get("file")})
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        values.pop("file")
        services.assay_add(actor=actor, lot=lot, file=_one_file(request.FILES.getlist("file")), **values)
        return self._detail(lot, status.HTTP_201_CREATED)

    @extend_schema(
        responses={200: OpenApiResponse(description="The certificate, byte-exact, as an attachment.")},
        operation_id="lots_assays_file_download",
    )
    @documents_problems(500)
    @action(detail=True, methods=["get"], url_path=r"assays/(?P<position>[1-9][0-9]{0,2})/file")
    def assay_file(self, request: Request, pk: str, position: str) -> HttpResponse:
        """Download an assay certificate. Its SHA-256 is checked again: a file altered in storage is never
        served."""
        assay, content = services.assay_file_read(actor=get_actor(request), lot_id=pk, position=int(position))
        return attachment_response(content, assay.content_type, assay.original_name)

    @extend_schema(
        request={"application/json": CustodyInputSerializer, "multipart/form-data": CustodyFormSerializer},
        responses={201: LotSerializer},
        examples=[OpenApiExample("Received at the refinery", value=CUSTODY_EXAMPLE, request_only=True)],
    )
    @documents_problems(409, 422)
    @action(detail=True, methods=["post"], url_path="custody-events")
    @idempotent
    def custody_events(self, request: Request, pk: str) -> Response:
        """The next event of the chain of custody: sealed, handed to the carrier, exported (optional),
        received by the buyer (with the weight measured). Out of order: 409 `custody_out_of_order`; a weight
        above the last one: 400 `custody_weight_grows`. The producer's members record the events; the receipt
        is recorded by the buyer whose signed contract delivers the lot (403 `receipt_by_buyer` for anybody
        else), or by the producer when no contract here delivers it."""
        actor = get_actor(request)
        lot = self.get_object()
        services.require_custody_writer(actor, lot)
        check_upload_length(request.META.get("CONTENT_LENGTH"), max_request_bytes=settings.EVIDENCE_MAX_REQUEST_BYTES)
        payload: Any = request.data
        form = isinstance(payload, QueryDict)
        if isinstance(payload, QueryDict):
            payload = {key: value for key, value in payload.items() if key != "document"}
            payload["document"] = request.FILES.get("document")
        data = (CustodyFormSerializer if form else CustodyInputSerializer)(data=payload)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        values.pop("document", None)
        documents = request.FILES.getlist("document") if form else []
        checked = _one_file(documents) if documents else None
        services.custody_record(actor=actor, lot=lot, document=checked, **values)
        return self._detail(lot, status.HTTP_201_CREATED)


class MassBalanceView(APIView):
    permission_classes = [ActsForOrganization]

    @extend_schema(
        responses=MassBalanceSerializer,
        parameters=[
            OpenApiParameter("site", OpenApiTypes.UUID, description="One of the producer's sites (id)."),
            OpenApiParameter("from", MONTH_SCHEMA, description="YYYY-MM, the first month shown."),
            OpenApiParameter("to", MONTH_SCHEMA, description="YYYY-MM, the last month shown."),
        ],
        operation_id="producers_mass_balance_retrieve",
    )
    def get(self, request: Request, producer_pk: str) -> Response:
        """Per site and month: the grams declared (confirmed by a reviewer), used by lots, committed forward
        (0 for now) and left. Cumulative: every lot ever recorded counts."""
        actor = get_actor(request)
        producer = selectors.readable_producer(actor=actor, producer_id=producer_pk)
        params = request.query_params
        unknown = sorted(set(params) - {"site", "from", "to"})
        if unknown:
            raise field_error(unknown[0], "unknown_parameter", _("This parameter is not known."))
        bounds = {}
        for name in ("from", "to"):
            if name in params:
                bounds[name] = parse_month(params[name])
                if bounds[name] is None:
                    raise field_error(name, "invalid", _("A month is written YYYY-MM."))
        site = params.get("site")
        if site is not None and not (_is_uuid(site) and producer.sites.filter(pk=site).exists()):
            raise field_error("site", "does_not_exist", _("This site is not one of this producer's."))
        today = clock.today_lima()
        rows = selectors.mass_balance(
            producer=producer, today=today, site_id=site, month_from=bounds.get("from"), month_to=bounds.get("to")
        )
        body = {"producer": producer.pk, "tolerance_bp": selectors.tolerance_bp(today), "rows": rows}
        return Response(MassBalanceSerializer(body).data)


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
