"""Throttles on the configured cache (Redis when several processes serve).

They slow abuse down; they are not a security control (hard limits live in database constraints). If the
cache is unreachable a throttle lets the request through and logs it, so Redis going down degrades
throttling instead of taking the API down with it.
"""

from __future__ import annotations

import hashlib
import logging
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
    """Counts failed attempts only: while the window holds `rate` failures for a key, every attempt on that key
    is refused (429) before it is tried, a correct one too. The view calls `record_failure` after an attempt
    fails. The oldest failure leaves the window after its duration, so a refusal always ends: it slows
    guessing down without locking anyone out for good."""

    num_requests: int
    duration: int

    def allow_request(self, request: Any, view: Any) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        self.history = [moment for moment in self.cache.get(self.key, []) if moment > self.now - self.duration]
        return len(self.history) < self.num_requests or self.throttle_failure()

    def record_failure(self, request: Any, view: Any) -> None:
        if self.rate is None:
            return
        try:
            key = self.get_cache_key(request, view)
            if key is None:
                return
            now = self.timer()
            history = [moment for moment in self.cache.get(key, []) if moment > now - self.duration]
            self.cache.set(key, [now, *history][: self.num_requests], self.duration)
        except Exception:  # the cache backend's own errors: the attempt was answered, only the count is lost
            logger.warning("Throttle cache unavailable; failure not counted", exc_info=True)


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
