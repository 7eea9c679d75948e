"""Answers kept in the cache, failing open: a cache that errs (Redis down, a timeout) is logged and the answer
computed, never an error to the client."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.core.cache import cache

logger = logging.getLogger(__name__)


def kept_or_computed(key: str, compute: Callable[[], Any], seconds: int, what: str) -> Any:
    """The answer kept under `key`, or `compute()`'s, then kept for `seconds`. `what` names the cache in the log
    ("Search", "Impact report")."""
    try:
        answer = cache.get(key)
    except Exception:  # the cache backend's own errors (redis.ConnectionError, timeouts)
        logger.warning("%s cache unavailable; computing the answer", what, exc_info=True)
        return compute()
    if answer is not None:
        return answer
    answer = compute()
    try:
        cache.set(key, answer, seconds)
    except Exception:
        logger.warning("%s cache unavailable; answer not kept", what, exc_info=True)
    return answer
