"""An open high-severity red flag hides the producer's offers from the public search at once, kept answers
included (listings/search_cache.py watches the diligence tables), and on PostgreSQL as on SQLite. These
tests commit for real (`transaction=True`): inside a test's transaction the search cache stays off."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from rest_framework.test import APIClient

from listings import search_cache
from producers.models import Producer
from tests.diligence.helpers import FLAGS, flag_body
from tests.listings import test_search_cache as cached
from tests.listings.test_listings import login
from tests.listings.test_search_cache import SEARCH, fresh, ids

pytestmark = pytest.mark.django_db(transaction=True)

# The demo seeded for this test (a transactional test seeds its own) and coop's offer published in it.
demo = cached.demo
live_offer = cached.live_offer


def _close(client: Any, flag: dict[str, Any]) -> dict[str, Any]:
    response = client.post(f"{FLAGS}{flag['id']}/close/", {"reason": "Visita de campo: fuera de la reserva."})
    assert response.status_code == 200, response.content[:800]
    return response.json()


def test_a_cached_search_stops_showing_a_flagged_offer_and_shows_it_again_once_closed(live_offer, settings):
    anon = APIClient()
    assert live_offer["id"] in ids(anon.get(SEARCH).json())
    assert live_offer["id"] in ids(anon.get(SEARCH).json())  # now answered from the cache
    district = search_cache.district_scope(Producer.objects.get(pk=live_offer["producer"]).district)
    before = search_cache.counters([district])

    flag = login("reviewer@demo.test").post(
        FLAGS, flag_body("producer", producer=live_offer["producer"]), format="json"
    )
    assert flag.status_code == 201, flag.content[:800]

    # The flag took the offer out of the read model: the kept answers that could hold its district are gone.
    assert search_cache.counters([district])[1][district] > before[1][district]
    hidden = anon.get(SEARCH).json()
    assert live_offer["id"] not in ids(hidden)
    assert hidden == fresh(SEARCH, settings)
    assert anon.get(f"/api/v1/listings/{live_offer['id']}/").status_code == 404
    # A first close is a proposal: still hidden; the network's admin confirms it as the second reviewer.
    assert _close(login("reviewer@demo.test"), flag.json())["status"] == "open"
    assert live_offer["id"] not in ids(anon.get(SEARCH).json())
    assert _close(login("network-admin@demo.test"), flag.json())["status"] == "closed"
    assert live_offer["id"] in ids(anon.get(SEARCH).json())


@pytest.mark.postgres
def test_on_postgresql_the_search_reads_the_flags_in_the_same_query(live_offer, settings):
    assert connection.vendor == "postgresql"
    settings.SEARCH_CACHE_SECONDS = 0
    anon = APIClient()
    reviewer = login("reviewer@demo.test")
    [site_id] = anon.get(f"/api/v1/listings/{live_offer['id']}/").json()["sites"]

    flag = reviewer.post(FLAGS, flag_body("site", site=site_id), format="json")
    assert flag.status_code == 201, flag.content[:800]
    assert live_offer["id"] not in ids(anon.get(SEARCH).json())
    low = reviewer.post(FLAGS, flag_body("producer", "low", producer=live_offer["producer"]), format="json")
    assert low.status_code == 201
    assert _close(reviewer, flag.json())["status"] == "open"
    assert _close(login("network-admin@demo.test"), flag.json())["status"] == "closed"
    assert live_offer["id"] in ids(anon.get(SEARCH).json())  # a low flag suspends nothing
