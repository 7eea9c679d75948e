"""Settlement terms in a contract (docs/settlement-terms.md): how a version is settled, the charges deducted and
the shipments that deliver it; each refusal with its code and nothing stored; the certified floors on a
certified listing; the terms hash with and without the new parts; the premium in its own currency."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from core import clock
from listings.models import Listing, ListingClaim
from prices.models import CertificationTerms, ExchangeRate, MetalPrice
from producers.models import Producer
from provenance.models import Lot
from tests.compliance.helpers import pdf_upload
from tests.factories import MembershipFactory, OrganizationFactory
from tests.problems import assert_problem, field_errors
from tests.provenance.helpers import LOTS, declare_row, last_month, lot_body, record_lot, spot_body
from tests.trade.helpers import CONTRACTS, INQUIRIES, ask, ok, start, terms
from trade.deposits.create import deposit_amount_for
from trade.models import Contract, ContractCharge, ContractShipment, ContractVersion, SettlementTerms
from trade.terms import canonical_bytes, canonical_document, fixed_value_minor

pytestmark = pytest.mark.django_db
LISTINGS = "/api/v1/listings/"


def today() -> dt.date:
    return clock.today_lima()


def days(n: int) -> str:
    return (today() + dt.timedelta(days=n)).isoformat()


def settlement(**overrides: Any) -> dict[str, Any]:
    """The mean of the PM fixes over 5 days from the delivery; 99.5 % of the gold paid from 500 ‰, 90 % of
    the silver; 90 % paid at dispatch; a 0.5 ‰ splitting limit, the mean within it; an umpire in Lima."""
    body: dict[str, Any] = {
        "fixing_rule": "average",
        "quotational_period_start": days(30),
        "quotational_period_days": 5,
        "gold_payable_percent": "99.5",
        "gold_minimum_fineness": "500.0",
        "silver_payable_percent": "90",
        "silver_minimum_fineness": "30.0",
        "provisional_percent": "90",
        "splitting_limit": "0.5",
        "within_limit_rule": "mean",
        "umpire_laboratory": "SGS del Perú, Callao",
        "umpire_cost": "farther",
    }
    body.update(overrides)
    return body


CHARGES = [
    {"label": "Refining charge", "kind": "per_troy_ounce_gross", "amount": {"amount_minor": 150, "currency": "USD"}},
    {"label": "Assay", "kind": "per_lot", "amount": {"amount_minor": 12000, "currency": "USD"}},
    {"label": "Insurance", "kind": "percent_of_value", "percent": "0.15"},
]


def shipments(*parts: tuple[str, int], **extra: Any) -> list[dict[str, Any]]:
    return [
        {
            "quantity_grams": grams,
            "delivery_date": days(day),
            "incoterm": "FCA",
            "incoterm_place": "Puerto Maldonado",
            **extra,
        }
        for grams, day in parts
    ]


def stored() -> tuple[int, ...]:
    return tuple(
        model.objects.count()
        for model in (Contract, ContractVersion, SettlementTerms, ContractCharge, ContractShipment)
    )


def url(contract: dict, move: str = "") -> str:
    return f"{CONTRACTS}{contract['id']}/" + (f"{move}/" if move else "")


def record_fix(usd_per_troy_ounce: str = "2650.000", day: dt.date | None = None) -> MetalPrice:
    return MetalPrice.objects.create(
        benchmark="lbma_gold_pm",
        date=day or today() - dt.timedelta(days=1),
        usd_per_troy_ounce_milli=int(Decimal(usd_per_troy_ounce) * 1000),
        source="LBMA, lbma.org.uk, Gold Price PM",
    )


def record_rate(pen_per_usd: str = "3.750000") -> ExchangeRate:
    return ExchangeRate.objects.create(
        base="USD",
        quote="PEN",
        date=today() - dt.timedelta(days=1),
        rate_micro=int(Decimal(pen_per_usd) * 1000000),
        source="SBS, tipo de cambio promedio ponderado venta",
    )


def claim(listing: Listing, *claims: str) -> None:
    for code in claims:
        ListingClaim.objects.create(listing=listing, claim_id=code)


FIXED_USD = {
    "price_basis": "fixed",
    "price_per_fine_gram": {"amount_minor": 9800, "currency": "USD"},
    "lbma_adjustment_percent": None,
}
FIXED_PEN = {
    "price_basis": "fixed",
    "price_per_fine_gram": {"amount_minor": 30000, "currency": "PEN"},
    "lbma_adjustment_percent": None,
}


# --- Stored and shown ---------------------------------------------------------------------------------------
def test_a_version_carries_its_settlement_charges_and_shipments(trade, buyer, producer_admin):
    contract = start(
        producer_admin,
        ask(buyer, trade.listing),
        trade.site,
        premium_per_kg_fine_minor=1500000,
        premium_currency="PEN",
        settlement=settlement(),
        charges=CHARGES,
        shipments=shipments(("100.000", 20), ("200.000", 40)),
    )

    version = contract["versions"][0]
    assert version["premium_currency"] == "PEN"
    assert version["premium_per_kg_fine"] == {"amount_minor": 1500000, "currency": "PEN"}
    assert version["settlement"] == {
        "fixing_rule": "average",
        "fixing_date": None,
        "quotational_period_start": days(30),
        "quotational_period_days": 5,
        "gold_payable_percent": "99.50",
        "gold_minimum_fineness": "500.0",
        "silver_payable_percent": "90.00",
        "silver_minimum_fineness": "30.0",
        "silver_price_per_fine_gram": None,
        "provisional_percent": "90.00",
        "splitting_limit": "0.5",
        "within_limit_rule": "mean",
        "umpire_laboratory": "SGS del Perú, Callao",
        "umpire_cost": "farther",
        "certification": None,
    }
    assert version["charges"] == [
        {
            "position": 1,
            "label": "Refining charge",
            "kind": "per_troy_ounce_gross",
            "amount": {"amount_minor": 150, "currency": "USD"},
            "percent": None,
        },
        {
            "position": 2,
            "label": "Assay",
            "kind": "per_lot",
            "amount": {"amount_minor": 12000, "currency": "USD"},
            "percent": None,
        },
        {"position": 3, "label": "Insurance", "kind": "percent_of_value", "amount": None, "percent": "0.15"},
    ]
    assert [(s["number"], s["quantity_grams"], s["delivery_date"], s["lots"]) for s in version["shipments"]] == [
        (1, "100.000", days(20), []),
        (2, "200.000", days(40), []),
    ]
    # Percentages in, basis points stored; per mille exact.
    row = SettlementTerms.objects.get(version__contract_id=contract["id"])
    assert (row.gold_payable_bp, row.silver_payable_bp, row.provisional_bp) == (9950, 9000, 9000)
    assert (row.gold_minimum_fineness, row.splitting_limit) == (Decimal("500.0"), Decimal("0.5"))
    assert list(ContractCharge.objects.values_list("position", "percent_bp")) == [(1, None), (2, None), (3, 15)]
    # The list shows the latest version the same way.
    [listed] = ok(buyer.get(CONTRACTS))["results"]
    assert listed["latest_version"]["settlement"] == version["settlement"]
    assert listed["latest_version"]["charges"] == version["charges"]
    assert listed["latest_version"]["shipments"] == version["shipments"]


def test_without_settlement_parts_a_version_shows_none_and_delivers_once(trade, buyer, producer_admin):
    contract = start(producer_admin, ask(buyer, trade.listing), trade.site)

    version = contract["latest_version"]
    assert (version["premium_currency"], version["settlement"], version["charges"], version["shipments"]) == (
        "USD",
        None,
        [],
        [],
    )
    assert version["premium_per_kg_fine"] == {"amount_minor": 400000, "currency": "USD"}
    assert stored()[2:] == (0, 0, 0)


def test_each_fixing_rule_takes_its_own_fields(trade, buyer, producer_admin):
    inquiry = ask(buyer, trade.listing)
    on_date = settlement(
        fixing_rule="on_date",
        fixing_date=today().isoformat(),
        quotational_period_start=None,
        quotational_period_days=None,
    )
    after_receipt = settlement(fixing_rule="after_receipt")
    del after_receipt["quotational_period_start"], after_receipt["quotational_period_days"]

    first = start(producer_admin, inquiry, trade.site, settlement=on_date)
    second = ok(buyer.post(url(first, "propose"), terms(trade.site, settlement=after_receipt), format="json"), 201)

    assert first["latest_version"]["settlement"]["fixing_date"] == today().isoformat()
    assert [v["settlement"]["fixing_rule"] for v in second["versions"]] == ["on_date", "after_receipt"]
    assert second["versions"][1]["settlement"]["quotational_period_start"] is None


def test_a_fixed_price_that_pays_silver_names_its_silver_price(trade, buyer, producer_admin):
    silver = settlement(silver_price_per_fine_gram={"amount_minor": 95, "currency": "USD"})

    contract = start(producer_admin, ask(buyer, trade.listing), trade.site, **FIXED_USD, settlement=silver)

    assert contract["latest_version"]["settlement"]["silver_price_per_fine_gram"] == {
        "amount_minor": 95,
        "currency": "USD",
    }
    assert SettlementTerms.objects.get().silver_price_per_fine_gram_minor == 95


def test_charges_are_in_the_contracts_currency_or_in_us_dollars(trade, buyer, producer_admin):
    charges = [
        {"label": "Refinación", "kind": "per_lot", "amount": {"amount_minor": 45000, "currency": "PEN"}},
        {"label": "Flete", "kind": "per_lot", "amount": {"amount_minor": 8000, "currency": "USD"}},
    ]

    contract = start(producer_admin, ask(buyer, trade.listing), trade.site, **FIXED_PEN, charges=charges)

    assert [c["amount"]["currency"] for c in contract["latest_version"]["charges"]] == ["PEN", "USD"]


# --- Refused, with nothing stored ------------------------------------------------------------------------
YESTERDAY = -1
BAD_SETTLEMENT = [
    ({"gold_payable_percent": "100.01"}, "settlement.gold_payable_percent", "max_value"),
    ({"gold_payable_percent": "0"}, "settlement.gold_payable_percent", "min_value"),
    ({"silver_payable_percent": "100.5"}, "settlement.silver_payable_percent", "max_value"),
    ({"provisional_percent": "101"}, "settlement.provisional_percent", "max_value"),
    ({"gold_minimum_fineness": "1000.1"}, "settlement.gold_minimum_fineness", "max_value"),
    ({"silver_minimum_fineness": "1001.0"}, "settlement.silver_minimum_fineness", "max_value"),
    ({"splitting_limit": "1000.5"}, "settlement.splitting_limit", "max_value"),
    ({"splitting_limit": 0.5}, "settlement.splitting_limit", "invalid"),
    ({"quotational_period_days": 0}, "settlement.quotational_period_days", "min_value"),
    ({"quotational_period_days": 93}, "settlement.quotational_period_days", "max_value"),
    ({"quotational_period_days": None}, "settlement.quotational_period_days", "required_by_fixing_rule"),
    ({"quotational_period_start": None}, "settlement.quotational_period_start", "required_by_fixing_rule"),
    ({"fixing_date": days(30)}, "settlement.fixing_date", "not_for_fixing_rule"),
    ({"fixing_rule": "on_date"}, "settlement.fixing_date", "required_by_fixing_rule"),
    (
        {"fixing_rule": "on_date", "fixing_date": days(30)},
        "settlement.quotational_period_start",
        "not_for_fixing_rule",
    ),
    (
        {"fixing_rule": "after_receipt", "quotational_period_start": None},
        "settlement.quotational_period_days",
        "not_for_fixing_rule",
    ),
    ({"quotational_period_start": days(YESTERDAY)}, "settlement.quotational_period_start", "fixing_before_contract"),
    (
        {"fixing_rule": "on_date", "fixing_date": days(YESTERDAY), "quotational_period_start": None},
        "settlement.quotational_period_days",
        "not_for_fixing_rule",
    ),
    (
        {
            "fixing_rule": "on_date",
            "fixing_date": days(YESTERDAY),
            "quotational_period_start": None,
            "quotational_period_days": None,
        },
        "settlement.fixing_date",
        "fixing_before_contract",
    ),
    ({"fixing_rule": "monthly"}, "settlement.fixing_rule", "invalid_choice"),
    ({"umpire_laboratory": None}, "settlement.umpire_laboratory", "null"),
    ({"umpire_cost": "loser"}, "settlement.umpire_cost", "invalid_choice"),
    (
        {"silver_price_per_fine_gram": {"amount_minor": 95, "currency": "USD"}},
        "settlement.silver_price_per_fine_gram",
        "lbma_reads_silver_price",
    ),
]


@pytest.mark.parametrize(("change", "field", "code"), BAD_SETTLEMENT)
def test_bad_settlement_terms_are_refused_and_nothing_is_stored(trade, buyer, producer_admin, change, field, code):
    inquiry = ask(buyer, trade.listing)
    body = {"inquiry": inquiry["id"], **terms(trade.site, settlement=settlement(**change))}

    assert field_errors(producer_admin.post(CONTRACTS, body, format="json")) == {field: code}
    assert stored() == (0, 0, 0, 0, 0)


def test_the_umpire_laboratory_is_required(trade, buyer, producer_admin):
    inquiry = ask(buyer, trade.listing)
    body = settlement()
    del body["umpire_laboratory"]

    response = producer_admin.post(
        CONTRACTS, {"inquiry": inquiry["id"], **terms(trade.site, settlement=body)}, format="json"
    )

    assert field_errors(response) == {"settlement.umpire_laboratory": "required"}
    assert stored() == (0, 0, 0, 0, 0)


@pytest.mark.parametrize(
    ("silver", "field", "code"),
    [
        ({}, "settlement.silver_price_per_fine_gram", "required_by_silver_payable"),
        (
            {"silver_price_per_fine_gram": {"amount_minor": 350, "currency": "PEN"}},
            "settlement.silver_price_per_fine_gram",
            "currency_mismatch",
        ),
        (
            {"silver_payable_percent": "0", "silver_price_per_fine_gram": {"amount_minor": 95, "currency": "USD"}},
            "settlement.silver_price_per_fine_gram",
            "silver_not_paid",
        ),
    ],
)
def test_a_fixed_price_contracts_silver_price_is_checked(trade, buyer, producer_admin, silver, field, code):
    inquiry = ask(buyer, trade.listing)
    body = {"inquiry": inquiry["id"], **terms(trade.site, **FIXED_USD, settlement=settlement(**silver))}

    assert field_errors(producer_admin.post(CONTRACTS, body, format="json")) == {field: code}
    assert stored() == (0, 0, 0, 0, 0)


BAD_CHARGES = [
    (
        [{"label": "Refinación", "kind": "per_lot", "amount": {"amount_minor": 100, "currency": "EUR"}}],
        "charges.0.amount.currency",
        "charge_currency_not_in_contract",
    ),
    (
        [CHARGES[0], {"label": "Refinación", "kind": "per_lot", "amount": {"amount_minor": 100, "currency": "PEN"}}],
        "charges.1.amount.currency",
        "charge_currency_not_in_contract",
    ),
    (
        [{"label": "Refinación", "kind": "per_lot", "amount": {"amount_minor": 100, "currency": "usd"}}],
        "charges.0.amount.currency",
        "invalid",
    ),
    ([{"label": "Ensayo", "kind": "per_lot"}], "charges.0.amount", "required_by_charge_kind"),
    ([{"label": "Ensayo", "kind": "per_lot", "amount": None}], "charges.0.amount", "required_by_charge_kind"),
    ([{**CHARGES[1], "percent": "0.10"}], "charges.0.percent", "not_for_charge_kind"),
    ([{"label": "Seguro", "kind": "percent_of_value"}], "charges.0.percent", "required_by_charge_kind"),
    ([{**CHARGES[2], "amount": {"amount_minor": 1, "currency": "USD"}}], "charges.0.amount", "not_for_charge_kind"),
    ([{**CHARGES[2], "percent": "100.01"}], "charges.0.percent", "max_value"),
    ([{**CHARGES[0], "amount": {"amount_minor": -1, "currency": "USD"}}], "charges.0.amount.amount_minor", "min_value"),
    ([{**CHARGES[0], "kind": "per_kilo"}], "charges.0.kind", "invalid_choice"),
    ([CHARGES[2]] * 11, "charges", "max_length"),
]


@pytest.mark.parametrize(("charges", "field", "code"), BAD_CHARGES)
def test_bad_charges_are_refused_and_nothing_is_stored(trade, buyer, producer_admin, charges, field, code):
    inquiry = ask(buyer, trade.listing)
    body = {"inquiry": inquiry["id"], **terms(trade.site, charges=charges)}

    assert field_errors(producer_admin.post(CONTRACTS, body, format="json")) == {field: code}
    assert stored() == (0, 0, 0, 0, 0)


BAD_SHIPMENTS = [
    (shipments(("100.000", 20), ("150.000", 40)), "shipments", "shipments_do_not_add_up"),
    (shipments(("100.000", 20), ("200.001", 40)), "shipments", "shipments_do_not_add_up"),
    (shipments(("100.000", 20), ("200.000", -1)), "shipments.1.delivery_date", "in_the_past"),
    (
        shipments(("300.000", 20), lots=["00000000-0000-0000-0000-000000000000"]),
        "shipments.0.lots",
        "lot_not_this_producer",
    ),
    (shipments(("0", 20), ("300.000", 20)), "shipments.0.quantity_grams", "min_value"),
    (shipments(*[("25.000", 20)] * 12) + shipments(("0.001", 20)), "shipments", "max_length"),
]


@pytest.mark.parametrize(("parts", "field", "code"), BAD_SHIPMENTS)
def test_bad_shipments_are_refused_and_nothing_is_stored(trade, buyer, producer_admin, parts, field, code):
    inquiry = ask(buyer, trade.listing)
    body = {"inquiry": inquiry["id"], **terms(trade.site, shipments=parts)}

    assert field_errors(producer_admin.post(CONTRACTS, body, format="json")) == {field: code}
    assert stored() == (0, 0, 0, 0, 0)


def test_twelve_shipments_may_add_up_to_the_quantity(trade, buyer, producer_admin):
    contract = start(producer_admin, ask(buyer, trade.listing), trade.site, shipments=shipments(*[("25.000", 20)] * 12))

    assert [s["number"] for s in contract["latest_version"]["shipments"]] == list(range(1, 13))


def test_a_later_version_may_fix_on_any_day_since_the_contract_started(trade, buyer, producer_admin):
    contract = start(producer_admin, ask(buyer, trade.listing), trade.site)
    started = today() - dt.timedelta(days=3)  # negotiations took three days
    Contract.objects.filter(pk=contract["id"]).update(created_at=timezone.now() - dt.timedelta(days=3))
    on = {"fixing_rule": "on_date", "quotational_period_start": None, "quotational_period_days": None}
    before = stored()

    too_early = settlement(**on, fixing_date=(started - dt.timedelta(days=1)).isoformat())
    response = buyer.post(url(contract, "propose"), terms(trade.site, settlement=too_early), format="json")
    assert field_errors(response) == {"settlement.fixing_date": "fixing_before_contract"}
    assert stored() == before

    fixed = ok(
        buyer.post(
            url(contract, "propose"),
            terms(trade.site, settlement=settlement(**on, fixing_date=started.isoformat())),
            format="json",
        ),
        201,
    )
    assert fixed["latest_version"]["settlement"]["fixing_date"] == started.isoformat()


# --- Shipments and lots ----------------------------------------------------------------------------------
@pytest.fixture
def spot(trade, producer_admin, buyer):
    """Coop's lots A (300 g declared 920 ‰) and B (200 g, fire-assayed 950 ‰) offered in a spot listing, and
    its lot C not offered; the buyer's inquiry about the listing."""
    declare_row(trade.site, last_month(), "5000.000")
    a = ok(record_lot(producer_admin, lot_body(trade.site, "300.000", code="A")), 201)
    b = ok(record_lot(producer_admin, lot_body(trade.site, "200.000", code="B")), 201)
    c = ok(record_lot(producer_admin, lot_body(trade.site, "10.000", code="C")), 201)
    assay = {
        "laboratory": "Laboratorio Regional",
        "method": "fire_assay",
        "au_per_mille": "950.0",
        "ag_per_mille": "40.0",
        "certificate_number": "LR-B",
        "assayed_on": last_month().replace(day=20).isoformat(),
        "file": pdf_upload("b.pdf"),
    }
    ok(producer_admin.post(f"{LOTS}{b['id']}/assays/", assay, format="multipart"), 201)
    listing = ok(producer_admin.post(LISTINGS, spot_body(a["id"], b["id"]), format="json"), 201)
    ok(producer_admin.post(f"{LISTINGS}{listing['id']}/publish/"))
    inquiry = ok(
        buyer.post(INQUIRIES, {"listing": listing["id"], "grams": "500.000", "message": "¿Todo?"}, format="json"), 201
    )
    return {"A": a["id"], "B": b["id"], "C": c["id"], "inquiry": inquiry}


