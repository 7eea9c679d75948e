"""Journey 8: gold you can trace to its pit, over HTTP end to end.

The cooperative's April declaration for Huepetuhe-2 says 2,100 g and a reviewer confirms it; the president
records lot L-0412 (480 g of doré, the first half of April, shaking table and borax, seal 004417) with the
regional laboratory's fire assay and offers it on its own: the spot listing takes its grams, fineness and
site from the lot. A second lot of 1,900 g from the same site-month is refused with the figures. Huepetuhe-3's
concession has lapsed: its lot is recorded (the gold exists) but cannot be offered, while another lot of
Huepetuhe-2 is. A refiner signs for L-0412 by name; the lot is sealed, handed to the carrier and received at
the refinery at 479.2 g, recorded by the refiner; both sides read the same custody trail. The day Huepetuhe-2's
title lapses, its other lot's listing leaves search in the same request. "Today" moves by patching the clock.
"""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest

from core import clock
from tests.compliance.helpers import ok
from tests.listings.test_site_gate import A_TITLE_DAYS, two_sites  # noqa: F401  (fixture)
from tests.problems import assert_problem
from tests.provenance.helpers import (
    LOTS,
    custody,
    declare,
    declare_row,
    fire_assay_of_l0412,
    last_month,
    lot_body,
    record_lot,
    spot_body,
    ym,
)
from tests.trade.helpers import CONTRACTS, INQUIRIES, terms, verify_kyc

pytestmark = pytest.mark.django_db
LISTINGS = "/api/v1/listings/"


def searched(client) -> set[str]:
    return {row["id"] for row in ok(client.get(LISTINGS))["results"]}


