"""Answers of the public search, kept while nothing they read has changed.

A search answer (a page of listings or the facets) reads the search read model and nothing else of the
catalogue: which listings are visible today, what search filters and sorts by, and each listing's card, what a
row shows (`SearchEntry`, listings/search_index.py, listings/cards.py); and the fixes and rate its indicative
prices are computed at (`WATCHED_TABLES`). tests/listings/test_search_cache.py captures the SQL of a search and
of the facets and checks they read nothing else. So an answer is kept under a key made of the request's URL,
today's date in Lima, and two kinds of counter in the database that go up after a commit that changed what it
read:

- one counter per *scope*, `district:<code>`, raised by `listings.search_index` when it wrote search rows in a
  way an answer shows today: a listing appearing or disappearing today, or a column search filters, sorts or
  shows changing, its card included (not the later day a listing is visible until). An answer reads the
  counters of the districts it can contain: those of its `district` filter, or all. A buyer's sourcing request,
  a match notice, a message, a notification, an uploaded evidence item write no search row: they leave every
  kept answer in place. A producer's evidence decision that changes nothing buyers see today empties nothing,
  and one that hides its listings empties the answers that can hold its district, not a search for another
  district's gold;
- the *generation*, after every committed write to one of `WATCHED_TABLES` (a fix or a rate moves every
  indicative price).

The day changing also changes the key, so a lapse still hides a listing the same day, with no job.

How writes to the watched tables are noticed: every database connection runs its statements through
`_watch_writes`, which looks at the SQL itself (`INSERT INTO`, `UPDATE`, `DELETE FROM` on a watched table).
That covers the services, the admin, `QuerySet.update`, bulk operations and raw SQL alike. The counters go up
when the write is committed (at once in autocommit, otherwise by `on_commit`), each in its own one-statement
transaction: no lock is held inside the writer's transaction.

Why it is right, with readers and writers at once: a reader takes the counters *before* its query, and a
writer bumps them only *after* its commit. A reader whose query missed a commit therefore read a counter older
than the bump that follows that commit, and its answer is stored under that old value, where nobody looks once
the bump is done. Only an answer computed inside a transaction could see uncommitted rows, so inside `atomic`
(as in most tests) the cache is not used at all.

Out-of-band writes (psql, a restored backup) change neither the read model nor the counters: run
`manage.py refresh_search_index` after them (it writes the rows that differ, and their districts' counters go
up). A commit whose bump failed (the database gone right after the commit, or the process killed in between;
logged when it is an error) is bounded by `SEARCH_CACHE_SECONDS` (60 s by default; 0 turns the cache off). A
cache backend that fails (Redis down) is logged and the search answers from the database.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

from core import clock
from core.cache import kept_or_computed

logger = logging.getLogger(__name__)

GENERATION_TABLE = "listings_searchgeneration"
SCOPE_TABLE = "listings_searchscope"
# What an answer reads besides the read model: the fixes and rates its indicative prices are computed at.
WATCHED_TABLES = frozenset({"prices_metalprice", "prices_exchangerate"})
# Raise when the answer's format changes, so that an old process's answers are never served by a new one.
FORMAT = 3  # 3: rows are the read model's cards, relevance by title tier; 2: `indicative_price`

_WRITE = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.IGNORECASE)


def watched(table: str) -> bool:
    return table.lower() in WATCHED_TABLES


def written_table(sql: str) -> str | None:
    """The table an INSERT, UPDATE or DELETE writes to; None for anything else."""
    found = _WRITE.match(sql)
    return found.group(1) if found else None


_READY: dict[str, bool] = {}


def ready(alias: str = DEFAULT_DB_ALIAS) -> bool:
    """Whether this database has the counters' tables: not while the first migrations run, before it
    exists (nothing is kept then). A yes is remembered by the process (until the next `migrate`), a no is
    not: a server started before `migrate` created the table starts bumping as soon as it exists."""
    if not _READY.get(alias):
        _READY[alias] = {GENERATION_TABLE, SCOPE_TABLE} <= set(connections[alias].introspection.table_names())
    return _READY[alias]


def forget_readiness(**kwargs: Any) -> None:
    """`post_migrate` receiver."""
    _READY.clear()


def bump(alias: str = DEFAULT_DB_ALIAS) -> None:
    """One step up for the generation, in a statement of its own (an upsert: the row may not exist yet)."""
    if not ready(alias):
        return
    with connections[alias].cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {GENERATION_TABLE} (id, value) VALUES (1, 1)"  # noqa: S608 - a constant
            f" ON CONFLICT (id) DO UPDATE SET value = {GENERATION_TABLE}.value + 1"
        )


def generation(alias: str = DEFAULT_DB_ALIAS) -> int:
    return counters((), alias)[0]


def counters(scopes: Iterable[str], alias: str = DEFAULT_DB_ALIAS) -> tuple[int, dict[str, int]]:
    """The generation and the counters of `scopes` (0 for a scope never raised), in one query."""
    wanted = sorted(set(scopes))
    placeholders = ", ".join(["%s"] * len(wanted)) or "NULL"
    with connections[alias].cursor() as cursor:
        cursor.execute(
            f"SELECT '', value FROM {GENERATION_TABLE} WHERE id = 1"  # noqa: S608 - constants and placeholders
            f" UNION ALL SELECT scope, value FROM {SCOPE_TABLE} WHERE scope IN ({placeholders})",
            wanted,
        )
        rows = dict(cursor.fetchall())
    return rows.get("", 0), {scope: rows.get(scope, 0) for scope in wanted}


def bump_scopes(scopes: Iterable[str], alias: str = DEFAULT_DB_ALIAS) -> None:
    """One step up for each of `scopes`, in a statement of its own (an upsert: a scope's row may not exist)."""
    wanted = sorted(set(scopes))
    if not wanted or not ready(alias):
        return
    values = ", ".join(["(%s, 1)"] * len(wanted))
    with connections[alias].cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {SCOPE_TABLE} (scope, value) VALUES {values}"  # noqa: S608 - constants and placeholders
            f" ON CONFLICT (scope) DO UPDATE SET value = {SCOPE_TABLE}.value + 1",
            wanted,
        )