def spot_terms(trade, spot, parts, **overrides):
    """All of A and B: 500 g at 932.0 ‰ (466 fine g), in the given shipments."""
    return {
        "inquiry": spot["inquiry"]["id"],
        **terms(trade.site, quantity_grams="500.000", fineness="932.0", lots=[spot["A"], spot["B"]], **overrides),
        "shipments": parts,
    }


def test_a_spot_sale_delivers_each_of_its_lots_in_one_shipment(trade, spot, buyer, producer_admin):
    parts = shipments(("300.000", 20), lots=[spot["A"]]) + shipments(("200.000", 50), lots=[spot["B"]])

    contract = ok(buyer.post(CONTRACTS, spot_terms(trade, spot, parts), format="json"), 201)

    assert [s["lots"] for s in contract["latest_version"]["shipments"]] == [[spot["A"]], [spot["B"]]]
    signed = ok(producer_admin.post(url(contract, "accept"), {"version": 1}, format="json"))
    document = canonical_document(Contract.objects.get(pk=contract["id"]), ContractVersion.objects.get())
    assert [[lot["code"] for lot in s["lots"]] for s in document["terms"]["shipments"]] == [["A"], ["B"]]
    assert (
        signed["terms_hash"]
        == hashlib.sha256(
            json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
        ).hexdigest()
    )


