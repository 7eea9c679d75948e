"""Listings: search of what is visible today, a producer's own listings, drafting and the lifecycle."""

from __future__ import annotations

from typing import Any

import django_filters
from django.conf import settings
from django.core.files.storage import storages
from django.db.models import Count, Exists, FloatField, OuterRef, Value
from django.http import HttpResponse
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from compliance.files import check_upload_length, check_uploads
from core.actor import get_actor
from core.api import UUID_PATTERN
from core.errors import NotFound, PermissionDenied, documents_problems
from core.filters import StrictFilterSet, StrictOrderingFilter, query_bool
from core.permissions import ActsForOrganization
from listings import search_cache, selectors, services
from listings.api.serializers import (
    FacetsSerializer,
    ListingDetailSerializer,
    ListingInputSerializer,
    ListingSerializer,
    MatchSerializer,
    PhotoUploadSerializer,
    SourcingRequestInputSerializer,
    SourcingRequestSerializer,
)
from listings.matching import rank
from listings.models import FinenessBasis, Form, Incoterm, Listing, ListingClaim, PriceBasis, SourcingRequest, Status
from producers.models import District, LegalKind, Producer


class ListingFilter(StrictFilterSet):
    form = django_filters.MultipleChoiceFilter(choices=Form.choices, distinct=False)
    # Bounded like the stored values (per mille with one decimal; grams to the milligram): a value the database
    # field cannot hold is a 400 for the query parameter, not an error while building the query.
    fineness_min = django_filters.NumberFilter(
        field_name="fineness", lookup_expr="gte", min_value=0, max_value=1000, decimal_places=1
    )
    fineness_max = django_filters.NumberFilter(
        field_name="fineness", lookup_expr="lte", min_value=0, max_value=1000, decimal_places=1
    )
    min_available_grams = django_filters.NumberFilter(
        field_name="available_grams", lookup_expr="gte", min_value=0, max_value=1_000_000_000, decimal_places=3
    )
    price_basis = django_filters.ChoiceFilter(choices=PriceBasis.choices)
    fineness_basis = django_filters.ChoiceFilter(choices=FinenessBasis.choices)
    incoterm = django_filters.MultipleChoiceFilter(choices=Incoterm.choices, distinct=False)
    district = django_filters.MultipleChoiceFilter(
        field_name="producer__district", choices=District.choices, distinct=False
    )
    producer_kind = django_filters.ChoiceFilter(field_name="producer__legal_kind", choices=LegalKind.choices)
    producer = django_filters.UUIDFilter(field_name="producer_id")
    claims = django_filters.CharFilter(method="filter_claims", help_text="Comma-separated: all must hold.")
    status = django_filters.MultipleChoiceFilter(
        choices=Status.choices, distinct=False, help_text="Your own listings (mine=true)."
    )
    q = django_filters.CharFilter(method="filter_text", help_text="Words in the title or description (es, en).")

    class Meta:
        model = Listing
        fields: list[str] = []

    def filter_claims(self, queryset: Any, name: str, value: str) -> Any:
        for code in [c.strip() for c in value.split(",") if c.strip()][:10]:
            queryset = queryset.filter(Exists(ListingClaim.objects.filter(listing_id=OuterRef("pk"), claim_id=code)))
        return queryset

    def filter_text(self, queryset: Any, name: str, value: str) -> Any:
        return selectors.search(queryset, value[:200])


class RelevanceOrdering(StrictOrderingFilter):
    """With words to search and no `ordering`, the best match comes first."""

    def get_default_ordering(self, view: Any) -> Any:
        if view.request.query_params.get("q"):
            return ["-relevance", "-created_at"]
        return super().get_default_ordering(view)


class ListingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Visible listings for everyone (`mine=true`: your producer's own, in every state)."""

    queryset = Listing.objects.none()
    serializer_class = ListingSerializer
    filterset_class = ListingFilter
    throttle_scope: str | None = None  # photo uploads use "uploads"
    filter_backends = [DjangoFilterBackend, RelevanceOrdering]
    ordering_fields = [
        "relevance",
        "created_at",
        "fineness",
        "available_grams",
        "price_per_fine_gram_minor",
        "valid_until",
    ]
    ordering = ["-created_at"]
    lookup_value_regex = UUID_PATTERN

    def get_permissions(self) -> list[Any]:
        return [AllowAny()] if self.action in ("list", "retrieve", "facets", "photo") else [ActsForOrganization()]

    @extend_schema(parameters=[OpenApiParameter("mine", bool, description="Your producer's own listings.")])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if self._own_listings():
            return super().list(request, *args, **kwargs)
        # Every caller sees the same visible listings: the answer is kept until the catalogue changes.
        url = request.build_absolute_uri()
        return Response(search_cache.cached_answer(url, lambda: super(ListingViewSet, self).list(request).data))

    def _own_listings(self) -> bool:
        return bool(query_bool(self.request, "mine")) and bool(get_actor(self.request).organization_id)

    def get_queryset(self) -> Any:
        if self._own_listings():
            listings = selectors.listings_of_producer(actor=get_actor(self.request))
        else:
            listings = selectors.listings_visible()
        # `q` replaces this with the real rank; without it every row ranks the same.
        return listings.annotate(relevance=Value(0.0, output_field=FloatField()))

    def get_object(self) -> Listing:
        return selectors.listing_get(actor=get_actor(self.request), listing_id=self.kwargs["pk"])

    @extend_schema(responses=ListingDetailSerializer)
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """A listing; to its producer also whether buyers see it today and, if not, why."""
        actor = get_actor(request)
        listing = self.get_object()
        body = dict(ListingSerializer(listing).data)
        if actor.organization_id == listing.producer_id or actor.is_reviewer or actor.is_staff:
            found = services.obstacles(listing) if listing.status in (Status.PUBLISHED, Status.HELD) else []
            visible = listing.status == Status.PUBLISHED and not found
            body["visible"] = visible
            body["hidden_because"] = [o.as_dict() for o in found]
        return Response(body)

    @extend_schema(request=ListingInputSerializer, responses={201: ListingSerializer})
    def create(self, request: Request) -> Response:
        actor = get_actor(request)
        producer = Producer.objects.filter(pk=actor.organization_id).first()
        if producer is None:
            raise PermissionDenied(code="not_producer")
        services.require_producer_member(actor, producer)
        data = ListingInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        listing = services.listing_create(actor=actor, producer=producer, **data.to_service())
        return Response(
            ListingSerializer(selectors.listing_get(actor=actor, listing_id=listing.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=ListingInputSerializer(partial=True), responses=ListingSerializer)
    @documents_problems(409)
    def partial_update(self, request: Request, pk: str) -> Response:
        """Edit a draft (any member of the producer; only admins publish)."""
        actor = get_actor(request)
        listing = self.get_object()
        services.require_producer_member(actor, listing.producer)
        data = ListingInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        values = data.to_service(partial=True)
        listing = services.listing_update(actor=actor, listing=listing, **values)
        return Response(ListingSerializer(selectors.listing_get(actor=actor, listing_id=listing.pk)).data)

    @extend_schema(responses=FacetsSerializer)
    @action(detail=False, methods=["get"], pagination_class=None)
    def facets(self, request: Request) -> Response:
        """Counts of the visible listings matching the same filters, by district, form, claim, price basis
        and producer kind."""
        return Response(search_cache.cached_answer(request.build_absolute_uri(), self._facets))

    def _facets(self) -> dict[str, Any]:
        queryset = self.filter_queryset(selectors.listings_visible()).order_by()
        ids = queryset.values("pk")

        def counts(field: str) -> list[dict[str, Any]]:
            rows = Listing.objects.filter(pk__in=ids).values(field).annotate(n=Count("pk")).order_by("-n", field)
            return [{"value": row[field], "count": row["n"]} for row in rows]

        claims = (
            ListingClaim.objects.filter(listing_id__in=ids)
            .values("claim_id")
            .annotate(n=Count("pk"))
            .order_by("-n", "claim_id")
        )
        return {
            "total": Listing.objects.filter(pk__in=ids).count(),
            "district": counts("producer__district"),
            "form": counts("form"),
            "claims": [{"value": row["claim_id"], "count": row["n"]} for row in claims],
            "price_basis": counts("price_basis"),
            "producer_kind": counts("producer__legal_kind"),
        }

    def _move(self, request: Request, move: str) -> Response:
        actor = get_actor(request)
        listing = services.listing_move(actor=actor, listing=self.get_object(), move=move)
        return Response(ListingSerializer(selectors.listing_get(actor=actor, listing_id=listing.pk)).data)

    @extend_schema(request=None, responses=ListingSerializer)
    @documents_problems(409)
    @action(detail=True, methods=["post"])
    def publish(self, request: Request, pk: str) -> Response:
        """Offer the listing; 409 with every obstacle (code, message, what to do) while it may not be."""
        return self._move(request, "publish")

    @extend_schema(request={"multipart/form-data": PhotoUploadSerializer}, responses={201: ListingSerializer})
    @documents_problems(409)
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser], throttle_scope="uploads")
    def photos(self, request: Request, pk: str) -> Response:
        """Add photos (JPEG, PNG, WebP). They are re-encoded: no location or camera metadata is published."""
        actor = get_actor(request)
        listing = self.get_object()
        services.require_producer_member(actor, listing.producer)
        check_upload_length(request.META.get("CONTENT_LENGTH"), max_request_bytes=settings.EVIDENCE_MAX_REQUEST_BYTES)
        checked = check_uploads(
            request.FILES.getlist("files"),
            max_files=services.MAX_PHOTOS,
            max_file_bytes=settings.EVIDENCE_MAX_FILE_BYTES,
            max_request_bytes=settings.EVIDENCE_MAX_REQUEST_BYTES,
            max_pixels=settings.IMAGE_MAX_PIXELS,
        )
        services.listing_add_photos(actor=actor, listing=listing, files=checked)
        body = ListingSerializer(selectors.listing_get(actor=actor, listing_id=listing.pk)).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        responses={200: OpenApiResponse(description="The photo, a JPEG without metadata.")},
        operation_id="listings_photo_retrieve",
    )
    @action(detail=True, methods=["get"], url_path=r"photos/(?P<position>[1-9][0-9]?)")
    def photo(self, request: Request, pk: str, position: str) -> HttpResponse:
        listing = self.get_object()
        photo = listing.photos.filter(position=int(position)).first()
        if photo is None:
            raise NotFound()
        with storages["default"].open(photo.file) as stored:
            response = HttpResponse(stored.read(), content_type="image/jpeg")
        response["Cache-Control"] = "public, max-age=3600"
        response["X-Content-Type-Options"] = "nosniff"
        return response

    @extend_schema(request=None, responses=ListingSerializer)
    @documents_problems(409)
    @action(detail=True, methods=["post"])
    def release(self, request: Request, pk: str) -> Response:
        """A reviewer finds the volume of a held listing plausible and lets it be offered."""
        return self._move(request, "release")

    @extend_schema(request=None, responses=ListingSerializer)
    @documents_problems(409)
    @action(detail=True, methods=["post"])
    def pause(self, request: Request, pk: str) -> Response:
        return self._move(request, "pause")

    @extend_schema(request=None, responses=ListingSerializer)
    @documents_problems(409)
    @action(detail=True, methods=["post"])
    def resume(self, request: Request, pk: str) -> Response:
        return self._move(request, "resume")

    @extend_schema(request=None, responses=ListingSerializer)
    @documents_problems(409)
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str) -> Response:
        return self._move(request, "withdraw")


class SourcingRequestViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Buyers' standing needs. A buyer sees its own; producers browse the open ones without the buyer's
    identity; reviewers and staff see all."""

    queryset = SourcingRequest.objects.none()
    serializer_class = SourcingRequestSerializer
    permission_classes = [ActsForOrganization]
    lookup_value_regex = UUID_PATTERN

    def get_queryset(self) -> Any:
        return selectors.sourcing_requests_for(actor=get_actor(self.request))

    def get_object(self) -> SourcingRequest:
        return selectors.sourcing_request_get(actor=get_actor(self.request), request_id=self.kwargs["pk"])

    def get_serializer_context(self) -> dict[str, Any]:
        actor = get_actor(self.request)
        show = actor.is_staff or actor.is_reviewer or actor.organization_kind == "buyer"
        return {**super().get_serializer_context(), "show_buyer": show}

    @extend_schema(request=SourcingRequestInputSerializer, responses={201: SourcingRequestSerializer})
    def create(self, request: Request) -> Response:
        actor = get_actor(request)
        if actor.organization_kind != "buyer":
            raise PermissionDenied(code="not_buyer")
        data = SourcingRequestInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        created = services.sourcing_request_create(actor=actor, **data.to_service())
        return Response(
            SourcingRequestSerializer(created, context={"show_buyer": True}).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=None, responses=SourcingRequestSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str) -> Response:
        closed = services.sourcing_request_close(actor=get_actor(request), request=self.get_object())
        return Response(SourcingRequestSerializer(closed, context={"show_buyer": True}).data)

    @extend_schema(responses=MatchSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)
    def matches(self, request: Request, pk: str) -> Response:
        """Visible listings ranked by fit, each with the criteria it meets (the buyer who asked)."""
        actor = get_actor(request)
        sourcing = self.get_object()
        if not (actor.organization_id == sourcing.buyer_id or actor.is_reviewer or actor.is_staff):
            raise PermissionDenied(_("Only the buyer who made this request sees its matches."), code="not_owner")
        matches = rank(selectors.listings_visible(), sourcing)
        return Response(
            MatchSerializer(
                [{"listing": m.listing, "score": m.score, "criteria": m.criteria} for m in matches], many=True
            ).data
        )
