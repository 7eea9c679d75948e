"""A signed contract's shipments as both parties, reviewers and staff read them: each one's terms from the signed
version, its records and its statements."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.problems import assert_problem
from tests.settlement.helpers import (
    assay,
    issue_statement,
    shipments_url,
    weigh,
    with_shipments,
    with_terms,
)
from tests.trade.deposit_helpers import FIXED_PRICE
from tests.trade.helpers import ask, ok, start

pytestmark = pytest.mark.django_db


def test_a_version_without_shipment_rows_delivers_once_as_its_terms_say(contract, buyer):
    version = contract.signed_version

    [shipment] = ok(buyer.get(shipments_url(contract)))

    assert shipment == {
        "number": 1,
        "quantity_grams": "300.000",
        "delivery_date": version.delivery_date.isoformat(),
        "incoterm": "FCA",
        "incoterm_place": "Puerto Maldonado",
        "lots": [],
        "weighings": [],
        "assays": [],
        "assay_difference": None,
        "splitting_limit": None,
        "umpire_laboratory": None,
        "umpire_needed": False,
        "statements": [],
    }
    assert ok(buyer.get(shipments_url(contract, 1))) == shipment
    assert_problem(buyer.get(shipments_url(contract, 2)), 404, "shipment_not_found")


def test_the_signed_versions_shipments_with_their_records_and_statements(contract, buyer, producer_admin):
    with_terms(contract, splitting_limit="0.5")
    with_shipments(contract, "100.000", "200.000")
    weigh(producer_admin, contract, "200.150", n=2)
    weigh(buyer, contract, "200.020", n=2)
    assay(buyer, contract, "buyer", "917.9", n=2)
    assay(producer_admin, contract, "seller", "921.4", n=2)
    provisional = issue_statement(contract, shipment=2, kind="provisional", amount_due=1, net_value=1)

    first, second = ok(producer_admin.get(shipments_url(contract)))

    assert (first["number"], first["quantity_grams"], first["weighings"], first["statements"]) == (1, "100.000", [], [])
    assert second["quantity_grams"] == "200.000"
    assert [(w["party"], w["gross_grams"]) for w in second["weighings"]] == [
        ("seller", "200.150"),
        ("buyer", "200.020"),
    ]
    assert [a["party"] for a in second["assays"]] == ["seller", "buyer"]
    assert (second["assay_difference"], second["splitting_limit"], second["umpire_needed"]) == ("3.5", "0.5", True)
    assert second["umpire_laboratory"] == "Alex Stewart International, Lima"
    assert second["statements"] == [
        {"id": str(provisional.pk), "kind": "provisional", "issued_at": second["statements"][0]["issued_at"]}
    ]
    assert ok(producer_admin.get(shipments_url(contract, 2))) == second


def test_an_unsigned_contract_has_no_shipments_yet(trade, buyer, producer_admin):
    proposed = start(producer_admin, ask(buyer, trade.listing), trade.site, **FIXED_PRICE)

    assert ok(buyer.get(shipments_url(proposed))) == []
    assert_problem(buyer.get(shipments_url(proposed, 1)), 404, "shipment_not_found")


def test_both_parties_people_reviewers_and_staff_read_and_nobody_else(
    contract, buyer, buyer_member, producer_admin, producer_member, reviewer, staff, other_buyer, other_producer, anon
):
    for reader in (buyer, buyer_member, producer_admin, producer_member, reviewer, staff):
        assert len(ok(reader.get(shipments_url(contract)))) == 1
        assert ok(reader.get(shipments_url(contract, 1)))["number"] == 1
    for intruder in (other_buyer, other_producer):
        assert_problem(intruder.get(shipments_url(contract)), 404, "not_found")
        assert_problem(intruder.get(shipments_url(contract, 1)), 404, "not_found")
    assert_problem(anon.get(shipments_url(contract)), 401, "not_authenticated")


def test_the_list_runs_the_same_queries_for_2_and_8_shipments(contract, buyer, producer_admin):
    with_terms(contract)
    with_shipments(contract, *["37.500"] * 8)

    def measure() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            listed = ok(buyer.get(shipments_url(contract)))
        return len(queries.captured_queries), sum(len(s["weighings"]) + len(s["assays"]) for s in listed)

    for n in (1, 2):
        weigh(producer_admin, contract, "37.600", n=n)
        assay(producer_admin, contract, "seller", n=n)
    few = measure()
    for n in range(3, 9):
        weigh(producer_admin, contract, "37.600", n=n)
        weigh(buyer, contract, "37.550", n=n)
        assay(buyer, contract, "buyer", n=n)
        issue_statement(contract, shipment=n, kind="provisional", amount_due=1, net_value=1)
    more = measure()

    assert (few[1], more[1]) == (4, 22)
    assert more[0] == few[0]