@pytest.mark.parametrize(
    ("parts", "field", "code"),
    [
        (
            lambda s: shipments(("300.000", 20), lots=[s["A"]]) + shipments(("200.000", 50), lots=[s["C"]]),
            "shipments.1.lots",
            "lot_not_in_terms",
        ),
        (
            lambda s: shipments(("300.000", 20), lots=[s["A"]]) + shipments(("200.000", 50), lots=[s["A"], s["B"]]),
            "shipments.1.lots",
            "lot_in_two_shipments",
        ),
        (
            lambda s: shipments(("300.000", 20), lots=[s["A"]]) + shipments(("200.000", 50), lots=[s["A"]]),
            "shipments.1.lots",
            "lot_in_two_shipments",
        ),
        (
            lambda s: shipments(("300.000", 20), lots=[s["A"]]) + shipments(("200.000", 50)),
            "shipments.1.lots",
            "required_for_spot_listing",
        ),
        (lambda s: shipments(("500.000", 20), lots=[s["A"]]), "shipments", "lot_in_no_shipment"),
        (lambda s: shipments(("500.000", 20), lots=[s["A"], s["B"], s["A"]]), "shipments.0.lots", "duplicate_lot"),
        (
            lambda s: shipments(("500.000", 20), lots=[s["A"], s["B"], s["foreign"]]),
            "shipments.0.lots",
            "lot_not_this_producer",
        ),
    ],
)
def test_a_spot_sales_shipments_are_refused_unless_they_deliver_its_lots(
    trade, spot, buyer, producer_admin, parts, field, code
):
    spot["foreign"] = str(another_producers_lot().pk)
    before = stored()

    response = buyer.post(CONTRACTS, spot_terms(trade, spot, parts(spot)), format="json")

    assert field_errors(response) == {field: code}
    assert stored() == before


