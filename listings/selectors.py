"""Reads of listings: what buyers may see (visible today) and what a producer sees of its own."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import BooleanField, F, FloatField, Func, Prefetch, QuerySet, TextField, Value
from django.db.models.functions import Cast, Concat

from core import clock
from core.actor import Actor
from core.errors import NotFound
from listings.models import Listing, ListingClaim, SourcingRequest
from listings.visibility import visible_listings


def _with_relations(queryset: QuerySet[Listing]) -> QuerySet[Listing]:
    return queryset.select_related("producer__organization").prefetch_related(
        "sites", "photos", Prefetch("claim_rows", queryset=ListingClaim.objects.order_by("claim_id"))
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


# Web-search syntax ("quoted phrase", -word, or), read with both dictionaries: a match in either counts.
_QUERY = (
    "(websearch_to_tsquery('spanish'::regconfig, oro_unaccent(%s))"
    " || websearch_to_tsquery('english'::regconfig, oro_unaccent(%s)))"
)
_COLUMNS = ("title_es", "description_es", "title_en", "description_en")


class _FullText(Func):
    """`search_document @@ query` (a boolean) or `ts_rank(search_document, query)` (a float), on PostgreSQL
    only. `search_document` is the stored tsvector of listings/migrations/0006 (titles weigh A, descriptions
    D, each language with its own dictionary), GIN-indexed; the model does not declare it, so it is named
    here, qualified like the listing's own columns."""

    def __init__(self, text: str, *, rank: bool) -> None:
        self.text, self.rank = text, rank
        super().__init__(F("title_es"), output_field=FloatField() if rank else BooleanField())

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:  # type: ignore[override]
        column, params = compiler.compile(self.get_source_expressions()[0])
        assert not params
        assert column.endswith('"title_es"')
        document = column.removesuffix('"title_es"') + '"search_document"'
        sql = f"ts_rank({document}, {_QUERY})" if self.rank else f"{document} @@ {_QUERY}"
        return sql, [self.text, self.text]


# Spanish letters folded for the SQLite fallback, whose lower() knows only ASCII.
_FOLD = {"á": "a", "é": "e", "í": "i", "ó": "o", "ú": "u", "ü": "u", "ñ": "n"}
_FOLD |= {accented.upper(): plain for accented, plain in _FOLD.items()}


def fold_text(text: str | None) -> str | None:
    """Lower case without the accents of Spanish; on SQLite also the SQL function `oro_fold` (apps.py)."""
    return None if text is None else "".join(_FOLD.get(char, char) for char in text).lower()


class _Folded(Func):
    """`oro_fold(text)` on SQLite: one function call rather than fourteen nested `replace()`, which overflow
    SQLite's parser stack once the search sits in a subquery (as the facets put it)."""

    function = "oro_fold"
    output_field = TextField()


def search(queryset: QuerySet[Listing], text: str) -> QuerySet[Listing]:
    """Listings whose titles or descriptions (es, en) match every word of `text`, annotated with a float
    `relevance` (higher is better) to order by.

    PostgreSQL: full text with the Spanish and English dictionaries (stems: "mineras" finds "minera"),
    blind to accents and case, through the GIN index `listing_search_idx`; web-search syntax ("a phrase",
    -word, or); relevance is ts_rank, titles weighing more than descriptions. SQLite (development): every
    word must appear in some title or description, blind to case and to the accents of Spanish; relevance
    is the same for every row."""
    words = [fold_text(w) or "" for w in text.split()][:10]
    if not words:
        return queryset.annotate(relevance=Value(0.0, output_field=FloatField()))
    if connection.vendor == "postgresql":
        return queryset.filter(_FullText(text, rank=False)).annotate(relevance=_FullText(text, rank=True))
    parts = [part for column in _COLUMNS for part in (Cast(column, TextField()), Value(" "))]
    queryset = queryset.alias(search_text=_Folded(Concat(*parts, output_field=TextField())))
    for word in words:
        queryset = queryset.filter(search_text__contains=word)
    return queryset.annotate(relevance=Value(1.0, output_field=FloatField()))


def sourcing_requests_for(*, actor: Actor) -> QuerySet[SourcingRequest]:
    """A buyer's own requests; for producers, the open ones (the serializer hides who asked)."""
    requests = SourcingRequest.objects.all()
    if actor.is_staff or actor.is_reviewer:
        return requests
    if actor.organization_kind == "buyer":
        return requests.filter(buyer_id=actor.organization_id)
    if actor.organization_kind == "producer":
        return requests.filter(state=SourcingRequest.State.OPEN)
    return requests.none()


def sourcing_request_get(*, actor: Actor, request_id: Any) -> SourcingRequest:
    found = sourcing_requests_for(actor=actor).filter(pk=request_id).first()
    if found is None:
        raise NotFound()
    return found
