"""The producer directory and profile, mining sites and the member roster.

The directory is public and shows verified producers with their badges; the producer's own people,
reviewers and staff see the private profile. Another organisation's private object is 404.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import DelegationScope
from core.actor import get_actor
from core.api import UUID_PATTERN
from core.errors import documents_problems
from core.extensions import provider
from core.filters import StrictBooleanFilter, StrictFilterSet, StrictOrderingFilter
from core.idempotency import idempotent
from core.permissions import ActsForOrganization, AllowAny, IsReviewerOrStaff
from producers import selectors, services
from producers.api.serializers import (
    MemberMinerInputSerializer,
    MemberMinerSerializer,
    MemberMinerUpdateSerializer,
    ProducerInputSerializer,
    ProducerPrivateSerializer,
    ProducerUpdateSerializer,
    ReasonSerializer,
    RequiredReasonSerializer,
    SiteApproveSerializer,
    SiteForCounterpartySerializer,
    SiteForReviewSerializer,
    SiteInputSerializer,
    SitePublicSerializer,
    SiteSerializer,
    SiteUpdateSerializer,
    serialize_producers,
)
from producers.models import District, LegalKind, MemberMiner, Producer, Site, Verification
from producers.selectors import WOMEN_LED

READ_ACTIONS = ("list", "retrieve")


class ProducerFilter(StrictFilterSet):
    district = django_filters.ChoiceFilter(choices=District.choices)
    legal_kind = django_filters.ChoiceFilter(choices=LegalKind.choices)
    verification_status = django_filters.ChoiceFilter(choices=Verification.choices)
    women_led = StrictBooleanFilter(
        method="filter_women_led",
        label="Women-led (approved member-register evidence more than half women, or an individual woman miner)",
    )
    name = django_filters.CharFilter(field_name="organization__legal_name", lookup_expr="icontains")
    claims = django_filters.CharFilter(method="filter_claims", help_text="Comma-separated badges: all must hold today.")
    offering = StrictBooleanFilter(
        method="filter_offering", label="Has listings buyers can find in search today (true) or none (false)"
    )

    class Meta:
        model = Producer
        fields = ["district", "legal_kind", "verification_status", "women_led", "name", "claims", "offering"]

    def filter_offering(self, queryset: Any, name: str, value: bool) -> Any:
        offering = provider("PRODUCERS_OFFERING")()
        return queryset.filter(pk__in=offering) if value else queryset.exclude(pk__in=offering)

    def filter_claims(self, queryset: Any, name: str, value: str) -> Any:
        codes = [code.strip() for code in value.split(",") if code.strip()][:10]
        return queryset.filter(provider("PRODUCERS_HOLDING")(codes)) if codes else queryset

    def filter_women_led(self, queryset: Any, name: str, value: bool) -> Any:
        women_led = selectors.verified_condition() & provider("PRODUCERS_HOLDING")([WOMEN_LED])
        return queryset.filter(women_led) if value else queryset.exclude(women_led)


class ProducerViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Verified producers, public; your own profile in any state; reviewers see every producer."""

    queryset = Producer.objects.none()
    serializer_class = ProducerPrivateSerializer  # its private fields are optional: the public get fewer
    lookup_url_kwarg = "id"
    lookup_value_regex = UUID_PATTERN
    filterset_class = ProducerFilter

    def get_permissions(self) -> list[Any]:
        return [AllowAny()] if self.action in READ_ACTIONS else [ActsForOrganization()]

    def get_queryset(self) -> Any:
        return selectors.producers_for(actor=get_actor(self.request))

    def get_object(self) -> Producer:
        return selectors.producer_get(actor=get_actor(self.request), producer_id=self.kwargs["id"])

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        assert page is not None
        return self.get_paginated_response(serialize_producers(list(page), get_actor(request), many=True))

    @extend_schema(responses=ProducerPrivateSerializer)
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(serialize_producers([self.get_object()], get_actor(request), many=False))

    @extend_schema(request=ProducerInputSerializer, responses={201: ProducerPrivateSerializer})
    @documents_problems(409)
    @idempotent
    def create(self, request: Request) -> Response:
        actor = get_actor(request)
        services.require_can_create_profile(actor)
        data = ProducerInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        producer = services.producer_create(actor=actor, **data.validated_data)
        producer = selectors.producer_get(actor=actor, producer_id=producer.pk)
        return Response(serialize_producers([producer], actor, many=False), status=status.HTTP_201_CREATED)

    @extend_schema(request=ProducerUpdateSerializer, responses=ProducerPrivateSerializer)
    @documents_problems(409)
    def partial_update(self, request: Request, id: str) -> Response:
        actor = get_actor(request)
        producer = self.get_object()
        services.require_producer_admin(actor, producer)
        data = ProducerUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.producer_update(actor=actor, producer=producer, **data.validated_data)
        return Response(serialize_producers([self.get_object()], actor, many=False))

    def _move(self, request: Request, move: str) -> Response:
        actor = get_actor(request)
        producer = self.get_object()
        if move == "submit":
            services.require_producer_admin(actor, producer)
        else:
            services.require_independent_reviewer(actor, producer.pk)
        serializer = RequiredReasonSerializer if move in services.REASON_REQUIRED else ReasonSerializer
        data = serializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.producer_transition(actor=actor, producer=producer, move=move, reason=data.validated_data["reason"])
        return Response(serialize_producers([self.get_object()], actor, many=False))

    @extend_schema(request=None, responses=ProducerPrivateSerializer)
    @documents_problems(409)
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, id: str) -> Response:
        """Ask the network to verify this producer (its admin)."""
        return self._move(request, "submit")

    @extend_schema(request=ReasonSerializer, responses=ProducerPrivateSerializer)
    @documents_problems(409)
    @action(detail=True, methods=["post"])
    def verify(self, request: Request, id: str) -> Response:
        """The network vouches for this producer (a reviewer who does not belong to it)."""
        return self._move(request, "verify")

    @extend_schema(request=RequiredReasonSerializer, responses=ProducerPrivateSerializer)
    @documents_problems(409)
    @action(detail=True, methods=["post"], url_path="request-changes")
    def request_changes(self, request: Request, id: str) -> Response:
        return self._move(request, "request_changes")

    @extend_schema(request=RequiredReasonSerializer, responses=ProducerPrivateSerializer)
    @documents_problems(409)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, id: str) -> Response:
        return self._move(request, "reject")

    @extend_schema(request=RequiredReasonSerializer, responses=ProducerPrivateSerializer)
    @documents_problems(409)
    @action(detail=True, methods=["post"])
    def suspend(self, request: Request, id: str) -> Response:
        return self._move(request, "suspend")

    @extend_schema(request=ReasonSerializer, responses=ProducerPrivateSerializer)
    @documents_problems(409)
    @action(detail=True, methods=["post"])
    def reinstate(self, request: Request, id: str) -> Response:
        return self._move(request, "reinstate")

    @extend_schema(request=RequiredReasonSerializer, responses=ProducerPrivateSerializer)
    @documents_problems(409)
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, id: str) -> Response:
        return self._move(request, "revoke")


