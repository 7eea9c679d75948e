"""Reads of listings: what buyers may see (visible today) and what a producer sees of its own."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import connection
from django.db.models import (
    BigIntegerField,
    BooleanField,
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    OuterRef,
    Q,
    QuerySet,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Concat
from django.utils.translation import gettext as _

from core import clock
from core.actor import Actor
from core.errors import NotFound, PermissionDenied
from listings import search_cache
from listings.cards import with_relations
from listings.indicative import (
    UNKNOWN_LAST_ASCENDING,
    UNKNOWN_LAST_DESCENDING,
    Market,
    indicative_sort_key,
)
from listings.matching import ranked
from listings.models import (
    Listing,
    ListingClaim,
    ListingPhoto,
    ListingPrice,
    SearchEntry,
    SourcingRequest,
    Status,
)
from listings.search_index import fold_text
from listings.visibility import HOLD_RELEASED_BY, obstacles, visible_listings, volume_hold
from prices.models import Benchmark
from prices.selectors import latest_fix, latest_rate
from producers.models import Producer
from producers.services import require_producer_admin

_with_relations = with_relations  # what a listing's rendering reads, prefetched (listings.cards)


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


def catalogue() -> QuerySet[Listing]:
    """The listings buyers see today, read from the search read model (listings.search_index): a lapse at
    midnight in Lima hides a listing by the row's stored dates, with no job."""
    today = clock.today_lima()
    return Listing.objects.filter(search_entry__visible_from__lte=today, search_entry__visible_until__gte=today)


def entries_today() -> QuerySet[SearchEntry]:
    """The read model's rows of the listings buyers see today (the same dates as `catalogue`)."""
    today = clock.today_lima()
    return SearchEntry.objects.filter(visible_from__lte=today, visible_until__gte=today)


def listings_visible() -> QuerySet[Listing]:
    return _with_relations(catalogue())


def producers_offering() -> QuerySet[Any]:
    """The ids of the producers with a listing buyers find in search today (a subquery; settings.PRODUCERS_OFFERING)."""
    return entries_today().values("producer_id")


def offers_by_producer(producer_ids: Iterable[Any]) -> dict[Any, int]:
    """How many listings of each producer buyers find in search today, in one query (settings.PRODUCER_OFFERS)."""
    rows = entries_today().filter(producer_id__in=list(producer_ids)).values("producer_id").annotate(n=Count("pk"))
    return {row["producer_id"]: row["n"] for row in rows.order_by()}


def listings_offered() -> QuerySet[Listing]:
    """The listings buyers may ask about and sign for today, by the gate itself (`visible_listings`, from the
    stored verdicts): what one listing's page, an inquiry and a signature decide on. The read model answers the
    same (`manage.py refresh_search_index --check`); a decision on one listing reads the source."""
    return _with_relations(visible_listings(Listing.objects.all(), clock.today_lima()))


def listings_of_producer(*, actor: Actor) -> QuerySet[Listing]:
    """A producer's own listings in every state."""
    return _with_relations(Listing.objects.filter(producer_id=actor.organization_id))


