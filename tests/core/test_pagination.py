"""Cursor pagination: bounded page sizes, signed cursors that cannot be forged."""

from __future__ import annotations

import base64
import time
from unittest import mock

import pytest
from django.core import signing

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


def test_a_cursor_is_the_same_string_from_one_second_to_the_next(anon, notifications):
    """A page's body, and so its ETag, changes only when the page does (core/pagination.py)."""
    first = anon.get("/test/paged/?page_size=2")
    with mock.patch("time.time", return_value=time.time() + 3600):
        later = anon.get("/test/paged/?page_size=2")

    assert first.json()["next"] == later.json()["next"]
    assert first["ETag"] == later["ETag"]


def test_a_cursor_signed_with_a_timestamp_as_before_is_still_read(anon, notifications):
    walked = anon.get("/test/paged/?page_size=2").json()
    old_style = signing.dumps({"o": 2}, salt="core.pagination.cursor", compress=True)  # how cursors were signed
    assert old_style.count(":") == 2

    response = anon.get("/test/paged/", {"page_size": 2, "cursor": old_style})

    assert response.status_code == 200
    assert response.json()["results"][0] not in walked["results"]
