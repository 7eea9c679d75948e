"""Statements over HTTP: what a statement waits for, the draft, issuing it (the buyer's admin, once), the PDF,
and who may read. The records are written with the ORM here (their own API is tested in its own module)."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from pypdf import PdfReader

from audit.models import AuditEvent
from core import clock
from prices.models import MetalPrice
from settlement.models import AssayResult, Statement, Weighing
from tests.problems import assert_problem
from tests.trade.deposit_helpers import signed_contract
from trade.models import Contract, ContractCharge, SettlementTerms

pytestmark = pytest.mark.django_db


@pytest.fixture
def contract(trade, buyer, producer_admin) -> Contract:
    """A signed contract on LBMA PM, settled as journey 10 says (without the certified minimum)."""
    body = signed_contract(
        trade,
        buyer,
        producer_admin,
        price_basis="lbma_pm",
        price_per_fine_gram=None,
        lbma_adjustment_percent="0.00",
        premium_per_kg_fine_minor=600_000,
        deposit_percent="0.00",
    )
    contract = Contract.objects.get(pk=body["id"])
    version = contract.signed_version
    SettlementTerms.objects.create(
        version=version,
        fixing_rule="after_receipt",
        gold_payable_bp=9950,
        provisional_bp=9000,
        splitting_limit=Decimal("0.5"),
        within_limit_rule="mean",
        umpire_laboratory="Alex Stewart International, Lima",
        umpire_cost="farther",
    )
    ContractCharge.objects.create(
        version=version,
        position=1,
        label="Refining charge",
        kind="per_troy_ounce_gross",
        amount_minor=100,
        currency="USD",
    )
    return contract


def url(contract, kind="final", suffix="/"):
    return f"/api/v1/contracts/{contract.pk}/shipments/1/statements/{kind}{suffix}"


def fix(day: dt.date, price: str) -> MetalPrice:
    return MetalPrice.objects.create(
        benchmark="lbma_gold_pm", date=day, usd_per_troy_ounce_milli=int(Decimal(price) * 1000), source="test"
    )


def record(contract, party, **fields):
    user = contract.created_by
    return AssayResult.objects.create(
        contract=contract,
        shipment=1,
        party=party,
        recorded_by=user,
        laboratory="Lab",
        assayed_on=clock.today_lima(),
        **fields,
    )


def weigh(contract, party, grams, day):
    return Weighing.objects.create(
        contract=contract,
        shipment=1,
        party=party,
        gross_grams=Decimal(grams),
        weighed_on=day,
        recorded_by=contract.created_by,
    )


def test_a_statement_says_what_it_waits_for_until_everything_is_recorded(contract, buyer, producer_member):
    today = clock.today_lima()
    body = buyer.get(url(contract, "provisional")).json()
    assert (body["state"], body["waiting_for"]) == ("waiting", ["declared_weight"])
    weigh(contract, "seller", "480.000", today - dt.timedelta(days=6))
    record(contract, "seller", au_per_mille=Decimal("921.4"))
    body = producer_member.get(url(contract, "provisional")).json()
    assert (body["state"], body["waiting_for"]) == ("waiting", ["gold_price"])
    fix(today - dt.timedelta(days=7), "2650.350")
    body = producer_member.get(url(contract, "provisional")).json()
    assert body["state"] == "draft"
    lines = {line["key"]: line for line in body["document"]["lines"]}
    assert lines["provisional_payment"]["amount"] == {"amount_minor": 3_612_254, "currency": "USD"}
    assert lines["fine_gold"]["label"] == "Fine gold"
    assert body["document"]["prices"]["gold"]["dates"] == [(today - dt.timedelta(days=7)).isoformat()]

    final = buyer.get(url(contract)).json()
    assert final["state"] == "waiting"
    assert set(final["waiting_for"]) == {"received_weight", "provisional_statement"}


def test_the_buyer_issues_each_statement_once_and_the_final_reads_the_fix_after_receipt(
    contract, buyer, buyer_member, producer_admin, producer_member
):
    today = clock.today_lima()
    weigh(contract, "seller", "480.000", today - dt.timedelta(days=6))
    record(contract, "seller", au_per_mille=Decimal("921.4"))
    fix(today - dt.timedelta(days=7), "2650.350")
    assert_problem(producer_admin.post(url(contract, "provisional", "/issue/")), 403, "permission_denied")
    assert_problem(buyer_member.post(url(contract, "provisional", "/issue/")), 403, "permission_denied")
    issued = buyer.post(url(contract, "provisional", "/issue/"))
    assert issued.status_code == 201, issued.content
    assert issued.json()["state"] == "issued"
    digest = issued.json()["digest"]
    again = buyer.post(url(contract, "provisional", "/issue/"))
    assert (again.status_code, again.json()["digest"]) == (200, digest)
    assert AuditEvent.objects.filter(action="settlement.statement.issued").count() == 1

    received = today - dt.timedelta(days=3)
    weigh(contract, "buyer", "479.200", received)
    record(contract, "buyer", au_per_mille=Decimal("919.8"))
    fix(received, "2600.000")  # the day of receipt: not the one the terms name
    waiting = assert_problem(buyer.post(url(contract, "final", "/issue/")), 409, "statement_waiting")
    assert waiting["waiting_for"] == ["umpire_assay"]
    record(contract, "umpire", au_per_mille=Decimal("920.3"), cost_minor=15_000)
    assert buyer.get(url(contract)).json()["waiting_for"] == ["gold_price"]
    fix(received + dt.timedelta(days=1), "2671.800")
    final = buyer.post(url(contract, "final", "/issue/"))
    assert final.status_code == 201, final.content
    document = final.json()["document"]
    lines = {line["key"]: line for line in document["lines"]}
    assert lines["final_balance"]["amount"]["amount_minor"] == 405_132
    assert document["prices"]["gold"]["dates"] == [(received + dt.timedelta(days=1)).isoformat()]
    stored = Statement.objects.get(contract=contract, kind="final")
    assert (stored.amount_due_minor, stored.net_value_minor) == (405_132, 4_017_386)

    # Issued is frozen: a later correction of the price table does not change it.
    MetalPrice.objects.filter(date=received + dt.timedelta(days=1)).update(usd_per_troy_ounce_milli=1)
    assert producer_member.get(url(contract)).json()["digest"] == final.json()["digest"]


def test_the_pdf_is_for_an_issued_statement_and_carries_its_digest(contract, buyer, producer_admin):
    today = clock.today_lima()
    assert_problem(producer_admin.get(url(contract, "provisional", ".pdf")), 409, "statement_not_issued")
    weigh(contract, "seller", "480.000", today)
    record(contract, "seller", au_per_mille=Decimal("921.4"))
    fix(today, "2650.350")
    digest = buyer.post(url(contract, "provisional", "/issue/")).json()["digest"]
    response = producer_admin.get(url(contract, "provisional", ".pdf"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert digest in text.replace("\n", "")
    assert "36,122.54 USD" in text


def test_outsiders_do_not_see_a_statement_and_an_unknown_shipment_is_missing(contract, other_buyer, anon, reviewer):
    assert_problem(other_buyer.get(url(contract, "provisional")), 404, "not_found")
    assert anon.get(url(contract, "provisional")).status_code == 401
    assert reviewer.get(url(contract, "provisional")).status_code == 200
    assert_problem(reviewer.post(url(contract, "provisional", "/issue/")), 403, "permission_denied")
    missing = f"/api/v1/contracts/{contract.pk}/shipments/2/statements/final/"
    assert_problem(reviewer.get(missing), 404, "shipment_not_found")
    assert reviewer.get(f"/api/v1/contracts/{contract.pk}/shipments/1/statements/other/").status_code == 404


def test_a_contract_signed_without_settlement_terms_is_not_settled_here(trade, buyer, producer_admin):
    body = signed_contract(trade, buyer, producer_admin)
    assert_problem(
        buyer.get(f"/api/v1/contracts/{body['id']}/shipments/1/statements/final/"), 409, "no_settlement_terms"
    )