def listing_get(*, actor: Actor, listing_id: Any) -> Listing:
    """Visible listings for everyone; the producer's own and, for reviewers and staff, any listing."""
    if actor.is_staff or actor.is_reviewer:
        found = _with_relations(Listing.objects.filter(pk=listing_id)).first()
    else:
        found = listings_offered().filter(pk=listing_id).first()
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
    USD/PEN rate recorded on or before today (three queries). Kept in the process under the search generation,
    which goes up after every committed write to the fixes and rates (listings.search_cache), and today: one
    query when nothing changed. Not inside a transaction, which could have written figures not committed yet."""
    today = clock.today_lima()
    if connection.in_atomic_block or not search_cache.ready():
        return _market_on(today)
    key = (search_cache.generation(), today)  # read before the figures: a write committed since bumps it
    kept_key, kept = _MARKET[0]
    if kept_key != key:
        kept = _market_on(today)
        _MARKET[0] = (key, kept)  # one assignment: threads read the old pair or the new one
    return kept


_MARKET: list[tuple[Any, Market]] = [(None, Market(fixes={}, rate=None))]


def _market_on(today: Any) -> Market:
    benchmarks = (Benchmark.GOLD_AM, Benchmark.GOLD_PM)
    fixes = {benchmark: latest_fix(benchmark, on_or_before=today) for benchmark in benchmarks}
    return Market(
        fixes={benchmark: fix for benchmark, fix in fixes.items() if fix is not None},
        rate=latest_rate("USD", "PEN", on_or_before=today),
    )


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


# The catalogue's orderings, read from the search read model's row (annotations, so that the cursor reads them).
_CATALOGUE_ORDER = {
    "relevance": ("relevance", None),
    "created_at": ("catalogue_created", "created_key"),
    "fineness": ("catalogue_fineness", "fineness"),
    "available_grams": ("catalogue_available", "available_grams"),
    "valid_until": ("catalogue_valid_until", "valid_until"),
}


def catalogue_ordering(ordering: list[str]) -> list[str]:
    """`ordering` (the API's terms) as the annotations `order_catalogue` adds, ties by the listing's id."""
    terms = []
    for term in ordering:
        name, descending = term.lstrip("-"), term.startswith("-")
        if name in INDICATIVE_ORDERINGS:
            terms.append(f"-{INDICATIVE_DOWN}" if descending else INDICATIVE_UP)
        else:
            terms.append(("-" if descending else "") + _CATALOGUE_ORDER[name][0])
    return [*terms, "listing_id"]


def order_catalogue(entries: QuerySet[SearchEntry], ordering: list[str]) -> QuerySet[SearchEntry]:
    """Order the read model's rows by `ordering` (from `catalogue_ordering`), the indicative price read from the
    row: unknown prices last either way. Ties by the listing's id."""
    wanted = {term.lstrip("-") for term in ordering}
    annotations: dict[str, Any] = {
        name: F(column) for name, column in _CATALOGUE_ORDER.values() if column is not None and name in wanted
    }
    price = F("indicative_cents")
    if INDICATIVE_UP in wanted:
        annotations[INDICATIVE_UP] = Coalesce(price, Value(UNKNOWN_LAST_ASCENDING, output_field=BigIntegerField()))
    if INDICATIVE_DOWN in wanted:
        annotations[INDICATIVE_DOWN] = Coalesce(price, Value(UNKNOWN_LAST_DESCENDING, output_field=BigIntegerField()))
    return entries.annotate(**annotations).order_by(*ordering)


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
    """A producer's own listings that make every claim in `codes`."""
    for code in codes:
        queryset = queryset.filter(Exists(ListingClaim.objects.filter(listing_id=OuterRef("pk"), claim_id=code)))
    return queryset


def catalogue_with_claims(entries: QuerySet[SearchEntry], codes: Iterable[str]) -> QuerySet[SearchEntry]:
    """The read model's rows of listings that make every claim in `codes` (",a,b,")."""
    for code in codes:
        entries = entries.filter(claims__contains=f",{code},")
    return entries


_FACETS = {"district": "district", "form": "form", "price_basis": "price_basis", "producer_kind": "producer_kind"}


def listing_facets(entries: QuerySet[SearchEntry]) -> dict[str, Any]:
    """Counts of the read model's rows `entries` (visible, already filtered) by district, form, claim, price basis
    and producer kind: one query, grouped by all of them at once (a few hundred combinations at most), added up
    here."""
    columns = [*_FACETS.values(), "claims"]
    rows = entries.order_by().values(*columns).annotate(n=Count("pk"))
    counted: dict[str, dict[str, int]] = {name: {} for name in [*_FACETS, "claims"]}
    total = 0
    for row in rows:
        total += row["n"]
        for name, column in _FACETS.items():
            counted[name][row[column]] = counted[name].get(row[column], 0) + row["n"]
        for code in filter(None, row["claims"].split(",")):
            counted["claims"][code] = counted["claims"].get(code, 0) + row["n"]

    def ranked(name: str) -> list[dict[str, Any]]:
        pairs = sorted(counted[name].items(), key=lambda pair: (-pair[1], pair[0]))
        return [{"value": value, "count": count} for value, count in pairs]

    return {
        "total": total,
        **{name: ranked(name) for name in ["district", "form", "claims", "price_basis", "producer_kind"]},
    }


# Web-search syntax ("quoted phrase", -word, or), read with both dictionaries: a match in either counts.
_QUERY = (
    "(websearch_to_tsquery('spanish'::regconfig, oro_unaccent(%s))"
    " || websearch_to_tsquery('english'::regconfig, oro_unaccent(%s)))"
)
_COLUMNS = ("title_es", "description_es", "title_en", "description_en")
MAX_WORDS = 10  # words of a search beyond these are not read (SQLite; PostgreSQL reads the text as given)
MAX_TEXT = 200  # characters of `q` read


class _Matches(Func):
    """`<table>.<vector> @@ query` on PostgreSQL, where the table is the one `anchor` (a column of it) is read
    from: the listing's `search_document`, or the read model's `document` and `title_document`. The model
    declares none of them (migrations 0006 and 0012), so the column is named here, qualified like `anchor`."""

    output_field = BooleanField()

    def __init__(self, anchor: str, vector: str, text: str) -> None:
        self.anchor_name, self.vector, self.text = anchor.rsplit("__", 1)[-1], vector, text
        super().__init__(F(anchor))

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:  # type: ignore[override]
        column, params = compiler.compile(self.get_source_expressions()[0])
        assert not params
        assert column.endswith(f'"{self.anchor_name}"')
        vector = column.removesuffix(f'"{self.anchor_name}"') + f'"{self.vector}"'
        return f"{vector} @@ {_QUERY}", [self.text, self.text]


class _Folded(Func):
    """`oro_fold(text)` on SQLite: one function call rather than fourteen nested `replace()`, which overflow
    SQLite's parser stack once the search sits in a subquery (as the facets put it)."""

    function = "oro_fold"
    output_field = TextField()


def _words(text: str) -> list[str]:
    return [fold_text(w) or "" for w in text.split()][:MAX_WORDS]


def search_own(queryset: QuerySet[Listing], text: str) -> QuerySet[Listing]:
    """A producer's own listings (`mine=true`) whose titles or descriptions (es, en) match `text`, newest
    first: on PostgreSQL through the listing's stored search document, on SQLite word by word, folded."""
    if not _words(text):
        return queryset
    if connection.vendor == "postgresql":
        return queryset.filter(_Matches("title_es", "search_document", text))
    parts = [part for column in _COLUMNS for part in (Cast(column, TextField()), Value(" "))]
    queryset = queryset.alias(search_text=_Folded(Concat(*parts, output_field=TextField())))
    for word in _words(text):
        queryset = queryset.filter(search_text__contains=word)
    return queryset


TIER = 2**51  # relevance = tier × TIER + the read model's created_key: one integer, newest first in a tier


def search(entries: QuerySet[SearchEntry], text: str) -> QuerySet[SearchEntry]:
    """The read model's rows whose listing's titles or descriptions (es, en) match `text`, annotated with an
    integer `relevance`, higher first: a listing whose title matches the whole search comes before one that
    matches only in its description, and within each the newest first (docs/search.md says why: no `ts_rank`
    over every match).

    PostgreSQL: full text with the Spanish and English dictionaries (stems: "mineras" finds "minera"), blind
    to accents and case, web-search syntax ("a phrase", -word, or), through the GIN indexes of the stored
    `document` and `title_document`. SQLite (development): every word must appear in some title or
    description, folded the same way; the title tier likewise."""
    words = _words(text)
    created = F("created_key")
    if not words:
        return entries.annotate(relevance=created)
    if connection.vendor == "postgresql":
        matches: Any = _Matches("title_text", "document", text)
        in_title: Any = _Matches("title_text", "title_document", text)
    else:
        matches = Q()
        for word in words:
            matches &= Q(search_text__contains=word)
        in_title = Q()
        for word in words:
            in_title &= Q(title_text__contains=word)
    tier = Case(When(in_title, then=Value(2 * TIER)), default=Value(TIER), output_field=BigIntegerField())
    return entries.filter(matches).annotate(relevance=ExpressionWrapper(tier + created, BigIntegerField()))


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


def sourcing_request_matches(*, actor: Actor, request: SourcingRequest) -> QuerySet[SearchEntry]:
    """The read model's rows of visible listings ranked by fit (`match_key`), for the buyer who asked (and
    reviewers and staff); the view reads the listings of a page and explains each with `matching.match`."""
    if not (actor.organization_id == request.buyer_id or actor.is_reviewer or actor.is_staff):
        raise PermissionDenied(_("Only the buyer who made this request sees its matches."), code="not_owner")
    return ranked(entries_today(), request)
