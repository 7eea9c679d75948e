"""Every error is RFC 9457 problem details, in the caller's language, and changes nothing."""

from __future__ import annotations

import psycopg
import pytest
from django.db import OperationalError
from django.test import override_settings

from accounts.models import Organization, User
from core.errors import problem_exception_handler
from notifications.models import Notification
from tests.factories import UserFactory
from tests.problems import assert_problem

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.core.urls_with_failures")]


def test_an_unknown_address_is_a_404_problem(anon):
    assert_problem(anon.get("/api/v1/no-such-thing/"), 404, "not_found")


def test_a_wrong_method_is_a_405_problem(anon):
    assert_problem(anon.get("/api/v1/auth/login/"), 405, "method_not_allowed")


def test_an_unexpected_failure_is_a_500_problem_without_internals(anon):
    anon.client.raise_request_exception = False

    body = assert_problem(anon.get("/test/boom/"), 500, "server_error")

    assert "kaboom" not in str(body)


def test_malformed_json_is_a_400_problem_and_nothing_is_created(anon):
    response = anon.client.post("/api/v1/auth/signup/", data='{"email": "a@b.test", ', content_type="application/json")

    assert_problem(response, 400, "malformed_request")
    assert User.objects.count() == 0


def test_a_body_that_is_not_json_is_a_415_problem(anon):
    response = anon.client.post("/api/v1/auth/login/", data="email=a@b.test", content_type="text/plain")

    assert_problem(response, 415, "unsupported_media_type")


def test_asking_for_html_is_a_406_problem(anon):
    assert_problem(anon.client.get("/api/v1/me/", HTTP_ACCEPT="text/html"), 406, "not_acceptable")


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_a_body_over_the_limit_is_a_413_problem_and_nothing_is_created(anon):
    payload = {
        "email": "big@example.test",
        "password": "x" * 2000,
        "full_name": "Big",
        "organization": {"legal_name": "Big", "country": "CH", "buyer_type": "refiner"},
    }

    response = anon.post("/api/v1/auth/signup/", payload, format="json")

    assert_problem(response, 413, "body_too_large")
    assert User.objects.count() == Organization.objects.count() == 0


def test_wrong_types_are_field_errors_with_dotted_paths(anon):
    payload = {"email": 12, "password": ["x"], "full_name": None, "organization": {"country": "peru", "buyer_type": 3}}

    body = assert_problem(anon.post("/api/v1/auth/signup/", payload, format="json"), 400, "validation_error")

    fields = {error["field"] for error in body["errors"]}
    assert {
        "email",
        "password",
        "full_name",
        "organization.country",
        "organization.buyer_type",
        "organization.legal_name",
    } <= fields
    assert all(set(error) == {"field", "code", "message"} for error in body["errors"])


def test_messages_follow_accept_language(client_for):
    spanish = client_for(language="es").get("/api/v1/me/")
    english = client_for(language="en").get("/api/v1/me/")

    assert spanish.json()["code"] == english.json()["code"] == "not_authenticated"
    assert "credenciales" in spanish.json()["detail"]
    assert english.json()["detail"] == "Authentication credentials were not provided."
    assert spanish["Content-Language"] == "es"


def test_json_numbers_with_a_fraction_are_decimals_never_floats(anon):
    response = anon.post("/test/echo/", {"grams": 0.1}, format="json")

    assert response.json()["types"]["grams"] == "Decimal"
    assert response.json()["data"]["grams"] == "0.1"


def test_nan_and_infinity_are_refused(anon):
    response = anon.client.post("/test/echo/", data='{"grams": NaN}', content_type="application/json")

    assert_problem(response, 400, "malformed_request")


def test_throttling_answers_429_with_retry_after(anon, rates):
    rates(login="2/min")

    statuses = [anon.get("/test/throttled/").status_code for _ in range(3)]
    response = anon.get("/test/throttled/")

    assert statuses == [200, 200, 429]
    body = assert_problem(response, 429, "throttled")
    assert int(response["Retry-After"]) >= 1
    assert body["retry_after"] == int(response["Retry-After"])


def test_every_response_carries_a_request_id(anon):
    generated = anon.get("/api/v1/no-such-thing/")
    echoed = anon.client.get("/healthz", HTTP_X_REQUEST_ID="lb-1234")
    forged = anon.client.get("/healthz", HTTP_X_REQUEST_ID="<script>")

    assert len(generated["X-Request-ID"]) == 32
    assert echoed["X-Request-ID"] == "lb-1234"
    assert forged["X-Request-ID"] != "<script>"


def test_a_database_that_cannot_be_reached_is_a_retryable_503_and_nothing_is_kept(anon, caplog):
    user = UserFactory()

    response = anon.client.post(
        "/test/database-down/", data={"email": user.email}, content_type="application/json", HTTP_ACCEPT_LANGUAGE="es"
    )

    body = assert_problem(response, 503, "database_unavailable")
    assert response["Retry-After"] == "5"
    assert body["retry_after"] == 5
    assert "base de datos" in body["detail"]
    assert not Notification.objects.exists()
    assert any(record.levelname == "ERROR" and "Database unavailable" in record.message for record in caplog.records)


@pytest.mark.parametrize(
    "cause",
    [
        psycopg.errors.DeadlockDetected("deadlock detected"),
        psycopg.errors.SerializationFailure("could not serialize access due to concurrent update"),
        psycopg.errors.LockNotAvailable("canceling statement due to lock timeout"),
    ],
)
def test_a_transaction_that_lost_on_a_postgresql_lock_is_a_retryable_database_busy(cause):
    try:
        raise OperationalError(str(cause)) from cause  # as Django wraps psycopg's error
    except OperationalError as wrapped:
        response = problem_exception_handler(wrapped, {})

    assert response is not None
    assert (response.status_code, response.data["code"], response["Retry-After"]) == (503, "database_busy", "1")


def test_a_refused_connection_is_still_an_unavailable_database_not_a_busy_one():
    cause = psycopg.OperationalError('connection to server at "127.0.0.1", port 5432 failed: Connection refused')
    try:
        raise OperationalError(str(cause)) from cause
    except OperationalError as wrapped:
        response = problem_exception_handler(wrapped, {})

    assert response is not None
    assert (response.status_code, response.data["code"], response["Retry-After"]) == (503, "database_unavailable", "5")
