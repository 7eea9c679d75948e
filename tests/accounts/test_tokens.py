"""A person's tokens, one per device: named at sign-in, listed, revoked one by one, refreshed before they expire."""

from __future__ import annotations

import datetime as dt
import importlib
from unittest import mock

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from accounts.auth import LAST_USED_RESOLUTION
from accounts.devices import device_name_from_user_agent
from accounts.models import TokenDevice
from audit.models import AuditEvent
from core import clock
from tests.factories import PASSWORD, UserFactory
from tests.problems import assert_problem

pytestmark = pytest.mark.django_db

TOKENS = "/api/v1/auth/tokens/"
REFRESH = "/api/v1/auth/tokens/refresh/"
ANDROID_CHROME = (
    "Mozilla/5.0 (Linux; Android 13; SM-A145M) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 "
    "Mobile Safari/537.36"
)


def sign_in(email: str, device_name: str | None = None, user_agent: str = "") -> APIClient:
    body = {"email": email, "password": PASSWORD}
    if device_name is not None:
        body["device_name"] = device_name
    client = APIClient()
    response = client.post("/api/v1/auth/login/", body, format="json", HTTP_USER_AGENT=user_agent)
    assert response.status_code == 200, response.content
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    return client


def listed(client: APIClient) -> list[dict]:
    response = client.get(TOKENS)
    assert response.status_code == 200, response.content
    return response.json()["results"]


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("seq"))


@pytest.fixture
def rosa():
    return UserFactory(email="rosa@example.test")


# --- Naming the device ---------------------------------------------------------------------------------------
def test_sign_in_records_the_device_name_given_trimmed(rosa):
    phone = sign_in(rosa.email, device_name="  Teléfono de Rosa  ")

    [token] = listed(phone)

    assert token["device_name"] == "Teléfono de Rosa"
    assert token["current"] is True
    assert set(token) == {"id", "device_name", "created_at", "expiry", "last_used_at", "current"}
    [login] = events("accounts.login.succeeded")
    assert login.data["device_name"] == "Teléfono de Rosa"
    assert login.data["token_id"] == token["id"]


@pytest.mark.parametrize("given", [None, "", "   "], ids=["absent", "empty", "blank"])
def test_without_a_name_the_device_is_named_from_its_user_agent(rosa, given):
    phone = sign_in(rosa.email, device_name=given, user_agent=ANDROID_CHROME)

    assert [token["device_name"] for token in listed(phone)] == ["Chrome (Android)"]


@pytest.mark.parametrize(
    ("user_agent", "name"),
    [
        (ANDROID_CHROME, "Chrome (Android)"),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
            "Version/17.2 Mobile/15E148 Safari/604.1",
            "Safari (iPhone)",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 "
            "Safari/537.36 Edg/120.0.2210.91",
            "Edge (Windows)",
        ),
        ("Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0", "Firefox (Linux)"),
        ("okhttp/4.12.0", "okhttp/4.12.0"),
        ("curl/8.5.0", "curl/8.5.0"),
        ("x" * 300, "x" * 99 + "…"),
        ("bad\x00agent\x1f here", "bad"),
        ("", ""),
    ],
)
def test_a_user_agent_gives_a_short_name(user_agent, name):
    assert device_name_from_user_agent(user_agent) == name


@pytest.mark.parametrize(
    ("device_name", "code"), [("x" * 101, "max_length"), (12, "invalid")], ids=["too long", "not a string"]
)
def test_a_device_name_that_is_too_long_or_not_text_is_refused(anon, rosa, device_name, code):
    response = anon.post(
        "/api/v1/auth/login/", {"email": rosa.email, "password": PASSWORD, "device_name": device_name}, format="json"
    )

    assert_problem(response, 400, "validation_error")
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [("device_name", code)]
    assert AuthToken.objects.count() == 0


# --- Listing -------------------------------------------------------------------------------------------------
def test_the_list_shows_my_live_tokens_newest_first_and_which_one_i_use(rosa):
    laptop = sign_in(rosa.email, device_name="Portátil")
    phone = sign_in(rosa.email, device_name="Teléfono")
    expired = sign_in(rosa.email, device_name="Tablet vieja")
    TokenDevice.objects.filter(device_name="Tablet vieja").update(created_at=timezone.now())
    AuthToken.objects.filter(device__device_name="Tablet vieja").update(expiry=timezone.now() - dt.timedelta(1))
    sign_in(UserFactory(email="otra@example.test").email, device_name="Teléfono de otra")

    from_phone = listed(phone)
    from_laptop = listed(laptop)

    assert [(t["device_name"], t["current"]) for t in from_phone] == [("Teléfono", True), ("Portátil", False)]
    assert [(t["device_name"], t["current"]) for t in from_laptop] == [("Teléfono", False), ("Portátil", True)]
    assert expired.get(TOKENS).status_code == 401


