"""The price table: LBMA fixes, exchange rates and the certified standards' terms, public to read (they are
shown beside offers, to anonymous visitors too); recorded and corrected by staff only (403 for everybody
else, before the body is read; 401 without a token). docs/prices.md."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import F, OuterRef, Subquery
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.actor import get_actor
from core.api import UUID_PATTERN
from core.errors import NotFound, documents_problems
from core.filters import StrictBooleanFilter, StrictFilterSet
from core.idempotency import idempotent
from core.money import Currency
from core.pagination import CursorPagination
from core.permissions import ActsForOrganization, AllowAny
from prices import services
from prices.api.serializers import (
    CertificationTermsInputSerializer,
    CertificationTermsSerializer,
    FixCorrectionSerializer,
    FixInputSerializer,
    FixSerializer,
    RateCorrectionSerializer,
    RateInputSerializer,
    RateSerializer,
)
from prices.models import Benchmark, CertificationTerms, ExchangeRate, MetalPrice
from prices.selectors import CERTIFIED_CLAIMS

FIX_EXAMPLE = {
    "benchmark": "lbma_gold_pm",
    "date": "2026-12-03",
    "usd_per_troy_ounce": "4118.900",
    "source": "LBMA, lbma.org.uk, LBMA Gold Price PM",
    "sample": False,
}
FIX_ROW_EXAMPLE = {
    "id": "6a1f0c52-3d0e-4f5b-9a43-1c2d3e4f5a6b",
    **FIX_EXAMPLE,
    "current": True,
    "replaces": None,
    "replaced_by": None,
    "correction_reason": "",
    "recorded_at": "2026-12-03T15:12:40Z",
}
FIX_CORRECTION_EXAMPLE = {
    "usd_per_troy_ounce": "4119.800",
    "reason": "Typed 4118.900 from the bulletin; the LBMA published 4119.800.",
}
RATE_EXAMPLE = {
    "base": "USD",
    "quote": "PEN",
    "date": "2026-12-03",
    "rate": "3.452100",
    "source": "SBS, tipo de cambio promedio ponderado venta",
    "sample": False,
}
RATE_ROW_EXAMPLE = {
    "id": "0b9e3c1d-77a2-4e0f-8c55-2f6a7b8c9d0e",
    **RATE_EXAMPLE,
    "current": True,
    "replaces": None,
    "replaced_by": None,
    "correction_reason": "",
    "recorded_at": "2026-12-03T23:05:11Z",
}
RATE_CORRECTION_EXAMPLE = {"rate": "3.451200", "reason": "The SBS revised the day's weighted average."}
TERMS_EXAMPLE = {
    "claim": "fairmined",
    "valid_from": "2027-01-01",
    "minimum_price_percent": "95.00",
    "premium_rule": "per_kg_fine",
    "premium_per_kg_fine": {"amount_minor": 400000, "currency": "USD"},
    "premium_percent": None,
    "source": "Fairmined Standard for Gold from ASM, premium table (fairmined.org)",
    "source_date": "2026-11-15",
}
TERMS_ROW_EXAMPLE = {
    "id": "3c4d5e6f-7081-4293-a4b5-c6d7e8f90a1b",
    "claim": "fairtrade_ecological",
    "valid_from": "2013-08-01",
    "minimum_price_percent": "95.00",
    "premium_rule": "percent_of_lbma",
    "premium_per_kg_fine": None,
    "premium_percent": "15.00",
    "source": "Fairtrade Standard for Gold and Associated Precious Metals for ASM: Ecological Gold premium 15 % of "
    "the LBMA price, minimum price 95 % of the LBMA price (Fairtrade International, August 2013)",
    "source_date": "2013-08-01",
    "recorded_at": "2026-12-01T12:00:00Z",
}


class ByDayPagination(CursorPagination):
    ordering = ("-date", "-recorded_at")  # type: ignore[assignment]  # DRF takes a tuple; the stubs say str


class TermsPagination(CursorPagination):
    ordering = ("-valid_from", "claim_id")  # type: ignore[assignment]


class _DayFilter(StrictFilterSet):
    date_from = django_filters.DateFilter(field_name="date", lookup_expr="gte", help_text="From this day on.")
    date_to = django_filters.DateFilter(field_name="date", lookup_expr="lte", help_text="Up to this day.")
    include_replaced = StrictBooleanFilter(
        method="filter_include_replaced",
        help_text="Also the rows a correction replaced (`current` false); by default only the current ones.",
    )

    def filter_include_replaced(self, queryset: Any, name: str, value: bool) -> Any:
        return queryset  # applied in `filter_queryset`, which also covers the parameter left out

    def filter_queryset(self, queryset: Any) -> Any:
        queryset = super().filter_queryset(queryset)
        if not self.form.cleaned_data.get("include_replaced"):
            queryset = queryset.filter(current=True)
        return queryset


class FixFilter(_DayFilter):
    benchmark = django_filters.ChoiceFilter(choices=Benchmark.choices)

    class Meta:
        model = MetalPrice
        fields: list[str] = []


class RateFilter(_DayFilter):
    base = django_filters.ChoiceFilter(choices=Currency.choices)
    quote = django_filters.ChoiceFilter(choices=Currency.choices)

    class Meta:
        model = ExchangeRate
        fields: list[str] = []


class TermsFilter(StrictFilterSet):
    claim = django_filters.ChoiceFilter(field_name="claim_id", choices=[(code, code) for code in CERTIFIED_CLAIMS])
    on = django_filters.DateFilter(method="filter_on")  # documented on the view (ON_PARAMETER)

    class Meta:
        model = CertificationTerms
        fields: list[str] = []

    def filter_on(self, queryset: Any, name: str, value: Any) -> Any:
        latest = (
            CertificationTerms.objects.filter(claim_id=OuterRef("claim_id"), valid_from__lte=value)
            .order_by("-valid_from")
            .values("valid_from")[:1]
        )
        return queryset.filter(valid_from=Subquery(latest))


ON_PARAMETER = OpenApiParameter(
    "on",
    OpenApiTypes.DATE,
    OpenApiParameter.QUERY,
    description="Only the terms in force on this day (one row per standard).",
)


class _StaffWrites:
    """Reading is public; every write needs a token (401) and staff (403, checked by the service's rule before
    the body is read)."""

    def get_permissions(self) -> list[Any]:
        return [AllowAny()] if getattr(self, "action", None) == "list" else [ActsForOrganization()]


def _object(model: Any, pk: str) -> Any:
    row = model.objects.filter(pk=pk).first()
    if row is None:
        raise NotFound()
    return row


def _with_replaced_by(queryset: Any) -> Any:
    return queryset.annotate(replaced_by_pk=F("replaced_by__id"))


class FixViewSet(_StaffWrites, mixins.ListModelMixin, viewsets.GenericViewSet):
    """LBMA fixes (gold AM and PM, silver) in US dollars per troy ounce of fine metal, by London day."""

    serializer_class = FixSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = FixFilter
    pagination_class = ByDayPagination
    lookup_value_regex = UUID_PATTERN

    def get_queryset(self) -> Any:
        return _with_replaced_by(MetalPrice.objects.all())

    def _answer(self, row: MetalPrice, status_code: int) -> Response:
        fresh = _with_replaced_by(MetalPrice.objects.filter(pk=row.pk)).get()
        return Response(FixSerializer(fresh).data, status=status_code)

    @extend_schema(
        examples=[OpenApiExample("The gold PM fix of a day", value=FIX_ROW_EXAMPLE, response_only=True)],
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The fixes, newest day first: current rows only unless `include_replaced=true`. Each row says
        whether it is a `sample` (a made-up demo figure, never a real fix), where it was read, and which row
        it `replaces` or is `replaced_by`. Public."""
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request=FixInputSerializer,
        responses={201: FixSerializer, 200: FixSerializer},
        examples=[
            OpenApiExample("The gold PM fix of a day", value=FIX_EXAMPLE, request_only=True),
            OpenApiExample("Recorded", value=FIX_ROW_EXAMPLE, response_only=True),
        ],
    )
    @documents_problems(409)
    @idempotent
    def create(self, request: Request) -> Response:
        """Record the fix of a benchmark on a London day (staff): 201 with the new row. The same figure again
        for that day answers the row already there with 200 and records nothing; another figure is 409
        `fix_already_recorded` with the `existing` row (correct it instead). A day after today in London is
        400 `in_the_future`."""
        actor = get_actor(request)
        services.require_staff(actor)
        data = FixInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        row, created = services.fix_record(actor=actor, **data.validated_data)
        return self._answer(row, status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(
        request=FixCorrectionSerializer,
        responses={201: FixSerializer},
        examples=[
            OpenApiExample("A typing slip", value=FIX_CORRECTION_EXAMPLE, request_only=True),
            OpenApiExample(
                "The correction",
                value={
                    **FIX_ROW_EXAMPLE,
                    "id": "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a",
                    "usd_per_troy_ounce": "4119.800",
                    "replaces": FIX_ROW_EXAMPLE["id"],
                    "correction_reason": FIX_CORRECTION_EXAMPLE["reason"],
                },
                response_only=True,
            ),
        ],
    )
    @documents_problems(409, 422)
    @action(detail=True, methods=["post"])
    @idempotent
    def correct(self, request: Request, pk: str) -> Response:
        """Correct a current fix (staff), with a reason everybody reads: a new row that `replaces` it, 201;
        the old row stays, no longer `current`. A row already corrected is 409 `fix_not_current` with the
        `current` one; the same figure is 400 `unchanged`."""
        actor = get_actor(request)
        services.require_staff(actor)
        fix = _object(MetalPrice, pk)
        data = FixCorrectionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        row = services.fix_correct(actor=actor, fix=fix, **data.validated_data)
        return self._answer(row, status.HTTP_201_CREATED)


class RateViewSet(_StaffWrites, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Exchange rates (today USD/PEN, the SBS's soles per dollar), by Lima day."""

    serializer_class = RateSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = RateFilter
    pagination_class = ByDayPagination
    lookup_value_regex = UUID_PATTERN

    def get_queryset(self) -> Any:
        return _with_replaced_by(ExchangeRate.objects.all())

    def _answer(self, row: ExchangeRate, status_code: int) -> Response:
        fresh = _with_replaced_by(ExchangeRate.objects.filter(pk=row.pk)).get()
        return Response(RateSerializer(fresh).data, status=status_code)

    @extend_schema(
        examples=[OpenApiExample("The USD/PEN rate of a day", value=RATE_ROW_EXAMPLE, response_only=True)],
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The rates, newest day first: current rows only unless `include_replaced=true`, each with its
        `sample` flag, source and the row it `replaces` or is `replaced_by`. Public."""
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request=RateInputSerializer,
        responses={201: RateSerializer, 200: RateSerializer},
        examples=[
            OpenApiExample("The SBS rate of a day", value=RATE_EXAMPLE, request_only=True),
            OpenApiExample("Recorded", value=RATE_ROW_EXAMPLE, response_only=True),
        ],
    )
    @documents_problems(409)
    @idempotent
    def create(self, request: Request) -> Response:
        """Record the rate of a Lima day (staff): 201 with the new row; the same rate again answers the row
        there with 200 and records nothing; another rate is 409 `rate_already_recorded` with the `existing`
        row. A day after today in Lima is 400 `in_the_future`; `base` and `quote` must differ."""
        actor = get_actor(request)
        services.require_staff(actor)
        data = RateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        row, created = services.rate_record(actor=actor, **data.validated_data)
        return self._answer(row, status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(
        request=RateCorrectionSerializer,
        responses={201: RateSerializer},
        examples=[
            OpenApiExample("A revised rate", value=RATE_CORRECTION_EXAMPLE, request_only=True),
            OpenApiExample(
                "The correction",
                value={
                    **RATE_ROW_EXAMPLE,
                    "id": "5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9",
                    "rate": "3.451200",
                    "replaces": RATE_ROW_EXAMPLE["id"],
                    "correction_reason": RATE_CORRECTION_EXAMPLE["reason"],
                },
                response_only=True,
            ),
        ],
    )
    @documents_problems(409, 422)
    @action(detail=True, methods=["post"])
    @idempotent
    def correct(self, request: Request, pk: str) -> Response:
        """Correct a current rate (staff), with a reason: a new row that `replaces` it, 201. A row already
        corrected is 409 `rate_not_current` with the `current` one; the same rate is 400 `unchanged`."""
        actor = get_actor(request)
        services.require_staff(actor)
        exchange_rate = _object(ExchangeRate, pk)
        data = RateCorrectionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        row = services.rate_correct(actor=actor, exchange_rate=exchange_rate, **data.validated_data)
        return self._answer(row, status.HTTP_201_CREATED)


class CertificationTermsViewSet(_StaffWrites, mixins.ListModelMixin, viewsets.GenericViewSet):
    """What each certified standard (Fairmined, Fairmined Ecological, Fairtrade, Fairtrade Ecological) asks of
    the price of its gold, as dated rows with the text they come from."""

    queryset = CertificationTerms.objects.all()
    serializer_class = CertificationTermsSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = TermsFilter
    pagination_class = TermsPagination

    @extend_schema(
        parameters=[ON_PARAMETER],
        examples=[OpenApiExample("Fairtrade Ecological", value=TERMS_ROW_EXAMPLE, response_only=True)],
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Every standard's terms, newest first; with `on=YYYY-MM-DD` only those in force that day (the latest
        row of each standard whose `valid_from` is not after it). Public."""
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request=CertificationTermsInputSerializer,
        responses={201: CertificationTermsSerializer, 200: CertificationTermsSerializer},
        examples=[
            OpenApiExample("New Fairmined terms", value=TERMS_EXAMPLE, request_only=True),
            OpenApiExample(
                "Recorded",
                value={
                    **TERMS_EXAMPLE,
                    "id": "7a8b9c0d-1e2f-4a3b-9c4d-5e6f7a8b9c0d",
                    "recorded_at": "2026-12-03T10:00:00Z",
                },
                response_only=True,
            ),
        ],
    )
    @documents_problems(409, 422)
    @idempotent
    def create(self, request: Request) -> Response:
        """Record a standard's terms from `valid_from` (today or later; earlier is 400 `edits_the_past`), staff
        only: 201. Terms for the same standard and day that take effect after today are replaced (200); the
        same figures again are 200 with nothing recorded; terms already in force are never edited (409
        `edits_the_past`): record new terms from a later day."""
        actor = get_actor(request)
        services.require_staff(actor)
        data = CertificationTermsInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        row, outcome = services.certification_terms_record(actor=actor, **data.to_service())
        code = status.HTTP_201_CREATED if outcome == "created" else status.HTTP_200_OK
        return Response(CertificationTermsSerializer(row).data, status=code)
