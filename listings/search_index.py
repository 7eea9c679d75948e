"""The search read model (`SearchEntry`): one row per listing that search can return, kept in step with what
decides it, in the transaction that changes it.

What a row says. A listing is visible on day t when it is published with grams left, its producer verified,
each of its sites (at least one) approved, no open high red flag against its producer, sites or lots, t inside
its window, each site's origin compliant on t under the policy in force on t for the producer's kind
(`SiteStanding.compliant_until >= t`) and each claim held at each site (`SiteClaimStanding.holds_until >= t`):
the gate of `listings.visibility.visible_listings`. All but the dates are states that only a write changes;
the dates are compared with the day. So a row exists while the states allow it, and holds the days the dates
allow: `visible_from` to `visible_until`. Search asks `visible_from <= today <= visible_until`, and a lapse
hides the listing from the first request after midnight in Lima with no job. A later policy version is known
in advance (its `effective_from`) and its stored verdicts too, so the dates already take it into account; the
one case dates cannot say (hidden for a while, then offered again under a laxer version with no write in
between) is marked `recheck_on` and looked at again by `refresh_search_index --due`, which a daily job runs.

Who keeps it. Every write to an input calls a refresh in its own transaction:
- `listings` itself (`listings_changed`): drafting, the moves, re-pricing, the grams contracts take and give back;
- the apps below it through settings-named hooks (`core.extensions`): `CATALOGUE_CHANGED` (`producers_changed`)
  from the compliance verdicts (`standings_refresh`: evidence decided, a site added, an identity changed, a
  policy or deadline), the producers' verification, identity and sites, and red flags; `PRICE_TABLE_CHANGED`
  (`prices_changed`) from a fix or rate recorded or corrected, which moves every indicative price.
`check` compares the rows with a computation from scratch (`visible_listings`, the SQL twin of the engine's
verdicts, and the listings' own columns) and names every difference: `manage.py refresh_search_index --check`.

At once. A refresh reads the inputs of a producer's listings and writes their rows; two transactions changing
two inputs of one producer could each read the other's old state. So a refresh first takes a transaction lock
per producer (PostgreSQL advisory locks, in a fixed order) and reads after it: the later one reads what the
earlier one committed. A price-table change takes the shared lock of every refresh exclusively. SQLite has one
writer at a time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from compliance.models import Policy, SiteClaimStanding, SiteStanding
from core import clock
from diligence.models import SubjectKind
from diligence.selectors import suspending_flags
from listings.cards import render_cards, with_relations
from listings.indicative import Market, listing_indicative_price
from listings.models import PRICE_FIELDS, Listing, ListingClaim, ListingLot, SearchEntry, Status
from listings.search_cache import district_scope, scopes_changed
from listings.visibility import visible_listings
from prices.models import Benchmark
from prices.selectors import latest_fix, latest_rate
from producers.models import Producer, Site, Verification

ListingSite = Listing.sites.through
CHUNK = 1000
FAR = dt.date(9999, 12, 31)

# Spanish letters folded: lower case without accents (SQLite's lower() knows only ASCII).
_FOLD = {"á": "a", "é": "e", "í": "i", "ó": "o", "ú": "u", "ü": "u", "ñ": "n"}
_FOLD |= {accented.upper(): plain for accented, plain in _FOLD.items()}


def fold_text(text: str | None) -> str | None:
    """Lower case without the accents of Spanish; on SQLite also the SQL function `oro_fold` (apps.py)."""
    return None if text is None else "".join(_FOLD.get(char, char) for char in text).lower()


# The PostgreSQL columns the model does not declare (migration 0012), written from the listing's own.
_DOCUMENTS = """
UPDATE listings_searchentry AS e
SET document = l.search_document,
    title_document = setweight(to_tsvector('spanish'::regconfig, oro_unaccent(COALESCE(l.title_es, ''))), 'A')
        || setweight(to_tsvector('english'::regconfig, oro_unaccent(COALESCE(l.title_en, ''))), 'A')
