"""Spot listings of recorded lots, forward listings with a monthly capacity, and the lots a contract delivers
(docs/provenance.md): what is derived from the lots, what is refused (with nothing stored), which lots may
be offered or sold, and the forward sales the mass balance shows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from audit.models import AuditEvent
from core import clock
from listings.models import Listing, ListingLot
from tests.compliance.helpers import ok, pdf_upload
from tests.conftest import _member, make_client
from tests.factories import OrganizationFactory
from tests.problems import assert_problem, field_errors
from tests.provenance.helpers import LOTS, custody, declare_row, last_month, lot_body, record_lot, spot_body, ym
from tests.trade.helpers import CONTRACTS, INQUIRIES, ask, make_approved_site, make_compliant_producer, start, terms
from trade.models import ContractLot, ContractVersion

pytestmark = pytest.mark.django_db
LISTINGS = "/api/v1/listings/"


@pytest.fixture
def lots(trade, producer_admin):
    """Two lots of coop's site (last month declared at 5 kg): A 300 g doré declared 920 ‰, B 200 g doré with a
    fire assay of 950 ‰."""
    declare_row(trade.site, last_month(), "5000.000")
    a = ok(record_lot(producer_admin, lot_body(trade.site, "300.000", code="A")), 201)
    b = ok(record_lot(producer_admin, lot_body(trade.site, "200.000", code="B")), 201)
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
    return a, b


def offered(producer_admin, *lot_ids: str) -> dict:
    listing = ok(producer_admin.post(LISTINGS, spot_body(*lot_ids), format="json"), 201)
    assert ok(producer_admin.post(f"{LISTINGS}{listing['id']}/publish/"))["status"] == "published"
    return listing


# --- Spot listings ------------------------------------------------------------------------------------
def test_a_spot_listing_reads_its_figures_from_its_lots(lots, producer_admin, anon):
    a, b = lots
    listing = ok(producer_admin.post(LISTINGS, spot_body(a["id"], b["id"]), format="json"), 201)
    # 300 g at 920 and 200 g at 950 (assayed): (276 + 190) / 500 = 932.0; not every lot fire-assayed.
    assert (listing["quantity_grams"], listing["fineness"], listing["fineness_basis"]) == (
        "500.000",
        "932.0",
        "field_estimate",
    )
    assert (listing["min_order_grams"], listing["monthly_capacity_grams"], listing["form"]) == ("200.000", None, "dore")
    assert [row["code"] for row in listing["lots"]] == ["A", "B"]
    assert listing["processing_methods"] == ["borax_smelting", "shaking_table"]
    assert listing["sites"] == [str(lots[0]["sources"][0]["site"])]
    # A draft follows new lots; what comes from the lots cannot be typed in; the kind stays.
    edited = ok(producer_admin.patch(f"{LISTINGS}{listing['id']}/", {"lots": [b["id"]]}, format="json"))
    assert (edited["quantity_grams"], edited["fineness"], edited["fineness_basis"]) == ("200.000", "950.0", "lab_assay")
    assert ListingLot.objects.get(listing_id=listing["id"]).lot_id.hex == b["id"].replace("-", "")
    url = f"{LISTINGS}{listing['id']}/"
    derived = field_errors(producer_admin.patch(url, {"quantity_grams": "900.000"}, format="json"))
    assert derived == {"quantity_grams": "derived_from_lots"}
    assert field_errors(producer_admin.patch(url, {"kind": "forward"}, format="json")) == {"kind": "kind_fixed"}
    # Offered, it is public with its lots' summary (no sources, no custody).
    assert ok(producer_admin.post(f"{url}publish/"))["status"] == "published"
    public = ok(anon.get(url))
    assert set(public["lots"][0]) == {
        "id",
        "code",
        "form",
        "gross_grams",
        "fineness",
        "fire_assayed",
        "production_from",
        "production_to",
        "live",
    }


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"quantity_grams": "100.000"}, 400, "derived_from_lots"),
        ({"sites": ["00000000-0000-0000-0000-000000000000"]}, 400, "derived_from_lots"),
        ({"lots": []}, 400, "min_length"),
        ({"lots": None}, 400, "required_for_spot"),
        ({"lots": ["A", "A"]}, 400, "duplicate_lot"),
        ({"lots": ["00000000-0000-0000-0000-000000000000"]}, 400, "not_your_lot"),
        ({"kind": "forward", "lots": ["A"]}, 400, "lots_on_forward"),
        ({"kind": "forward", "lots": None}, 400, "required_for_forward"),
    ],
)
def test_bad_spot_listings_are_refused_and_nothing_is_stored(lots, producer_admin, change, status, code):
    ids = {"A": lots[0]["id"], "B": lots[1]["id"]}
    body = spot_body(*ids.values())
    for key, value in change.items():
        if value is None:
            body.pop(key)
        else:
            body[key] = [ids.get(item, item) for item in value] if key == "lots" else value
    before = (Listing.objects.count(), ListingLot.objects.count(), AuditEvent.objects.count())
    assert code in field_errors(producer_admin.post(LISTINGS, body, format="json"), status).values()
    assert (Listing.objects.count(), ListingLot.objects.count(), AuditEvent.objects.count()) == before


def test_a_lot_of_another_form_or_producer_or_already_listed_is_refused(lots, trade, producer_admin, buyer):
    a, b = lots
    sponge = ok(record_lot(producer_admin, lot_body(trade.site, "50.000", code="S", form="sponge")), 201)
    mixed = field_errors(producer_admin.post(LISTINGS, spot_body(a["id"], sponge["id"]), format="json"))
    assert mixed == {"lots": "lots_mixed_forms"}
    listing = offered(producer_admin, a["id"])
    taken = assert_problem(producer_admin.post(LISTINGS, spot_body(a["id"]), format="json"), 409, "lot_already_listed")
    assert taken["lot_code"] == "A"
    in_spanish = make_client(producer_admin.user, producer_admin.organization, language="es")
    taken_es = in_spanish.post(LISTINGS, spot_body(a["id"]), format="json")
    assert "ya se ofrece" in assert_problem(taken_es, 409, "lot_already_listed")["detail"]
    # Withdrawn, the listing lets its lot go.
    ok(producer_admin.post(f"{LISTINGS}{listing['id']}/withdraw/"))
    assert ListingLot.objects.get(listing_id=listing["id"]).live is False
    offered(producer_admin, a["id"])
    # Another producer cannot offer coop's lot: it is not one of theirs.
    organization = OrganizationFactory(legal_name="Otra Cooperativa")
    other = _member(organization, "admin", "otra@example.test")
    make_compliant_producer(organization)
    assert field_errors(other.post(LISTINGS, spot_body(b["id"]), format="json")) == {"lots": "not_your_lot"}


def test_a_received_lot_is_not_offered_again(lots, producer_admin):
    a, _b = lots
    ok(custody(producer_admin, a["id"], "sealed", seal_number="1"), 201)
    ok(custody(producer_admin, a["id"], "handed_to_carrier"), 201)
    ok(custody(producer_admin, a["id"], "received_by_buyer", weight_grams="299.900"), 201)  # sold elsewhere
    assert_problem(producer_admin.post(LISTINGS, spot_body(a["id"]), format="json"), 409, "lot_delivered")


# --- Contracts on spot listings -------------------------------------------------------------------------
def test_a_spot_contract_names_lots_of_the_listing_holding_its_fine_gold(lots, trade, producer_admin, buyer):
    a, b = lots
    listing = offered(producer_admin, a["id"], b["id"])
    inquiry = ok(
        buyer.post(INQUIRIES, {"listing": listing["id"], "grams": "300.000", "message": "¿A?"}, format="json"), 201
    )
    body = {"inquiry": inquiry["id"], **terms(trade.site, quantity_grams="300.000", fineness="920.0")}
    before = ContractVersion.objects.count()
    assert field_errors(buyer.post(CONTRACTS, body, format="json")) == {"lots": "required_for_spot_listing"}
    outsider = ok(record_lot(producer_admin, lot_body(trade.site, "10.000", code="C")), 201)
    foreign = field_errors(buyer.post(CONTRACTS, {**body, "lots": [outsider["id"]]}, format="json"))
    assert foreign == {"lots": "not_in_listing"}
    # 300 g at 999.9 ‰ is 299.97 fine g: lot A holds 276.
    short = assert_problem(
        buyer.post(CONTRACTS, {**body, "fineness": "999.9", "lots": [a["id"]]}, format="json"),
        409,
        "lots_fine_grams_short",
    )
    assert (short["lots_fine_grams"], short["contract_fine_grams"]) == ("276.000", "299.970")
    assert ContractVersion.objects.count() == before

    # Two negotiations for lot A; the first signed takes it, the second cannot sign it.
    first = ok(buyer.post(CONTRACTS, {**body, "lots": [a["id"]]}, format="json"), 201)
    second_inquiry = ask(buyer, Listing.objects.get(pk=listing["id"]), grams="200.000")
    second = start(buyer, second_inquiry, trade.site, quantity_grams="200.000", fineness="920.0", lots=[a["id"]])
    ok(producer_admin.post(f"{CONTRACTS}{first['id']}/accept/", {"version": 1}, format="json"))
    refused = producer_admin.post(f"{CONTRACTS}{second['id']}/accept/", {"version": 1}, format="json")
    assert assert_problem(refused, 409, "lot_under_contract")["lot_code"] == "A"
    assert Listing.objects.get(pk=listing["id"]).available_grams == Decimal("200.000")  # rolled back
    assert [row.lot.code for row in ContractLot.objects.filter(released=False)] == ["A"]
    # The spot contract's lots are its terms: none are named afterwards.
    assert_problem(
        producer_admin.post(f"{CONTRACTS}{first['id']}/lots/", {"lots": [b["id"]]}, format="json"),
        409,
        "lots_fixed_by_terms",
    )
    # Cancelled, the contract lets its lot go and the listing offers the grams again.
    ok(buyer.post(f"{CONTRACTS}{first['id']}/cancel/", {"reason": "Cambio de planes."}, format="json"))
    assert ContractLot.objects.get(lot_id=a["id"]).released is True
    cancelled = AuditEvent.objects.get(action="trade.contract.cancel", target_id=first["id"])
    assert cancelled.data["released_lots"] == ["A"]
    ok(producer_admin.post(f"{CONTRACTS}{second['id']}/accept/", {"version": 1}, format="json"))


# --- Forward listings and their contracts ---------------------------------------------------------------
def test_a_forward_sale_fits_the_monthly_capacity_and_is_delivered_by_named_lots(trade, producer_admin, buyer):
    Listing.objects.filter(pk=trade.listing.pk).update(monthly_capacity_grams=Decimal("400"))
    delivery = (clock.today_lima() + dt.timedelta(days=40)).isoformat()
    first = start(producer_admin, ask(buyer, trade.listing), trade.site, delivery_date=delivery)
    ok(buyer.post(f"{CONTRACTS}{first['id']}/accept/", {"version": 1}, format="json"))
    with_lots = terms(trade.site, quantity_grams="100.000", lots=["00000000-0000-0000-0000-000000000000"])
    refused = buyer.post(CONTRACTS, {"inquiry": ask(buyer, trade.listing)["id"], **with_lots}, format="json")
    assert field_errors(refused) == {"lots": "forward_lots_come_later"}
    # 300 g of the month's 400 are sold: 150 g more in the same month is refused with the figures.
    over = buyer.post(
        CONTRACTS,
        {
            "inquiry": ask(buyer, trade.listing)["id"],
            **terms(trade.site, quantity_grams="150.000", delivery_date=delivery),
        },
        format="json",
    )
    figures = assert_problem(over, 409, "forward_capacity_exceeded")
    assert (figures["monthly_capacity_grams"], figures["committed_grams"], figures["left_grams"]) == (
        "400.000",
        "300.000",
        "100.000",
    )

    # The mass balance shows the sale for its month of delivery until lots are named for it.
    month = ym(dt.date.fromisoformat(delivery))
    balance = ok(producer_admin.get(f"/api/v1/producers/{trade.producer.pk}/mass-balance/"))
    assert [(r["month"], r["committed_forward_grams"]) for r in balance["rows"]] == [(month, "300.000")]
    url = f"{CONTRACTS}{first['id']}/lots/"
    declare_row(trade.site, last_month(), "1000.000")
    other_site = make_approved_site(trade.producer)
    declare_row(other_site, last_month(), "1000.000")
    elsewhere = ok(record_lot(producer_admin, lot_body(other_site, "300.000", code="X")), 201)
    assert_problem(buyer.post(url, {"lots": [elsewhere["id"]]}, format="json"), 403, "not_producer_side")
    wrong_site = field_errors(producer_admin.post(url, {"lots": [elsewhere["id"]]}, format="json"))
    assert wrong_site == {"lots": "lot_not_from_origin_site"}
    listed = ok(record_lot(producer_admin, lot_body(trade.site, "300.000", code="L")), 201)
    offered(producer_admin, listed["id"])
    assert_problem(producer_admin.post(url, {"lots": [listed["id"]]}, format="json"), 409, "lot_already_listed")
    lot = ok(record_lot(producer_admin, lot_body(trade.site, "300.000", code="F")), 201)
    named = ok(producer_admin.post(url, {"lots": [lot["id"]]}, format="json"), 201)
    assert [row["code"] for row in named] == ["F"]
    assert ok(producer_admin.post(url, {"lots": [lot["id"]]}, format="json"), 201) == named  # a retry: the same
    assert AuditEvent.objects.filter(action="trade.contract.lots_named", target_id=first["id"]).count() == 1
    balance = ok(producer_admin.get(f"/api/v1/producers/{trade.producer.pk}/mass-balance/?site={trade.site.pk}"))
    assert all(r["committed_forward_grams"] == "0.000" for r in balance["rows"])
    # A lot delivers one contract at most.
    second = start(
        producer_admin,
        ask(buyer, trade.listing, grams="100.000"),
        trade.site,
        quantity_grams="100.000",
        delivery_date=delivery,
    )
    ok(buyer.post(f"{CONTRACTS}{second['id']}/accept/", {"version": 1}, format="json"))
    assert_problem(
        producer_admin.post(f"{CONTRACTS}{second['id']}/lots/", {"lots": [lot["id"]]}, format="json"),
        409,
        "lot_under_contract",
    )
    assert ok(producer_admin.post(f"{CONTRACTS}{first['id']}/mark-delivered/"))["state"] == "delivered"
    assert_problem(producer_admin.post(url, {"lots": [listed["id"]]}, format="json"), 409, "contract_not_signed")