def test_a_token_id_is_neither_the_token_nor_its_key_nor_its_hash(rosa):
    client = APIClient()
    token = client.post("/api/v1/auth/login/", {"email": rosa.email, "password": PASSWORD}).json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")

    [row] = listed(client)

    stored = AuthToken.objects.get()
    assert row["id"] not in (token, stored.token_key, stored.digest)
    assert stored.token_key not in str(client.get(TOKENS).content)
    assert row["expiry"] == stored.expiry.astimezone(clock.LIMA).isoformat()


def test_the_list_is_paginated(rosa):
    phone = sign_in(rosa.email, device_name="Teléfono")
    for name in ("Portátil", "Tablet"):
        sign_in(rosa.email, device_name=name)

    first = phone.get(TOKENS, {"page_size": 2}).json()
    second = phone.get(first["next"]).json()

    assert [t["device_name"] for t in first["results"] + second["results"]] == ["Tablet", "Portátil", "Teléfono"]


def test_anonymous_callers_get_401(anon):
    assert_problem(anon.get(TOKENS), 401, "not_authenticated")
    assert_problem(anon.post(REFRESH), 401, "not_authenticated")


# --- Last used -----------------------------------------------------------------------------------------------
def _updates(queries: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if q["sql"].upper().startswith("UPDATE")]


def test_last_used_is_written_at_most_once_a_minute_per_token(rosa):
    phone = sign_in(rosa.email, device_name="Teléfono")
    device = TokenDevice.objects.get()
    issued = device.last_used_at
    assert issued == device.created_at  # the sign-in is its first use

    with CaptureQueriesContext(connection) as within_the_minute:
        for _ in range(3):
            assert phone.get("/api/v1/me/").status_code == 200
    later = clock.now() + LAST_USED_RESOLUTION + dt.timedelta(seconds=1)
    with mock.patch.object(clock, "now", return_value=later), CaptureQueriesContext(connection) as a_minute_on:
        assert phone.get("/api/v1/me/").status_code == 200
        assert phone.get("/api/v1/me/").status_code == 200

    assert _updates(within_the_minute) == []
    assert len(_updates(a_minute_on)) == 1
    device.refresh_from_db()
    assert device.last_used_at == later


def test_a_token_minted_without_a_device_row_gets_one_at_its_first_use(rosa):
    """A token issued by a server of the previous release during a deploy, or by hand in a shell."""
    _instance, token = AuthToken.objects.create(user=rosa)
    client = APIClient(HTTP_AUTHORIZATION=f"Token {token}", HTTP_USER_AGENT=ANDROID_CHROME)

    [row] = listed(client)

    assert (row["device_name"], row["current"]) == ("Chrome (Android)", True)
    assert TokenDevice.objects.count() == 1
    assert len(listed(client)) == 1


def test_the_migration_gives_every_earlier_token_a_row(rosa):
    migration = importlib.import_module("accounts.migrations.0004_tokendevice")
    older = [AuthToken.objects.create(user=rosa)[0] for _ in range(2)]

    migration.give_existing_tokens_a_row(apps, None)
    migration.give_existing_tokens_a_row(apps, None)  # again: nothing more

    rows = TokenDevice.objects.order_by("created_at")
    assert [(row.token_id, row.created_at, row.device_name) for row in rows] == [
        (token.digest, token.created, "") for token in older
    ]


# --- Revoking ------------------------------------------------------------------------------------------------
def test_revoking_another_device_signs_it_out_and_is_audited_with_its_name(rosa):
    laptop = sign_in(rosa.email, device_name="Portátil")
    phone = sign_in(rosa.email, device_name="Teléfono perdido")
    lost = next(t for t in listed(laptop) if t["device_name"] == "Teléfono perdido")

    response = laptop.delete(f"{TOKENS}{lost['id']}/")

    assert response.status_code == 204
    assert phone.get("/api/v1/me/").status_code == 401
    assert laptop.get("/api/v1/me/").status_code == 200
    assert [t["device_name"] for t in listed(laptop)] == ["Portátil"]
    [event] = events("accounts.token.revoked")
    assert (event.actor_id, event.target_id) == (rosa.pk, str(rosa.pk))
    assert event.data == {"token_id": lost["id"], "device_name": "Teléfono perdido", "current": False}
    assert_problem(laptop.delete(f"{TOKENS}{lost['id']}/"), 404, "not_found")


def test_revoking_the_current_token_works_like_logout(rosa):
    phone = sign_in(rosa.email, device_name="Teléfono")
    [mine] = listed(phone)

    assert phone.delete(f"{TOKENS}{mine['id']}/").status_code == 204

    assert_problem(phone.get("/api/v1/me/"), 401, "authentication_failed")
    assert AuthToken.objects.count() == TokenDevice.objects.count() == 0
    [event] = events("accounts.token.revoked")
    assert event.data["current"] is True


