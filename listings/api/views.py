"""Listings: search of what is visible today, a producer's own listings, drafting and the lifecycle."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.files.storage import storages
from django.db.models import F
from django.http import HttpResponse
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotAuthenticated
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from core.actor import get_actor
from core.api import UUID_PATTERN
from core.errors import documents_problems
from core.filters import StrictOrderingFilter, query_bool
from core.idempotency import idempotent
from core.pagination import CursorPagination
from core.permissions import ActsForOrganization, AllowAny
from core.uploads import check_upload_length, check_uploads
from listings import cards, matching, pricing, search_cache, selectors, services, sourcing
from listings.api.serializers import (
    FacetsSerializer,
    ListingDetailSerializer,
    ListingInputSerializer,
    ListingPriceSerializer,
    ListingPublishSerializer,
    ListingRepriceSerializer,
    ListingSearchSerializer,
    ListingSerializer,
    MatchSerializer,
    PhotoUploadSerializer,
    SourcingRequestInputSerializer,
    SourcingRequestSerializer,
)
from listings.filters import CatalogueFilter, ListingFilter
from listings.indicative import Market
from listings.models import (
    Listing,
    SourcingRequest,
)
from producers.models import District


class ListingFilterBackend(DjangoFilterBackend):
    """The catalogue's filters read the search read model; a producer's own listings (`mine=true`), the
    listings themselves."""

    def get_filterset_class(self, view: Any, queryset: Any = None) -> Any:
        return ListingFilter if view.own_listings() else CatalogueFilter


class RelevanceOrdering(StrictOrderingFilter):
    """With words to search and no `ordering`, the best match comes first. `indicative_price` sorts by the
    indicative price in US dollars per fine gram (listings/indicative.py), in the database, unknown prices last
    either way and ties by id; `price_per_fine_gram_minor` is the same ordering (it once sorted prices of every
    currency and basis together)."""

    def get_default_ordering(self, view: Any) -> Any:
        if view.request.query_params.get("q"):
            return ["-relevance"] if not view.own_listings() else ["-created_at"]
        return super().get_default_ordering(view)

    def get_ordering(self, request: Any, queryset: Any, view: Any) -> Any:
        ordering = super().get_ordering(request, queryset, view)
        if not ordering:
            return ordering
        if view.own_listings():  # no relevance there: the newest first
            terms = [term for term in ordering if term.lstrip("-") != "relevance"]
            return selectors.indicative_ordering(terms or ["-created_at"])
        return selectors.catalogue_ordering(list(ordering))

    def filter_queryset(self, request: Any, queryset: Any, view: Any) -> Any:
        ordering = self.get_ordering(request, queryset, view)
        if not ordering:
            return queryset
        if view.own_listings():
            return selectors.order_by_indicative(queryset, ordering, view.market())
        return selectors.order_catalogue(queryset, ordering)


HELD_EXAMPLE = OpenApiExample(
    "Held for a volume check",
    response_only=True,
    status_codes=["200"],
    value={
        "id": "7d0c6f8e-5b1a-4c3e-9f2d-2a6b8c9d0e1f",
        "producer": "3f2b1c4d-8e9a-4b7c-a6d5-e4f3a2b1c0d9",
        "producer_name": "Rosa Quispe Mamani",
        "district": "huepetuhe",
        "sites": ["0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"],
        "form": "dore",
        "quantity_grams": "500.000",
        "available_grams": "500.000",
        "min_order_grams": "50.000",
        "fineness": "920.0",
        "fineness_basis": "xrf",
        "fine_grams": "460.000",
        "troy_ounces": "14.7893",
        "karat": "22.08",
        "processing_methods": ["sluice", "borax_smelting"],
        "claims": [],
        "price_basis": "lbma_pm",
        "price_per_fine_gram": None,
        "lbma_adjustment_percent": "-2.00",
        "premium_per_kg_fine": {"amount_minor": 0, "currency": "USD"},
        "premium_currency": "USD",
        "incoterm": "FCA",
        "incoterm_place": "Puerto Maldonado",
        "valid_from": "2026-05-04",
        "valid_until": "2026-07-03",
        "title_es": "Doré 920 de Huepetuhe",
        "title_en": "Doré 920 from Huepetuhe",
        "description_es": "",
        "description_en": "",
        "status": "held",
        "close_reason": "",
        "published_at": None,
        "created_at": "2026-05-04T14:03:11.120000Z",
        "updated_at": "2026-05-04T14:05:42.870000Z",
        "photos": [],
        "hold": {
            "code": "volume_red_flag",
            "message": "More fine gold is offered than the latest production declaration supports: a reviewer "
            "checks it before buyers see the listing.",
            "what_to_do": "Upload your latest semester production declaration (PROD_DECL) with its fine grams, "
            "or offer less.",
            "site": None,
            "released_by": "network_reviewer",
        },
    },
)


class PriceVersionPagination(CursorPagination):
    ordering = "-number"


REPRICE_EXAMPLE = OpenApiExample(
    "Back to a fixed price after the season",
    request_only=True,
    value={
        "price_basis": "fixed",
        "price_per_fine_gram": {"amount_minor": 8350, "currency": "USD"},
        "lbma_adjustment_percent": None,
        "premium_per_kg_fine_minor": 400000,
        "premium_currency": "USD",
        "reason": "Precio fijo para la campaña de junio.",
    },
)
PRICES_EXAMPLE = OpenApiExample(
    "A re-price: version 2",
    response_only=True,
    status_codes=["200"],
    value={
        "number": 2,
        "price_basis": "fixed",
        "price_per_fine_gram": {"amount_minor": 8350, "currency": "USD"},
        "lbma_adjustment_percent": None,
        "premium_per_kg_fine": {"amount_minor": 400000, "currency": "USD"},
        "premium_currency": "USD",
        "reason": "Precio fijo para la campaña de junio.",
        "created_by": "5b7e1c2d-3a4f-4e6b-9c8d-7f6e5d4c3b2a",
        "created_by_name": "Juana Mamani Condori",
        "created_at": "2026-06-01T09:12:40.210000-05:00",
    },
)


class ListingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Visible listings for everyone (`mine=true`: your producer's own, in every state)."""

    queryset = Listing.objects.none()
    serializer_class = ListingSearchSerializer
    filterset_class = CatalogueFilter  # ListingFilter for `mine=true` (ListingFilterBackend)
    throttle_scope: str | None = None  # photo uploads use "uploads"
    filter_backends = [ListingFilterBackend, RelevanceOrdering]
    ordering_fields = [
        "relevance",
        "created_at",
        "fineness",
        "available_grams",
        "indicative_price",
        "price_per_fine_gram_minor",  # the same as indicative_price
        "valid_until",
    ]
    ordering = ["-created_at"]
    lookup_value_regex = UUID_PATTERN

    def get_permissions(self) -> list[Any]:
        return [AllowAny()] if self.action in ("list", "retrieve", "facets", "photo") else [ActsForOrganization()]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "mine",
                bool,
                description="Your producer's own listings, in every state. Needs a token: without one the answer "
                "is 401 (`not_authenticated`), never the public catalogue.",
            )
        ]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if self._mine_asked() and not request.user.is_authenticated:
            raise NotAuthenticated()
        if self.own_listings():
            return super().list(request, *args, **kwargs)
        # Every caller sees the same visible listings: the answer is kept until the catalogue changes.
        url = request.build_absolute_uri()
        return Response(search_cache.cached_answer(url, self._catalogue_page, self.scopes()))

    def scopes(self) -> tuple[str, ...]:
        """The districts whose search rows this answer can contain: those of the `district` filter, or all (an
        unknown one is a 400 that is never kept)."""
        asked = set(self.request.query_params.getlist("district")) & set(District.values)
        return tuple(search_cache.district_scope(district) for district in sorted(asked or District.values))

    def _mine_asked(self) -> bool:
        return bool(query_bool(self.request, "mine"))

    def own_listings(self) -> bool:
        if getattr(self, "request", None) is None:  # the schema's generation
            return False
        return self._mine_asked() and bool(get_actor(self.request).organization_id)

    def get_queryset(self) -> Any:
        if self.own_listings():
            return selectors.listings_of_producer(actor=get_actor(self.request))
        # The read model's rows; `q` replaces this with the title tier; without it the newest come first.
        return selectors.entries_today().defer("search_text", "title_text").annotate(relevance=F("created_key"))

    def _catalogue_page(self) -> dict[str, Any]:
        """A page of the catalogue, from the read model alone: chosen, ordered and paged on its rows, each shown
        as its stored card with the indicative price of the day (listings.cards)."""
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset())) or []
        market = self.market()
        return self.get_paginated_response([cards.shown(entry, market) for entry in page]).data

    def get_object(self) -> Listing:
        return selectors.listing_get(actor=get_actor(self.request), listing_id=self.kwargs["pk"])

    def market(self) -> Market:
        """The fixes and the rate the indicative prices of this request read: once per request."""
        if not hasattr(self, "_market"):
            self._market = selectors.current_market()
        return self._market

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "market": self.market}  # read when a row is rendered

    @extend_schema(responses=ListingDetailSerializer)
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """A listing; to its producer also whether buyers see it today and, if not, why."""
        listing = self.get_object()
        body = dict(ListingSearchSerializer(listing, context=self.get_serializer_context()).data)
        body |= selectors.listing_publication_state(actor=get_actor(request), listing=listing) or {}
        return Response(body)

    @extend_schema(request=ListingInputSerializer, responses={201: ListingSerializer})
    @idempotent
    def create(self, request: Request) -> Response:
        actor = get_actor(request)
        producer = selectors.acting_producer(actor=actor)
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
        listing = selectors.listing_to_manage(actor=actor, listing_id=pk)
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
        return Response(search_cache.cached_answer(request.build_absolute_uri(), self._facets, self.scopes()))

    def _facets(self) -> dict[str, Any]:
        return selectors.listing_facets(self.filter_queryset(selectors.entries_today()))

    def _move(self, request: Request, move: str) -> Response:
        actor = get_actor(request)
        listing = services.listing_move(actor=actor, listing=self.get_object(), move=move)
        return Response(ListingSerializer(selectors.listing_get(actor=actor, listing_id=listing.pk)).data)

    @extend_schema(request=None, responses=ListingPublishSerializer, examples=[HELD_EXAMPLE])
    @documents_problems(409)
    @action(detail=True, methods=["post"])
    def publish(self, request: Request, pk: str) -> Response:
        """Offer the listing; 409 with every obstacle (code, message, what to do) while it may not be. A 200
        can still hold it back from buyers: `status` is then `held` and `hold` says why and who releases it."""
        actor = get_actor(request)
        listing = services.listing_move(actor=actor, listing=self.get_object(), move="publish")
        body = dict(ListingSerializer(selectors.listing_get(actor=actor, listing_id=listing.pk)).data)
        body["hold"] = selectors.listing_hold(listing)
        return Response(body)

    @extend_schema(request={"multipart/form-data": PhotoUploadSerializer}, responses={201: ListingSerializer})
    @documents_problems(409)
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser], throttle_scope="uploads")
    @idempotent
    def photos(self, request: Request, pk: str) -> Response:
        """Add photos (JPEG, PNG, WebP). They are re-encoded: no location or camera metadata is published."""
        actor = get_actor(request)
        listing = selectors.listing_to_manage(actor=actor, listing_id=pk)
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
        photo = selectors.listing_photo(actor=get_actor(request), listing_id=pk, position=int(position))
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

    @extend_schema(request=ListingRepriceSerializer, responses=ListingSerializer, examples=[REPRICE_EXAMPLE])
    @documents_problems(409)
    @action(detail=True, methods=["post"])
    def reprice(self, request: Request, pk: str) -> Response:
        """A new price for a listing on the market (published, paused or held; a draft is edited, a closed
        listing is closed: 409 `listing_not_repriceable`), by the producer's admins. It becomes the next version
        of the price (`prices/`); the same price again changes nothing. A listing claiming a certified standard
        keeps its floors: 400 `below_certified_minimum` or `premium_below_standard` with the figures compared,
        409 `no_fix_recorded` or `no_rate_recorded` when a figure is missing. Contracts already proposed keep
        their terms."""
        actor = get_actor(request)
        listing = selectors.listing_to_reprice(actor=actor, listing_id=pk)
        data = ListingRepriceSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        listing, _version = pricing.listing_reprice(actor=actor, listing=listing, **data.to_service())
        return Response(ListingSerializer(selectors.listing_get(actor=actor, listing_id=listing.pk)).data)

    @extend_schema(responses=ListingPriceSerializer(many=True), examples=[PRICES_EXAMPLE])
    @action(detail=True, methods=["get"], pagination_class=PriceVersionPagination, filter_backends=[])
    def prices(self, request: Request, pk: str) -> Response:
        """The versions of the listing's price, newest first, for its producer's people, reviewers and staff
        (buyers see the current price in the listing itself)."""
        versions = selectors.listing_price_history(actor=get_actor(request), listing_id=pk)
        page = self.paginate_queryset(versions)
        return self.get_paginated_response(ListingPriceSerializer(page, many=True).data)


