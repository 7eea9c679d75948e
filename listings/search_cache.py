"""Answers of the public search, kept while nothing they read has changed.

A search answer depends on the rows of the catalogue (listings, producers, rosters, sites, evidence and the
stored verdicts, the policies, red flags, the price table) and on today's date. So an answer is kept under a
key made of the request's URL, today's date in Lima and the catalogue's *generation*: a counter in the
database that goes up after every committed write to one of those tables. Any such write makes every kept
answer unreachable at once; the day changing does the same, so a lapse still hides a listing the same day,
with no job.

How writes are noticed: every database connection runs its statements through `_watch_writes`, which
looks at the SQL itself (`INSERT INTO`, `UPDATE`, `DELETE FROM` on a watched table). That covers the
services, the admin, `QuerySet.update`, bulk operations and raw SQL alike: there is no list of write paths
to keep in step. The counter goes up when the write is committed (at once in autocommit, otherwise by
`on_commit`), in its own one-statement transaction: no lock is held inside the writer's transaction.

Why it is right, with readers and writers at once: a reader takes the generation *before* its query, and
a writer bumps it only *after* its commit. A reader whose query missed a commit therefore read a
generation older than the bump that follows that commit, and its answer is stored under that old
generation, where nobody looks once the bump is done. Only an answer computed inside a transaction could
see uncommitted rows, so inside `atomic` (as in most tests) the cache is not used at all.

Out-of-band writes (psql, a restored backup) are not seen, nor a commit whose bump failed (the database
gone right after the commit, or the process killed in between; logged when it is an error):
`SEARCH_CACHE_SECONDS` bounds how long an answer lives then (60 s by default; 0 turns the cache off).
A cache backend that fails (Redis down) is logged and the search answers from the database.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections

from core import clock

logger = logging.getLogger(__name__)

GENERATION_TABLE = "listings_searchgeneration"
# The price table too: a new or corrected fix or rate changes the indicative prices an answer shows.
WATCHED_PREFIXES = ("listings_", "producers_", "compliance_", "diligence_", "prices_")
WATCHED_TABLES = frozenset({"accounts_organization"})
# Raise when the answer's format changes, so that an old process's answers are never served by a new one.
FORMAT = 2  # 2: results carry `indicative_price` and `premium_currency`; troy ounces are fine

_WRITE = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.IGNORECASE)


def watched(table: str) -> bool:
    table = table.lower()
    if table == GENERATION_TABLE:
        return False
    return table in WATCHED_TABLES or table.startswith(WATCHED_PREFIXES)


def written_table(sql: str) -> str | None:
    """The table an INSERT, UPDATE or DELETE writes to; None for anything else."""
    found = _WRITE.match(sql)
    return found.group(1) if found else None


_READY: dict[str, bool] = {}


def ready(alias: str = DEFAULT_DB_ALIAS) -> bool:
    """Whether this database has the generation table: not while the first migrations run, before it
    exists (nothing is kept then). A yes is remembered by the process (until the next `migrate`), a no is
    not: a server started before `migrate` created the table starts bumping as soon as it exists."""
    if not _READY.get(alias):
        _READY[alias] = GENERATION_TABLE in connections[alias].introspection.table_names()
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
    with connections[alias].cursor() as cursor:
        cursor.execute(f"SELECT value FROM {GENERATION_TABLE} WHERE id = 1")  # noqa: S608 - a constant
        row = cursor.fetchone()
    return row[0] if row else 0


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


def cached_answer(url: str, compute: Callable[[], Any], alias: str = DEFAULT_DB_ALIAS) -> Any:
    """The answer for this URL: kept, or computed by `compute` and kept."""
    seconds = settings.SEARCH_CACHE_SECONDS
    connection = connections[alias]
    if seconds <= 0 or connection.in_atomic_block or not ready(alias):
        return compute()
    seen = generation(alias)  # before the query: see the module's docstring
    raw = f"{FORMAT}|{seen}|{clock.today_lima().isoformat()}|{url}"
    key = "search:" + hashlib.sha256(raw.encode()).hexdigest()
    try:
        kept = cache.get(key)
    except Exception:  # the cache backend's own errors (redis.ConnectionError, timeouts)
        logger.warning("Search cache unavailable; answering from the database", exc_info=True)
        return compute()
    if kept is not None:
        return kept
    answer = compute()
    try:
        cache.set(key, answer, seconds)
    except Exception:
        logger.warning("Search cache unavailable; answer not kept", exc_info=True)
    return answer