FROM listings_listing AS l
WHERE l.id = e.listing_id AND e.listing_id = ANY(%s)
"""

_ALL_PRODUCERS = 0x6F726F  # the key every refresh shares and a price-table change takes alone


def _lock_key(producer_id: Any) -> int:
    return int.from_bytes(hashlib.blake2b(str(producer_id).encode(), digest_size=8).digest(), "big", signed=True)


# A refresh of more producers than this takes the one lock every refresh shares, alone, instead of one lock each:
# PostgreSQL's lock table holds max_locks_per_transaction × max_connections locks (6,400 by default) for all.
MANY_PRODUCERS = 500


def _lock(producer_ids: Iterable[Any], *, everything: bool = False) -> None:
    """The transaction's locks before a refresh reads: one per producer (the shared key with them), or the
    shared key alone for a price-table change or a refresh of many producers, which then waits for every other
    refresh and makes them wait."""
    if connection.vendor != "postgresql":
        return
    keys = sorted({_lock_key(pk) for pk in producer_ids})
    with connection.cursor() as cursor:
        if everything or len(keys) > MANY_PRODUCERS:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, 0)", [_ALL_PRODUCERS])
            return
        cursor.execute("SELECT pg_advisory_xact_lock_shared(%s, 0)", [_ALL_PRODUCERS])
        for key in keys:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


# --- The days a listing is visible ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Period:
    """A policy version of one subject and the days it is in force (`until` inclusive, None for open-ended)."""

    policy_id: int
    since: dt.date
    until: dt.date | None


def policy_periods(today: dt.date) -> dict[str, list[Period]]:
    """For each subject, the version in force today and every later one, with the days each is in force."""
    found: dict[str, list[Period]] = {}
    for subject in (Policy.Subject.INDIVIDUAL, Policy.Subject.ORGANIZATION):
        rows = list(
            Policy.objects.filter(subject=subject).order_by("effective_from").values_list("pk", "effective_from")
        )
        current = [index for index, (_pk, since) in enumerate(rows) if since <= today]
        if not current:
            found[subject] = []
            continue
        rows = rows[current[-1] :]
        found[subject] = [
            Period(pk, since, rows[index + 1][1] - dt.timedelta(days=1) if index + 1 < len(rows) else None)
            for index, (pk, since) in enumerate(rows)
        ]
    return found


def visible_days(
    *,
    window: tuple[dt.date, dt.date],
    periods: list[Period],
    compliant_until: dict[int, dt.date | None],
    claims_until: dt.date | None,
    today: dt.date,
) -> tuple[tuple[dt.date, dt.date] | None, dt.date | None]:
    """The first run of days from `today` on when the listing is visible, and the first day after it when it
    could be visible again (None when it cannot). `compliant_until` is, per policy, the least of its sites'
    verdicts (None: some site is not compliant under it); `claims_until` the least date every claim holds at
    every site (None: some claim is not backed at some site)."""
    if claims_until is None:
        return None, None
    runs: list[tuple[dt.date, dt.date]] = []
    for period in periods:
        until = compliant_until.get(period.policy_id)
        if until is None:
            continue
        start = max(period.since, window[0], today)
        end = min(until, claims_until, window[1], period.until or FAR)
        if start <= end:
            if runs and runs[-1][1] + dt.timedelta(days=1) == start:
                runs[-1] = (runs[-1][0], end)  # the next version goes on where the last one stopped
            else:
                runs.append((start, end))
    if not runs:
        return None, None
    return runs[0], runs[1][0] if len(runs) > 1 else None


# --- Market figures -------------------------------------------------------------------------------------------------
def market_today(today: dt.date) -> Market:
    fixes = {b: latest_fix(b, on_or_before=today) for b in (Benchmark.GOLD_AM, Benchmark.GOLD_PM)}
    return Market(
        fixes={b: fix for b, fix in fixes.items() if fix is not None},
        rate=latest_rate("USD", "PEN", on_or_before=today),
    )


BIGINT = 2**63 - 1


def _indicative(listing: Listing | SearchEntry, market: Market) -> int | None:
    """US cents per fine gram, or None when a figure is missing or the price is beyond what the column holds."""
    found = listing_indicative_price(listing, market)
    if found is not None and not 0 <= found.usd_cents_per_fine_gram <= BIGINT:
        return None
    return None if found is None else found.usd_cents_per_fine_gram


def as_json(value: Any) -> Any:
    """`value` as the JSON column gives it back, so that a row compares equal to the stored one."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


# --- Computing rows --------------------------------------------------------------------------------------------------
def _searchable(listings: Any) -> Any:
    """The states a row needs (the dates are the row's own)."""
    return listings.filter(
        status=Status.PUBLISHED, available_grams__gt=0, producer__verification_status=Verification.VERIFIED
    )


