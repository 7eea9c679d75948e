"""The kept answers of the public search (listings/search_cache.py): a repeated search is answered without
the search queries, and no committed change to the catalogue, by any path, is ever hidden behind a kept
answer. These tests commit for real (`transaction=True`): inside a test's transaction the cache stays off."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from typing import Any
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from compliance.models import Evidence
from core import clock
from listings import search_cache
from listings.models import Listing
from notifications.models import Notification
from producers.models import Producer
from tests.listings.test_listings import login, offer
from tests.trade.deposit_helpers import reseed_catalogue

pytestmark = pytest.mark.django_db(transaction=True)

SEARCH = "/api/v1/listings/?q=oro&page_size=50"
FACETS = "/api/v1/listings/facets/?q=oro"


@pytest.fixture
def demo() -> None:
    reseed_catalogue()  # a transactional test starts from a flushed database
    call_command("seed_demo")


@pytest.fixture
def live_offer(demo: None) -> dict[str, Any]:
    president = login("coop-admin@demo.test")
    listing = president.post("/api/v1/listings/", offer("Cooperativa Minera"), format="json").json()
    assert president.post(f"/api/v1/listings/{listing['id']}/publish/").status_code == 200
    return listing


def ids(body: dict[str, Any]) -> list[str]:
    return [row["id"] for row in body["results"]]


def fresh(url: str, settings: Any) -> Any:
    """The answer with the cache turned off: what the database says now."""
    settings.SEARCH_CACHE_SECONDS = 0
    try:
        return APIClient().get(url).json()
    finally:
        settings.SEARCH_CACHE_SECONDS = 60


def test_a_repeated_search_is_answered_without_the_search_queries(live_offer):
    anon = APIClient()
    first = anon.get(SEARCH)
    with CaptureQueriesContext(connection) as queries:
        again = anon.get(SEARCH)

    assert again.json() == first.json()
    assert live_offer["id"] in ids(again.json())
    assert [q["sql"] for q in queries.captured_queries] == [
        f"SELECT value FROM {search_cache.GENERATION_TABLE} WHERE id = 1"
    ]
    facets = anon.get(FACETS).json()
    with CaptureQueriesContext(connection) as queries:
        assert anon.get(FACETS).json() == facets
    assert facets["total"] == len(first.json()["results"])
    assert len(queries.captured_queries) == 1


def _pause(listing: dict[str, Any]) -> None:
    assert login("coop-admin@demo.test").post(f"/api/v1/listings/{listing['id']}/pause/").status_code == 200


def _suspend_producer(listing: dict[str, Any]) -> None:
    staff = login("staff@demo.test")
    response = staff.post(f"/api/v1/producers/{listing['producer']}/suspend/", {"reason": "Visita de campo"})
    assert response.status_code == 200, response.json()


def _revoke_evidence(listing: dict[str, Any]) -> None:
    item = Evidence.objects.filter(organization_id=listing["producer"], status="approved").first()
    response = login("reviewer@demo.test").post(
        f"/api/v1/evidence/{item.pk}/revoke/", {"reason": "El documento fue anulado"}
    )
    assert response.status_code == 200, response.json()


def _queryset_update(listing: dict[str, Any]) -> None:  # how signing a contract takes the grams
    Listing.objects.filter(pk=listing["id"]).update(available_grams=0)


def _raw_sql(listing: dict[str, Any]) -> None:
    key = Listing._meta.pk.get_db_prep_value(uuid.UUID(listing["id"]), connection)  # no dashes on SQLite
    with connection.cursor() as cursor:
        cursor.execute("UPDATE listings_listing SET title_es = %s WHERE id = %s", ["Lote renombrado", key])
        assert cursor.rowcount == 1


def _producer_renamed(listing: dict[str, Any]) -> None:  # another table read by the answer
    Producer.objects.filter(pk=listing["producer"]).update(district="Inambari")


@pytest.mark.parametrize(
    "change", [_pause, _suspend_producer, _revoke_evidence, _queryset_update, _raw_sql, _producer_renamed]
)
def test_no_committed_change_is_hidden_behind_a_kept_answer(live_offer, change, settings):
    anon = APIClient()
    kept, kept_facets = anon.get(SEARCH).json(), anon.get(FACETS).json()
    assert anon.get(SEARCH).json() == kept  # now answered from the cache

    change(live_offer)

    after, after_facets = anon.get(SEARCH).json(), anon.get(FACETS).json()
    assert after == fresh(SEARCH, settings)
    assert after_facets == fresh(FACETS, settings)
    assert (after, after_facets) != (kept, kept_facets)  # every change above shows in the answer


def test_a_lapse_hides_the_listing_the_same_day_with_kept_answers(live_offer):
    anon = APIClient()
    assert live_offer["id"] in ids(anon.get(SEARCH).json())
    later = clock.today_lima() + dt.timedelta(days=400)  # its validity window and evidence have run out
    with mock.patch.object(clock, "today_lima", return_value=later):
        assert live_offer["id"] not in ids(anon.get(SEARCH).json())


def _renamed_then_failed(listing_id: str) -> None:
    with transaction.atomic():
        Listing.objects.filter(pk=listing_id).update(title_en="Never seen")
        raise RuntimeError


def test_the_generation_goes_up_after_a_commit_and_not_for_a_rollback(live_offer):
    before = search_cache.generation()
    with transaction.atomic():
        Listing.objects.filter(pk=live_offer["id"]).update(title_en="Renamed lot")
        Listing.objects.filter(pk=live_offer["id"]).update(title_en="Renamed lot again")
        assert search_cache.generation() == before  # nothing before the commit
    assert search_cache.generation() == before + 1  # one step for the transaction

    with pytest.raises(RuntimeError):
        _renamed_then_failed(live_offer["id"])
    assert search_cache.generation() == before + 1

    with transaction.atomic():
        with pytest.raises(RuntimeError):
            _renamed_then_failed(live_offer["id"])  # a savepoint rolled back
        Notification.objects.all().delete()  # a table search does not read
    assert search_cache.generation() == before + 1

    Listing.objects.filter(pk=live_offer["id"]).update(title_en="Renamed in autocommit")
    assert search_cache.generation() == before + 2


def test_inside_a_transaction_the_cache_is_not_used(live_offer):
    anon = APIClient()
    with transaction.atomic():
        anon.get(SEARCH)
        with CaptureQueriesContext(connection) as queries:
            anon.get(SEARCH)
    assert len(queries.captured_queries) > 1


def test_a_cache_backend_that_fails_leaves_search_answering_from_the_database(live_offer, settings):
    broken = mock.Mock(side_effect=ConnectionError("redis is down"))
    with mock.patch.object(search_cache.cache, "get", broken), mock.patch.object(search_cache.cache, "set", broken):
        response = APIClient().get(SEARCH)
    assert response.status_code == 200
    assert response.json() == fresh(SEARCH, settings)


@pytest.mark.postgres(reason="threads against one SQLite file lock each other")
def test_readers_at_full_speed_never_keep_a_listing_paused_before_they_asked(demo, rates):
    """Writers pause listings one by one while four threads search without a pause, filling the cache.
    After each pause returns (committed), a search must not show that listing any more."""
    president = login("coop-admin@demo.test")
    listings = []
    for _ in range(6):
        small = offer("Cooperativa Minera", quantity_grams="20.000", min_order_grams="5.000")  # within its declaration
        listing = president.post("/api/v1/listings/", small, format="json").json()
        assert president.post(f"/api/v1/listings/{listing['id']}/publish/").json()["status"] == "published"
        listings.append(listing)
    stop = threading.Event()

    def read() -> None:
        client = APIClient()
        try:
            while not stop.is_set():
                assert client.get(SEARCH).status_code == 200
        finally:
            connections.close_all()

    readers = [threading.Thread(target=read) for _ in range(4)]
    # Anonymous clients count against both the anonymous and the user rates (DRF keys the latter by address).
    rates(anon="100000/s", user="100000/s")
    for reader in readers:
        reader.start()
    try:
        anon = APIClient()
        for listing in listings:
            assert listing["id"] in ids(anon.get(SEARCH).json())
            assert president.post(f"/api/v1/listings/{listing['id']}/pause/").status_code == 200
            assert listing["id"] not in ids(anon.get(SEARCH).json())
    finally:
        stop.set()
        for reader in readers:
            reader.join()


@pytest.mark.parametrize(
    ("sql", "table"),
    [
        ('INSERT INTO "listings_listing" ("id") VALUES (%s)', "listings_listing"),
        ('  update "producers_memberminer" SET "active" = false', "producers_memberminer"),
        ("DELETE FROM compliance_claimstanding WHERE id = 1", "compliance_claimstanding"),
        ('SELECT "id" FROM "listings_listing"', None),
        ("WITH x AS (SELECT 1) SELECT * FROM x", None),
    ],
)
def test_the_written_table_is_read_from_the_sql(sql, table):
    assert search_cache.written_table(sql) == table


def test_which_tables_are_watched():
    assert search_cache.watched("listings_listing")
    assert search_cache.watched("accounts_organization")
    assert search_cache.watched("compliance_organizationstanding")
    assert not search_cache.watched(search_cache.GENERATION_TABLE)
    assert not search_cache.watched("notifications_notification")
    assert not search_cache.watched("audit_auditevent")


def test_a_server_started_before_the_table_existed_starts_bumping_once_it_exists(monkeypatch):
    monkeypatch.setattr(search_cache, "_READY", {})
    with mock.patch.object(connection.introspection, "table_names", return_value=[]):
        assert not search_cache.ready()
        search_cache.bump()  # nothing to bump yet, and no error
    before = search_cache.generation()  # `migrate` has run: the table is there
    search_cache.bump()
    assert search_cache.generation() == before + 1
