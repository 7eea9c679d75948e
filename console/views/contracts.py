"""Contracts, for both sides: the list, and one contract with every version of its terms; the side that did not
propose the latest version accepts it by its number (a newer version proposed meanwhile makes the acceptance
refused, never silently moved), or counters with a version of its own, or declines; the proposer withdraws.
The API's selectors, serializers and services."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from console.views.base import Refusal, checked, once_per_form, page, signed_in
from console.views.coop_offers import price_fields
from core.errors import DomainError
from core.money import Currency
from listings.models import Incoterm, PriceBasis
from trade import selectors, services
from trade.api.serializers import AcceptInputSerializer, ContractDetailSerializer, TermsInputSerializer

MOVES = ("decline", "withdraw")
SHOWN = 100


@signed_in
def contract_list(request: HttpRequest) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    rows = (
        selectors.contracts_for(actor=actor).select_related("buyer", "producer__organization").order_by("-created_at")
    )
    return page(request, "console/contracts/list.html", {"contracts": list(rows[:SHOWN])})


@signed_in
def contract(request: HttpRequest, contract_id: Any) -> HttpResponse:
    return _detail(request, contract_id)


def _detail(request: HttpRequest, contract_id: Any, refusal: Refusal | None = None, status: int = 200) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    try:
        found = selectors.contract_get(actor=actor, contract_id=contract_id)
    except DomainError as error:
        return page(request, "console/refused.html", {"refusal": Refusal.of(error)}, status=error.status)
    shown = ContractDetailSerializer(found).data
    versions = list(shown["versions"])
    latest = versions[-1] if versions else None
    side = (
        "buyer"
        if actor.organization_id == found.buyer_id
        else "producer"
        if actor.organization_id == found.producer_id
        else None
    )
    context = {
        "contract": shown,
        "latest": latest,
        "side": side,
        "may_answer": latest is not None and side is not None and latest["side"] != side and actor.is_org_admin,
        "may_withdraw": latest is not None and side is not None and latest["side"] == side and actor.is_org_admin,
        "refusal": refusal,
        "values": request.POST if refusal else (_as_values(latest) if latest else {}),
        "price_bases": PriceBasis.choices,
        "currencies": Currency.choices,
        "incoterms": Incoterm.choices,
    }
    return page(request, "console/contracts/contract.html", context, status=status)


def _as_values(version: dict[str, Any]) -> dict[str, Any]:
    """The counter-proposal form, filled with the latest version's terms."""
    price = version.get("price_per_fine_gram") or {}
    premium = version.get("premium_per_kg_fine") or {}
    return {
        "quantity_grams": version["quantity_grams"],
        "fineness": version["fineness"],
        "price_basis": version["price_basis"],
        "price_per_fine_gram": f"{price['amount_minor'] / 100:.2f}" if price else "",
        "currency": price.get("currency", "USD"),
        "lbma_adjustment_percent": version.get("lbma_adjustment_percent") or "",
        "premium_per_kg_fine": f"{premium['amount_minor'] / 100:.2f}" if premium.get("amount_minor") else "",
        "premium_currency": version.get("premium_currency") or "USD",
        "incoterm": version["incoterm"],
        "incoterm_place": version["incoterm_place"],
        "delivery_date": version["delivery_date"],
    }


@require_POST
@signed_in
def contract_accept(request: HttpRequest, contract_id: Any) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    try:
        found = selectors.contract_get(actor=actor, contract_id=contract_id)
        services.require_contract_admin(actor, found)
        data = checked(AcceptInputSerializer, {"version": request.POST.get("version", "")})
        services.contract_accept(actor=actor, contract=found, version=data.validated_data["version"])
    except DomainError as error:
        return _detail(request, contract_id, Refusal.of(error), error.status)
    return HttpResponseRedirect(reverse("console:contract", args=[contract_id]))


@require_POST
@signed_in
@once_per_form
def contract_propose(request: HttpRequest, contract_id: Any) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    try:
        found = selectors.contract_get(actor=actor, contract_id=contract_id)
        services.require_contract_admin(actor, found)
        body = {
            "quantity_grams": request.POST.get("quantity_grams", ""),
            "fineness": request.POST.get("fineness", ""),
            "incoterm": request.POST.get("incoterm", ""),
            "incoterm_place": request.POST.get("incoterm_place", ""),
            "delivery_date": request.POST.get("delivery_date", ""),
            **price_fields(request.POST),
        }
        data = checked(TermsInputSerializer, body)
        services.contract_propose(actor=actor, contract=found, **data.to_service())
    except DomainError as error:
        return _detail(request, contract_id, Refusal.of(error), error.status)
    return HttpResponseRedirect(reverse("console:contract", args=[contract_id]))


@require_POST
@signed_in
def contract_move(request: HttpRequest, contract_id: Any, move: str) -> HttpResponse:
    if move not in MOVES:
        raise Http404
    actor = request.actor  # type: ignore[attr-defined]
    try:
        found = selectors.contract_get(actor=actor, contract_id=contract_id)
        services.contract_move(actor=actor, contract=found, move=move, reason="")
    except DomainError as error:
        return _detail(request, contract_id, Refusal.of(error), error.status)
    return HttpResponseRedirect(reverse("console:contract", args=[contract_id]))
