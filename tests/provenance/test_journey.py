"""The lot part of the journey, over HTTP: a production declaration confirmed by a reviewer, lot L-0412
recorded with its fire assay, a second lot refused by the mass balance with the figures, and the custody
trail down to the refinery's weight. Then the sequence 1 kg declared, 600 g, 400 g, 1 g more refused."""

from __future__ import annotations

from decimal import Decimal

import pytest

from audit.models import AuditEvent
from provenance.models import Lot
from tests.compliance.helpers import ok
from tests.conftest import make_client
from tests.problems import assert_problem
from tests.provenance.helpers import (
    LOTS,
    approved_site,
    custody,
    declare,
    declare_row,
    fire_assay_of_l0412,
    last_month,
    lot_body,
    record_lot,
    ym,
)

pytestmark = pytest.mark.django_db


def test_declaration_lot_assay_refusal_and_custody(producer_admin, reviewer, buyer) -> None:
    site = approved_site(producer_admin.organization)
    april = last_month()
    # The cooperative declares 2,100 g for the month; the reviewer approves, confirming the grams.
    item = declare(producer_admin, reviewer, site, {ym(april): "2100.000"})
    assert item["status"] == "approved"
    assert item["production"] == [{"month": ym(april), "declared_grams": "2100.000", "confirmed_grams": "2100.000"}]

    # The president records L-0412: 480 g of doré, 1-15 of the month, shaking table and borax, seal 004417.
    body = lot_body(site, "480.000", seal_number="004417", place="Planta Huepetuhe")
    lot = ok(record_lot(producer_admin, body, HTTP_IDEMPOTENCY_KEY="lot-L-0412"), 201)
    assert (lot["code"], lot["gross_grams"], lot["fine_grams"], lot["fineness"]) == (
        "L-0412",
        "480.000",
        "441.600",
        "920.0",
    )
    assert lot["sources"] == [
        {"site": str(site.pk), "site_name": "Huepetuhe-2", "month": ym(april), "grams": "480.000"}
    ]
    assert [event["kind"] for event in lot["custody"]] == ["recorded"]

    # The regional laboratory's fire assay: Au 921.4 ‰, Ag 61.2 ‰, with its certificate.
    assay = fire_assay_of_l0412(april)
    lot = ok(producer_admin.post(f"{LOTS}{lot['id']}/assays/", assay, format="multipart"), 201)
    assert (lot["fineness"], lot["fine_grams"]) == ("921.4", "442.272")
    download = producer_admin.get(lot["assays"][0]["download"])
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")

    # A second lot claiming 1,900 g from the same site and month is refused with the figures.
    events = AuditEvent.objects.count()
    refused = assert_problem(
        record_lot(producer_admin, lot_body(site, "1900.000", code="L-0413")), 409, "mass_balance_exceeded"
    )
    assert {key: refused[key] for key in ("site", "month", "declared_grams", "used_grams", "requested_grams")} == {
        "site": str(site.pk),
        "month": ym(april),
        "declared_grams": "2100.000",
        "used_grams": "480.000",
        "requested_grams": "1900.000",
    }
    assert refused["left_grams"] == "1620.000"
    assert "2100.000" in refused["detail"]
    assert "1620.000" in refused["detail"]
    assert (Lot.objects.count(), AuditEvent.objects.count()) == (1, events)
    in_spanish = make_client(producer_admin.user, producer_admin.organization, language="es")
    spanish = record_lot(in_spanish, lot_body(site, "1900.000", code="L-0413"))
    assert "declarados" in assert_problem(spanish, 409, "mass_balance_exceeded")["detail"]

    # Sealed at the plant, handed to the carrier, received at the refinery at 479.2 g.
    ok(custody(producer_admin, lot["id"], "sealed", seal_number="004417", place="Planta Huepetuhe"), 201)
    ok(custody(producer_admin, lot["id"], "handed_to_carrier", place="Puerto Maldonado"), 201)
    lot = ok(custody(producer_admin, lot["id"], "received_by_buyer", weight_grams="479.200", place="Refinería"), 201)
    assert [(e["seq"], e["kind"], e["weight_grams"]) for e in lot["custody"]] == [
        (1, "recorded", "480.000"),
        (2, "sealed", None),
        (3, "handed_to_carrier", None),
        (4, "received_by_buyer", "479.200"),
    ]
    assert lot["seal_number"] == "004417"

    # The mass balance shows it; a buyer without an inquiry sees nothing.
    balance = ok(producer_admin.get(f"/api/v1/producers/{site.producer_id}/mass-balance/"))
    assert balance["rows"] == [
        {
            "site": str(site.pk),
            "site_name": "Huepetuhe-2",
            "month": ym(april),
            "declared_grams": "2100.000",
            "used_grams": "480.000",
            "committed_forward_grams": "0.000",
            "left_grams": "1620.000",
        }
    ]
    assert_problem(buyer.get(f"/api/v1/producers/{site.producer_id}/mass-balance/"), 404, "not_found")
    assert_problem(buyer.get(f"{LOTS}{lot['id']}/"), 404, "not_found")


def test_one_kilogram_600_then_400_then_one_gram_more_refused(producer_admin) -> None:
    site = approved_site(producer_admin.organization)
    month = last_month()
    declare_row(site, month, "1000.000")
    ok(record_lot(producer_admin, lot_body(site, "600.000", code="A")), 201)
    ok(record_lot(producer_admin, lot_body(site, "400.000", code="B")), 201)
    refused = assert_problem(
        record_lot(producer_admin, lot_body(site, "0.001", code="C")), 409, "mass_balance_exceeded"
    )
    assert (refused["declared_grams"], refused["used_grams"], refused["left_grams"]) == (
        "1000.000",
        "1000.000",
        "0.000",
    )
    assert Lot.objects.count() == 2
    assert sum(lot.gross_grams for lot in Lot.objects.all()) == Decimal("1000.000")


def test_a_site_month_without_declaration_has_nothing_to_give(producer_admin) -> None:
    site = approved_site(producer_admin.organization)
    refused = assert_problem(record_lot(producer_admin, lot_body(site, "1.000")), 409, "mass_balance_exceeded")
    assert (refused["declared_grams"], refused["left_grams"]) == ("0.000", "0.000")


def test_a_retried_lot_with_the_same_idempotency_key_is_recorded_once(producer_admin):
    site = approved_site(producer_admin.organization)
    declare_row(site, last_month(), "1000.000")
    first = ok(record_lot(producer_admin, lot_body(site, "600.000"), HTTP_IDEMPOTENCY_KEY="lote-1"), 201)
    again = ok(record_lot(producer_admin, lot_body(site, "600.000"), HTTP_IDEMPOTENCY_KEY="lote-1"), 201)
    assert again["id"] == first["id"]
    assert Lot.objects.count() == 1
    other_body = record_lot(producer_admin, lot_body(site, "300.000"), HTTP_IDEMPOTENCY_KEY="lote-1")
    assert other_body.status_code == 422
