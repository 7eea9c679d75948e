"""Which function runs a job of each name, and how it is retried: `@job("app.verb")` in an app's `tasks.py`."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any


@dataclass(frozen=True)
class JobKind:
    name: str
    function: Callable[..., Any]
    max_attempts: int
    first_delay: timedelta  # before the second attempt; each later one doubles, up to max_delay
    max_delay: timedelta
    lease: timedelta  # how long one attempt may run before another worker may take the job over

    def delay_after(self, attempt: int, rng: random.Random | None = None, scale: float = 1.0) -> timedelta:
        """The wait after a failed attempt number `attempt` (1 for the first): exponential, capped, with "equal
        jitter" (half fixed, half random) so that jobs failing together do not all come back together. `scale`
        shortens every duration alike (JOBS_TIME_SCALE, for the drills)."""
        ceiling = scale * min(self.max_delay.total_seconds(), self.first_delay.total_seconds() * 2 ** (attempt - 1))
        return timedelta(seconds=ceiling / 2 + (rng or random).uniform(0, ceiling / 2))


KINDS: dict[str, JobKind] = {}


def job(
    name: str,
    *,
    max_attempts: int = 8,
    first_delay: timedelta = timedelta(seconds=30),
    max_delay: timedelta = timedelta(hours=2),
    lease: timedelta = timedelta(minutes=10),
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register the decorated function as the job `name`. It is called with the job's arguments as keywords; it
    must be idempotent (an attempt may be repeated after a crash) and decides its own transactions: a network
    call never runs inside one. Raising fails the attempt; it is tried again later, until max_attempts."""

    def register(function: Callable[..., Any]) -> Callable[..., Any]:
        known = KINDS.get(name)
        if known is not None and known.function.__qualname__ != function.__qualname__:
            raise RuntimeError(f"Two jobs are named {name!r}.")
        KINDS[name] = JobKind(name, function, max_attempts, first_delay, max_delay, lease)
        return function

    return register