def another_producers_lot() -> Lot:
    organization = OrganizationFactory()
    producer = Producer.objects.create(
        organization=organization, legal_kind="cooperative", legal_category="REINFO", ruc="20100070970"
    )
    return Lot.objects.create(
        producer=producer,
        code="X-1",
        form="dore",
        gross_grams=Decimal("100"),
        declared_fineness=Decimal("900"),
        production_from=last_month(),
        production_to=last_month(),
        recorded_by=MembershipFactory(organization=organization, role="admin").user,
    )


def test_a_forward_sales_shipments_name_no_lots(trade, spot, buyer, producer_admin):
    inquiry = ask(buyer, trade.listing)  # trade.listing is a forward listing
    parts = shipments(("300.000", 20), lots=[spot["C"]])

    response = producer_admin.post(
        CONTRACTS, {"inquiry": inquiry["id"], **terms(trade.site, shipments=parts)}, format="json"
    )

    assert field_errors(response) == {"shipments.0.lots": "forward_lots_come_later"}
    foreign = shipments(("300.000", 20), lots=[str(another_producers_lot().pk)])
    response = producer_admin.post(
        CONTRACTS, {"inquiry": inquiry["id"], **terms(trade.site, shipments=foreign)}, format="json"
    )
    assert field_errors(response) == {"shipments.0.lots": "lot_not_this_producer"}
    assert Contract.objects.filter(listing=trade.listing).count() == 0


