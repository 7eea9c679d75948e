"""The kept answers of the public search (listings/search_cache.py): a repeated search is answered without
the search queries, and no committed change to the catalogue, by any path, is ever hidden behind a kept
answer. These tests commit for real (`transaction=True`): inside a test's transaction the cache stays off."""

from __future__ import annotations

import datetime as dt
import re
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
from compliance.standing import standings_refresh
from core import cache as kept_cache
from core import clock
from listings import search_cache
from listings.models import Listing, SearchEntry
from notifications.models import Notification
from prices.models import ExchangeRate
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
    (counters,) = [q["sql"] for q in queries.captured_queries]  # the counters the key is made of, in one query
    assert search_cache.GENERATION_TABLE in counters
    assert search_cache.SCOPE_TABLE in counters
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


def _sold_through_a_contract(listing: dict[str, Any]) -> None:  # the service signing a contract calls
    from core.actor import Actor
    from listings.services import listing_reserve

    row = Listing.objects.get(pk=listing["id"])
    actor = Actor(user=row.created_by, organization_id=row.producer_id, organization_kind="producer", role="admin")
    with transaction.atomic():
        listing_reserve(actor=actor, listing=row, grams=row.available_grams)


def _queryset_update_then_refresh(listing: dict[str, Any]) -> None:  # outside the services: the documented remedy
    Listing.objects.filter(pk=listing["id"]).update(available_grams=1)
    call_command("refresh_search_index")


def _raw_sql_then_refresh(listing: dict[str, Any]) -> None:
    key = Listing._meta.pk.get_db_prep_value(uuid.UUID(listing["id"]), connection)  # no dashes on SQLite
    with connection.cursor() as cursor:
        cursor.execute("UPDATE listings_listing SET title_es = %s WHERE id = %s", ["Lote renombrado", key])
        assert cursor.rowcount == 1
    call_command("refresh_search_index")


def _producer_moved_then_refresh(listing: dict[str, Any]) -> None:  # another district: the rows' own column
    Producer.objects.filter(pk=listing["producer"]).update(district="inambari")
    call_command("refresh_search_index")


