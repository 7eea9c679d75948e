"""Reads of trade, scoped to the caller: the two organisations of an inquiry or contract see it and staff
read everything. The network's reviewers read contracts (they oversee trade, and the audit trail of a
contract is theirs to check) but not inquiries: a thread is a private conversation between a buyer and a
producer. Anybody else gets 404."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from core.actor import Actor
from core.errors import NotFound
from trade.models import Contract, ContractAcceptance, ContractVersion, Inquiry, InquiryMessage


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
        Prefetch("versions", queryset=ContractVersion.objects.select_related("proposed_by").order_by("number"))
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


def producers_in_inquiry_with(buyer_organization_id: Any) -> QuerySet[Inquiry, Any]:
    """The ids of the producers a buyer organisation has an inquiry with, open or closed (a query, not a
    list, so callers filter with it in SQL). Named by the PRODUCER_COUNTERPARTIES setting: provenance and
    producers, earlier in the layer order, show these producers' lots, mass balance and exact sites to it."""
    return Inquiry.objects.filter(buyer_id=buyer_organization_id).values("producer_id")
