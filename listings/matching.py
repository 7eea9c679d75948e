"""Matching visible listings to a buyer's sourcing request: ranked by fit, with each criterion explained.

Fineness, form and claims are hard criteria (a listing that fails one is not a match); quantity, price,
Incoterm and the delivery window are soft: each one met adds to the score, and the answer says which.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet

from listings.models import Listing, ListingClaim, SourcingRequest

CANDIDATES = 200  # visible listings looked at per request, best fineness first


@dataclass(frozen=True)
class Match:
    listing: Listing
    score: int
    criteria: dict[str, bool]


def hard_filter(queryset: QuerySet[Listing], request: SourcingRequest) -> QuerySet[Listing]:
    queryset = queryset.filter(fineness__gte=request.min_fineness)
    if request.forms:
        queryset = queryset.filter(form__in=request.forms)
    for code in request.claims:
        queryset = queryset.filter(Exists(ListingClaim.objects.filter(listing_id=OuterRef("pk"), claim_id=code)))
    return queryset


def criteria(listing: Listing, request: SourcingRequest) -> dict[str, bool]:
    price_ok: bool
    if request.max_price_per_fine_gram_minor is None:
        price_ok = True
    elif listing.price_per_fine_gram_minor is None or listing.currency != request.currency:
        price_ok = False  # an LBMA formula or another currency cannot be compared without the fix
    else:
        price_ok = listing.price_per_fine_gram_minor <= request.max_price_per_fine_gram_minor
    return {
        "fineness": listing.fineness >= request.min_fineness,
        "claims": True,  # hard criterion: only listings making every claim get here
        "quantity": listing.available_grams >= request.grams,
        "min_order": listing.min_order_grams <= request.grams,
        "price": price_ok,
        "incoterm": not request.incoterm or listing.incoterm == request.incoterm,
        "delivery_window": listing.valid_until >= request.delivery_from,
    }


def rank(candidates: QuerySet[Listing], request: SourcingRequest) -> list[Match]:
    listings = list(hard_filter(candidates, request).order_by("-fineness", "-created_at")[:CANDIDATES])
    matches = []
    for listing in listings:
        met = criteria(listing, request)
        matches.append(Match(listing, sum(met.values()), met))
    return sorted(matches, key=lambda m: (-m.score, -m.listing.fineness, str(m.listing.pk)))


def matches_listing(listing: Listing, request: SourcingRequest) -> bool:
    """The hard criteria, for one listing (used when a listing is published)."""
    claims: Any = set(listing.claim_rows.values_list("claim_id", flat=True))
    return (
        listing.fineness >= request.min_fineness
        and (not request.forms or listing.form in request.forms)
        and set(request.claims) <= claims
    )
