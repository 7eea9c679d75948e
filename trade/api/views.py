"""Trade: inquiries and their threads, contracts and the moves of their lifecycle.

Every path with an id resolves the object within what the caller may see first (another organisation's is
404), then checks the role (403), then reads the body (400), then the service checks the state (409).
"""

from __future__ import annotations

from typing import Any

import django_filters
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.actor import Actor, get_actor
from core.api import UUID_PATTERN
from core.errors import documents_problems
from core.filters import StrictFilterSet
from core.http import uncompressed
from core.idempotency import idempotent
from core.pagination import CursorPagination
from core.permissions import ActsForOrganization
from provenance.api.serializers import LotSerializer
from trade import inquiries, selectors, services
from trade.api.examples import CHARGES_OUT, SETTLEMENT_OUT, SHIPMENTS_OUT, TERMS_EXAMPLES
from trade.api.serializers import (
    AcceptInputSerializer,
    CancelInputSerializer,
    ContractCreateSerializer,
    ContractDetailSerializer,
    ContractLotsInputSerializer,
    ContractSerializer,
    DepositRefundInputSerializer,
    DepositReleaseInputSerializer,
    DepositSerializer,
    DepositStartedSerializer,
    InquiryCreateSerializer,
    InquiryMessageInputSerializer,
    InquiryMessageSerializer,
    InquirySerializer,
    TermsInputSerializer,
)
from trade.deposits.create import deposit_start
from trade.deposits.refunds import deposit_refund
from trade.deposits.release import deposit_release
from trade.deposits.selectors import deposit_get, deposit_get_for_staff, deposit_of_contract
from trade.models import Contract, ContractState, Deposit, Inquiry, InquiryMessage


class InquiryFilter(StrictFilterSet):
    state = django_filters.ChoiceFilter(choices=Inquiry.State.choices)
    listing = django_filters.UUIDFilter(field_name="listing_id")

    class Meta:
        model = Inquiry
        fields: list[str] = []


class InquiryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Inquiries your organisation asked or was asked; reviewers and staff read them all."""

    queryset = Inquiry.objects.none()
    serializer_class = InquirySerializer
    permission_classes = [ActsForOrganization]
    filter_backends = [DjangoFilterBackend]
    filterset_class = InquiryFilter
    lookup_value_regex = UUID_PATTERN

    def get_throttles(self) -> list[Any]:
        self.throttle_scope = "inquiries" if self.action == "create" else None
        return super().get_throttles()

    def get_queryset(self) -> Any:
        return selectors.inquiries_for(actor=get_actor(self.request))

    def get_object(self) -> Inquiry:
        return selectors.inquiry_get(actor=get_actor(self.request), inquiry_id=self.kwargs["pk"])

    @extend_schema(request=InquiryCreateSerializer, responses={201: InquirySerializer})
    @idempotent
    def create(self, request: Request) -> Response:
        """A buyer asks about a visible listing (or a verified producer); a producer answers an open sourcing
        request. The message starts the thread; the other side's people are notified."""
        actor = get_actor(request)
        services.require_trader(actor)
        data = InquiryCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        inquiry = inquiries.inquiry_create(actor=actor, **data.to_service())
        body = InquirySerializer(selectors.inquiry_get(actor=actor, inquiry_id=inquiry.pk)).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=InquirySerializer)
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str) -> Response:
        """Either side closes the inquiry (closing it again changes nothing); the thread is kept."""
        actor = get_actor(request)
        inquiry = inquiries.inquiry_close(actor=actor, inquiry=self.get_object())
        return Response(InquirySerializer(selectors.inquiry_get(actor=actor, inquiry_id=inquiry.pk)).data)


class ThreadPagination(CursorPagination):
    ordering = "created_at"  # a thread reads oldest first


class InquiryMessageViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The thread of an inquiry, oldest first: the two organisations write, reviewers and staff read."""

    queryset = InquiryMessage.objects.none()
    serializer_class = InquiryMessageSerializer
    permission_classes = [ActsForOrganization]
    pagination_class = ThreadPagination

    def get_throttles(self) -> list[Any]:
        self.throttle_scope = "inquiries" if self.action == "create" else None
        return super().get_throttles()

    def get_inquiry(self) -> Inquiry:
        return selectors.inquiry_get(actor=get_actor(self.request), inquiry_id=self.kwargs["inquiry_pk"])

    def get_queryset(self) -> Any:
        return selectors.messages_of(inquiry=self.get_inquiry())

    @extend_schema(request=InquiryMessageInputSerializer, responses={201: InquiryMessageSerializer})
    @documents_problems(409)
    @idempotent
    def create(self, request: Request, inquiry_pk: str) -> Response:
        """Write in the thread of an open inquiry (409 once it is closed)."""
        actor = get_actor(request)
        inquiry = self.get_inquiry()
        services.require_party(actor, inquiry)
        data = InquiryMessageInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        message = inquiries.inquiry_post_message(actor=actor, inquiry=inquiry, body=data.validated_data["body"])
        body = InquiryMessageSerializer(selectors.messages_of(inquiry=inquiry).get(pk=message.pk)).data
        return Response(body, status=status.HTTP_201_CREATED)


class ContractFilter(StrictFilterSet):
    state = django_filters.MultipleChoiceFilter(choices=ContractState.choices, distinct=False)
    listing = django_filters.UUIDFilter(field_name="listing_id")
    inquiry = django_filters.UUIDFilter(field_name="inquiry_id")

    class Meta:
        model = Contract
        fields: list[str] = []


_SITE = "0b1e7c52-4f0e-4a53-9a57-1d2f3e4a5b6c"
_RUC, _RUC_RENEWED = "5d6e7f80-1a2b-4c3d-8e9f-0a1b2c3d4e5f", "6e7f8091-2b3c-4d4e-9f0a-1b2c3d4e5f60"
_TITLE = "7f8091a2-3c4d-4e5f-8a1b-2c3d4e5f6071"
_VERSION = {
    "number": 2,
    "side": "buyer",
    "proposed_by": "3c1d2e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f",
    "proposed_by_name": "Anna Keller",
    "proposed_by_organization": "2b0c1d3e-4f5a-4b6c-9d7e-8f9a0b1c2d3e",
    "quantity_grams": "300.000",
    "fineness": "920.0",
    "price_basis": "lbma_pm",
    "price_per_fine_gram": None,
    "lbma_adjustment_percent": "-2.00",
    "premium_per_kg_fine": {"amount_minor": 400000, "currency": "USD"},
    "premium_currency": "USD",
    "incoterm": "FCA",
    "incoterm_place": "Puerto Maldonado",
    "delivery_date": "2027-07-15",
    "deposit_amount": None,
    "deposit_percent": "10.00",
    "payment_terms": "Saldo contra entrega.",
    "origin_site": _SITE,
    "lots": [],
    "settlement": SETTLEMENT_OUT,
    "charges": CHARGES_OUT,
    # A forward sale: its shipments name no lots (the producer names them once recorded).
    "shipments": [
        {**shipment, "quantity_grams": grams, "lots": []}
        for shipment, grams in zip(SHIPMENTS_OUT, ("100.000", "200.000"), strict=True)
    ],
    "created_at": "2026-12-01T10:15:00-05:00",
    "compliance_snapshot": {
        "policy": {"id": 2, "subject": "organization", "version": 1},
        "sites": [
            {
                "site": _SITE,
                "requirements": [
                    {"code": "MINING_RIGHT", "evidence": [_TITLE]},
                    {"code": "TAX_RUC", "evidence": [_RUC]},
                ],
                "claims": [{"code": "women_led", "rests_on": "roster", "evidence": []}],
            }
        ],
        "evidence": [
            {
                "id": _RUC,
                "type": "TAX_RUC",
                "site": None,
                "valid_until": "2026-12-20",
                "files": [{"position": 1, "sha256": "9f2c" + "0" * 60}],
            },
            {
                "id": _TITLE,
                "type": "MINING_RIGHT",
                "site": _SITE,
                "valid_until": "2031-03-31",
                "files": [{"position": 1, "sha256": "41d7" + "0" * 60}],
            },
        ],
        "lots": [],
    },
    "compliance_snapshot_digest": "c0ffee" + "0" * 58,
}
CONTRACT_EXAMPLE = {
    "id": "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
    "inquiry": "4d5e6f70-8192-4a3b-9c4d-5e6f7a8b9c0d",
    "buyer": "2b0c1d3e-4f5a-4b6c-9d7e-8f9a0b1c2d3e",
    "buyer_name": "Helvetia Responsible Refining SA",
    "producer": "8a9b0c1d-2e3f-4a5b-8c6d-7e8f9a0b1c2d",
    "producer_name": "Cooperativa Minera Mujeres de Oro de Huepetuhe",
    "listing": "9b0c1d2e-3f4a-4b5c-9d6e-7f8a9b0c1d2e",
    "state": "signed",
    "latest_version": {key: value for key, value in _VERSION.items() if not key.startswith("compliance_")},
    "signed_version": 2,
    "terms_hash": "5e8a" + "0" * 60,
    "signed_at": "2026-12-02T09:00:00-05:00",
    "delivered_at": None,
    "completed_at": None,
    "ended_at": None,
    "created_at": "2026-11-30T16:40:00-05:00",
    "updated_at": "2026-12-02T09:00:00-05:00",
    "versions": [_VERSION],
    "acceptances": [
        {
            "side": "buyer",
            "organization": "2b0c1d3e-4f5a-4b6c-9d7e-8f9a0b1c2d3e",
            "user": "3c1d2e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f",
            "user_name": "Anna Keller",
            "version": 2,
            "accepted_at": "2026-12-01T10:15:00-05:00",
        },
        {
            "side": "producer",
            "organization": "8a9b0c1d-2e3f-4a5b-8c6d-7e8f9a0b1c2d",
            "user": "4e5f6a7b-8c9d-4e0f-9a1b-2c3d4e5f6a7b",
            "user_name": "Rosa Quispe Mamani",
            "version": 2,
            "accepted_at": "2026-12-02T09:00:00-05:00",
        },
    ],
    "compliance_alerts": [
        {"evidence_id": _RUC, "type": "TAX_RUC", "event": "superseded", "at": "2026-12-10T11:02:00-05:00"}
    ],
}

CONTRACT_THROTTLE_SCOPES = {"create": "proposals", "propose": "proposals", "deposit_create": "deposits"}


class ContractViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Contracts of your organisation, as buyer or as producer; reviewers and staff read them all. Only
    organisation admins propose, accept and move them; staff may cancel a signed one."""

    queryset = Contract.objects.none()
    serializer_class = ContractSerializer
    permission_classes = [ActsForOrganization]
    filter_backends = [DjangoFilterBackend]
    filterset_class = ContractFilter
    lookup_value_regex = UUID_PATTERN

    def get_throttles(self) -> list[Any]:
        # Each proposal notifies the other side's people, each deposit attempt may call Stripe: both are
        # capped per user and window, checked before anything else runs.
        self.throttle_scope = CONTRACT_THROTTLE_SCOPES.get(self.action or "")
        return super().get_throttles()

    def get_queryset(self) -> Any:
        return selectors.contracts_for(actor=get_actor(self.request))

    def get_object(self) -> Contract:
        return selectors.contract_get(actor=get_actor(self.request), contract_id=self.kwargs["pk"])

    def _detail(self, actor: Actor, contract: Contract, status_code: int = status.HTTP_200_OK) -> Response:
        body = ContractDetailSerializer(selectors.contract_get(actor=actor, contract_id=contract.pk)).data
        return Response(body, status=status_code)

    @extend_schema(
        responses=ContractDetailSerializer,
        examples=[
            OpenApiExample(
                "Signed, with a compliance alert",
                value=CONTRACT_EXAMPLE,
                response_only=True,
                description="Each version keeps the compliance snapshot of the day it was proposed (here one "
                "version of two is shown); `compliance_alerts` lists the items of the signed version's "
                "snapshot that were revoked or superseded since.",
            )
        ],
    )
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """A contract with every version of its terms (each with the compliance snapshot behind the offer
        when it was proposed, and its digest), both acceptances, the hash of the signed terms and the
        compliance alerts: items of the accepted snapshot revoked or superseded since."""
        return Response(ContractDetailSerializer(self.get_object()).data)

    @extend_schema(
        request=ContractCreateSerializer,
        responses={201: ContractDetailSerializer},
        examples=[
            OpenApiExample(
                example.name,
                value={"inquiry": "4d5e6f70-8192-4a3b-9c4d-5e6f7a8b9c0d", **example.value},
                request_only=True,
                description=example.description,
            )
            for example in TERMS_EXAMPLES
        ],
    )
    @documents_problems(404, 409, 422)
    @idempotent
    def create(self, request: Request) -> Response:
        """Start a contract from an open inquiry, proposing the first version of its terms (either side's
        admin). An inquiry that is not yours to see is 404, as in a path; 409 `inquiry_closed`,
        `listing_closed`, `quantity_unavailable` (more gold than is left on the listing), `no_fix_recorded` or
        `no_rate_recorded` (a certified listing's floors cannot be checked yet) or, for a buyer whose KYC
        verification lapsed, `buyer_kyc_lapsed` (with `lapsed_on`). The terms may say how the gold is settled,
        the charges and the shipments (docs/settlement-terms.md)."""
        actor = get_actor(request)
        services.require_trader(actor)
        services.require_admin(actor)
        data = ContractCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        inquiry = selectors.inquiry_get(actor=actor, inquiry_id=data.validated_data["inquiry"])
        contract = services.contract_start(actor=actor, inquiry=inquiry, **data.to_service())
        return self._detail(actor, contract, status.HTTP_201_CREATED)

    @extend_schema(request=TermsInputSerializer, responses={201: ContractDetailSerializer}, examples=TERMS_EXAMPLES)
    @documents_problems(409)
    @action(detail=True, methods=["post"])
    @idempotent
    def propose(self, request: Request, pk: str) -> Response:
        """Propose the next version of the terms (either side's admin, while negotiating); 409
        `invalid_transition`, `quantity_unavailable` (more gold than is left on the listing), `no_fix_recorded`
        or `no_rate_recorded` (a certified listing's floors cannot be checked yet) or, for a buyer whose KYC
        verification lapsed, `buyer_kyc_lapsed` (with `lapsed_on`)."""
        actor = get_actor(request)
        contract = self.get_object()
        services.require_contract_admin(actor, contract)
        data = TermsInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.contract_propose(actor=actor, contract=contract, **data.to_service())
        return self._detail(actor, contract, status.HTTP_201_CREATED)

    @extend_schema(request=AcceptInputSerializer, responses=ContractDetailSerializer)
    @documents_problems(409, 422)
    @action(detail=True, methods=["post"])
    @idempotent
    def accept(self, request: Request, pk: str) -> Response:
        """Sign: accept the latest version by its number (an admin of the side that did not propose it).
        Reserves the quantity on the listing; 409 `contract_version_stale`, `contract_own_proposal`,
        `buyer_kyc_lapsed` (the buyer's verification lapsed on `lapsed_on`), `buyer_kyc_not_verified`,
        `listing_not_visible` or `quantity_unavailable` otherwise."""
        actor = get_actor(request)
        contract = self.get_object()
        services.require_contract_admin(actor, contract)
        data = AcceptInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        contract = services.contract_accept(actor=actor, contract=contract, version=data.validated_data["version"])
        return self._detail(actor, contract)

    def _move(self, request: Request, move: str, reason: str = "") -> Response:
        actor = get_actor(request)
        contract = services.contract_move(actor=actor, contract=self.get_object(), move=move, reason=reason)
        return self._detail(actor, contract)

    @extend_schema(request=None, responses=ContractDetailSerializer)
    @documents_problems(409)
    @action(detail=True, methods=["post"])
    def decline(self, request: Request, pk: str) -> Response:
        """Refuse the other side's latest proposal: the negotiation ends."""
        return self._move(request, "decline")

    @extend_schema(request=None, responses=ContractDetailSerializer)
    @documents_problems(409)
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str) -> Response:
        """Take back your side's latest proposal: the negotiation ends."""
        return self._move(request, "withdraw")

    @extend_schema(request=CancelInputSerializer, responses=ContractDetailSerializer)
    @documents_problems(409)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        """Call off a signed contract (either side's admin, or staff): its quantity goes back to the listing."""
        services.require_canceller(get_actor(request), self.get_object())
        data = CancelInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._move(request, "cancel", data.validated_data["reason"])

    @extend_schema(request=None, responses=ContractDetailSerializer)
    @documents_problems(409)
    @action(detail=True, methods=["post"], url_path="mark-delivered")
    def mark_delivered(self, request: Request, pk: str) -> Response:
        """The producer's admin says the gold was handed over."""
        return self._move(request, "mark_delivered")

    @extend_schema(request=None, responses=ContractDetailSerializer)
    @documents_problems(409)
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: str) -> Response:
        """The buyer's admin confirms the delivery: the contract is completed."""
        return self._move(request, "complete")

    @extend_schema(operation_id="contracts_lots_list", request=None, responses=LotSerializer(many=True))
    @action(detail=True, methods=["get"], url_path="lots", pagination_class=None, filter_backends=[])
    def lots(self, request: Request, pk: str) -> Response:
        """The lots the contract delivers, with their sources, assays and custody trail, for both parties,
        reviewers and staff (empty until a spot contract is signed or a forward one has lots named)."""
        contract = self.get_object()
        return Response(LotSerializer(selectors.contract_lots(contract=contract), many=True).data)

    @extend_schema(
        operation_id="contracts_lots_create",
        request=ContractLotsInputSerializer,
        responses={201: LotSerializer(many=True)},
    )
    @documents_problems(409)
    @lots.mapping.post
    @idempotent
    def lots_create(self, request: Request, pk: str) -> Response:
        """Name the recorded lots that deliver a signed forward contract (the producer's admin): the
        producer's own, from the contract's origin site, not offered in a listing. 409 `lots_fixed_by_terms`
        (a spot contract: its lots are in the signed terms), `contract_not_signed`, `lot_already_listed` or
        `lot_under_contract`. Answers every lot the contract delivers."""
        actor = get_actor(request)
        contract = self.get_object()
        services.require_lots_namer(actor, contract)
        data = ContractLotsInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.contract_lots_name(actor=actor, contract=contract, lots=data.validated_data["lots"])
        return Response(
            LotSerializer(selectors.contract_lots(contract=contract), many=True).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(operation_id="contracts_deposit_retrieve", request=None, responses=DepositSerializer)
    @action(detail=True, methods=["get"], url_path="deposit")
    def deposit(self, request: Request, pk: str) -> Response:
        """The contract's deposit (the active one, else the latest) for both organisations, reviewers and
        staff; 404 when it has none. The client secret is only in the answer to POST."""
        actor = get_actor(request)
        return Response(DepositSerializer(deposit_of_contract(actor=actor, contract=self.get_object())).data)

    @extend_schema(
        operation_id="contracts_deposit_create",
        request=None,
        responses={201: DepositStartedSerializer, 200: DepositStartedSerializer},
    )
    @documents_problems(409, 422, 503, retry_after=(409,))
    @deposit.mapping.post
    @uncompressed  # the client secret (BREACH, docs/security.md); outside @idempotent, so a replay is marked too
    @idempotent
    def deposit_create(self, request: Request, pk: str) -> Response:
        """Pay the deposit of a signed contract (the buyer's admin): creates the deposit and its Stripe
        PaymentIntent and answers its `client_secret` for Stripe.js (201); while a deposit is active the same
        one is answered (200). The amount comes from the signed terms. 409 `contract_not_signed`,
        `no_deposit_agreed`, `deposit_value_unknown` (a percentage of an LBMA price) or
        `deposit_above_contract_value`, or `deposit_in_progress` at once while another request is creating
        the same deposit's payment at Stripe (retry after `Retry-After`: the retry gets the same deposit and
        payment); 503 `payments_not_configured` (nothing is stored) or `payment_provider_unavailable` (retry
        after `Retry-After`: the deposit is kept and its payment is created with the same idempotency key)."""
        actor = get_actor(request)
        started = deposit_start(actor=actor, contract=self.get_object())
        body = DepositStartedSerializer(started.deposit).data | {"client_secret": started.client_secret}
        return Response(body, status=status.HTTP_201_CREATED if started.created else status.HTTP_200_OK)


class DepositViewSet(viewsets.GenericViewSet):
    """Staff's moves on deposits: refund through Stripe, release to the producer (recorded, outside Stripe).
    Another organisation's deposit is 404; the two parties and reviewers get 403."""

    queryset = Deposit.objects.none()
    serializer_class = DepositSerializer
    permission_classes = [ActsForOrganization]
    lookup_value_regex = UUID_PATTERN

    def get_object(self) -> Deposit:
        return deposit_get_for_staff(actor=get_actor(self.request), deposit_id=self.kwargs["pk"])

    @extend_schema(request=DepositRefundInputSerializer, responses=DepositSerializer)
    @documents_problems(409, 422, 503)
    @action(detail=True, methods=["post"])
    @idempotent
    def refund(self, request: Request, pk: str) -> Response:
        """Refund part (`amount_minor`) or all that is left of a held deposit to the buyer's card (staff).
        409 `deposit_not_held` or `refund_above_held` (nothing moves); 503 when Stripe cannot be reached
        (nothing moves either: retry)."""
        actor, deposit = get_actor(request), self.get_object()
        data = DepositRefundInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        deposit_refund(actor=actor, deposit=deposit, amount_minor=data.validated_data.get("amount_minor"))
        return Response(DepositSerializer(deposit_get(actor=actor, deposit_id=deposit.pk)).data)

    @extend_schema(request=DepositReleaseInputSerializer, responses=DepositSerializer)
    @documents_problems(409)
    @action(detail=True, methods=["post"])
    def release(self, request: Request, pk: str) -> Response:
        """Record that the held deposit was paid out to the producer by bank transfer (staff), once the
        contract is delivered or completed (409 `contract_not_delivered` before). Stripe does not pay out to
        Peru, so the payout happens outside it; `payout_reference` names the transfer."""
        actor, deposit = get_actor(request), self.get_object()
        data = DepositReleaseInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        deposit = deposit_release(
            actor=actor, deposit=deposit, payout_reference=data.validated_data["payout_reference"]
        )
        return Response(DepositSerializer(deposit_get(actor=actor, deposit_id=deposit.pk)).data)
