"""A buyer's sourcing requests: a standing need stated once (how much gold, how fine, in which forms, with which
claims, at what price at most, delivered when), and the offers of today that fit it, the best first, each with the
criteria it meets and why. Producers browse the open requests without learning who asked; reviewers and staff see
them all. The API's selectors decide who sees what, its serializer validates, its services create and close."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from compliance import catalogue
from console.views.base import Refusal, checked, once_per_form, page, shows_refusals, signed_in
from console.views.coop_offers import minor_units
from core.actor import Actor
from core.errors import DomainError
from core.money import Currency
from listings import cards, matching, selectors, sourcing
from listings.api.serializers import SourcingRequestInputSerializer, SourcingRequestSerializer
from listings.models import Incoterm, SourcingRequest
from provenance.models import Form

PAGE_SIZE = 20  # the API's page of requests and of matches
MATCH_ORDER = ("-match_key", "listing_id")  # the API's MatchPagination: most criteria met, then the finest
CRITERIA = {
    "fineness": _("Fineness"),
    "claims": _("Claims"),
    "quantity": _("Quantity"),
    "min_order": _("Minimum order"),
    "price": _("Price"),
    "incoterm": _("Incoterm"),
    "delivery_window": _("Delivery window"),
}
# What a search of /offers/ asks for, as the fields of a new request ("Save this search as a standing request").
FROM_SEARCH = {"form": "forms", "claims": "claims", "fineness_min": "min_fineness", "min_available_grams": "grams"}


def shown(actor: Actor, found: SourcingRequest) -> dict[str, Any]:
    """The request as the API's serializer shows it to this person: the buyer only to buyers, reviewers and
    staff (a producer browsing open requests sees the need, not who has it), with the buyer's name beside it."""
    show_buyer = selectors.sees_buyer_identity(actor)
    row = dict(SourcingRequestSerializer(found, context={"show_buyer": show_buyer}).data)
    row["buyer_name"] = found.buyer.legal_name if "buyer" in row else ""
    row["created"] = found.created_at
    return row


@signed_in
def request_list(request: HttpRequest) -> HttpResponse:
    """The requests this organisation may see, newest first, 20 a page: a buyer's own, open and closed; the open
    ones for producers; all of them for reviewers and staff (the API's list)."""
    actor = request.actor  # type: ignore[attr-defined]
    rows = selectors.sourcing_requests_for(actor=actor).select_related("buyer").order_by("-created_at")
    results = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "requests": [shown(actor, found) for found in results],
        "results": results,
        "names": catalogue.names(evidence_types=False),
    }
    return page(request, "console/sourcing/list.html", context)


def prefill_from_search(asked: QueryDict) -> str:
    """The query of a new request's form filled from a search's filters (/offers/)."""
    filled = QueryDict(mutable=True)
    for name, field in FROM_SEARCH.items():
        for value in asked.getlist(name):
            filled.appendlist(field, value)
    return filled.urlencode()


def _form_choices() -> dict[str, Any]:
    return {
        "forms": Form.choices,
        "claim_names": catalogue.names(evidence_types=False),
        "incoterms": Incoterm.choices,
        "currencies": Currency.choices,
    }


def _body(post: QueryDict) -> dict[str, Any]:
    """The API's body from the form's fields; the maximum price is typed in units (`83.50`) and sent as the API's
    minor units, in the currency chosen; empty, no maximum."""
    price = minor_units(post.get("max_price_per_fine_gram", ""), "max_price_per_fine_gram")
    return {
        "title": post.get("title", ""),
        "grams": post.get("grams", "").strip(),
        "min_fineness": post.get("min_fineness", "").strip(),
        "forms": post.getlist("forms"),
        "claims": post.getlist("claims"),
        "max_price_per_fine_gram": None
        if price is None
        else {"amount_minor": price, "currency": post.get("currency") or Currency.USD},
        "incoterm": post.get("incoterm", ""),
        "delivery_from": post.get("delivery_from", "").strip(),
        "delivery_until": post.get("delivery_until", "").strip(),
        "notes": post.get("notes", ""),
    }


@require_http_methods(["GET", "POST"])
@signed_in
@once_per_form
def request_new(request: HttpRequest) -> HttpResponse:
    """A buyer states a standing need (the API's serializer, its service and its words). The form may come
    filled from a search's filters (GET)."""
    actor = request.actor  # type: ignore[attr-defined]
    context: dict[str, Any] = {"values": request.POST if request.method == "POST" else request.GET, **_form_choices()}
    try:
        selectors.require_buyer(actor)
        if request.method == "POST":
            data = checked(SourcingRequestInputSerializer, _body(request.POST))
            created = sourcing.sourcing_request_create(actor=actor, **data.to_service())
            return HttpResponseRedirect(reverse("console:sourcing-request", args=[created.pk]))
    except DomainError as error:
        context["refusal"] = Refusal.of(error)
        return page(request, "console/sourcing/new.html", context, status=error.status)
    return page(request, "console/sourcing/new.html", context)


@signed_in
@shows_refusals
def request_detail(request: HttpRequest, request_id: Any) -> HttpResponse:
    return _detail(request, request_id)


def _detail(request: HttpRequest, request_id: Any, refusal: Refusal | None = None, status: int = 200) -> HttpResponse:
    """The request and its matches (for the buyer who asked, reviewers and staff: anyone else who sees the request
    is told why they do not see its matches, in the API's words)."""
    actor = request.actor  # type: ignore[attr-defined]
    found = selectors.sourcing_request_get(actor=actor, request_id=request_id)
    context: dict[str, Any] = {
        "request_": shown(actor, found),
        "may_close": found.state == SourcingRequest.State.OPEN
        and (actor.organization_id == found.buyer_id or actor.is_staff),
        "names": catalogue.names(evidence_types=False),
        "refusal": refusal,
    }
    try:
        ranked = selectors.sourcing_request_matches(actor=actor, request=found).order_by(*MATCH_ORDER)
    except DomainError as error:
        context["matches_refusal"] = Refusal.of(error)
    else:
        results = Paginator(ranked, PAGE_SIZE).get_page(request.GET.get("page"))
        market = selectors.current_market()
        context["results"] = results
        context["matches"] = [_explained(entry, found, market) for entry in results]
    return page(request, "console/sourcing/request.html", context, status=status)


def _explained(entry: Any, found: SourcingRequest, market: Any) -> dict[str, Any]:
    """A match of the page: the listing's card, its score and each criterion, met or not, with the reason."""
    fit = matching.match(entry, found)
    return {
        "offer": cards.shown(entry, market),
        "score": fit.score,
        "out_of": len(fit.criteria),
        "criteria": [
            {"code": code, "name": CRITERIA.get(code, code), "met": met, "reason": fit.reasons.get(code, "")}
            for code, met in fit.criteria.items()
        ],
    }


@require_POST
@signed_in
@shows_refusals
def request_close(request: HttpRequest, request_id: Any) -> HttpResponse:
    """The buyer no longer looks: the request is closed (the API's service; closing a closed one changes nothing)."""
    actor = request.actor  # type: ignore[attr-defined]
    found = selectors.sourcing_request_get(actor=actor, request_id=request_id)
    try:
        sourcing.sourcing_request_close(actor=actor, request=found)
    except DomainError as error:
        return _detail(request, request_id, Refusal.of(error), error.status)
    return HttpResponseRedirect(reverse("console:sourcing-request", args=[found.pk]))
