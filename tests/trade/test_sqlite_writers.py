"""Concurrent writers on SQLite (the `make run` default), with real threads on a file database: waiting for
the one writer is not an outage. Two buyers accepting the last grams at once get 200 and 409
`quantity_unavailable`, never 503; a lock held past the timeout is a retryable 503 `database_busy`."""

from __future__ import annotations

import sqlite3
from decimal import Decimal

import pytest
from django.db import connection

from listings.models import Listing
from tests.concurrency import run_at_once, sqlite_only
from tests.factories import MembershipFactory, OrganizationFactory
from tests.trade.helpers import make_compliant_producer, make_listing
from tests.trade.test_concurrency import buyers_with_a_proposal, catalogue  # noqa: F401  (fixture)
from trade.models import Contract

pytestmark = [sqlite_only, pytest.mark.django_db(transaction=True)]

LEFT = Decimal("150")  # room for one contract of 100 g, not two


def two_buyers_for_the_last_grams():
    coop = OrganizationFactory()
    president = MembershipFactory(organization=coop, role="admin")
    producer, site = make_compliant_producer(coop)
    listing = make_listing(producer, site, grams="500")
    Listing.objects.filter(pk=listing.pk).update(available_grams=LEFT)
    contracts, clients = buyers_with_a_proposal(2, listing, producer, site, president)
    return listing, contracts, clients


def accept_url(contract) -> str:
    return f"/api/v1/contracts/{contract.pk}/accept/"


@pytest.mark.parametrize("attempt", range(10))
def test_two_buyers_accepting_the_last_grams_at_once_get_200_and_409_never_503(attempt, catalogue):  # noqa: F811
    listing, contracts, clients = two_buyers_for_the_last_grams()

    responses = run_at_once(2, lambda i: clients[i].post(accept_url(contracts[i]), {"version": 1}, format="json"))

    assert not [r for r in responses if isinstance(r, Exception)], responses
    assert sorted(r.status_code for r in responses) == [200, 409], [r.content[:300] for r in responses]
    [refused] = [r for r in responses if r.status_code == 409]
    assert refused.json()["code"] == "quantity_unavailable"
    assert Listing.objects.get(pk=listing.pk).available_grams == LEFT - Decimal("100")
    assert Contract.objects.filter(listing=listing, state="signed").count() == 1


def test_a_write_lock_held_past_the_timeout_is_a_retryable_database_busy(catalogue, monkeypatch):  # noqa: F811
    listing, contracts, clients = two_buyers_for_the_last_grams()
    other_writer = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)
    other_writer.execute("BEGIN IMMEDIATE")  # another process holds SQLite's one write lock...
    monkeypatch.setitem(connection.settings_dict["OPTIONS"], "timeout", 0.2)  # ...longer than we wait for it
    connection.close()
    try:
        response = clients[0].post(accept_url(contracts[0]), {"version": 1}, format="json")
    finally:
        other_writer.execute("ROLLBACK")
        other_writer.close()

    assert response.status_code == 503, response.content[:300]
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert (body["code"], body["retry_after"], response["Retry-After"]) == ("database_busy", 1, "1")
    assert Listing.objects.get(pk=listing.pk).available_grams == LEFT
    assert not Contract.objects.filter(state="signed").exists()
    # The retry, once the other writer is done, signs.
    assert clients[0].post(accept_url(contracts[0]), {"version": 1}, format="json").status_code == 200
