"""The listing serializer's fast loop renders exactly what DRF's generic loop renders."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework import serializers

from listings.api.serializers import ListingSearchSerializer, ListingSerializer, OfferedLotSerializer, offered_lot
from listings.models import Listing, ListingPhoto
from listings.selectors import _with_relations, current_market

pytestmark = pytest.mark.django_db


def test_every_demo_listing_renders_as_drf_would():
    call_command("seed_demo", verbosity=0)
    first = Listing.objects.order_by("created_at").first()
    ListingPhoto.objects.create(listing=first, position=1, file="x.jpg", width=4, height=3, size=10)
    Listing.objects.filter(pk=first.pk).update(published_at=timezone.now(), lbma_adjustment_bp=-250)
    listings = list(_with_relations(Listing.objects.all()))
    statuses = {listing.status for listing in listings}
    assert {"draft", "published", "paused", "closed"} <= statuses

    fast = ListingSerializer(listings, many=True).data
    generic = [serializers.ModelSerializer.to_representation(ListingSerializer(), item) for item in listings]

    assert fast == generic
    assert any(row["photos"] for row in fast)
    assert any(row["published_at"] for row in fast)
    assert any(row["lbma_adjustment_percent"] for row in fast)
    # A spot listing's lots: the hand-built summary is what the declared serializer gives.
    rows = [row for listing in listings for row in listing.listing_lots.all()]
    assert rows, "the demo offers lot L-0412 in a spot listing"
    assert [offered_lot(row) for row in rows] == [dict(OfferedLotSerializer(row).data) for row in rows]


def test_the_search_s_rows_render_as_drf_would_with_their_indicative_price():
    call_command("seed_demo", verbosity=0)  # with the demo's sample fixes and rates
    listings = list(_with_relations(Listing.objects.all()))
    context = {"market": current_market()}

    fast = ListingSearchSerializer(listings, many=True, context=context).data
    generic = [
        serializers.ModelSerializer.to_representation(ListingSearchSerializer(context=context), item)
        for item in listings
    ]

    assert fast == generic
    assert any(row["indicative_price"] and row["indicative_price"]["fix"] for row in fast)
