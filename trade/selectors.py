"""Reads of trade, scoped to the caller: the two organisations of an inquiry or contract see it and staff
read everything. The network's reviewers read contracts (they oversee trade, and the audit trail of a
contract is theirs to check) but not inquiries: a thread is a private conversation between a buyer and a
producer. Anybody else gets 404."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, Q, QuerySet, Sum

from core.actor import Actor
from core.errors import NotFound
from listings.models import ListingLot
from provenance.models import Lot
from provenance.selectors import lot_relations
from trade.deliveries import LIVE_STATES
from trade.models import (
    Contract,
    ContractAcceptance,
    ContractCharge,
    ContractLot,
    ContractShipment,
    ContractState,
    ContractVersion,
    Inquiry,
    InquiryMessage,
)


def party_scope(actor: Actor, *, via: str = "") -> Q | None:
    """None: everything. Otherwise the rows where the actor's organisation is one of the two parties; `via`
    reaches the inquiry or contract from another model (`"contract__"` for deposits)."""
    if actor.is_staff or actor.is_reviewer:
        return None
    if actor.organization_kind == "buyer":
        return Q(**{f"{via}buyer_id": actor.organization_id})
    if actor.organization_kind == "producer":
        return Q(**{f"{via}producer_id": actor.organization_id})
    return Q(pk__in=[])


def inquiries_for(*, actor: Actor) -> QuerySet[Inquiry]:
    inquiries = Inquiry.objects.select_related("buyer", "producer__organization")
    if actor.is_reviewer and not actor.is_staff:
        return inquiries.none()
    scope = party_scope(actor)
    return inquiries if scope is None else inquiries.filter(scope)


def inquiry_get(*, actor: Actor, inquiry_id: Any) -> Inquiry:
    found = inquiries_for(actor=actor).filter(pk=inquiry_id).first()
    if found is None:
        raise NotFound()
    return found


def messages_of(*, inquiry: Inquiry) -> QuerySet[InquiryMessage]:
    return InquiryMessage.objects.filter(inquiry=inquiry).select_related("author")


def contracts_for(*, actor: Actor) -> QuerySet[Contract]:
    contracts = Contract.objects.select_related("buyer", "producer__organization").prefetch_related(
        Prefetch(
            "versions",
            queryset=ContractVersion.objects.select_related("proposed_by", "settlement__certification")
            .prefetch_related(
                Prefetch("lots", queryset=Lot.objects.order_by("code")),
                Prefetch("charges", queryset=ContractCharge.objects.order_by("position")),
                Prefetch(
                    "shipments",
                    queryset=ContractShipment.objects.order_by("number").prefetch_related(
                        Prefetch("lots", queryset=Lot.objects.order_by("code"))
                    ),
                ),
            )
            .order_by("number"),
        )
    )
    scope = party_scope(actor)
    return contracts if scope is None else contracts.filter(scope)


def contract_get(*, actor: Actor, contract_id: Any) -> Contract:
    found = (
        contracts_for(actor=actor)
        .prefetch_related(
            Prefetch("acceptances", queryset=ContractAcceptance.objects.select_related("user", "version")),
        )
        .filter(pk=contract_id)
        .first()
    )
    if found is None:
        raise NotFound()
    return found


def contract_lots(*, contract: Contract) -> QuerySet[Lot]:
    """The lots a contract delivers (not let go by a cancellation), as `lots_for` shows them."""
    delivered = ContractLot.objects.filter(contract=contract, released=False).values("lot_id")
    return lot_relations(Lot.objects.filter(pk__in=delivered)).order_by("code")


def producers_in_inquiry_with(buyer_organization_id: Any) -> QuerySet[Inquiry, Any]:
    """The ids of the producers a buyer organisation has an inquiry with, open or closed (a query, not a
    list, so callers filter with it in SQL). Named by the PRODUCER_COUNTERPARTIES setting: provenance and
    producers, earlier in the layer order, show these producers' lots, mass balance and exact sites to it."""
    return Inquiry.objects.filter(buyer_id=buyer_organization_id).values("producer_id")


