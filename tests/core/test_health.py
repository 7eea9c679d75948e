from __future__ import annotations

import pytest
from django.test import override_settings

from tests.problems import assert_problem

pytestmark = pytest.mark.django_db

UNREACHABLE_REDIS = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
    }
}


def test_healthz_answers_without_touching_anything(anon, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = anon.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_checks_the_database_and_the_cache(anon):
    response = anon.get("/readyz")

    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "cache": "ok"}


def test_readyz_is_503_when_the_cache_is_unreachable(anon):
    with override_settings(CACHES=UNREACHABLE_REDIS):
        response = anon.get("/readyz")

    assert assert_problem(response, 503, "not_ready")["checks"] == {"database": "ok", "cache": "unavailable"}


def test_throttles_let_requests_through_when_the_cache_is_down(buyer, caplog):
    with override_settings(CACHES=UNREACHABLE_REDIS):
        response = buyer.get("/api/v1/me/")

    assert response.status_code == 200
    assert "Throttle cache unavailable" in caplog.text
