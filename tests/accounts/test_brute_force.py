"""Password guessing and mass sign-up are slowed down: login per client address and, whatever the address,
failed logins per account within a fixed window that ends (no permanent lockout); sign-up per client address."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from django.test import override_settings
from knox.models import AuthToken

from accounts.models import User
from audit.models import AuditEvent
from core.throttling import LoginFailuresPerAccount
from tests.core.test_abuse import shared_redis  # noqa: F401  (fixture)
from tests.core.test_health import UNREACHABLE_REDIS
from tests.factories import PASSWORD, UserFactory
from tests.problems import assert_problem

pytestmark = pytest.mark.django_db

LOGIN = "/api/v1/auth/login/"
SIGNUP = "/api/v1/auth/signup/"


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The account throttle's clock, moved by the test; it starts when an hour's window does."""
    now = [3600.0 * 527_777]
    monkeypatch.setattr(LoginFailuresPerAccount, "timer", staticmethod(lambda: now[0]))
    return now


def login(anon: Any, email: str, password: str, address: str, **headers: str) -> Any:
    return anon.post(LOGIN, {"email": email, "password": password}, format="json", REMOTE_ADDR=address, **headers)


def assert_throttled(response: Any, at_most: int) -> int:
    body = assert_problem(response, 429, "throttled")
    wait = int(response["Retry-After"])
    assert 1 <= wait <= at_most
    assert body["retry_after"] == wait
    return wait


def test_guesses_at_one_account_from_rotating_addresses_are_capped(anon, rates, clock):
    UserFactory(email="ana@example.test")
    rates(login_account="3/hour")

    guesses = [login(anon, "ana@example.test", f"guess-{n}", f"203.0.113.{n}").status_code for n in range(3)]
    right_password = login(anon, "ana@example.test", PASSWORD, "198.51.100.7")

    assert guesses == [401, 401, 401]
    assert_throttled(right_password, at_most=3600)  # refused before the password is checked: nothing to learn
    assert AuthToken.objects.count() == 0
    assert AuditEvent.objects.filter(action="accounts.login.failed").count() == 3  # the refused one never ran


def test_the_account_limit_is_a_window_not_a_lockout(anon, rates, clock):
    UserFactory(email="ana@example.test")
    rates(login_account="2/hour")
    for n in range(2):
        login(anon, "ana@example.test", "wrong-password", f"203.0.113.{n}")
        clock[0] += 600

    first_wait = assert_throttled(login(anon, "ana@example.test", PASSWORD, "198.51.100.7"), at_most=3600)
    clock[0] += first_wait  # the oldest failure has left the window

    assert first_wait == 3600 - 1200
    assert login(anon, "ana@example.test", PASSWORD, "198.51.100.7").status_code == 200


def test_the_same_address_written_otherwise_is_the_same_account(anon, rates, clock):
    UserFactory(email="ana@example.test")
    rates(login_account="2/hour")

    login(anon, "ana@example.test", "wrong-1", "203.0.113.1")
    login(anon, "  ANA@Example.test ", "wrong-2", "203.0.113.2")

    assert_throttled(login(anon, "Ana@example.TEST", PASSWORD, "203.0.113.3"), at_most=3600)


def test_an_attack_on_one_account_leaves_the_others_alone(anon, rates, clock):
    UserFactory(email="ana@example.test")
    UserFactory(email="rosa@example.test")
    rates(login_account="2/hour")
    for n in range(3):
        login(anon, "ana@example.test", f"guess-{n}", "203.0.113.9")

    response = login(anon, "rosa@example.test", PASSWORD, "203.0.113.9")

    assert response.status_code == 200


def test_successful_logins_do_not_count_against_the_account(anon, rates, clock):
    UserFactory(email="ana@example.test")
    rates(login_account="2/hour")

    statuses = [login(anon, "ana@example.test", PASSWORD, f"198.51.100.{n}").status_code for n in range(5)]

    assert statuses == [200] * 5


def test_logins_from_one_address_are_capped_whatever_the_account(anon, rates):
    for n in range(3):
        UserFactory(email=f"u{n}@example.test")
    rates(login="2/min")

    first = [login(anon, f"u{n}@example.test", PASSWORD, "203.0.113.5").status_code for n in range(2)]
    third = login(anon, "u2@example.test", PASSWORD, "203.0.113.5")
    elsewhere = login(anon, "u2@example.test", PASSWORD, "203.0.113.6")

    assert first == [200, 200]
    assert_throttled(third, at_most=60)
    assert elsewhere.status_code == 200
    assert AuthToken.objects.count() == 3


def test_the_refusal_says_when_to_come_back_in_spanish(anon, rates, clock):
    UserFactory(email="ana@example.test")
    rates(login_account="1/hour")
    login(anon, "ana@example.test", "wrong", "203.0.113.1")

    response = login(anon, "ana@example.test", PASSWORD, "203.0.113.2", HTTP_ACCEPT_LANGUAGE="es")

    wait = assert_throttled(response, at_most=3600)
    assert response.json()["detail"] == f"Demasiadas solicitudes. Inténtelo de nuevo en {wait} segundos."


def signup_body(n: int) -> dict[str, Any]:
    return {
        "email": f"compras{n}@refineria.example",
        "password": "Refinar-oro-limpio-7",
        "full_name": "Anna Keller",
        "organization": {"legal_name": f"Refinería {n} SA", "country": "CH", "buyer_type": "refiner"},
    }