def lots_under_contract(lot_ids: Any) -> QuerySet[ContractLot, Any]:
    """The ids among `lot_ids` that a contract delivers (not cancelled). Named by LOTS_UNDER_CONTRACT: a spot
    listing (listings, before trade) may not offer a lot already sold."""
    return ContractLot.objects.filter(lot_id__in=list(lot_ids), released=False).values_list("lot_id", flat=True)


def lot_buyer(lot_id: Any) -> Any:
    """The buyer organisation whose contract delivers the lot, or None. Named by LOT_BUYER: that buyer, and
    only it, records the lot's receipt (provenance, before trade)."""
    return (
        ContractLot.objects.filter(lot_id=lot_id, released=False, contract__state__in=LIVE_STATES)
        .values_list("contract__buyer_id", flat=True)
        .first()
    )


def forward_commitments(site_ids: Any) -> dict[tuple[Any, dt.date], Decimal]:
    """(origin site, month of delivery) → grams sold forward and not yet delivered: each signed forward
    contract's quantity less the gross grams of the lots named for it (never below 0). Named by
    FORWARD_COMMITMENTS: the mass balance (provenance) shows them."""
    contracts = (
        Contract.objects.filter(
            state=ContractState.SIGNED,
            listing__kind="forward",
            signed_version__origin_site_id__in=list(site_ids),
        )
        .select_related("signed_version")
        .annotate(
            delivered=Sum("lot_rows__lot__gross_grams", filter=Q(lot_rows__released=False)),
        )
    )
    committed: dict[tuple[Any, dt.date], Decimal] = defaultdict(lambda: Decimal("0.000"))
    for contract in contracts:
        version = contract.signed_version
        assert version is not None  # signed
        outstanding = version.quantity_grams - Decimal(contract.delivered or 0)
        if outstanding > 0:
            committed[(version.origin_site_id, version.delivery_date.replace(day=1))] += outstanding.quantize(
                Decimal("0.001")
            )
    return dict(committed)


# A contract that still ties the two parties: under negotiation, signed, delivered or completed.
PACK_CONTRACT_STATES = (ContractState.NEGOTIATING, *LIVE_STATES)


def diligence_basis(buyer_organization_id: Any, producer_id: Any) -> dict[str, Any] | None:
    """What allows a buyer to ask for (and keep reading) a producer's due-diligence pack: a contract between
    them that still ties them (negotiating, signed, delivered or completed), else an open inquiry; None when
    neither. Named by the PACK_BASIS setting (diligence, before trade). At most two queries."""
    contract = (
        Contract.objects.filter(buyer_id=buyer_organization_id, producer_id=producer_id, state__in=PACK_CONTRACT_STATES)
        .order_by("-created_at", "id")
        .values_list("pk", flat=True)
        .first()
    )
    if contract is not None:
        return {"kind": "contract", "id": contract}
    inquiry = (
        Inquiry.objects.filter(buyer_id=buyer_organization_id, producer_id=producer_id, state=Inquiry.State.OPEN)
        .order_by("-created_at", "id")
        .values_list("pk", flat=True)
        .first()
    )
    return {"kind": "inquiry", "id": inquiry} if inquiry is not None else None


def pack_lots(buyer_organization_id: Any, producer_id: Any) -> list[Any]:
    """The ids of the producer's lots that the buyer's pack shows: those a published or paused listing offers
    (live), and those a contract with this buyer delivers (not released). Named by the PACK_LOTS setting."""
    listed = ListingLot.objects.filter(
        lot__producer_id=producer_id, live=True, listing__status__in=("published", "paused")
    ).values_list("lot_id", flat=True)
    contracted = ContractLot.objects.filter(
        lot__producer_id=producer_id, released=False, contract__buyer_id=buyer_organization_id
    ).values_list("lot_id", flat=True)
    return sorted({*listed, *contracted}, key=str)
