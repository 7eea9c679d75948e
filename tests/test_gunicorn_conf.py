"""gunicorn.conf.py: read from the environment, access lines as JSON with the request id."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import runpy
from pathlib import Path
from types import SimpleNamespace

from gunicorn.config import Config

CONF = Path(__file__).resolve().parents[1] / "gunicorn.conf.py"


def load(monkeypatch, **env):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(CONF))


def test_the_environment_sets_bind_workers_timeouts_and_recycling(monkeypatch):
    conf = load(
        monkeypatch,
        GUNICORN_BIND="127.0.0.1:8001,127.0.0.1:8002",
        GUNICORN_WORKERS="3",
        GUNICORN_THREADS="4",
        GUNICORN_TIMEOUT="45",
        GUNICORN_GRACEFUL_TIMEOUT="20",
        GUNICORN_MAX_REQUESTS="500",
        GUNICORN_MAX_REQUESTS_JITTER="50",
        FORWARDED_ALLOW_IPS="10.0.0.5",
    )

    assert conf["bind"] == ["127.0.0.1:8001", "127.0.0.1:8002"]
    assert (conf["workers"], conf["threads"], conf["timeout"], conf["graceful_timeout"]) == (3, 4, 45, 20)
    assert (conf["max_requests"], conf["max_requests_jitter"]) == (500, 50)
    assert conf["forwarded_allow_ips"] == "10.0.0.5"


def test_gunicorn_accepts_every_setting_in_the_file(monkeypatch):
    conf = load(monkeypatch)
    cfg = Config()
    for name in ("bind", "workers", "threads", "timeout", "graceful_timeout", "keepalive", "max_requests"):
        cfg.set(name, conf[name])
    cfg.set("max_requests_jitter", conf["max_requests_jitter"])
    cfg.set("forwarded_allow_ips", conf["forwarded_allow_ips"])
    cfg.set("logger_class", conf["logger_class"])

    assert cfg.logger_class is conf["JsonAccessLogger"]
    assert cfg.max_requests_jitter == conf["max_requests_jitter"] > 0


def test_an_access_line_is_one_json_object_with_the_request_id(monkeypatch):
    conf = load(monkeypatch)
    cfg = Config()
    cfg.set("accesslog", "-")
    logger = conf["JsonAccessLogger"](cfg)
    stream = io.StringIO()
    logger.access_log.handlers = [logging.StreamHandler(stream)]
    response = SimpleNamespace(status="201 Created", headers=[("X-Request-ID", "trace-9")], sent=42)
    request = SimpleNamespace(headers=[("User-Agent", 'curl "quoted"')])
    environ = {
        "REQUEST_METHOD": "POST",
        "RAW_URI": "/api/v1/inquiries/?x=1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "PATH_INFO": "/api/v1/inquiries/",
        "QUERY_STRING": "x=1",
        "REMOTE_ADDR": "10.0.0.5",
        "HTTP_USER_AGENT": 'curl "quoted"',
    }

    logger.access(response, request, environ, dt.timedelta(milliseconds=12))

    line = json.loads(stream.getvalue())
    assert line["request_id"] == "trace-9"
    assert (line["method"], line["path"], line["query"], line["status"]) == ("POST", "/api/v1/inquiries/", "x=1", 201)
    assert (line["bytes"], line["duration_ms"], line["user_agent"]) == (42, 12, 'curl "quoted"')