@pytest.mark.parametrize(
    "change",
    [
        _pause,
        _suspend_producer,
        _revoke_evidence,
        _sold_through_a_contract,
        _queryset_update_then_refresh,
        _raw_sql_then_refresh,
        _producer_moved_then_refresh,
    ],
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


def _source_edited_then_failed() -> None:
    with transaction.atomic():
        ExchangeRate.objects.update(source="Never seen")
        raise RuntimeError


def test_the_generation_goes_up_after_a_commit_and_not_for_a_rollback(live_offer):
    before = search_cache.generation()
    with transaction.atomic():
        ExchangeRate.objects.update(source="SBS, edited")
        ExchangeRate.objects.update(source="SBS, edited again")
        assert search_cache.generation() == before  # nothing before the commit
    assert search_cache.generation() == before + 1  # one step for the transaction

    with pytest.raises(RuntimeError):
        _source_edited_then_failed()
    assert search_cache.generation() == before + 1

    with transaction.atomic():
        with pytest.raises(RuntimeError):
            _source_edited_then_failed()  # a savepoint rolled back
        Notification.objects.all().delete()  # a table search does not read
    assert search_cache.generation() == before + 1

    ExchangeRate.objects.update(source="SBS, in autocommit")
    assert search_cache.generation() == before + 2


def test_the_district_counters_go_up_after_a_commit_that_changed_what_an_answer_shows(live_offer):
    district = search_cache.district_scope(Producer.objects.get(pk=live_offer["producer"]).district)
    elsewhere = search_cache.district_scope("tambopata" if "tambopata" not in district else "laberinto")
    _generation, before = search_cache.counters([district, elsewhere])

    with transaction.atomic():
        _pause(live_offer)
        assert search_cache.counters([district])[1][district] == before[district]  # nothing before the commit
    _generation, after = search_cache.counters([district, elsewhere])

    assert after == {district: before[district] + 1, elsewhere: before[elsewhere]}


def test_inside_a_transaction_the_cache_is_not_used(live_offer):
    anon = APIClient()
    with transaction.atomic():
        anon.get(SEARCH)
        with CaptureQueriesContext(connection) as queries:
            anon.get(SEARCH)
    assert len(queries.captured_queries) > 1


def test_a_cache_backend_that_fails_leaves_search_answering_from_the_database(live_offer, settings):
    broken = mock.Mock(side_effect=ConnectionError("redis is down"))
    with mock.patch.object(kept_cache.cache, "get", broken), mock.patch.object(kept_cache.cache, "set", broken):
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
    assert search_cache.watched("prices_metalprice")
    assert search_cache.watched("prices_exchangerate")
    for unread in (
        "listings_listing",  # what an answer shows of it is the read model's card
        "accounts_organization",
        search_cache.GENERATION_TABLE,
        search_cache.SCOPE_TABLE,
        "listings_searchentry",  # its writes raise the scopes' counters, when an answer shows them
        "compliance_organizationstanding",
        "compliance_evidence",
        "listings_sourcingrequest",
        "listings_matchnotified",
        "notifications_notification",
        "audit_auditevent",
    ):
        assert not search_cache.watched(unread), unread


_READ = re.compile(r'\b(?:FROM|JOIN)\s+"?(\w+)"?', re.IGNORECASE)


@pytest.mark.parametrize("url", [SEARCH, FACETS, "/api/v1/listings/?ordering=indicative_price", FACETS + "&form=dore"])
def test_an_answer_reads_only_the_read_model_and_the_watched_tables(live_offer, settings, url):
    """Invalidation by what an answer read: every table a search or facets answer reads is watched, or is the
    read model (whose writes raise the counters of the districts they touch)."""
    settings.SEARCH_CACHE_SECONDS = 0
    with CaptureQueriesContext(connection) as queries:
        assert APIClient().get(url).status_code == 200
    read = {table.lower() for query in queries.captured_queries for table in _READ.findall(query["sql"])}

    assert "listings_searchentry" in read
    counters = {search_cache.GENERATION_TABLE, search_cache.SCOPE_TABLE}  # what keys the kept answers and figures
    assert read - search_cache.WATCHED_TABLES - counters <= {"listings_searchentry"}


def _kept(url: str) -> bool:
    """Whether the answer to `url` is the kept one: one query, for the counters."""
    with CaptureQueriesContext(connection) as queries:
        assert APIClient().get(url).status_code == 200
    return len(queries.captured_queries) == 1


def test_writes_an_answer_does_not_read_keep_every_answer(live_offer):
    """A buyer's sourcing request (and the match notice it may send), an inquiry and its message, an evidence
    item uploaded: none of it is in a search answer, and every kept answer stays."""
    from tests.listings.test_sourcing import make_request

    anon = APIClient()
    anon.get(SEARCH), anon.get(FACETS)
    assert _kept(SEARCH)
    assert _kept(FACETS)
    buyer = login("buyer@demo.test")
    make_request(buyer)
    asked = buyer.post(
        "/api/v1/inquiries/",
        {"listing": live_offer["id"], "message": "¿Tienen análisis?", "grams": "100.000"},
        format="json",
    )
    assert asked.status_code == 201, asked.json()
    Notification.objects.all().delete()

    assert _kept(SEARCH)
    assert _kept(FACETS)


def test_a_change_in_one_district_keeps_the_answers_of_another(live_offer, settings):
    """The producer of the offer loses an approved item: its listing leaves the catalogue. A search for
    another district's gold keeps its answer; the searches that could hold the offer do not."""
    producer = Producer.objects.get(pk=live_offer["producer"])
    elsewhere = next(d for d in ("tambopata", "laberinto", "inambari") if d != producer.district)
    other_district = f"{SEARCH}&district={elsewhere}"
    own_district = f"{SEARCH}&district={producer.district}"
    anon = APIClient()
    for url in (SEARCH, other_district, own_district):
        anon.get(url)
    assert _kept(SEARCH)
    assert _kept(other_district)
    assert _kept(own_district)

    _revoke_evidence(live_offer)

    assert _kept(other_district)
    assert not _kept(own_district)
    assert not _kept(SEARCH)
    assert live_offer["id"] not in ids(anon.get(SEARCH).json())
    assert anon.get(SEARCH).json() == fresh(SEARCH, settings)


def test_a_decision_that_changes_nothing_buyers_see_today_keeps_every_answer(live_offer):
    """Items that now run out in five days move the last day the listing is visible, not whether it is visible
    today: its search row is written (its later date) but no answer changes, and none is emptied."""
    anon = APIClient()
    anon.get(SEARCH)
    assert _kept(SEARCH)
    soon = clock.today_lima() + dt.timedelta(days=5)
    Evidence.objects.filter(organization_id=live_offer["producer"], status="approved").update(valid_until=soon)
    standings_refresh(organization_ids=[live_offer["producer"]])  # what a decision on its evidence does

    assert SearchEntry.objects.get(pk=live_offer["id"]).visible_until == soon
    assert _kept(SEARCH)
    with mock.patch.object(clock, "today_lima", return_value=soon + dt.timedelta(days=1)):
        assert live_offer["id"] not in ids(anon.get(SEARCH).json())  # the day after, with no job
