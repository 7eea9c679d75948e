"""DJANGO_LOG_FORMAT=json: one JSON object a line, carrying the request id the response returns."""

from __future__ import annotations

import copy
import io
import json
import logging.config

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def json_log(settings):
    stream = io.StringIO()
    config = copy.deepcopy(settings.LOGGING)
    config["handlers"]["console"]["formatter"] = "json"
    config["handlers"]["console"]["stream"] = stream
    logging.config.dictConfig(config)
    yield stream
    logging.config.dictConfig(settings.LOGGING)


def test_json_log_lines_carry_the_request_id(anon, json_log):
    response = anon.client.get("/api/v1/no-such-page/", HTTP_X_REQUEST_ID="trace-42")

    lines = [json.loads(line) for line in json_log.getvalue().splitlines()]
    not_found = [line for line in lines if line["logger"] == "django.request"]
    assert response["X-Request-ID"] == "trace-42"
    assert not_found
    assert not_found[0]["request_id"] == "trace-42"
    assert not_found[0]["level"] == "WARNING"
    assert "/api/v1/no-such-page/" in not_found[0]["message"]


def test_audit_events_record_the_request_id_and_nothing_stale_after(anon):
    from audit.models import AuditEvent
    from audit.services import audit_record

    anon.client.post(
        "/api/v1/auth/login/",
        {"email": "x@y.test", "password": "wrong-one-1"},
        format="json",
        HTTP_X_REQUEST_ID="login-7",
    )
    later = audit_record(action="test.after_request")

    assert AuditEvent.objects.get(action="accounts.login.failed").request_id == "login-7"
    assert later.request_id == ""