def test_gold_you_can_trace_to_its_pit(two_sites, producer_admin, reviewer, buyer, anon):  # noqa: F811
    producer, huepetuhe_2, huepetuhe_3 = two_sites
    april = last_month()

    # The April declaration for Huepetuhe-2: 2,100 g, confirmed by a reviewer.
    declared = declare(producer_admin, reviewer, huepetuhe_2, {ym(april): "2100.000"})
    assert declared["production"][0]["confirmed_grams"] == "2100.000"
    declare_row(huepetuhe_3, april, "800.000")

    # Lot L-0412 with its fire assay.
    body = lot_body(huepetuhe_2, "480.000", seal_number="004417", place="Planta Huepetuhe")
    lot = ok(record_lot(producer_admin, body), 201)
    assay = fire_assay_of_l0412(april)
    assayed = ok(producer_admin.post(f"{LOTS}{lot['id']}/assays/", assay, format="multipart"), 201)

    # She offers the lot: the listing's figures are the lot's.
    listing = ok(producer_admin.post(LISTINGS, spot_body(lot["id"], title_es="Lote L-0412"), format="json"), 201)
    assert (listing["kind"], listing["quantity_grams"], listing["fineness"], listing["fineness_basis"]) == (
        "spot",
        "480.000",
        "921.4",
        "lab_assay",
    )
    assert (listing["form"], listing["sites"], listing["min_order_grams"]) == ("dore", [str(huepetuhe_2.pk)], "480.000")
    assert [(row["code"], row["fire_assayed"]) for row in listing["lots"]] == [("L-0412", True)]
    assert ok(producer_admin.post(f"{LISTINGS}{listing['id']}/publish/"))["status"] == "published"
    assert listing["id"] in searched(anon)
    # The lot is in one live listing at most.
    again = producer_admin.post(LISTINGS, spot_body(lot["id"]), format="json")
    assert assert_problem(again, 409, "lot_already_listed")["lot_code"] == "L-0412"

    # A second lot of 1,900 g from the same site-month: 2,100 declared, 480 used, 1,620 left.
    refused = assert_problem(
        record_lot(producer_admin, lot_body(huepetuhe_2, "1900.000", code="L-0413")), 409, "mass_balance_exceeded"
    )
    assert (refused["declared_grams"], refused["used_grams"], refused["left_grams"]) == (
        "2100.000",
        "480.000",
        "1620.000",
    )

    # Huepetuhe-3's concession has lapsed: its lot cannot be offered; another lot of Huepetuhe-2 can.
    lapsed_lot = ok(record_lot(producer_admin, lot_body(huepetuhe_3, "300.000", code="L-0420")), 201)
    lapsed = ok(producer_admin.post(LISTINGS, spot_body(lapsed_lot["id"]), format="json"), 201)
    missing = assert_problem(producer_admin.post(f"{LISTINGS}{lapsed['id']}/publish/"), 409, "publication_refused")
    assert [(item["code"], item["site"]) for item in missing["missing"]] == [("MINING_RIGHT", str(huepetuhe_3.pk))]
    healthy_lot = ok(record_lot(producer_admin, lot_body(huepetuhe_2, "500.000", code="L-0414")), 201)
    healthy = ok(producer_admin.post(LISTINGS, spot_body(healthy_lot["id"]), format="json"), 201)
    assert ok(producer_admin.post(f"{LISTINGS}{healthy['id']}/publish/"))["status"] == "published"

    # A refiner asks and signs for L-0412 by name: 480 g at 921.4 ‰.
    verify_kyc(buyer.organization)
    inquiry = ok(
        buyer.post(INQUIRIES, {"listing": listing["id"], "grams": "480.000", "message": "¿L-0412?"}, format="json"),
        201,
    )
    sale = terms(huepetuhe_2, quantity_grams="480.000", fineness="921.4", lots=[lot["id"]])
    contract = ok(buyer.post(CONTRACTS, {"inquiry": inquiry["id"], **sale}, format="json"), 201)
    assert contract["latest_version"]["lots"] == [lot["id"]]
    # The terms keep what the offer rested on: Huepetuhe-2's evidence, and the lot's assay certificate by hash.
    snapshot = contract["versions"][0]["compliance_snapshot"]
    assert [site["site"] for site in snapshot["sites"]] == [str(huepetuhe_2.pk)]
    assert all(requirement["evidence"] for requirement in snapshot["sites"][0]["requirements"])
    assert snapshot["lots"] == [
        {
            "id": lot["id"],
            "code": "L-0412",
            "assays": [{"position": 1, "method": "fire_assay", "sha256": assayed["assays"][0]["sha256"]}],
        }
    ]
    signed = ok(producer_admin.post(f"{CONTRACTS}{contract['id']}/accept/", {"version": 1}, format="json"))
    assert signed["state"] == "signed"
    sold = ok(producer_admin.get(f"{LISTINGS}{listing['id']}/"))
    assert (sold["available_grams"], sold["status"], sold["close_reason"]) == ("0.000", "closed", "sold_out")
    assert listing["id"] not in searched(anon)

    # Sealed at the plant, handed to the carrier; the refinery records its receipt at 479.2 g.
    ok(custody(producer_admin, lot["id"], "sealed", seal_number="004417", place="Planta"), 201)
    ok(custody(producer_admin, lot["id"], "handed_to_carrier", place="Puerto Maldonado"), 201)
    receipt = {"weight_grams": "479.200", "place": "Refinería, Lima"}
    refused_receipt = custody(producer_admin, lot["id"], "received_by_buyer", **receipt)
    assert_problem(refused_receipt, 403, "receipt_by_buyer")
    ok(custody(buyer, lot["id"], "received_by_buyer", **receipt), 201)

    # Both sides read the same trail through the contract.
    trails = [ok(side.get(f"{CONTRACTS}{contract['id']}/lots/")) for side in (producer_admin, buyer)]
    assert trails[0] == trails[1]
    [delivered] = trails[0]
    assert (delivered["code"], delivered["fineness"], delivered["assays"][0]["certificate_number"]) == (
        "L-0412",
        "921.4",
        "LRMD-2026-0412",
    )
    assert [(e["kind"], e["weight_grams"]) for e in delivered["custody"]] == [
        ("recorded", "480.000"),
        ("sealed", None),
        ("handed_to_carrier", None),
        ("received_by_buyer", "479.200"),
    ]
    assert delivered["custody"][-1]["organization"] == str(buyer.organization.pk)
    assert ok(producer_admin.post(f"{CONTRACTS}{contract['id']}/mark-delivered/"))["state"] == "delivered"
    assert ok(buyer.post(f"{CONTRACTS}{contract['id']}/complete/"))["state"] == "completed"

    # The sold lot keeps counting in the balance; it cannot be offered again.
    balance = ok(producer_admin.get(f"/api/v1/producers/{producer.pk}/mass-balance/?site={huepetuhe_2.pk}"))
    [row] = [row for row in balance["rows"] if row["month"] == ym(april)]
    assert (row["used_grams"], row["left_grams"]) == ("980.000", "1120.000")
    assert_problem(producer_admin.post(LISTINGS, spot_body(lot["id"]), format="json"), 409, "lot_already_listed")

    # The day Huepetuhe-2's title lapses, the other lot's listing leaves search in the same request.
    assert healthy["id"] in searched(anon)
    with mock.patch.object(clock, "today_lima", return_value=clock.today_lima() + dt.timedelta(days=A_TITLE_DAYS + 1)):
        assert healthy["id"] not in searched(anon)