class MatchPagination(CursorPagination):
    ordering = ["-match_key", "listing_id"]  # type: ignore[assignment]


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
        show = selectors.sees_buyer_identity(get_actor(self.request))
        return {**super().get_serializer_context(), "show_buyer": show}

    @extend_schema(request=SourcingRequestInputSerializer, responses={201: SourcingRequestSerializer})
    @idempotent
    def create(self, request: Request) -> Response:
        actor = get_actor(request)
        selectors.require_buyer(actor)
        data = SourcingRequestInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        created = sourcing.sourcing_request_create(actor=actor, **data.to_service())
        return Response(
            SourcingRequestSerializer(created, context={"show_buyer": True}).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=None, responses=SourcingRequestSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str) -> Response:
        closed = sourcing.sourcing_request_close(actor=get_actor(request), request=self.get_object())
        return Response(SourcingRequestSerializer(closed, context={"show_buyer": True}).data)

    @extend_schema(responses=MatchSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=MatchPagination, filter_backends=[])
    def matches(self, request: Request, pk: str) -> Response:
        """Visible listings ranked by fit, each with the criteria it meets and why (the buyer who asked): the
        most criteria met first, then the finest, a page at a time like every list."""
        sourcing_request = self.get_object()
        listings = selectors.sourcing_request_matches(actor=get_actor(request), request=sourcing_request)
        page = self.paginate_queryset(listings) or []
        rows = []
        for entry in page:  # the read model's row holds the figures compared and the listing's card
            found = matching.match(entry, sourcing_request)
            rows.append(
                {
                    "listing": cards.card(entry),
                    "score": found.score,
                    "criteria": found.criteria,
                    "reasons": found.reasons,
                }
            )
        return self.get_paginated_response(rows)
