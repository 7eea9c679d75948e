"""A lot offered or sold twice at once, on PostgreSQL with real threads: eight spot listings drafted at once
for one lot leave it in exactly one; four contracts naming one lot signed at once sell it exactly once, and
the reservations of the refused ones are rolled back."""

from __future__ import annotations

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from listings.models import Listing, ListingLot
from tests.compliance.helpers import ok
from tests.concurrency import postgres_only, run_at_once
from tests.provenance.helpers import declare_row, last_month, lot_body, record_lot, spot_body
from tests.trade.deposit_helpers import reseed_catalogue
from tests.trade.helpers import CONTRACTS, ask, start
from trade.models import Contract, ContractLot

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True)]

ROUNDS = 5


@pytest.fixture
def catalogue():
    """Transactional tests empty every table when they end, the catalogue that migrations seeded included."""
    reseed_catalogue()


def own_client(actor) -> APIClient:
    client = APIClient()
    client.credentials(**actor.client._credentials)
    return client


def test_one_lot_drafted_in_eight_listings_at_once_is_in_one(catalogue, trade, producer_admin):
    declare_row(trade.site, last_month(), "100000.000")
    for round_number in range(ROUNDS):
        lot = ok(record_lot(producer_admin, lot_body(trade.site, "100.000", code=f"R{round_number}")), 201)
        clients = [own_client(producer_admin) for _ in range(8)]

        def draft(i, clients=clients, lot=lot):
            return clients[i].post("/api/v1/listings/", spot_body(lot["id"]), format="json")

        answers = run_at_once(8, draft)

        assert not [a for a in answers if isinstance(a, Exception)], answers
        assert sorted(a.status_code for a in answers) == [201] + [409] * 7
        assert {a.json()["code"] for a in answers if a.status_code == 409} == {"lot_already_listed"}
        assert ListingLot.objects.filter(lot_id=lot["id"], live=True).count() == 1


def test_four_contracts_signing_one_lot_at_once_sell_it_once(catalogue, trade, producer_admin, buyer):
    declare_row(trade.site, last_month(), "100000.000")
    for round_number in range(ROUNDS):
        lot = ok(record_lot(producer_admin, lot_body(trade.site, "300.000", code=f"S{round_number}")), 201)
        listing = ok(producer_admin.post("/api/v1/listings/", spot_body(lot["id"]), format="json"), 201)
        ok(producer_admin.post(f"/api/v1/listings/{listing['id']}/publish/"))
        offered = Listing.objects.get(pk=listing["id"])
        contracts = [
            start(buyer, ask(buyer, offered, grams="75.000"), trade.site, quantity_grams="75.000", lots=[lot["id"]])
            for _ in range(4)
        ]
        clients = [own_client(producer_admin) for _ in range(4)]

        def sign(i, clients=clients, contracts=contracts):
            return clients[i].post(f"{CONTRACTS}{contracts[i]['id']}/accept/", {"version": 1}, format="json")

        answers = run_at_once(4, sign)

        assert not [a for a in answers if isinstance(a, Exception)], answers
        assert sorted(a.status_code for a in answers) == [200, 409, 409, 409]
        assert {a.json()["code"] for a in answers if a.status_code == 409} == {"lot_under_contract"}
        assert Contract.objects.filter(listing_id=listing["id"], state="signed").count() == 1
        assert ContractLot.objects.filter(lot_id=lot["id"], released=False).count() == 1
        offered.refresh_from_db()
        assert offered.available_grams == Decimal("225.000")  # one reservation kept, three rolled back
