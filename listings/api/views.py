"""Listings: search of what is visible today, a producer's own listings, drafting and the lifecycle."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Exists, OuterRef
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from core.actor import get_actor
from core.api import UUID_PATTERN
from core.errors import PermissionDenied, documents_problems
from core.permissions import ActsForOrganization
from listings import selectors, services
from listings.api.serializers import ListingDetailSerializer, ListingInputSerializer, ListingSerializer
from listings.models import FinenessBasis, Form, Incoterm, Listing, ListingClaim, PriceBasis, Status
from producers.models import District, LegalKind, Producer


class ListingFilter(django_filters.FilterSet):
    form = django_filters.MultipleChoiceFilter(choices=Form.choices)
    fineness_min = django_filters.NumberFilter(field_name="fineness", lookup_expr="gte")
    fineness_max = django_filters.NumberFilter(field_name="fineness", lookup_expr="lte")
    min_available_grams = django_filters.NumberFilter(field_name="available_grams", lookup_expr="gte")
    price_basis = django_filters.ChoiceFilter(choices=PriceBasis.choices)
    fineness_basis = django_filters.ChoiceFilter(choices=FinenessBasis.choices)
    incoterm = django_filters.MultipleChoiceFilter(choices=Incoterm.choices)
    district = django_filters.MultipleChoiceFilter(field_name="producer__district", choices=District.choices)
    producer_kind = django_filters.ChoiceFilter(field_name="producer__legal_kind", choices=LegalKind.choices)
    producer = django_filters.UUIDFilter(field_name="producer_id")
    claims = django_filters.CharFilter(method="filter_claims", help_text="Comma-separated: all must hold.")
    status = django_filters.MultipleChoiceFilter(choices=Status.choices, help_text="Your own listings (mine=true).")
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


class ListingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Visible listings for everyone (`mine=true`: your producer's own, in every state)."""

    queryset = Listing.objects.none()
    serializer_class = ListingSerializer
    filterset_class = ListingFilter
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    ordering_fields = ["created_at", "fineness", "available_grams", "price_per_fine_gram_minor", "valid_until"]
    ordering = ["-created_at"]
    lookup_value_regex = UUID_PATTERN

    def get_permissions(self) -> list[Any]:
        return [AllowAny()] if self.action in ("list", "retrieve") else [ActsForOrganization()]

    @extend_schema(parameters=[OpenApiParameter("mine", bool, description="Your producer's own listings.")])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    def get_queryset(self) -> Any:
        actor = get_actor(self.request)
        if self.request.query_params.get("mine") in ("true", "1") and actor.organization_id:
            return selectors.listings_of_producer(actor=actor)
        return selectors.listings_visible()

    def get_object(self) -> Listing:
        return selectors.listing_get(actor=get_actor(self.request), listing_id=self.kwargs["pk"])

    @extend_schema(responses=ListingDetailSerializer)
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """A listing; to its producer also whether buyers see it today and, if not, why."""
        actor = get_actor(request)
        listing = self.get_object()
        body = dict(ListingSerializer(listing).data)
        if actor.organization_id == listing.producer_id or actor.is_reviewer or actor.is_staff:
            found = services.obstacles(listing) if listing.status == Status.PUBLISHED else []
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