def test_another_persons_token_is_404_even_for_staff(rosa, staff):
    phone = sign_in(rosa.email, device_name="Teléfono")
    [theirs] = listed(phone)
    intruder = sign_in(UserFactory(email="otra@example.test").email)

    for caller in (intruder, staff.client):
        assert_problem(caller.delete(f"{TOKENS}{theirs['id']}/"), 404, "not_found")

    assert phone.get("/api/v1/me/").status_code == 200
    assert events("accounts.token.revoked") == []


# --- Refreshing ----------------------------------------------------------------------------------------------
def test_a_refresh_swaps_the_token_for_a_new_one_on_the_same_device(rosa):
    phone = sign_in(rosa.email, device_name="Teléfono de Rosa")
    [before] = listed(phone)
    AuthToken.objects.update(expiry=timezone.now() + dt.timedelta(minutes=5))  # about to expire
    old_header = phone._credentials["HTTP_AUTHORIZATION"]

    response = phone.post(REFRESH)

    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"token", "expiry", "user"}
    assert body["user"]["email"] == rosa.email
    assert dt.datetime.fromisoformat(body["expiry"]) > timezone.now() + dt.timedelta(hours=23)
    assert APIClient(HTTP_AUTHORIZATION=old_header).get("/api/v1/me/").status_code == 401
    phone.credentials(HTTP_AUTHORIZATION=f"Token {body['token']}")
    [after] = listed(phone)
    assert (after["device_name"], after["current"]) == ("Teléfono de Rosa", True)
    assert after["id"] != before["id"]
    assert AuthToken.objects.count() == 1
    [event] = events("accounts.token.refreshed")
    assert event.data == {"token_id": after["id"], "device_name": "Teléfono de Rosa", "replaces": before["id"]}
    assert body["token"] not in str(event.data)


def test_an_expired_token_cannot_be_refreshed(rosa):
    phone = sign_in(rosa.email)
    AuthToken.objects.update(expiry=timezone.now() - dt.timedelta(seconds=1))

    assert_problem(phone.post(REFRESH), 401, "authentication_failed")
    assert AuthToken.objects.count() == 0
    assert events("accounts.token.refreshed") == []


def test_a_refreshed_token_cannot_be_refreshed_again(rosa):
    phone = sign_in(rosa.email)
    old = APIClient(HTTP_AUTHORIZATION=phone._credentials["HTTP_AUTHORIZATION"])
    assert phone.post(REFRESH).status_code == 200

    assert_problem(old.post(REFRESH), 401, "authentication_failed")


def test_the_token_a_refresh_locked_is_gone_when_it_gets_it(rosa):
    """What the loser of two refreshes at once finds once the winner committed (the race itself runs on
    PostgreSQL in test_concurrency.py): its token authenticated, then was swapped before its lock was granted."""
    from accounts import services

    sign_in(rosa.email)
    token = AuthToken.objects.get()
    services.token_refresh(user=rosa, token=token)

    with pytest.raises(services.NotAuthenticated):
        services.token_refresh(user=rosa, token=token)


# --- Logout, as before ---------------------------------------------------------------------------------------
def test_logout_all_counts_tokens_not_rows(rosa):
    phone = sign_in(rosa.email, device_name="Teléfono")
    sign_in(rosa.email, device_name="Portátil")

    assert phone.post("/api/v1/auth/logout-all/").status_code == 204

    [event] = events("accounts.logout_all")
    assert event.data == {"tokens": 2}
    assert TokenDevice.objects.count() == 0


def test_logout_names_the_device(rosa):
    phone = sign_in(rosa.email, device_name="Teléfono")
    [mine] = listed(phone)

    assert phone.post("/api/v1/auth/logout/").status_code == 204

    [event] = events("accounts.logout")
    assert (event.data["token_id"], event.data["device_name"]) == (mine["id"], "Teléfono")
    assert TokenDevice.objects.count() == 0


def test_a_sign_in_beyond_the_limit_revokes_the_tokens_used_least_recently(rosa, settings):
    settings.REST_KNOX = {**settings.REST_KNOX, "TOKEN_LIMIT_PER_USER": 2}
    laptop = sign_in(rosa.email, device_name="Portátil")
    tablet = sign_in(rosa.email, device_name="Tablet")
    TokenDevice.objects.filter(device_name="Portátil").update(last_used_at=timezone.now() + dt.timedelta(minutes=5))
    [unused] = [row.pk for row in TokenDevice.objects.filter(device_name="Tablet")]

    phone = sign_in(rosa.email, device_name="Teléfono")

    assert [t["device_name"] for t in listed(phone)] == ["Teléfono", "Portátil"]
    assert laptop.get("/api/v1/me/").status_code == 200
    assert tablet.get("/api/v1/me/").status_code == 401
    last = events("accounts.login.succeeded")[-1]
    assert last.data["evicted"] == [str(unused)]
    assert "evicted" not in events("accounts.login.succeeded")[0].data
