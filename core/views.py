"""Health endpoints outside the versioned API: liveness and readiness for load balancers."""

from __future__ import annotations

import logging
import uuid

from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core.errors import PROBLEM_CONTENT_TYPE, problem

logger = logging.getLogger(__name__)


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """The process answers. Touches nothing else, so a database outage does not restart every worker."""
    return JsonResponse({"status": "ok"})


def _check_database() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        logger.warning("Readiness: database unreachable", exc_info=True)
        return False


def _check_cache() -> bool:
    probe = f"readyz:{uuid.uuid4().hex}"
    try:
        cache.set(probe, "1", timeout=5)
        ok = cache.get(probe) == "1"
        cache.delete(probe)
        return ok
    except Exception:
        logger.warning("Readiness: cache unreachable", exc_info=True)
        return False


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Ready to serve: the database and the cache answer. 503 problem details otherwise."""
    checks = {"database": _check_database(), "cache": _check_cache()}
    if all(checks.values()):
        return JsonResponse({"status": "ready", "checks": {name: "ok" for name in checks}})
    failing = ", ".join(name for name, ok in checks.items() if not ok)
    body = problem(
        503,
        "not_ready",
        _("A dependency is unreachable: %(names)s.") % {"names": failing},
        extra={"checks": {name: "ok" if ok else "unavailable" for name, ok in checks.items()}},
    )
    return JsonResponse(body, status=503, content_type=PROBLEM_CONTENT_TYPE)