class _ProducerChild(viewsets.GenericViewSet):
    lookup_value_regex = UUID_PATTERN

    def get_producer(self) -> Producer:
        return selectors.producer_get(actor=get_actor(self.request), producer_id=self.kwargs["producer_pk"])


class SiteFilter(StrictFilterSet):
    flagged = django_filters.BooleanFilter(
        method="filter_flagged",
        help_text="Sites that overlap a protected area or buffer zone (the producer's people and reviewers).",
    )

    class Meta:
        model = Site
        fields = ["flagged"]

    def filter_flagged(self, queryset: Any, name: str, value: bool) -> Any:
        producer = self.request.parser_context["view"].get_producer()  # type: ignore[union-attr]
        if not selectors.can_see_private(actor=get_actor(self.request), producer=producer):
            return queryset  # the public sees approved sites only, never their findings
        return queryset.filter(flagged=value)


class SiteViewSet(_ProducerChild, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """A producer's mining sites. The public sees approved sites, located to about 0.1 degree."""

    queryset = Site.objects.none()
    serializer_class = SiteSerializer
    filterset_class = SiteFilter
    # A delegate keeps the producer's sites (a reviewer's decision is never theirs).
    delegable = {action: DelegationScope.SITES for action in ("list", "retrieve", "create", "partial_update")}

    def get_permissions(self) -> list[Any]:
        return [AllowAny()] if self.action in READ_ACTIONS else [ActsForOrganization()]

    def get_serializer_class(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return SiteSerializer
        actor, producer = get_actor(self.request), self.get_producer()
        if self.action in READ_ACTIONS and not selectors.can_see_private(actor=actor, producer=producer):
            if selectors.is_counterparty(actor=actor, producer=producer):
                return SiteForCounterpartySerializer
            return SitePublicSerializer
        return SiteSerializer

    def get_queryset(self) -> Any:
        return selectors.sites_of(actor=get_actor(self.request), producer=self.get_producer())

    def get_object(self) -> Site:
        return selectors.site_get(
            actor=get_actor(self.request), producer=self.get_producer(), site_id=self.kwargs["pk"]
        )

    @extend_schema(request=SiteInputSerializer, responses={201: SiteSerializer})
    @idempotent
    def create(self, request: Request, producer_pk: str) -> Response:
        actor, producer = get_actor(request), self.get_producer()
        services.require_site_keeper(actor, producer)
        data = SiteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        site = services.site_create(actor=actor, producer=producer, **data.validated_data)
        return Response(SiteSerializer(site).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=SiteUpdateSerializer, responses=SiteSerializer)
    @documents_problems(409)
    def partial_update(self, request: Request, producer_pk: str, pk: str) -> Response:
        actor, site = get_actor(request), self.get_object()
        services.require_site_keeper(actor, site.producer)
        data = SiteUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(SiteSerializer(services.site_update(actor=actor, site=site, **data.validated_data)).data)

    def _review(self, request: Request, move: str) -> Response:
        actor, site = get_actor(request), self.get_object()
        services.require_independent_reviewer(actor, site.producer_id)
        serializer = {"approve": SiteApproveSerializer, "reject": RequiredReasonSerializer}.get(move, ReasonSerializer)
        data = serializer(data=request.data)
        data.is_valid(raise_exception=True)
        site = services.site_review(actor=actor, site=site, move=move, **data.validated_data)
        return Response(SiteSerializer(site).data)

    @extend_schema(request=SiteApproveSerializer, responses=SiteSerializer)
    @documents_problems(409)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, producer_pk: str, pk: str) -> Response:
        """A reviewer approves the site: inside the mining corridor, not in a protected area. A flagged site
        (it overlaps a protected area or buffer zone) needs `acknowledge_overlaps` and a reason, otherwise 409
        `site_overlaps_protected_area` names the areas."""
        return self._review(request, "approve")

    @extend_schema(request=RequiredReasonSerializer, responses=SiteSerializer)
    @documents_problems(409)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, producer_pk: str, pk: str) -> Response:
        return self._review(request, "reject")


