"""Cursor pagination: bounded page sizes, signed cursors that cannot be forged."""

from __future__ import annotations

import base64

import pytest

from notifications.models import Notification

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.core.urls_with_failures")]


@pytest.fixture
def notifications(buyer):
    return [
        Notification.objects.create(recipient=buyer.user, kind="welcome", params={"organization": str(i)})
        for i in range(5)
    ]


def test_cursor_pages_walk_every_row_once(anon, notifications):
    seen, url = [], "/test/paged/?page_size=2"
    while url:
        body = anon.get(url).json()
        seen.extend(body["results"])
        url = body["next"]

    assert sorted(seen) == sorted(str(n.pk) for n in notifications)
    assert len(seen) == len(set(seen))


@pytest.mark.parametrize("size", ["0", "101", "-1", "ten", "1e3"])
def test_a_page_size_outside_the_bound_is_refused(anon, notifications, size):
    response = anon.get(f"/test/paged/?page_size={size}")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_page_size"


def test_a_tampered_cursor_is_refused(anon, notifications):
    next_url = anon.get("/test/paged/?page_size=2").json()["next"]
    cursor = next_url.split("cursor=")[1].split("&")[0]
    forged_drf_style = base64.b64encode(b"p=2020-01-01&o=0").decode()

    for bad in (cursor[:-2] + "xx", forged_drf_style, "%%%"):
        response = anon.get(f"/test/paged/?cursor={bad}")
        assert response.status_code == 400
        assert response.json()["code"] == "invalid_cursor"
