"""EXPLAIN (ANALYZE, BUFFERS) of what both benchmarked endpoints send to PostgreSQL, and how many queries.

    DJANGO_DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/oro_bench_100k \\
        .venv/bin/python bench/explain.py ['q=mercurio&fineness_min=900&form=dore'] [--full]

Ours: one request in process (Django's test client, bench.settings), its queries captured; EXPLAIN ANALYZE
of the slowest (the listing page). Minimal: the same page query the yardstick builds, explained with the
same parameters. Prints query counts and timings, then the top of each plan and its timing lines
(`--full`: the whole plans). `--jit-off` first runs `SET jit = off` in the session, to see the plans
without PostgreSQL's JIT compilation (a diagnosis only: the benchmark runs with the server's settings).
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
os.environ.setdefault("SEARCH_CACHE_SECONDS", "0")  # the query's plan, not a kept answer


def show(plan: list[str], full: bool) -> None:
    shown = plan if full else [*plan[:30], "   ...", *[line for line in plan if "Time:" in line]]
    print("   " + "\n   ".join(line[:220] for line in shown) + "\n")


def main() -> None:
    import django

    django.setup()
    from django.db import connection
    from django.http import QueryDict
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from bench.minimal_view import LIMA, page_query

    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    query = args[0] if args else "q=mercurio&fineness_min=900&form=dore"
    full = "--full" in sys.argv
    client = Client()
    if "--jit-off" in sys.argv:
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("SET jit = off")
        print("(SET jit = off in this session)")
    for name, url in (("ours", f"/api/v1/listings/?{query}&page_size=20"), ("minimal", f"/bench/minimal/?{query}")):
        client.get(url)  # warm up
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url)
            elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, response.content[:500]
        print(f"== {name}: {url}: {elapsed:.1f} ms for the whole request in process, {len(response.content)} bytes")
        if name == "ours":
            times = [float(q["time"]) * 1000 for q in captured.captured_queries]
            print(f"   {len(times)} queries, {sum(times):.1f} ms in them: " + ", ".join(f"{t:.1f}" for t in times))
            slowest = max(captured.captured_queries, key=lambda q: float(q["time"]))
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + slowest["sql"])
                show([row[0] for row in cursor.fetchall()], full)
        else:
            connection.ensure_connection()
            with connection.connection.cursor() as cursor:
                sql, values, _size, _catalogue = page_query(cursor, QueryDict(query), dt.datetime.now(LIMA).date())
                started = time.perf_counter()
                cursor.execute(sql, values)
                cursor.fetchall()
                took = (time.perf_counter() - started) * 1000
                print(f"   2 queries (catalogue, page); the page query alone: {took:.1f} ms")
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, values)
                show([row[0] for row in cursor.fetchall()], full)


if __name__ == "__main__":
    main()