# --- Certified floors ------------------------------------------------------------------------------------
@pytest.fixture
def fairmined(trade, buyer):
    """The buyer's inquiry about coop's listing, which then claims Fairmined (figures in force since 2018:
    95 % of the LBMA price, USD 4,000 per kg of fine gold)."""
    inquiry = ask(buyer, trade.listing)
    claim(trade.listing, "fairmined")
    return inquiry


def propose_first(actor, inquiry, trade, **overrides):
    return actor.post(CONTRACTS, {"inquiry": inquiry["id"], **terms(trade.site, **overrides)}, format="json")


def test_a_fixed_price_on_a_certified_listing_needs_a_recorded_fix(trade, fairmined, producer_admin):
    response = propose_first(producer_admin, fairmined, trade, **FIXED_USD)

    assert assert_problem(response, 409, "no_fix_recorded")["benchmark"] == "lbma_gold_pm"
    assert stored() == (0, 0, 0, 0, 0)


def test_a_price_below_the_certified_minimum_is_refused_with_the_figures(trade, fairmined, producer_admin):
    fix = record_fix("2650.000")
    # 95 % of 2650.000 USD per troy ounce is 80.9395... USD per fine gram: the floor is 80.94.
    below = {**FIXED_USD, "price_per_fine_gram": {"amount_minor": 8093, "currency": "USD"}}

    body = assert_problem(propose_first(producer_admin, fairmined, trade, **below), 400, "validation_error")

    [error] = body["errors"]
    assert (error["field"], error["code"]) == ("price_per_fine_gram", "below_certified_minimum")
    assert error["figures"]["minimum_per_fine_gram"] == {"amount_minor": 8094, "currency": "USD"}
    assert error["figures"]["offered_per_fine_gram"] == {"amount_minor": 8093, "currency": "USD"}
    assert error["figures"]["fix"] == {
        "benchmark": "lbma_gold_pm",
        "date": fix.date.isoformat(),
        "usd_per_troy_ounce": "2650.000",
    }
    assert stored() == (0, 0, 0, 0, 0)
    at_floor = {**FIXED_USD, "price_per_fine_gram": {"amount_minor": 8094, "currency": "USD"}}
    ok(propose_first(producer_admin, fairmined, trade, **at_floor), 201)


