"""Reads of listings: what buyers may see (visible today) and what a producer sees of its own."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import connection
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    F,
    FloatField,
    Func,
    OuterRef,
    Prefetch,
    QuerySet,
    TextField,
    Value,
)
from django.db.models.functions import Cast, Concat
from django.utils.translation import gettext as _

from core import clock
from core.actor import Actor
from core.errors import NotFound, PermissionDenied
from listings.indicative import (
    UNKNOWN_LAST_ASCENDING,
    UNKNOWN_LAST_DESCENDING,
    Indicative,
    Market,
    indicative_price,
    indicative_sort_key,
)
from listings.matching import Match, rank
from listings.models import (
    PRICE_FIELDS,
    Listing,
    ListingClaim,
    ListingLot,
    ListingPhoto,
    ListingPrice,
    SourcingRequest,
    Status,
)
from listings.visibility import HOLD_RELEASED_BY, obstacles, visible_listings, volume_hold
from prices.certified import PricedOffer
from prices.models import Benchmark
from prices.selectors import latest_fix, latest_rate
from producers.models import Producer
from producers.services import require_producer_admin
from provenance.models import AssayCertificate


def _with_relations(queryset: QuerySet[Listing]) -> QuerySet[Listing]:
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


def require_producer_member(actor: Actor, producer: Producer) -> None:
    """Members draft and edit; only admins publish, pause, resume and withdraw."""
    if actor.is_staff:
        return
    if actor.organization_id != producer.pk:
        raise PermissionDenied(_("Only the producer's own people manage its listings."), code="not_producer")


def acting_producer(*, actor: Actor) -> Producer:
    """The producer the caller acts for, whose listings it may draft."""
    producer = Producer.objects.filter(pk=actor.organization_id).first()
    if producer is None:
        raise PermissionDenied(code="not_producer")
    require_producer_member(actor, producer)
    return producer


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


def listing_to_manage(*, actor: Actor, listing_id: Any) -> Listing:
    """A listing the caller may edit or add photos to: its producer's people (and staff). Anyone else who
    may see it gets 403; who may not, 404."""
    listing = listing_get(actor=actor, listing_id=listing_id)
    require_producer_member(actor, listing.producer)
    return listing


def _own_or_overseen(*, actor: Actor, listing_id: Any) -> Listing:
    """A listing of the caller's own producer in any state; for reviewers and staff, any listing. Anyone else
    gets 404, even for a listing buyers see: its price history and its re-pricing are not theirs."""
    listings = _with_relations(Listing.objects.filter(pk=listing_id))
    if not (actor.is_staff or actor.is_reviewer):
        listings = listings.filter(producer_id=actor.organization_id)
    found = listings.first()
    if found is None:
        raise NotFound()
    return found


def listing_to_reprice(*, actor: Actor, listing_id: Any) -> Listing:
    """A listing its producer's admin (or staff) may re-price: a plain member or a reviewer gets 403, another
    organisation 404."""
    listing = _own_or_overseen(actor=actor, listing_id=listing_id)
    require_producer_admin(actor, listing.producer)
    return listing


def listing_price_history(*, actor: Actor, listing_id: Any) -> QuerySet[ListingPrice]:
    """The versions of a listing's price, for its producer's people, reviewers and staff (buyers see only the
    current price, in the listing itself)."""
    listing = _own_or_overseen(actor=actor, listing_id=listing_id)
    return ListingPrice.objects.filter(listing=listing).select_related("created_by")


def current_market() -> Market:
    """The figures the indicative prices read today: the latest fix of each gold benchmark and the latest
    USD/PEN rate recorded on or before today (three queries, once per request)."""
    today = clock.today_lima()
    benchmarks = (Benchmark.GOLD_AM, Benchmark.GOLD_PM)
    fixes = {benchmark: latest_fix(benchmark, on_or_before=today) for benchmark in benchmarks}
    return Market(
        fixes={benchmark: fix for benchmark, fix in fixes.items() if fix is not None},
        rate=latest_rate("USD", "PEN", on_or_before=today),
    )


def listing_indicative_price(listing: Listing, market: Market) -> Indicative | None:
    return indicative_price(PricedOffer(**{field: getattr(listing, field) for field in PRICE_FIELDS}), market)


# `ordering` values that sort by the indicative price; `price_per_fine_gram_minor` once sorted prices of every
# currency and basis together, and now means the same as `indicative_price`.
INDICATIVE_ORDERINGS = frozenset({"indicative_price", "price_per_fine_gram_minor"})
INDICATIVE_UP, INDICATIVE_DOWN = "indicative_key_up", "indicative_key_down"


def indicative_ordering(ordering: list[str]) -> list[str]:
    """`ordering` with the indicative terms turned into the annotations `order_by_indicative` adds, and the id
    last when there is one (ties by id: a stable order for the cursor)."""
    terms = []
    for term in ordering:
        if term.lstrip("-") not in INDICATIVE_ORDERINGS:
            terms.append(term)
        else:
            terms.append(f"-{INDICATIVE_DOWN}" if term.startswith("-") else INDICATIVE_UP)
    return [*terms, "id"] if terms != list(ordering) else terms


def order_by_indicative(listings: QuerySet[Listing], ordering: list[str], market: Market) -> QuerySet[Listing]:
    """Annotate the indicative keys `ordering` names (from `indicative_ordering`) and order by it. Listings whose
    indicative price is unknown sort last, ascending or descending."""
    if INDICATIVE_UP in ordering:
        listings = listings.annotate(**{INDICATIVE_UP: indicative_sort_key(market, unknown=UNKNOWN_LAST_ASCENDING)})
    if f"-{INDICATIVE_DOWN}" in ordering:
        listings = listings.annotate(**{INDICATIVE_DOWN: indicative_sort_key(market, unknown=UNKNOWN_LAST_DESCENDING)})
    return listings.order_by(*ordering)


def listing_photo(*, actor: Actor, listing_id: Any, position: int) -> ListingPhoto:
    """A photo of a listing the caller may see."""
    photo = listing_get(actor=actor, listing_id=listing_id).photos.filter(position=position).first()
    if photo is None:
        raise NotFound()
    return photo


def listing_publication_state(*, actor: Actor, listing: Listing) -> dict[str, Any] | None:
    """For its producer, reviewers and staff: whether buyers see the listing today and, if not, why. None
    for anyone else (buyers see only what is visible)."""
    if not (actor.organization_id == listing.producer_id or actor.is_reviewer or actor.is_staff):
        return None
    found = obstacles(listing) if listing.status in (Status.PUBLISHED, Status.HELD) else []
    return {
        "visible": listing.status == Status.PUBLISHED and not found,
        "hidden_because": [o.as_dict() for o in found],
    }


def listing_hold(listing: Listing) -> dict[str, str | None] | None:
    """What holds a listing back from buyers after its publish, and who releases it; None when not held."""
    if listing.status != Status.HELD:
        return None
    return volume_hold().as_dict() | {"released_by": HOLD_RELEASED_BY}


def with_claims(queryset: QuerySet[Listing], codes: Iterable[str]) -> QuerySet[Listing]:
    """Listings that make every claim in `codes`."""
    for code in codes:
        queryset = queryset.filter(Exists(ListingClaim.objects.filter(listing_id=OuterRef("pk"), claim_id=code)))
    return queryset


def listing_facets(listings: QuerySet[Listing]) -> dict[str, Any]:
    """Counts of `listings` (already filtered) by district, form, claim, price basis and producer kind."""
    ids = listings.order_by().values("pk")

    def counts(field: str) -> list[dict[str, Any]]:
        rows = Listing.objects.filter(pk__in=ids).values(field).annotate(n=Count("pk")).order_by("-n", field)
        return [{"value": row[field], "count": row["n"]} for row in rows]

    claims = (
        ListingClaim.objects.filter(listing_id__in=ids)
        .values("claim_id")
        .annotate(n=Count("pk"))
        .order_by("-n", "claim_id")
    )
    return {
        "total": Listing.objects.filter(pk__in=ids).count(),
        "district": counts("producer__district"),
        "form": counts("form"),
        "claims": [{"value": row["claim_id"], "count": row["n"]} for row in claims],
        "price_basis": counts("price_basis"),
        "producer_kind": counts("producer__legal_kind"),
    }


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


def sees_buyer_identity(actor: Actor) -> bool:
    """Producers browse open requests without knowing who asked; buyers, reviewers and staff see it."""
    return actor.is_staff or actor.is_reviewer or actor.organization_kind == "buyer"


def require_buyer(actor: Actor) -> None:
    if actor.organization_kind != "buyer":
        raise PermissionDenied(code="not_buyer")


def sourcing_request_matches(*, actor: Actor, request: SourcingRequest) -> list[Match]:
    """Visible listings ranked by fit, for the buyer who asked (and reviewers and staff)."""
    if not (actor.organization_id == request.buyer_id or actor.is_reviewer or actor.is_staff):
        raise PermissionDenied(_("Only the buyer who made this request sees its matches."), code="not_owner")
    return rank(listings_visible(), request)