class SiteReviewFilter(StrictFilterSet):
    status = django_filters.MultipleChoiceFilter(choices=Site.Status.choices, distinct=False)
    flagged = StrictBooleanFilter(help_text="Sites that overlap a protected area or buffer zone.")
    district = django_filters.MultipleChoiceFilter(choices=District.choices, distinct=False)
    producer = django_filters.UUIDFilter(field_name="producer_id")

    class Meta:
        model = Site
        fields = ["status", "flagged", "district", "producer"]


class SiteReviewViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Every producer's sites, oldest first, for the network's reviewers and staff: the sites waiting for a
    decision (`?status=submitted`), and those that overlap a protected area (`?flagged=true`), whoever they
    belong to. Decisions are taken on the producer's site (`/producers/{producer_pk}/sites/{id}/approve/`)."""

    queryset = Site.objects.none()
    serializer_class = SiteForReviewSerializer
    filterset_class = SiteReviewFilter
    permission_classes = [IsReviewerOrStaff]
    filter_backends = [DjangoFilterBackend, StrictOrderingFilter]
    ordering_fields = ["created_at"]
    ordering = ["created_at"]  # the queue: oldest first

    def get_queryset(self) -> Any:
        return selectors.sites_for_review()


class MemberMinerViewSet(_ProducerChild, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """The member roster (personal data): the producer's admins, reviewers and staff only."""

    queryset = MemberMiner.objects.none()
    serializer_class = MemberMinerSerializer
    permission_classes = [ActsForOrganization]

    def get_queryset(self) -> Any:
        return selectors.roster_of(actor=get_actor(self.request), producer=self.get_producer())

    def get_object(self) -> MemberMiner:
        return selectors.member_miner_get(
            actor=get_actor(self.request), producer=self.get_producer(), member_id=self.kwargs["pk"]
        )

    @extend_schema(request=MemberMinerInputSerializer, responses={201: MemberMinerSerializer})
    @idempotent
    def create(self, request: Request, producer_pk: str) -> Response:
        actor, producer = get_actor(request), self.get_producer()
        selectors.roster_of(actor=actor, producer=producer)  # other organisations: 404, like reading it
        services.require_producer_admin(actor, producer)
        data = MemberMinerInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        member = services.member_miner_add(actor=actor, producer=producer, **data.validated_data)
        return Response(MemberMinerSerializer(member).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=MemberMinerUpdateSerializer, responses=MemberMinerSerializer)
    def partial_update(self, request: Request, producer_pk: str, pk: str) -> Response:
        actor, member = get_actor(request), self.get_object()
        services.require_producer_admin(actor, member.producer)
        data = MemberMinerUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        member = services.member_miner_update(actor=actor, member=member, **data.validated_data)
        return Response(MemberMinerSerializer(member).data)

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, producer_pk: str, pk: str) -> Response:
        services.member_miner_remove(actor=get_actor(request), member=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
