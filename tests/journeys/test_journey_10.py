"""Journey 10: settled the way a refinery settles, over HTTP end to end.

The contract for lot L-0412 (480 g of Fairmined Ecological doré, Au 921.4 ‰ by the regional laboratory): LBMA
PM on the day after receipt, 99.5 % of the gold paid, silver unpaid, a refining charge of USD 1.00 per gross
ounce, the Fairmined Ecological premium of USD 6,000 per kg of fine gold, 90 % provisional on the declared
assay, a splitting limit of 0.5 ‰, the umpire at an agreed laboratory, paid by the party farther from its
result. The cooperative dispatches the lot and declares it; the refinery issues the provisional statement and
pays it by bank transfer, which the cooperative confirms. The refinery receives 479.2 g and assays 919.8 ‰: the
seller's 921.4 ‰ is 1.6 ‰ away, beyond the limit, so the umpire decides: 920.3 ‰. The final statement is issued
on the fix of the day after receipt, every line to the cent as docs/settlement.md works it out by hand; the
final transfer is recorded (twice, by a retry: one payment) and confirmed; nothing is outstanding; the
cooperative's treasurer downloads the PDF.
"""

from __future__ import annotations

import datetime as dt
import io
from unittest import mock

import pytest
from pypdf import PdfReader

from compliance.standing import standings_refresh
from core import clock
from tests.compliance.helpers import ok
from tests.listings.test_site_gate import approved
from tests.problems import assert_problem
from tests.provenance.helpers import LOTS, declare, fire_assay_of_l0412, last_month, lot_body, record_lot, spot_body, ym
from tests.trade.helpers import CONTRACTS, INQUIRIES, make_compliant_producer, terms, verify_kyc

pytestmark = pytest.mark.django_db
LISTINGS = "/api/v1/listings/"
FIXES = "/api/v1/prices/fixes/"
UMPIRE_LAB = "Alex Stewart International del Perú, Callao"

# The statements of docs/settlement.md, line by line: (key, figure), money in US cents.
PROVISIONAL = [
    ("declared_gross", "480.000"),
    ("fine_gold", "442.272"),
    ("payable_gold", "440.061"),
    ("payable_gold_ounces", "14.1483"),
    ("gold_price", "2650.350"),
    ("gold_value", 3_749_795),
    ("charge_1", 1_543),
    ("premium", 265_363),
    ("net_value", 4_013_615),
    ("provisional_payment", 3_612_254),
]
FINAL = [
    ("received_gross", "479.200"),
    ("settling_au", "920.3"),
    ("fine_gold", "441.008"),
    ("payable_gold", "438.803"),
    ("payable_gold_ounces", "14.1078"),
    ("gold_price", "2671.800"),
    ("gold_value", 3_769_322),
    ("charge_1", 1_541),
    ("premium", 264_605),
    ("umpire_cost", 15_000),
    ("net_value", 4_017_386),
    ("provisional_paid", 3_612_254),
    ("final_balance", 405_132),
]


def figures(statement: dict, expected: list[tuple[str, str | int]]) -> list[tuple[str, str | int]]:
    """The statement's lines that `expected` names, in the statement's order."""
    wanted = {key for key, _ in expected}
    out = []
    for line in statement["document"]["lines"]:
        if line["key"] in wanted:
            figure = (
                line["amount"]["amount_minor"]
                if "amount" in line
                else next(line[k] for k in ("grams", "per_mille", "troy_ounces", "price") if k in line)
            )
            out.append((line["key"], figure))
    return out


def on(day: dt.date):
    """Move the clock to noon in Lima of `day` (the services read `clock.now`)."""
    noon = dt.datetime.combine(day, dt.time(12), tzinfo=clock.LIMA)
    return mock.patch.object(clock, "now", return_value=noon.astimezone(dt.UTC))


