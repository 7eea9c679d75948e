"""gunicorn's configuration for production, read from the environment (docs/deploy.md lists every variable).

gunicorn loads this file by itself when started from the repository's root:
`.venv/bin/gunicorn marketplace.wsgi`. Access lines are JSON objects, one a line on stdout, carrying the
`X-Request-ID` the response returns, so they join Django's JSON log lines (stderr) on `request_id`.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from typing import Any

from gunicorn.glogging import Logger


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


bind = [address.strip() for address in os.environ.get("GUNICORN_BIND", "0.0.0.0:8000").split(",") if address.strip()]
# Sync workers by default: each handles one request at a time. With GUNICORN_THREADS > 1 gunicorn uses
# threaded workers (gthread); keep the database's max_connections above servers x workers x threads.
workers = _int("GUNICORN_WORKERS", 2 * (os.cpu_count() or 1) + 1)
threads = _int("GUNICORN_THREADS", 1)
# A worker silent for this long is killed and replaced; above Stripe's timeout with its retries
# (STRIPE_TIMEOUT_SECONDS x (STRIPE_MAX_NETWORK_RETRIES + 1)) so a slow Stripe answers 503, not a dead worker.
timeout = _int("GUNICORN_TIMEOUT", 60)
# On SIGTERM (a deploy), workers finish the requests they hold for up to this long.
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)  # behind a load balancer: below its idle timeout
# Recycle each worker after this many requests (plus up to the jitter, so they do not all restart together).
max_requests = _int("GUNICORN_MAX_REQUESTS", 1000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 100)
# The proxies trusted for X-Forwarded-Proto/For (gunicorn's own variable); the load balancer's address.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
# Header and request-line bounds (gunicorn's defaults, stated): Django bounds the bodies (MAX_BODY_BYTES).
limit_request_line = 4094
limit_request_fields = 100
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
proc_name = "oro-responsable"


class JsonAccessLogger(Logger):
    """Each access line as one JSON object, with the request id the app put on the response."""

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: dt.timedelta) -> None:
        if not self.access_log_enabled:
            return
        atoms = self.atoms(resp, req, environ, request_time)
        line = {
            "time": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
            "level": "INFO",
            "logger": "gunicorn.access",
            "request_id": atoms.get("{x-request-id}o", "-"),
            "method": atoms["m"],
            "path": atoms["U"],
            "query": atoms["q"],
            "status": int(atoms["s"]) if str(atoms["s"]).isdigit() else atoms["s"],
            "bytes": atoms["B"],
            "duration_ms": atoms["M"],
            "remote_addr": atoms["h"],
            "user_agent": atoms["a"],
            "pid": os.getpid(),
        }
        try:
            self.access_log.info(json.dumps(line, separators=(",", ":")))
        except Exception:  # gunicorn's own pattern: a log line must never fail the request
            self.exception("access log line failed")


logger_class = JsonAccessLogger