def compute(listing_ids: list[Any], today: dt.date, market: Market | None = None) -> list[SearchEntry]:
    """The rows these listings should have today (none for a listing search cannot return), from the inputs
    as stored: a fixed number of queries per call, whatever the number of listings."""
    market = market or market_today(today)
    periods = policy_periods(today)
    now = timezone.now()
    listings = list(with_relations(_searchable(Listing.objects.filter(pk__in=listing_ids))))
    if not listings:
        return []
    ids = [listing.pk for listing in listings]
    sites: dict[Any, list[Any]] = defaultdict(list)
    for listing_id, site_id in ListingSite.objects.filter(listing_id__in=ids).values_list("listing_id", "site_id"):
        sites[listing_id].append(site_id)
    site_ids = {site_id for found in sites.values() for site_id in found}
    approved = set(Site.objects.filter(pk__in=site_ids, status=Site.Status.APPROVED).values_list("pk", flat=True))
    standing: dict[tuple[Any, int], dt.date | None] = {
        (site_id, policy_id): until
        for site_id, policy_id, until in SiteStanding.objects.filter(site_id__in=site_ids).values_list(
            "site_id", "policy_id", "compliant_until"
        )
    }
    holds: dict[tuple[Any, str], dt.date] = {
        (site_id, claim): until
        for site_id, claim, until in SiteClaimStanding.objects.filter(site_id__in=site_ids).values_list(
            "site_id", "claim_id", "holds_until"
        )
    }
    claims: dict[Any, list[str]] = defaultdict(list)
    for listing_id, claim in ListingClaim.objects.filter(listing_id__in=ids).values_list("listing_id", "claim_id"):
        claims[listing_id].append(claim)
    lots: dict[Any, set[Any]] = defaultdict(set)
    for listing_id, lot_id in ListingLot.objects.filter(listing_id__in=ids).values_list("listing_id", "lot_id"):
        lots[listing_id].add(lot_id)
    flags: dict[Any, list[tuple[str, Any, Any]]] = defaultdict(list)
    producer_ids = {listing.producer_id for listing in listings}
    for organization_id, subject, site_id, lot_id in (
        suspending_flags()
        .filter(organization_id__in=producer_ids)
        .values_list("organization_id", "subject_kind", "site_id", "lot_id")
    ):
        flags[organization_id].append((subject, site_id, lot_id))

    rows = []
    cards = render_cards(listings)
    for listing in listings:
        own_sites = sites[listing.pk]
        if not own_sites or any(site_id not in approved for site_id in own_sites):
            continue
        if any(
            subject == SubjectKind.PRODUCER or site_id in own_sites or lot_id in lots[listing.pk]
            for subject, site_id, lot_id in flags[listing.producer_id]
        ):
            continue  # suspended while an open high red flag concerns it
        subject = (
            Policy.Subject.INDIVIDUAL if listing.producer.legal_kind == "individual" else Policy.Subject.ORGANIZATION
        )
        its_periods = periods.get(subject, [])
        compliant: dict[int, dt.date | None] = {}
        for period in its_periods:
            dates = [standing.get((site_id, period.policy_id)) for site_id in own_sites]
            compliant[period.policy_id] = None if any(d is None for d in dates) else min(dates)  # type: ignore[type-var]
        held = [holds.get((site_id, claim)) for claim in claims[listing.pk] for site_id in own_sites]
        claims_until = FAR if not held else (None if any(d is None for d in held) else min(held))  # type: ignore[type-var]
        run, again = visible_days(
            window=(listing.valid_from, listing.valid_until),
            periods=its_periods,
            compliant_until=compliant,
            claims_until=claims_until,
            today=today,
        )
        if run is None:
            continue
        texts = (listing.title_es, listing.title_en, listing.description_es, listing.description_en)
        rows.append(
            SearchEntry(
                listing_id=listing.pk,
                producer_id=listing.producer_id,
                visible_from=run[0],
                visible_until=run[1],
                recheck_on=again,
                district=listing.producer.district,
                producer_kind=listing.producer.legal_kind,
                kind=listing.kind,
                form=listing.form,
                fineness=listing.fineness,
                fineness_basis=listing.fineness_basis,
                available_grams=listing.available_grams,
                min_order_grams=listing.min_order_grams,
                incoterm=listing.incoterm,
                **{field: getattr(listing, field) for field in PRICE_FIELDS},
                indicative_cents=_indicative(listing, market),
                claims="," + ",".join(sorted(claims[listing.pk])) + ",",
                valid_until=listing.valid_until,
                created_at=listing.created_at,
                created_key=created_key(listing.created_at),
                search_text=fold_text(" ".join(t or "" for t in texts)) or "",
                title_text=fold_text(" ".join(t or "" for t in texts[:2])) or "",
                card=as_json(cards[str(listing.pk)]),
                refreshed_at=now,
            )
        )
    return rows


