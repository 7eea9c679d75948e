"""The daily sweep tells a buyer with an open inquiry once when the listing stops being offered, and once
when it is offered again; closed inquiries and other buyers hear nothing."""

from __future__ import annotations

import pytest

from notifications.models import Notification
from tests.trade.helpers import INQUIRIES, ask, ok
from trade.models import Inquiry
from trade.notices import inquiries_notify_listing_changes

pytestmark = pytest.mark.django_db


def told(actor, kind: str) -> int:
    return Notification.objects.filter(kind=kind, recipient=actor.user).count()


def test_a_paused_listing_is_told_once_and_its_return_once(trade, buyer, producer_admin, other_buyer):
    open_one = ask(buyer, trade.listing)
    closed_one = ask(other_buyer, trade.listing)
    ok(other_buyer.post(f"{INQUIRIES}{closed_one['id']}/close/"))
    assert inquiries_notify_listing_changes() == 0

    ok(producer_admin.post(f"/api/v1/listings/{trade.listing.pk}/pause/"))
    assert inquiries_notify_listing_changes() == 1
    assert inquiries_notify_listing_changes() == 0  # told already
    assert told(buyer, "inquiry_listing_hidden") == 1
    assert told(other_buyer, "inquiry_listing_hidden") == 0
    assert Inquiry.objects.get(pk=open_one["id"]).listing_hidden_since is not None

    ok(producer_admin.post(f"/api/v1/listings/{trade.listing.pk}/resume/"))
    assert inquiries_notify_listing_changes() == 1
    assert inquiries_notify_listing_changes() == 0
    assert told(buyer, "inquiry_listing_offered_again") == 1
    assert Inquiry.objects.get(pk=open_one["id"]).listing_hidden_since is None