def test_an_lbma_adjustment_below_the_certified_minimum_is_refused(trade, fairmined, producer_admin):
    response = propose_first(producer_admin, fairmined, trade, lbma_adjustment_percent="-5.01")

    assert field_errors(response) == {"lbma_adjustment_percent": "below_certified_minimum"}
    assert stored() == (0, 0, 0, 0, 0)
    ok(propose_first(producer_admin, fairmined, trade, lbma_adjustment_percent="-5.00"), 201)


def test_a_premium_below_the_standards_is_refused_in_its_own_currency(trade, fairmined, producer_admin):
    low = propose_first(producer_admin, fairmined, trade, premium_per_kg_fine_minor=399999)
    assert field_errors(low) == {"premium_per_kg_fine_minor": "premium_below_standard"}
    # The same premium in soles needs a rate to be compared; at 3.75 soles per dollar it is 15,000 soles.
    in_soles = {"premium_currency": "PEN", "premium_per_kg_fine_minor": 1500000}
    assert_problem(propose_first(producer_admin, fairmined, trade, **in_soles), 409, "no_rate_recorded")
    record_rate("3.750000")
    short = propose_first(producer_admin, fairmined, trade, premium_currency="PEN", premium_per_kg_fine_minor=1499999)
    assert field_errors(short) == {"premium_per_kg_fine_minor": "premium_below_standard"}
    assert stored() == (0, 0, 0, 0, 0)

    contract = ok(propose_first(producer_admin, fairmined, trade, **in_soles), 201)
    assert contract["latest_version"]["premium_per_kg_fine"] == {"amount_minor": 1500000, "currency": "PEN"}


