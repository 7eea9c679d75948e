"""The demo data tells the stories of the journeys, and loading it twice changes nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command

from accounts.models import Delegation, Organization, User
from audit.models import AuditEvent
from audit.verification import verify_chain
from compliance.models import Evidence, EvidenceStatus
from compliance.selectors import standing_of
from core import clock
from trade.models import Contract, Inquiry

pytestmark = pytest.mark.django_db


def _state(result, code):
    return next(r for r in result.requirements if r.code == code).state


def test_seed_demo_is_idempotent_and_walks_the_compliance_journeys():
    call_command("seed_demo")
    counts = (User.objects.count(), Evidence.objects.count(), AuditEvent.objects.count())
    call_command("seed_demo")

    assert (User.objects.count(), Evidence.objects.count(), AuditEvent.objects.count()) == counts
    assert set(Evidence.objects.values_list("status", flat=True)) == set(EvidenceStatus.values)
    coop = standing_of(Organization.objects.get(legal_name__startswith="Cooperativa Minera Mujeres")).result
    assert coop.compliant
    assert {"mercury_free", "fairmined", "women_led"} <= {claim.code for claim in coop.claims}
    candelaria = standing_of(Organization.objects.get(kind="producer", legal_name__startswith="Asociación")).result
    assert not candelaria.compliant
    assert _state(candelaria, "OHS_TRAINING") == "missing"
    rosa = standing_of(Organization.objects.get(legal_name="Rosa Quispe Mamani")).result
    assert rosa.compliant
    reinfo = next(r for r in rosa.requirements if r.code == "FORMALIZATION")
    assert reinfo.valid_until - clock.today_lima() < dt.timedelta(days=7)
    assert Organization.objects.get(legal_name__startswith="Exportadora").kyc_status == "verified"
    assert Organization.objects.get(legal_name__startswith="Helvetia").kyc_status == "unverified"
    assert verify_chain().ok


def test_the_directory_filters_by_badges_that_hold_today(client):
    call_command("seed_demo")

    fairmined = client.get("/api/v1/producers/?claims=fairmined").json()["results"]
    mercury_free = client.get("/api/v1/producers/?claims=mercury_free,women_led").json()["results"]
    women_led = client.get("/api/v1/producers/?claims=women_led").json()["results"]

    assert [p["legal_name"] for p in fairmined] == ["Cooperativa Minera Mujeres de Oro de Huepetuhe"]
    assert [p["legal_name"] for p in mercury_free] == ["Cooperativa Minera Mujeres de Oro de Huepetuhe"]
    assert len(women_led) == 3
    assert client.get("/api/v1/producers/?claims=made_up").json()["results"] == []


def test_the_demo_trade_has_a_thread_a_negotiation_and_a_signed_contract():
    call_command("seed_demo")
    call_command("seed_demo")

    exporter = Organization.objects.get(legal_name__startswith="Exportadora")
    thread, asked, _settled = Inquiry.objects.filter(buyer=exporter).order_by("created_at")
    assert [m.side for m in thread.messages.all()] == ["buyer", "producer", "buyer"]
    negotiating = Contract.objects.get(inquiry=thread)
    assert negotiating.state == "negotiating"
    assert [(v.number, v.side) for v in negotiating.versions.order_by("number")] == [(1, "producer"), (2, "buyer")]
    assert negotiating.listing.available_grams == Decimal("500")  # a negotiation reserves nothing
    signed = Contract.objects.get(inquiry=asked)
    assert signed.state == "signed"
    assert len(signed.terms_hash) == 64
    assert signed.acceptances.count() == 2
    assert (signed.listing.quantity_grams, signed.listing.available_grams) == (Decimal("400"), Decimal("250"))
    assert Contract.objects.count() == 3


def test_the_demo_has_a_contract_settled_on_the_refinerys_terms_with_a_transfer_pending():
    call_command("seed_demo")
    call_command("seed_demo")

    from settlement.balance import contract_balance
    from settlement.models import Payment, Statement

    settled = Contract.objects.get(signed_version__settlement__isnull=False)
    provisional, final = Statement.objects.filter(contract=settled).order_by("issued_at")
    assert (provisional.kind, final.kind) == ("provisional", "final")
    assert final.net_value_minor == final.amount_due_minor + provisional.amount_due_minor
    assert all(price["sample"] for price in final.document["prices"].values())  # the demo's sample fixes
    confirmed, pending = Payment.objects.filter(contract=settled).order_by("paid_on")
    assert (confirmed.confirmed_at is not None, pending.confirmed_at) == (True, None)
    assert contract_balance(settled).outstanding_minor == final.amount_due_minor  # recorded, not confirmed


def test_the_demo_has_lots_with_assays_custody_and_a_mass_balance():
    call_command("seed_demo")
    call_command("seed_demo")

    from provenance.models import Lot
    from provenance.selectors import mass_balance

    lot = Lot.objects.get(code="L-0412")
    assert (lot.fineness_in_force(), lot.fine_grams) == (Decimal("921.4"), Decimal("442.272"))
    assert [e.kind for e in lot.custody.order_by("seq")] == ["recorded", "sealed"]
    # Offered on its own in a published spot listing that takes its figures from the lot.
    spot = lot.listing_rows.get(live=True).listing
    assert (spot.kind, spot.status, spot.quantity_grams, spot.fineness, spot.fineness_basis) == (
        "spot",
        "published",
        Decimal("480.000"),
        Decimal("921.4"),
        "lab_assay",
    )
    sponge = Lot.objects.get(code="CAN-07")
    assert sponge.fineness_in_force() == Decimal("880.0")  # an XRF reading never sets it
    month = (clock.today_lima().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    rows = mass_balance(producer=lot.producer, today=clock.today_lima())
    declared = [row for row in rows if row.declared_grams]
    assert len(declared) == 6  # one declaration per demo site-month, the last six
    [april] = [row for row in rows if row.month == month]
    assert (april.declared_grams, april.used_grams, april.left_grams) == (
        Decimal("2100.000"),
        Decimal("480.000"),
        Decimal("1620.000"),
    )
    # The signed forward contracts (150 g of flakes, the settled 100 g of doré) are committed in their months of
    # delivery.
    signed = Contract.objects.filter(state="signed").values_list(
        "signed_version__delivery_date", "signed_version__quantity_grams"
    )
    assert sorted(grams for _month, grams in signed) == [Decimal("100.000"), Decimal("150.000")]
    assert [(row.month, row.committed_forward_grams) for row in rows if row.committed_forward_grams] == sorted(
        (delivery.replace(day=1), grams) for delivery, grams in signed
    )
    assert Lot.objects.count() == 2


def test_the_demo_prices_are_samples_of_london_working_days_that_have_come():
    from marketplace.demo_prices import DAYS, SOURCE
    from prices.calendar import london_working_day, today_london
    from prices.models import ExchangeRate, MetalPrice

    call_command("seed_demo")
    call_command("seed_demo")

    fixes, rates = list(MetalPrice.objects.all()), list(ExchangeRate.objects.all())
    assert len(fixes) >= 3 * 25
    assert len(rates) >= 25
    for row in [*fixes, *rates]:
        assert (row.sample, row.source, row.current) == (True, SOURCE, True)  # every demo price row is a sample
        assert london_working_day(row.date)
    assert {row.benchmark for row in fixes} == {"lbma_gold_am", "lbma_gold_pm", "lbma_silver"}
    assert max(row.date for row in fixes) <= today_london()
    assert max(row.date for row in rates) <= clock.today_lima()
    assert min(row.date for row in fixes) > today_london() - dt.timedelta(days=DAYS)
    assert min(row.date for row in rates) > clock.today_lima() - dt.timedelta(days=DAYS)
    assert all(
        Decimal(3000) < row.usd_per_troy_ounce < Decimal(6000) for row in fixes if row.benchmark != "lbma_silver"
    )
    assert all(Decimal(3) < row.rate < Decimal(4) for row in rates)
    assert sorted(event.data["kind"] for event in AuditEvent.objects.filter(action="prices.file.imported")) == [
        "fixes",
        "rates",
    ]


def test_the_demo_officer_acts_for_the_cooperative_on_its_evidence_and_sites():
    call_command("seed_demo")
    call_command("seed_demo")

    coop = Organization.objects.get(legal_name__startswith="Cooperativa Minera Mujeres")
    support = Organization.objects.get(kind="support")
    delegation = Delegation.objects.get()
    assert support.legal_name == "Asociación de Apoyo Minero Sostenible"
    assert (delegation.organization, delegation.officer.email, delegation.support_organization) == (
        coop,
        "officer@demo.test",
        support,
    )
    assert (delegation.scopes, delegation.effective_status()) == (["evidence", "sites"], "active")
    assert delegation.officer.check_password("oro-limpio-2026")