def test_sign_ups_from_one_address_are_capped(anon, rates):
    rates(signup="2/hour")

    first = [anon.post(SIGNUP, signup_body(n), format="json", REMOTE_ADDR="203.0.113.5").status_code for n in range(2)]
    third = anon.post(SIGNUP, signup_body(2), format="json", REMOTE_ADDR="203.0.113.5")
    elsewhere = anon.post(SIGNUP, signup_body(3), format="json", REMOTE_ADDR="203.0.113.6")

    assert first == [201, 201]
    assert_throttled(third, at_most=3600)
    assert elsewhere.status_code == 201
    assert not User.objects.filter(email="compras2@refineria.example").exists()
    assert User.objects.count() == 3


def test_login_still_works_and_still_refuses_when_the_throttle_cache_is_down(anon, rates, caplog):
    UserFactory(email="ana@example.test")
    rates(login_account="1/hour")

    with override_settings(CACHES=UNREACHABLE_REDIS):
        failures = [login(anon, "ana@example.test", "wrong", "203.0.113.1").status_code for _ in range(2)]
        success = login(anon, "ana@example.test", PASSWORD, "203.0.113.1")

    assert failures == [401, 401]
    assert success.status_code == 200
    assert "Throttle cache unavailable; request let through" in caplog.text
    assert "Throttle cache unavailable; attempt not given back" in caplog.text


def test_attempts_still_running_count_so_parallel_guesses_cannot_slip_under_the_limit(rates, clock):
    """Two guesses sent at once: the second is refused while the first is still being checked."""
    rates(login_account="1/hour")
    first, second = LoginFailuresPerAccount(), LoginFailuresPerAccount()
    guess = SimpleNamespace(data={"email": "ana@example.test", "password": "guess"})

    assert first.allow_request(guess, None) is True
    assert second.allow_request(guess, None) is False
    assert second.wait() == 3600


def test_a_login_refused_for_its_shape_does_not_count_against_the_account(anon, rates, clock):
    UserFactory(email="ana@example.test")
    rates(login_account="1/hour")

    shapeless = [anon.post(LOGIN, {"email": "ana@example.test"}, format="json").status_code for _ in range(3)]

    assert shapeless == [400, 400, 400]
    assert login(anon, "ana@example.test", PASSWORD, "203.0.113.1").status_code == 200


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_an_oversized_login_body_is_413_not_taken_for_a_cache_failure(anon, caplog):
    response = anon.post(LOGIN, {"email": "ana@example.test", "password": "x" * 5000}, format="json")

    assert response.status_code == 413
    assert response.json()["code"] == "body_too_large"
    assert "Throttle cache unavailable" not in caplog.text


def test_a_malformed_login_body_is_a_400_problem_not_taken_for_a_cache_failure(anon, caplog):
    response = anon.client.post(LOGIN, data='{"email": "ana@example.test", ', content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "malformed_request"
    assert "Throttle cache unavailable" not in caplog.text


@pytest.mark.usefixtures("shared_redis")
def test_the_account_count_holds_in_redis_shared_by_every_app_server(anon, rates, clock):
    UserFactory(email="ana@example.test")
    rates(login_account="2/hour")

    statuses = [login(anon, "ana@example.test", PASSWORD, "198.51.100.1").status_code for _ in range(3)]
    statuses += [login(anon, "ana@example.test", f"guess-{n}", f"203.0.113.{n}").status_code for n in range(2)]
    refused = login(anon, "ana@example.test", PASSWORD, "198.51.100.1")

    assert statuses == [200, 200, 200, 401, 401]  # successes were given back, failures kept
    assert_throttled(refused, at_most=3600)


# --- The rates we ship: a shared address (carrier-grade NAT) and one attacked account ------------------------
@pytest.fixture
def shipped_rates(rates: Any, settings: Any) -> dict[str, str]:
    """The default rates of marketplace/settings.py for signing in, with only the unrelated scopes lifted."""
    shipped = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    rates(login=shipped["login"], login_account=shipped["login_account"])
    return shipped


def test_the_shipped_rates_are_sixty_a_minute_per_address_and_five_failures_per_account_in_fifteen_minutes(
    shipped_rates,
):
    assert (shipped_rates["login"], shipped_rates["login_account"]) == ("60/min", "5/15min")
    assert LoginFailuresPerAccount().parse_rate("5/15min") == (5, 900)
    assert LoginFailuresPerAccount().parse_rate("20/2hour") == (20, 7200)
    assert LoginFailuresPerAccount().parse_rate("10/hour") == (10, 3600)


def test_forty_members_behind_one_shared_address_all_sign_in(anon, shipped_rates, clock):
    members = [UserFactory(email=f"socia{n}@coop.test") for n in range(40)]

    statuses = [login(anon, member.email, PASSWORD, "181.65.0.1").status_code for member in members]

    assert statuses == [200] * 40
    assert AuthToken.objects.count() == 40


def test_one_account_hammered_from_many_addresses_is_stopped_after_five_failures(anon, shipped_rates, clock):
    UserFactory(email="ana@example.test")

    guesses = [login(anon, "ana@example.test", f"guess-{n}", f"203.0.113.{n}").status_code for n in range(5)]
    sixth = login(anon, "ana@example.test", PASSWORD, "198.51.100.7")

    assert guesses == [401] * 5
    assert_throttled(sixth, at_most=900)
    clock[0] += 900  # the fifteen-minute window ends: the owner signs in
    assert login(anon, "ana@example.test", PASSWORD, "198.51.100.7").status_code == 200


def test_one_address_spraying_many_accounts_is_slowed_at_sixty_a_minute(anon, shipped_rates, clock):
    answers = [login(anon, f"nobody{n}@example.test", "Password1", "203.0.113.66").status_code for n in range(60)]
    sixty_first = login(anon, "nobody60@example.test", "Password1", "203.0.113.66")

    assert answers == [401] * 60
    assert_throttled(sixty_first, at_most=60)
    assert AuditEvent.objects.filter(action="accounts.login.failed").count() == 60