def test_a_contract_settled_the_way_a_refinery_settles(
    coop, producer_admin, producer_member, reviewer, buyer, buyer_member, staff
):
    producer, site = make_compliant_producer(coop)
    approved(producer, "CERT_FAIRMINED", site=None, days=400, ecological=True)
    standings_refresh(organization_ids=[producer.pk])
    april = last_month()
    declare(producer_admin, reviewer, site, {ym(april): "2100.000"})
    lot = ok(record_lot(producer_admin, lot_body(site, "480.000", seal_number="004417")), 201)
    ok(producer_admin.post(f"{LOTS}{lot['id']}/assays/", fire_assay_of_l0412(april), format="multipart"), 201)
    offer = spot_body(
        lot["id"],
        title_es="Lote L-0412, Fairmined Ecológico",
        claims=["fairmined_ecological"],
        lbma_adjustment_percent="0.00",
        premium_per_kg_fine_minor=600_000,
    )
    listing = ok(producer_admin.post(LISTINGS, offer, format="json"), 201)
    ok(producer_admin.post(f"{LISTINGS}{listing['id']}/publish/"))
    verify_kyc(buyer.organization)

    # The refinery asks; the cooperative proposes the refinery's settlement terms; the refinery signs.
    inquiry = ok(
        buyer.post(INQUIRIES, {"listing": listing["id"], "grams": "480.000", "message": "¿L-0412?"}, format="json"),
        201,
    )
    settlement = {
        "fixing_rule": "after_receipt",
        "gold_payable_percent": "99.5",
        "silver_payable_percent": "0",
        "provisional_percent": "90",
        "splitting_limit": "0.5",
        "within_limit_rule": "mean",
        "umpire_laboratory": UMPIRE_LAB,
        "umpire_cost": "farther",
    }
    charges = [
        {"label": "Refining charge", "kind": "per_troy_ounce_gross", "amount": {"amount_minor": 100, "currency": "USD"}}
    ]
    below = terms(
        site,
        quantity_grams="440.000",
        fineness="921.4",
        lbma_adjustment_percent="0.00",
        premium_per_kg_fine_minor=400_000,  # the plain Fairmined premium: not enough for Ecological gold
        deposit_percent="0.00",
        lots=[lot["id"]],
        settlement=settlement,
        charges=charges,
    )
    refused = assert_problem(
        producer_admin.post(CONTRACTS, {"inquiry": inquiry["id"], **below}, format="json"), 400, "validation_error"
    )
    [error] = refused["errors"]
    assert error["code"] == "premium_below_standard"
    assert error["figures"]["required_per_kg_fine"] == {"amount_minor": 600_000, "currency": "USD"}
    body = {**below, "premium_per_kg_fine_minor": 600_000}
    contract = ok(producer_admin.post(CONTRACTS, {"inquiry": inquiry["id"], **body}, format="json"), 201)
    signed = ok(buyer.post(f"{CONTRACTS}{contract['id']}/accept/", {"version": 1}, format="json"))
    assert signed["state"] == "signed"
    [version] = signed["versions"]
    assert version["settlement"]["certification"]["claim"] == "fairmined_ecological"
    url = f"{CONTRACTS}{contract['id']}/shipments/1/"

    today = clock.today_lima()
    dispatch, receipt = today + dt.timedelta(days=1), today + dt.timedelta(days=3)

    # Dispatch: the cooperative declares the weight and its laboratory's assay; the LBMA PM fix of the day is
    # recorded by the network's staff; the refinery issues the provisional statement.
    with on(dispatch):
        ok(
            producer_admin.post(
                f"{url}weighings/", {"gross_grams": "480.000", "weighed_on": dispatch.isoformat()}, format="json"
            ),
            201,
        )
        seller_assay = {
            "party": "seller",
            "au_per_mille": "921.4",
            "ag_per_mille": "61.2",
            "laboratory": "Laboratorio Regional de Madre de Dios",
            "certificate_number": "LRMD-2026-0412",
            "assayed_on": dispatch.isoformat(),
        }
        ok(producer_admin.post(f"{url}assays/", seller_assay, format="json"), 201)
        waiting = ok(buyer.get(f"{url}statements/provisional/"))
        assert (waiting["state"], waiting["waiting_for"]) == ("waiting", ["gold_price"])
        fix = {
            "benchmark": "lbma_gold_pm",
            "date": dispatch.isoformat(),
            "usd_per_troy_ounce": "2650.350",
            "source": "LBMA, lbma.org.uk",
        }
        ok(staff.post(FIXES, fix, format="json"), 201)
        provisional = ok(buyer.post(f"{url}statements/provisional/issue/"), 201)
        assert figures(provisional, PROVISIONAL) == PROVISIONAL
        paid = {
            "kind": "provisional",
            "shipment": 1,
            "amount": {"amount_minor": 3_612_254, "currency": "USD"},
            "paid_on": dispatch.isoformat(),
            "bank_reference": "UBS-CH-0412-PROV",
        }
        payment = ok(buyer.post(f"{CONTRACTS}{contract['id']}/payments/", paid, format="json"), 201)
        ok(producer_admin.post(f"/api/v1/payments/{payment['id']}/confirm/"))

    # Receipt: the refinery weighs 479.2 g and assays 919.8 ‰, 1.6 ‰ from the seller's: beyond the splitting
    # limit, the final statement waits for the umpire, whose 920.3 ‰ settles (the seller, farther, pays its fee).
    with on(receipt + dt.timedelta(days=2)):
        ok(
            buyer.post(
                f"{url}weighings/", {"gross_grams": "479.200", "weighed_on": receipt.isoformat()}, format="json"
            ),
            201,
        )
        buyer_assay = {
            **seller_assay,
            "party": "buyer",
            "au_per_mille": "919.8",
            "ag_per_mille": "60.8",
            "laboratory": "Refinery laboratory",
            "certificate_number": "RF-88121",
            "assayed_on": receipt.isoformat(),
        }
        ok(buyer.post(f"{url}assays/", buyer_assay, format="json"), 201)
        for day, price in ((receipt, "2600.000"), (receipt + dt.timedelta(days=1), "2671.800")):
            ok(staff.post(FIXES, {**fix, "date": day.isoformat(), "usd_per_troy_ounce": price}, format="json"), 201)
        waiting = assert_problem(buyer.post(f"{url}statements/final/issue/"), 409, "statement_waiting")
        assert waiting["waiting_for"] == ["umpire_assay"]
        umpire = {
            **seller_assay,
            "party": "umpire",
            "au_per_mille": "920.3",
            "ag_per_mille": "61.0",
            "laboratory": UMPIRE_LAB,
            "certificate_number": "ASI-2026-7781",
            "assayed_on": (receipt + dt.timedelta(days=2)).isoformat(),
            "cost": {"amount_minor": 15_000, "currency": "USD"},
        }
        ok(buyer.post(f"{url}assays/", umpire, format="json"), 201)
        assert_problem(buyer_member.post(f"{url}statements/final/issue/"), 403, "permission_denied")
        final = ok(buyer.post(f"{url}statements/final/issue/"), 201)
        assert figures(final, FINAL) == FINAL
        assert final["document"]["prices"]["gold"]["dates"] == [(receipt + dt.timedelta(days=1)).isoformat()]
        assert final["document"]["terms_hash"] == signed["terms_hash"]
        # The last transfer, recorded twice by a retry: one payment.
        balance = {
            **paid,
            "kind": "final",
            "amount": {"amount_minor": 405_132, "currency": "USD"},
            "paid_on": (receipt + dt.timedelta(days=2)).isoformat(),
            "bank_reference": "UBS-CH-0412-FIN",
        }
        payment = ok(buyer.post(f"{CONTRACTS}{contract['id']}/payments/", balance, format="json"), 201)
        assert ok(buyer.post(f"{CONTRACTS}{contract['id']}/payments/", balance, format="json"))["id"] == payment["id"]
        ok(producer_admin.post(f"/api/v1/payments/{payment['id']}/confirm/"))

    owed = ok(producer_member.get(f"{CONTRACTS}{contract['id']}/balance/"))
    assert owed["currency"] == "USD"
    total = owed["total"]
    assert (total["owed_minor"], total["paid_by_buyer_minor"], total["outstanding_minor"]) == (4_017_386, 4_017_386, 0)
    assert len(ok(producer_member.get(f"{CONTRACTS}{contract['id']}/payments/"))) == 2

    # The cooperative's treasurer downloads the final statement for the accounts.
    pdf = producer_member.get(f"{url}statements/final.pdf")
    assert (pdf.status_code, pdf["Content-Type"]) == (200, "application/pdf")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages).replace("\n", "")
    assert final["digest"] in text
    assert "4,051.32 USD" in text
    assert "40,173.86 USD" in text
