"""Listings' jobs: the search read model's daily look and nightly check (settings.CELERY_BEAT_SCHEDULE), and
telling buyers of the listings that match their sourcing requests, after the listing's change commits."""

from __future__ import annotations

from django.db import transaction

from jobs.registry import job
from listings import search_index
from listings.models import Listing, Status
from listings.sourcing import notify_matching_requests


class SearchIndexDiffers(Exception):
    """The nightly check found rows of the read model that differ from the gate: the job fails, so staff see it."""


@job("listings.refresh_search_index_due", max_attempts=5)
def refresh_search_index_due() -> None:
    search_index.refresh_due()


@job("listings.check_search_index", max_attempts=2)
def check_search_index() -> None:
    differences = search_index.check()
    if differences:
        raise SearchIndexDiffers(f"{len(differences)} differences; first: {differences[0]}")


@job("listings.match_notices")
def match_notices(*, listing: str) -> None:
    """Tell the buyers whose open requests the listing matches, if it is still offered now (each pair once:
    MatchNotified, so a repeated attempt tells nobody twice)."""
    with transaction.atomic():
        row = Listing.objects.select_related("producer__organization").filter(pk=listing).first()
        if row is not None and row.status == Status.PUBLISHED:
            notify_matching_requests(row)
