"""The buyer's pages: the search of what is offered today, with facets and filters, a listing with what backs it,
and asking its producer about it (an inquiry). The search reads the API's own filters (listings.filters), its
read model, ordering and cards; the inquiry is the API's service, validated by the API's serializer."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.db.models import F
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from compliance import catalogue
from console.views import sourcing
from console.views.base import Refusal, actor_or_anonymous, checked, once_per_form, page, signed_in
from core.errors import DomainError
from listings import cards, selectors
from listings.api.serializers import ListingSearchSerializer
from listings.filters import CatalogueFilter
from listings.models import Form
from producers.models import District
from trade import inquiries
from trade import services as trade_services
from trade.api.serializers import InquiryCreateSerializer

PAGE_SIZE = 20
ORDERINGS = [
    ("-created_at", _("Newest first")),
    ("indicative_price", _("Lowest indicative price first")),
    ("-fineness", _("Highest fineness first")),
    ("-available_grams", _("Most gold available first")),
    ("valid_until", _("Ending soonest first")),
]
FILTERS = ("q", "district", "form", "claims", "fineness_min", "min_available_grams", "producer_kind", "price_basis")


def _asked(request: HttpRequest) -> QueryDict:
    """The filters a person set: an empty field of the form is no filter (the API refuses `?fineness_min=`)."""
    asked = QueryDict(mutable=True)
    for name in FILTERS:
        for value in request.GET.getlist(name):
            if value.strip():
                asked.appendlist(name, value.strip())
    return asked


def search(request: HttpRequest) -> HttpResponse:
    """What buyers see today, for anyone (as the API's search is)."""
    asked = _asked(request)
    base = selectors.entries_today().defer("search_text", "title_text").annotate(relevance=F("created_key"))
    filtered = CatalogueFilter(data=asked, queryset=base)
    ordering = request.GET.get("ordering") or ("-relevance" if asked.get("q") else "-created_at")
    if ordering not in {*dict(ORDERINGS), "-relevance"}:
        ordering = "-created_at"
    refusal = None
    if filtered.is_valid():
        rows = filtered.qs
        facets = selectors.listing_facets(rows)
        rows = selectors.order_catalogue(rows, selectors.catalogue_ordering([ordering]))
    else:
        refusal = Refusal(400, "validation_error", str(_("Some filters are not valid.")), _form_errors(filtered))
        rows, facets = base.none(), {"total": 0}
    results = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    market = selectors.current_market()
    context = {
        "offers": [cards.shown(entry, market) for entry in results],
        "results": results,
        "facets": facets,
        "asked": asked,
        "ordering": ordering,
        "orderings": ORDERINGS,
        "districts": District.choices,
        "forms": Form.choices,
        "refusal": refusal,
        "names": catalogue.names(evidence_types=False),
        "standing_request": sourcing.prefill_from_search(asked),
        "query_without_page": urlencode([(k, v) for k, vs in asked.lists() for v in vs] + [("ordering", ordering)]),
    }
    if request.user.is_authenticated:
        request.actor = actor_or_anonymous(request)  # type: ignore[attr-defined]
    template = "console/offers/results.html" if request.htmx else "console/offers/search.html"  # type: ignore[attr-defined]
    return page(request, template, context, status=400 if refusal else 200)


def _form_errors(filtered: CatalogueFilter) -> list[dict[str, Any]]:
    return [
        {"field": field, "code": error.code or "invalid", "message": " ".join(error.messages)}
        for field, errors in filtered.form.errors.as_data().items()
        for error in errors
    ]


def offer(request: HttpRequest, listing_id: Any) -> HttpResponse:
    """One listing as the API shows it, with the claims it carries and the evidence types behind each."""
    actor = actor_or_anonymous(request)
    request.actor = actor  # type: ignore[attr-defined]
    try:
        listing = selectors.listing_get(actor=actor, listing_id=listing_id)
    except DomainError as error:
        return page(request, "console/refused.html", {"refusal": Refusal.of(error)}, status=error.status)
    shown = ListingSearchSerializer(listing, context={"market": selectors.current_market}).data
    context = {"offer": shown, "listing_id": listing.pk, "names": catalogue.names()}
    return page(request, "console/offers/offer.html", context)


@require_http_methods(["GET", "POST"])
@signed_in
@once_per_form
def ask(request: HttpRequest, listing_id: Any) -> HttpResponse:
    """A buyer asks the producer about the listing: the API's inquiry, its rules and its words."""
    actor = request.actor  # type: ignore[attr-defined]
    context: dict[str, Any] = {"listing_id": listing_id, "values": request.POST}
    try:
        listing = selectors.listing_get(actor=actor, listing_id=listing_id)
        context["offer"] = ListingSearchSerializer(listing, context={"market": selectors.current_market}).data
        trade_services.require_trader(actor)
        if request.method == "POST":
            data = checked(
                InquiryCreateSerializer,
                {
                    "listing": str(listing.pk),
                    "grams": request.POST.get("grams", ""),
                    "message": request.POST.get("message", ""),
                },
            )
            inquiry = inquiries.inquiry_create(actor=actor, **data.to_service())
            return HttpResponseRedirect(reverse("console:inquiry", args=[inquiry.pk]))
    except DomainError as error:
        context["refusal"] = Refusal.of(error)
        return page(request, "console/offers/ask.html", context, status=error.status)
    return page(request, "console/offers/ask.html", context)
