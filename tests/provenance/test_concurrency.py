"""Recording lots at once, on PostgreSQL with real threads: two producers, eight threads, twenty rounds, each
thread recording a lot against its producer's site-month. The grams recorded never exceed the grams declared,
as many lots as fit are recorded, and every refusal is 409 `mass_balance_exceeded`."""

from __future__ import annotations

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from provenance.models import LotSource
from tests.concurrency import postgres_only, run_at_once
from tests.conftest import make_client
from tests.factories import MembershipFactory, OrganizationFactory
from tests.provenance.helpers import LOTS, approved_site, declare_row, last_month, lot_body
from tests.trade.deposit_helpers import reseed_catalogue

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True)]

THREADS = 8  # four per producer
ROUNDS = 20
DECLARED = Decimal("1000.000")
EACH = "300.000"  # three lots fit, the fourth does not


@pytest.fixture
def catalogue():
    """Transactional tests empty every table when they end, the catalogue that migrations seeded included."""
    reseed_catalogue()


def own_client(actor):
    client = APIClient()
    client.credentials(**actor.client._credentials)
    return client


def test_two_producers_recording_lots_at_once_never_exceed_their_declarations(catalogue):
    presidents = [
        make_client(m.user, m.organization)
        for m in (MembershipFactory(organization=OrganizationFactory(), role="admin") for _ in range(2))
    ]
    for round_number in range(ROUNDS):
        sites = [
            approved_site(p.organization, name=f"Playa {round_number}", code=f"0{round_number:08d}") for p in presidents
        ]
        for site in sites:
            declare_row(site, last_month(), str(DECLARED))
        clients = [own_client(presidents[i % 2]) for i in range(THREADS)]

        def record(i, sites=sites, clients=clients, round_number=round_number):
            body = lot_body(sites[i % 2], EACH, code=f"R{round_number}-{i}")
            return clients[i].post(LOTS, body, format="json")

        responses = run_at_once(THREADS, record)

        for response in responses:
            assert not isinstance(response, Exception), response
            if response.status_code != 201:
                assert (response.status_code, response.json()["code"]) == (409, "mass_balance_exceeded"), (
                    response.content
                )
        for site in sites:
            used = sum(source.grams for source in LotSource.objects.filter(site=site))
            assert used <= DECLARED
            assert used == Decimal(EACH) * 3  # as many as fit: the refusals were not spurious
