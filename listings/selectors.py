"""Reads of listings: what buyers may see (visible today) and what a producer sees of its own."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import Prefetch, Q, QuerySet

from core import clock
from core.actor import Actor
from core.errors import NotFound
from listings.models import Listing, ListingClaim
from listings.visibility import visible_listings


def _with_relations(queryset: QuerySet[Listing]) -> QuerySet[Listing]:
    return queryset.select_related("producer__organization").prefetch_related(
        "sites", Prefetch("claim_rows", queryset=ListingClaim.objects.order_by("claim_id"))
    )


def listings_visible() -> QuerySet[Listing]:
    return _with_relations(visible_listings(Listing.objects.all(), clock.today_lima()))


def listings_of_producer(*, actor: Actor) -> QuerySet[Listing]:
    """A producer's own listings in every state."""
    return _with_relations(Listing.objects.filter(producer_id=actor.organization_id))


def listing_get(*, actor: Actor, listing_id: Any) -> Listing:
    """Visible listings for everyone; the producer's own and, for reviewers and staff, any listing."""
    if actor.is_staff or actor.is_reviewer:
        found = _with_relations(Listing.objects.filter(pk=listing_id)).first()
    else:
        found = listings_visible().filter(pk=listing_id).first()
        if found is None and actor.organization_id is not None:
            found = listings_of_producer(actor=actor).filter(pk=listing_id).first()
    if found is None:
        raise NotFound()
    return found


def search(queryset: QuerySet[Listing], text: str) -> QuerySet[Listing]:
    """Full text over titles and descriptions in Spanish and English. PostgreSQL ranks with both
    dictionaries; SQLite (development) falls back to a case-insensitive match of every word."""
    words = [w for w in text.split() if w][:10]
    if not words:
        return queryset
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchVector

        vector = SearchVector("title_es", "description_es", config="spanish") + SearchVector(
            "title_en", "description_en", config="english"
        )
        query = SearchQuery(text, config="spanish", search_type="websearch") | SearchQuery(
            text, config="english", search_type="websearch"
        )
        return queryset.annotate(search=vector).filter(search=query)
    for word in words:
        queryset = queryset.filter(
            Q(title_es__icontains=word)
            | Q(title_en__icontains=word)
            | Q(description_es__icontains=word)
            | Q(description_en__icontains=word)
        )
    return queryset