_WRITTEN = [field.name for field in SearchEntry._meta.concrete_fields if field.name != "listing"]
# What a row holds that no answer shows today: the days it is visible besides today, and bookkeeping.
_UNSHOWN = {"visible_from", "visible_until", "recheck_on", "refreshed_at"}
_SHOWN = [name for name in _WRITTEN if name not in _UNSHOWN]
_COMPARED = [name for name in _WRITTEN if name != "refreshed_at"]


def _attname(name: str) -> str:
    return "producer_id" if name == "producer" else name


def _visible_on(entry: SearchEntry | None, today: dt.date) -> bool:
    return entry is not None and entry.visible_from <= today <= entry.visible_until


def _write(listing_ids: list[Any], today: dt.date, market: Market | None = None) -> int:
    """Write the rows these listings should have, only those that differ from the stored ones, and raise the
    counters of the districts whose kept answers the change reaches (listings.search_cache): a row appearing
    or disappearing today, or a column an answer shows changing."""
    rows = {row.listing_id: row for row in compute(listing_ids, today, market)}
    stored = {entry.listing_id: entry for entry in SearchEntry.objects.filter(listing_id__in=listing_ids)}
    gone = [pk for pk in stored if pk not in rows]
    changed = [
        row
        for pk, row in rows.items()
        if pk not in stored or any(getattr(row, _attname(n)) != getattr(stored[pk], _attname(n)) for n in _COMPARED)
    ]
    scopes = set()
    for pk in gone:
        if _visible_on(stored[pk], today):
            scopes.add(district_scope(stored[pk].district))
    for row in changed:
        old = stored.get(row.listing_id)
        shown_before, shown_now = _visible_on(old, today), _visible_on(row, today)
        if shown_before != shown_now or (
            shown_now and any(getattr(row, _attname(n)) != getattr(old, _attname(n)) for n in _SHOWN)
        ):
            scopes |= {district_scope(row.district)} | ({district_scope(old.district)} if old else set())
    if gone:
        SearchEntry.objects.filter(listing_id__in=gone).delete()
    if changed:
        SearchEntry.objects.bulk_create(
            changed, update_conflicts=True, unique_fields=["listing"], update_fields=_WRITTEN, batch_size=CHUNK
        )
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(_DOCUMENTS, [[str(row.listing_id) for row in changed]])
    scopes_changed(scopes)
    return len(changed)


EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def created_key(created_at: dt.datetime) -> int:
    return (created_at - EPOCH) // dt.timedelta(microseconds=1)