def scopes_changed(scopes: Iterable[str], alias: str = DEFAULT_DB_ALIAS) -> None:
    """What search rows show changed in these scopes: their counters go up once this transaction commits (at
    once outside one), so that a reader never keeps an answer computed before the change under the new value."""
    wanted = frozenset(scopes)
    if wanted:
        connections[alias].on_commit(lambda: bump_scopes(wanted, alias), robust=True)


def district_scope(district: str) -> str:
    return f"district:{district}"


def _watch_writes(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]) -> Any:
    result = execute(sql, params, many, context)
    table = written_table(sql)
    if table is not None and watched(table):
        connection = context["connection"]
        alias = connection.alias
        callback = _BUMPS.setdefault(alias, _bumper(alias))
        pending = connection.in_atomic_block and any(func is callback for _, func, _ in connection.run_on_commit)
        if not pending and (connection.in_atomic_block or connection.get_autocommit()):
            connection.on_commit(callback, robust=True)  # at once in autocommit, else after the commit
    return result


_BUMPS: dict[str, Callable[[], None]] = {}


def _bumper(alias: str) -> Callable[[], None]:
    def bump_generation() -> None:
        bump(alias)

    return bump_generation


def install(connection: Any, **kwargs: Any) -> None:
    """`connection_created` receiver: watch this connection's writes (once, however often it reconnects)."""
    if _watch_writes not in connection.execute_wrappers:
        connection.execute_wrappers.append(_watch_writes)


def cached_answer(
    url: str, compute: Callable[[], Any], scopes: Iterable[str] = (), alias: str = DEFAULT_DB_ALIAS
) -> Any:
    """The answer for this URL: kept, or computed by `compute` and kept. `scopes`: those whose search rows the
    answer can contain (the districts it may show)."""
    seconds = settings.SEARCH_CACHE_SECONDS
    connection = connections[alias]
    if seconds <= 0 or connection.in_atomic_block or not ready(alias):
        return compute()
    seen, scoped = counters(scopes, alias)  # before the query: see the module's docstring
    marks = ",".join(f"{scope}={value}" for scope, value in scoped.items())
    raw = f"{FORMAT}|{seen}|{marks}|{clock.today_lima().isoformat()}|{url}"
    key = "search:" + hashlib.sha256(raw.encode()).hexdigest()
    return kept_or_computed(key, compute, seconds, "Search")