def test_settlement_terms_keep_the_standard_that_applied(trade, fairmined, buyer, producer_admin):
    # With two standards claimed, both floors are kept and the one with the higher premium is recorded.
    claim(trade.listing, "fairmined_ecological")
    ecological = CertificationTerms.objects.get(claim_id="fairmined_ecological")
    short = propose_first(producer_admin, fairmined, trade, settlement=settlement())
    assert field_errors(short) == {"premium_per_kg_fine_minor": "premium_below_standard"}

    contract = ok(
        propose_first(producer_admin, fairmined, trade, premium_per_kg_fine_minor=600000, settlement=settlement()),
        201,
    )

    assert SettlementTerms.objects.get().certification == ecological
    assert contract["latest_version"]["settlement"]["certification"] == {
        "claim": "fairmined_ecological",
        "valid_from": "2018-01-01",
        "minimum_price_percent": "95.00",
        "premium_rule": "per_kg_fine",
        "premium_per_kg_fine": {"amount_minor": 600000, "currency": "USD"},
        "premium_percent": None,
        "source": ecological.source,
        "source_date": "2018-01-01",
    }
    # Every version is checked: a counter-proposal below the floor is refused too.
    counter = buyer.post(url(contract, "propose"), terms(trade.site, lbma_adjustment_percent="-6.00"), format="json")
    assert field_errors(counter) == {"lbma_adjustment_percent": "below_certified_minimum"}
    assert ContractVersion.objects.count() == 1


def test_a_listing_without_a_certified_claim_has_no_floor(trade, buyer, producer_admin):
    inquiry = ask(buyer, trade.listing)
    claim(trade.listing, "mercury_free")

    contract = start(
        producer_admin,
        inquiry,
        trade.site,
        **FIXED_USD,
        premium_per_kg_fine_minor=0,
        settlement=settlement(silver_payable_percent="0"),
    )

    assert contract["latest_version"]["settlement"]["certification"] is None


# --- The terms hash ----------------------------------------------------------------------------------------
def test_a_version_without_settlement_parts_hashes_as_before(trade, buyer, producer_admin):
    contract = start(producer_admin, ask(buyer, trade.listing), trade.site)
    document = canonical_document(Contract.objects.get(pk=contract["id"]), ContractVersion.objects.get())

    assert set(document) == {
        "contract",
        "version",
        "proposed_by",
        "listing",
        "buyer",
        "producer",
        "terms",
        "compliance_snapshot",
    }
    assert set(document["terms"]) == {
        "quantity_grams",
        "fineness",
        "price_basis",
        "currency",
        "price_per_fine_gram_minor",
        "lbma_adjustment_bp",
        "premium_per_kg_fine_minor",
        "incoterm",
        "incoterm_place",
        "delivery_date",
        "deposit_amount_minor",
        "deposit_percent_bp",
        "payment_terms",
        "origin_site",
    }


def test_a_premium_in_soles_is_named_in_the_hashed_terms(trade, buyer, producer_admin):
    contract = start(
        producer_admin, ask(buyer, trade.listing), trade.site, premium_currency="PEN", premium_per_kg_fine_minor=1500000
    )
    document = canonical_document(Contract.objects.get(pk=contract["id"]), ContractVersion.objects.get())

    assert (document["terms"]["premium_currency"], document["terms"]["premium_per_kg_fine_minor"]) == ("PEN", 1500000)
    assert not {"settlement", "charges", "shipments"} & set(document["terms"])
    assert "certification" not in document


