"""Throttles on the configured cache (Redis when several processes serve).

They slow abuse down; they are not a security control (hard limits live in database constraints). If the
cache is unreachable a throttle lets the request through and logs it, so Redis going down degrades
throttling instead of taking the API down with it.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Mapping
from typing import Any

from rest_framework import throttling

logger = logging.getLogger(__name__)


class _FailOpen:
    def allow_request(self, request: Any, view: Any) -> bool:
        try:
            return super().allow_request(request, view)  # type: ignore[misc]
        except Exception:  # the cache backend's own errors (redis.ConnectionError, timeouts)
            logger.warning("Throttle cache unavailable; request let through", exc_info=True)
            return True


class AnonymousThrottle(_FailOpen, throttling.AnonRateThrottle):
    scope = "anon"


class UserThrottle(_FailOpen, throttling.UserRateThrottle):
    scope = "user"


class ScopedThrottle(_FailOpen, throttling.ScopedRateThrottle):
    """Applies `throttle_scope` of the view (signup, login, invitations, uploads, inquiries, proposals,
    deposits): per user, or per client address for anonymous requests."""


class FailureThrottle(throttling.SimpleRateThrottle):
    """At most `rate` failed attempts per key in each fixed window; then every attempt on that key is refused
    (429) before it is tried, a right one too, until the window ends: guessing is slowed down, nobody is locked
    out for good. An attempt is counted with one atomic increment when it starts, so attempts sent in parallel
    cannot all slip under the limit; the view gives back the attempts that did not fail (`give_back`)."""

    num_requests: int
    duration: int

    def parse_rate(self, rate: str | None) -> tuple[int | None, int | None]:
        """DRF's `n/s`, `n/min`, `n/hour`, `n/day`, and a window of several units: `5/15min`, `20/2hour`."""
        if rate is None:
            return None, None
        count, period = rate.split("/")
        match = re.fullmatch(r"\s*(\d*)\s*([smhd])[a-z]*\s*", period)
        if match is None:
            raise ValueError(f"not a throttle rate: {rate!r}")
        units = int(match.group(1) or 1)
        return int(count), units * {"s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]

    def _window_key(self, request: Any, view: Any) -> str | None:
        key = self.get_cache_key(request, view)
        if key is None:
            return None
        self.now = self.timer()
        window = int(self.now // self.duration)
        self.window_ends = (window + 1) * self.duration
        return f"{key}_{window}"

    def allow_request(self, request: Any, view: Any) -> bool:
        if self.rate is None:
            return True
        key = self._window_key(request, view)
        if key is None:
            return True
        self.cache.add(key, 0, self.duration)
        try:
            attempts = self.cache.incr(key)
        except ValueError:  # the key expired between the two calls: a new window has begun
            self.cache.add(key, 1, self.duration)
            attempts = 1
        return attempts <= self.num_requests

    def wait(self) -> float:
        return max(1.0, self.window_ends - self.now)

    def give_back(self, request: Any, view: Any) -> None:
        if self.rate is None:
            return
        try:
            key = self._window_key(request, view)
            if key is not None:
                self.cache.decr(key)
        except ValueError:  # the window ended meanwhile: nothing left to give back
            pass
        except Exception:  # the cache backend's own errors: the request was answered, only the count is off
            logger.warning("Throttle cache unavailable; attempt not given back", exc_info=True)


class LoginFailuresPerAccount(_FailOpen, FailureThrottle):
    """Failed logins per e-mail address, from whatever client addresses they come (the `login` scope counts
    per address): rotating addresses does not buy more guesses at one account's password."""

    scope = "login_account"

    def allow_request(self, request: Any, view: Any) -> bool:
        # Parse the body here, outside the fail-open guard: a malformed or oversized body must answer as such
        # (400, 413), not pass for a cache failure.
        request.data  # noqa: B018
        return super().allow_request(request, view)

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        data = request.data
        email = data.get("email") if isinstance(data, Mapping) else None
        if not isinstance(email, str) or not email.strip():
            return None  # the serializer refuses it; nothing to guess
        digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()  # no addresses in cache keys
        return self.cache_format % {"scope": self.scope, "ident": digest}