def _chunks(ids: list[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


# --- The refreshes -------------------------------------------------------------------------------------------------
@transaction.atomic
def listings_changed(*, listing_ids: Iterable[Any]) -> None:
    """Listings were written (drafted, edited, moved, re-priced, sold from): their rows again."""
    ids = list(listing_ids)
    producers = set(Listing.objects.filter(pk__in=ids).values_list("producer_id", flat=True))
    _lock(producers)
    _write(ids, clock.today_lima())


@transaction.atomic
def producers_changed(*, producer_ids: Iterable[Any] | None = None) -> int:
    """Something that decides the visibility of these producers' listings changed (every producer's when
    None): settings.CATALOGUE_CHANGED. Returns how many rows are written."""
    today = clock.today_lima()
    if producer_ids is None:
        producers = list(Producer.objects.order_by("pk").values_list("pk", flat=True))
    else:
        producers = sorted(set(producer_ids), key=str)
    _lock(producers, everything=producer_ids is None)
    market = market_today(today)
    listings = Listing.objects.filter(producer_id__in=producers) if producer_ids is not None else Listing.objects
    ids = list(listings.order_by("pk").values_list("pk", flat=True))
    if producer_ids is None:
        SearchEntry.objects.exclude(listing_id__in=Listing.objects.values("pk")).delete()
    return sum(_write(chunk, today, market) for chunk in _chunks(ids))


@transaction.atomic
def prices_changed(**kwargs: Any) -> int:
    """A fix or rate was recorded or corrected (settings.PRICE_TABLE_CHANGED): every row's indicative price
    again, computed exactly in Python (`listing_indicative_price`, fractions: no figure the price table accepts
    can overflow it, where the SQL twin's integer arithmetic could) and written where it changed. Returns how
    many rows changed."""
    _lock((), everything=True)
    market = market_today(clock.today_lima())
    changed = []
    rows = SearchEntry.objects.only("listing_id", "indicative_cents", *PRICE_FIELDS).order_by("pk")
    for entry in rows.iterator(chunk_size=CHUNK):
        cents = _indicative(entry, market)
        if cents != entry.indicative_cents:
            entry.indicative_cents = cents
            changed.append(entry)
    SearchEntry.objects.bulk_update(changed, ["indicative_cents"], batch_size=CHUNK)
    return len(changed)


def refresh_due(*, today: dt.date | None = None) -> dict[str, int]:
    """The daily look (after midnight in Lima): rows whose `recheck_on` has come, rows that lapsed for good
    (deleted: a write brings them back), and the indicative prices (a fix dated today may have been recorded
    before it). Returns the counts."""
    today = today or clock.today_lima()
    with transaction.atomic():
        due = list(SearchEntry.objects.filter(recheck_on__lte=today).values_list("producer_id", flat=True).distinct())
        rechecked = producers_changed(producer_ids=due) if due else 0
        lapsed, _ = SearchEntry.objects.filter(visible_until__lt=today, recheck_on__isnull=True).delete()
    return {"rechecked": rechecked, "lapsed": lapsed, "priced": prices_changed()}


# --- The check ------------------------------------------------------------------------------------------------------
COMPARED = (
    "producer_id",
    "kind",
    "form",
    "fineness",
    "fineness_basis",
    "available_grams",
    "min_order_grams",
    "incoterm",
    *PRICE_FIELDS,
    "valid_until",
    "created_at",
)


def check(*, today: dt.date | None = None) -> list[str]:
    """Every difference between the stored rows and a computation from scratch, in words (empty: they agree):
    the listings visible today by the read model against `visible_listings` (the SQL twin of the compliance
    engine's stored verdicts), and the copied columns, indicative price and folded text of every row against
    the listing's own."""
    today = today or clock.today_lima()
    differences = []
    stored = set(
        SearchEntry.objects.filter(visible_from__lte=today, visible_until__gte=today).values_list(
            "listing_id", flat=True
        )
    )
    expected = set(visible_listings(Listing.objects.all(), today).values_list("pk", flat=True))
    differences += [
        f"listing {pk}: visible by the read model, hidden by the gate" for pk in sorted(stored - expected, key=str)
    ]
    differences += [
        f"listing {pk}: visible by the gate, missing from the read model" for pk in sorted(expected - stored, key=str)
    ]
    market = market_today(today)
    ids = list(SearchEntry.objects.order_by("pk").values_list("pk", flat=True))
    for chunk in _chunks(ids):
        listings = {listing.pk: listing for listing in with_relations(Listing.objects.filter(pk__in=chunk))}
        cards = render_cards(listings.values())
        for entry in SearchEntry.objects.filter(pk__in=chunk):
            listing = listings[entry.pk]
            wrong = [name for name in COMPARED if getattr(entry, name) != getattr(listing, name)]
            wrong += [name for name in ("district",) if entry.district != listing.producer.district]
            if entry.producer_kind != listing.producer.legal_kind:
                wrong.append("producer_kind")
            if entry.indicative_cents != _indicative(listing, market):
                wrong.append("indicative_cents")
            texts = (listing.title_es, listing.title_en, listing.description_es, listing.description_en)
            if entry.search_text != (fold_text(" ".join(t or "" for t in texts)) or ""):
                wrong.append("search_text")
            codes = "," + ",".join(sorted(row.claim_id for row in listing.claim_rows.all())) + ","
            if entry.claims != codes:
                wrong.append("claims")
            if entry.card != as_json(cards[str(entry.pk)]):
                wrong.append("card")
            if wrong:
                differences.append(f"listing {entry.pk}: {', '.join(wrong)} differ from the listing")
    return differences