def test_the_hash_covers_the_settlement_the_charges_the_shipments_and_the_certification(
    trade, fairmined, buyer, producer_admin
):
    parts = shipments(("100.000", 20), ("200.000", 40))
    contract = ok(
        propose_first(
            producer_admin,
            fairmined,
            trade,
            settlement=settlement(),
            charges=CHARGES[:1] + CHARGES[2:],
            shipments=parts,
        ),
        201,
    )
    ListingClaim.objects.filter(listing=trade.listing).delete()  # so that the listing is offered to be signed

    signed = ok(buyer.post(url(contract, "accept"), {"version": 1}, format="json"))

    stored_contract, version = Contract.objects.get(pk=contract["id"]), ContractVersion.objects.get()
    document = canonical_document(stored_contract, version)
    fairmined_terms = CertificationTerms.objects.get(claim_id="fairmined")
    assert document["terms"]["premium_currency"] == "USD"  # named, since the version has settlement terms
    assert document["terms"]["settlement"] == {
        "fixing_rule": "average",
        "fixing_date": None,
        "quotational_period_start": days(30),
        "quotational_period_days": 5,
        "gold_payable_bp": 9950,
        "gold_minimum_fineness": "500.0",
        "silver_payable_bp": 9000,
        "silver_minimum_fineness": "30.0",
        "silver_price_per_fine_gram_minor": None,
        "provisional_bp": 9000,
        "splitting_limit": "0.5",
        "within_limit_rule": "mean",
        "umpire_laboratory": "SGS del Perú, Callao",
        "umpire_cost": "farther",
    }
    assert document["terms"]["charges"] == [
        {
            "position": 1,
            "label": "Refining charge",
            "kind": "per_troy_ounce_gross",
            "amount_minor": 150,
            "currency": "USD",
            "percent_bp": None,
        },
        {
            "position": 2,
            "label": "Insurance",
            "kind": "percent_of_value",
            "amount_minor": None,
            "currency": None,
            "percent_bp": 15,
        },
    ]
    assert document["terms"]["shipments"] == [
        {
            "number": 1,
            "quantity_grams": "100.000",
            "delivery_date": days(20),
            "incoterm": "FCA",
            "incoterm_place": "Puerto Maldonado",
            "lots": [],
        },
        {
            "number": 2,
            "quantity_grams": "200.000",
            "delivery_date": days(40),
            "incoterm": "FCA",
            "incoterm_place": "Puerto Maldonado",
            "lots": [],
        },
    ]
    assert document["certification"] == {
        "claim": "fairmined",
        "valid_from": "2018-01-01",
        "minimum_price_bp": 9500,
        "premium_rule": "per_kg_fine",
        "premium_per_kg_fine_minor": 400000,
        "premium_currency": "USD",
        "premium_percent_bp": None,
        "source": fairmined_terms.source,
    }
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    assert (
        signed["terms_hash"]
        == hashlib.sha256(canonical).hexdigest()
        == hashlib.sha256(canonical_bytes(stored_contract, version)).hexdigest()
    )
    # Each part is pinned: another charge, another shipment day or another umpire hashes differently.
    ContractCharge.objects.filter(position=2).update(percent_bp=16)
    assert hashlib.sha256(canonical_bytes(stored_contract, version)).hexdigest() != signed["terms_hash"]


# --- The premium in its own currency -------------------------------------------------------------------
PEN_PRICE = {
    "price_basis": "fixed",
    "currency": "PEN",
    "price_per_fine_gram_minor": 30000,
    "quantity_grams": Decimal("300"),
    "fineness": Decimal("920"),
}


def test_the_value_adds_the_premium_converted_at_the_latest_rate(db):
    # 276 fine g × 300.00 soles = 82,800.00 soles; the premium USD 4,000 per kg is USD 1,104.00.
    usd_premium = {**PEN_PRICE, "premium_per_kg_fine_minor": 400000, "premium_currency": "USD"}
    assert fixed_value_minor(usd_premium) == 8280000  # no rate recorded: without the premium
    record_rate("3.750000")
    assert fixed_value_minor(usd_premium) == 8280000 + 414000  # USD 1,104.00 at 3.75 = 4,140.00 soles
    assert fixed_value_minor({**usd_premium, "premium_currency": None}) == 8694000  # US dollars when not named
    in_soles = {**PEN_PRICE, "premium_per_kg_fine_minor": 1500000, "premium_currency": "PEN"}
    assert fixed_value_minor(in_soles) == 8280000 + 414000  # 15,000 soles per kg, no conversion
    # A USD price with a premium in soles: 276 × 98.00 + 4,140.00 soles / 3.75 = 27,048.00 + 1,104.00.
    usd_price = {**in_soles, "currency": "USD", "price_per_fine_gram_minor": 9800}
    assert fixed_value_minor(usd_price) == 2704800 + 110400


def test_a_pen_contracts_deposit_ceiling_counts_its_dollar_premium(trade, buyer, producer_admin):
    inquiry = ask(buyer, trade.listing)
    fixed = {**FIXED_PEN, "deposit_percent": None}

    def deposit(minor: int) -> Any:
        body = terms(trade.site, **fixed, deposit_amount={"amount_minor": minor, "currency": "PEN"})
        return producer_admin.post(CONTRACTS, {"inquiry": inquiry["id"], **body}, format="json")

    # Without a rate the premium is left out: the ceiling is the gold alone, 82,800.00 soles.
    assert field_errors(deposit(8280001)) == {"deposit_amount": "above_contract_value"}
    record_rate("3.750000")
    assert field_errors(deposit(8694001)) == {"deposit_amount": "above_contract_value"}
    contract = ok(deposit(8694000), 201)

    assert contract["latest_version"]["deposit_amount"] == {"amount_minor": 8694000, "currency": "PEN"}


def test_a_percentage_deposit_of_a_pen_contract_counts_the_premium(trade, buyer, producer_admin):
    record_rate("3.750000")
    contract = start(producer_admin, ask(buyer, trade.listing), trade.site, **FIXED_PEN)  # 10 % deposit
    ok(buyer.post(url(contract, "accept"), {"version": 1}, format="json"))

    assert deposit_amount_for(Contract.objects.get(pk=contract["id"])) == (869400, "PEN")
