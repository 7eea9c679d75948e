"""The cooperative's own offers: the list in every state, a spot offer drafted from its lots, and one offer with
its moves (publish, pause, resume, withdraw) and its re-price. Publishing while something is missing shows the
API's obstacles as a checklist: code, message and what to do. The API's serializers validate, its services act."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from compliance import catalogue
from console.views.base import Refusal, checked, once_per_form, page, signed_in
from core.errors import DomainError, field_error
from core.money import Currency
from listings import pricing, selectors, services
from listings.api.serializers import ListingInputSerializer, ListingRepriceSerializer, ListingSearchSerializer
from listings.models import Incoterm, PriceBasis
from provenance.selectors import lots_for

MOVES = ("publish", "pause", "resume", "withdraw")


def minor_units(value: str, field: str) -> int | None:
    """A price typed in units ("83.50") as minor units (8350); empty is none."""
    if not value.strip():
        return None
    try:
        amount = Decimal(value.strip().replace(",", "."))
    except InvalidOperation:
        raise field_error(field, "invalid", _not_a_number()) from None
    if amount < 0 or amount != amount.quantize(Decimal("0.01")) or amount > 10**9:
        raise field_error(field, "invalid", _not_a_number())
    return int(amount * 100)


def _not_a_number() -> str:
    from django.utils.translation import gettext

    return gettext("Give an amount such as 83.50.")


def price_fields(post: Any) -> dict[str, Any]:
    """The price part of the API's bodies from the form's fields (amounts typed in units)."""
    currency = post.get("currency") or "USD"
    price = minor_units(post.get("price_per_fine_gram", ""), "price_per_fine_gram")
    premium = minor_units(post.get("premium_per_kg_fine", ""), "premium_per_kg_fine_minor")
    return {
        "price_basis": post.get("price_basis", ""),
        "price_per_fine_gram": None if price is None else {"amount_minor": price, "currency": currency},
        "lbma_adjustment_percent": post.get("lbma_adjustment_percent", "").strip() or None,
        "premium_per_kg_fine_minor": premium or 0,
        "premium_currency": post.get("premium_currency") or currency,
    }


def _form_choices() -> dict[str, Any]:
    return {
        "price_bases": PriceBasis.choices,
        "currencies": Currency.choices,
        "incoterms": Incoterm.choices,
        "names": catalogue.names(),
        "claim_names": catalogue.names(evidence_types=False),
    }


@signed_in
def offer_list(request: HttpRequest) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    rows = selectors.listings_of_producer(actor=actor).order_by("-created_at")
    return page(request, "console/coop/offers.html", {"listings": list(rows[:100])})


@require_http_methods(["GET", "POST"])
@signed_in
@once_per_form
def offer_new(request: HttpRequest) -> HttpResponse:
    """A spot offer drafted from the cooperative's lots: sites, form, quantity and fineness come from them."""
    actor = request.actor  # type: ignore[attr-defined]
    context: dict[str, Any] = {"values": request.POST, **_form_choices()}
    try:
        producer = selectors.acting_producer(actor=actor)
        context["lots"] = list(lots_for(actor=actor).filter(producer=producer).order_by("code"))
        if request.method == "POST":
            body = {
                "kind": "spot",
                "lots": request.POST.getlist("lots"),
                "claims": request.POST.getlist("claims"),
                "incoterm": request.POST.get("incoterm", ""),
                "incoterm_place": request.POST.get("incoterm_place", ""),
                "valid_from": request.POST.get("valid_from", ""),
                "valid_until": request.POST.get("valid_until", ""),
                "title_es": request.POST.get("title_es", ""),
                "title_en": request.POST.get("title_en", ""),
                "description_es": request.POST.get("description_es", ""),
                **price_fields(request.POST),
            }
            data = checked(ListingInputSerializer, body)
            listing = services.listing_create(actor=actor, producer=producer, **data.to_service())
            return HttpResponseRedirect(reverse("console:coop-offer", args=[listing.pk]))
    except DomainError as error:
        context["refusal"] = Refusal.of(error)
        return page(request, "console/coop/offer_new.html", context, status=error.status)
    return page(request, "console/coop/offer_new.html", context)


def _own(actor: Any, listing_id: Any) -> Any:
    listing = selectors.listing_get(actor=actor, listing_id=listing_id)
    if listing.producer_id != actor.organization_id:
        raise Http404
    return listing


@signed_in
def offer_detail(request: HttpRequest, listing_id: Any) -> HttpResponse:
    return _detail(request, listing_id)


def _detail(request: HttpRequest, listing_id: Any, refusal: Refusal | None = None, status: int = 200) -> HttpResponse:
    """The offer's page, with the refusal of a move or a re-price when there was one."""
    actor = request.actor  # type: ignore[attr-defined]
    try:
        listing = _own(actor, listing_id)
    except DomainError as error:
        return page(request, "console/refused.html", {"refusal": Refusal.of(error)}, status=error.status)
    shown = ListingSearchSerializer(listing, context={"market": selectors.current_market}).data
    context = {
        "offer": shown,
        "listing": listing,
        "state": selectors.listing_publication_state(actor=actor, listing=listing) or {},
        "hold": selectors.listing_hold(listing),
        "refusal": refusal,
        "values": request.POST if refusal else {},
        **_form_choices(),
    }
    return page(request, "console/coop/offer.html", context, status=status)


@require_POST
@signed_in
def offer_move(request: HttpRequest, listing_id: Any, move: str) -> HttpResponse:
    if move not in MOVES:
        raise Http404
    actor = request.actor  # type: ignore[attr-defined]
    try:
        services.listing_move(actor=actor, listing=_own(actor, listing_id), move=move)
    except DomainError as error:
        return _detail(request, listing_id, Refusal.of(error), error.status)
    return HttpResponseRedirect(reverse("console:coop-offer", args=[listing_id]))


@require_POST
@signed_in
def offer_reprice(request: HttpRequest, listing_id: Any) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    try:
        listing = selectors.listing_to_reprice(actor=actor, listing_id=listing_id)
        body = {**price_fields(request.POST), "reason": request.POST.get("reason", "")}
        data = checked(ListingRepriceSerializer, body)
        pricing.listing_reprice(actor=actor, listing=listing, **data.to_service())
    except DomainError as error:
        return _detail(request, listing_id, Refusal.of(error), error.status)
    return HttpResponseRedirect(reverse("console:coop-offer", args=[listing_id]))
