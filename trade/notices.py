"""The daily sweep that tells buyers when a listing they asked about stops being offered, and when it
comes back.

Visibility is computed at query time, so a lapse hides a listing at midnight in Lima without any write;
nothing happens at that moment that could notify anyone. This sweep, run daily from cron next to
`send_compliance_reminders` (`manage.py send_trade_notices`), compares each open inquiry's listing with
what buyers see today and tells the buyer once per change. It is safe to run as often as one likes, and
from two processes at once: each change is claimed with a compare-and-set on the inquiry before anybody
is notified.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from core import clock
from listings.models import Listing
from listings.visibility import visible_listings
from notifications.services import notify
from trade.models import Inquiry
from trade.services import _people_of


def _tell(inquiry: Inquiry, kind: str) -> None:
    listing = inquiry.listing
    assert listing is not None
    notify(
        recipients=_people_of(inquiry.buyer_id),
        kind=kind,
        params={"title": listing.title_en or listing.title_es, "producer": inquiry.producer.organization.legal_name},
        organization=inquiry.buyer,
        target=inquiry,
    )


def inquiries_notify_listing_changes(*, today: dt.date | None = None) -> int:
    """Tell the buyers of open inquiries whose listing stopped (or started again) being offered today.
    Returns how many buyers were told."""
    today = today or clock.today_lima()
    open_inquiries = Inquiry.objects.filter(state=Inquiry.State.OPEN, listing__isnull=False).select_related(
        "listing", "buyer", "producer__organization"
    )
    listing_ids = {inquiry.listing_id for inquiry in open_inquiries if inquiry.listing_id is not None}
    offered_today = visible_listings(Listing.objects.filter(pk__in=listing_ids), today)
    visible = set(offered_today.values_list("pk", flat=True))
    told = 0
    for inquiry in open_inquiries:
        offered = inquiry.listing_id in visible
        with transaction.atomic():
            if not offered and inquiry.listing_hidden_since is None:
                claimed = Inquiry.objects.filter(pk=inquiry.pk, listing_hidden_since__isnull=True).update(
                    listing_hidden_since=today
                )
                kind = "inquiry_listing_hidden"
            elif offered and inquiry.listing_hidden_since is not None:
                claimed = Inquiry.objects.filter(pk=inquiry.pk, listing_hidden_since__isnull=False).update(
                    listing_hidden_since=None
                )
                kind = "inquiry_listing_offered_again"
            else:
                continue
            if claimed:
                _tell(inquiry, kind)
                told += 1
    return told
