"""Running the same request from several threads at once, each on its own database connection."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections

# The `postgres` marker (see tests/conftest.py), with the reason every race test shares.
postgres_only = pytest.mark.postgres(
    reason="row locks and concurrent writers mean something only on PostgreSQL (CI runs the suite there too)"
)

sqlite_only = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="SQLite's one writer at a time (the `make run` default)"
)


def run_at_once(count: int, work: Callable[[int], Any]) -> list[Any]:
    """Start `count` threads that call `work(i)` together; return results (or raised exceptions) in order."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def target(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = work(index)
        except Exception as exc:
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results
