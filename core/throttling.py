"""Throttles on the configured cache (Redis when several processes serve).

They slow abuse down; they are not a security control (hard limits live in database constraints). If the
cache is unreachable a throttle lets the request through and logs it, so Redis going down degrades
throttling instead of taking the API down with it.
"""

from __future__ import annotations

import logging
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
    """Applies `throttle_scope` of the view (signup, login, invitations, uploads, inquiries)."""
