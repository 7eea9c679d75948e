"""A listing's card: what a row of the public search shows of it, rendered once when the listing or anything it
shows changes and kept in the search read model (`SearchEntry.card`), so that a page of search is one query on
the read model instead of a listing, its producer, sites, claims, lots, assays, photos and the claim catalogue
read and rendered for every request.

The card is the API's own rendering (`ListingSerializer`), stored as JSON; the indicative price is added when
the page is answered, from the row's stored price fields and the fixes and rate of the day (it moves with every
fix). tests/listings/test_search_index.py checks a page of cards is what the serializer gives.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Prefetch, QuerySet

from listings.indicative import Market, listing_indicative_price
from listings.models import Listing, ListingClaim, ListingLot, SearchEntry
from provenance.models import AssayCertificate


def with_relations(queryset: QuerySet[Listing]) -> QuerySet[Listing]:
    """What rendering a listing reads, in a fixed number of queries for any number of listings."""
    return queryset.select_related("producer__organization").prefetch_related(
        "sites",
        "photos",
        Prefetch("claim_rows", queryset=ListingClaim.objects.order_by("claim_id")),
        Prefetch(
            "listing_lots",
            queryset=ListingLot.objects.select_related("lot")
            .prefetch_related(Prefetch("lot__assays", queryset=AssayCertificate.objects.order_by("position")))
            .order_by("lot__code", "id"),
        ),
    )


def _serializer() -> Any:
    # The API layer of this app renders the card; imported here, at call time, as the rendering it stores.
    from listings.api.serializers import ListingSerializer

    return ListingSerializer


def card_fields() -> list[str]:
    return list(_serializer().Meta.fields)


def render_cards(listings: Iterable[Listing]) -> dict[Any, dict[str, Any]]:
    """The cards of these listings (loaded `with_relations`), by listing id. The claim catalogue behind the
    badges is read once for all of them."""
    serializer = _serializer()
    context: dict[str, Any] = {}
    rendered = serializer(list(listings), many=True, context=context).data
    return {row["id"]: dict(row) for row in rendered}


def card(entry: SearchEntry) -> dict[str, Any]:
    """The stored card, in the serializer's order (a JSON column may keep its keys in another)."""
    stored = entry.card
    return {name: stored[name] for name in card_fields()}


def shown(entry: SearchEntry, market: Market) -> dict[str, Any]:
    """A search row: the card, in the serializer's order, with the indicative price at `market`."""
    row = card(entry)
    found = listing_indicative_price(entry, market)
    row["indicative_price"] = None if found is None else found.as_dict()
    return row
