"""Demo settlement, through the services: the Peruvian exporter bought 100 g of the cooperative's Fairmined
doré (an offer of its own, sold out by it) on the refinery's terms (LBMA PM the day after receipt, 99.5 %
payable, a refining charge per gross ounce, the Fairmined premium, 90 % provisional, a 0.5 ‰ splitting limit).
The story has already happened: the contract was signed twelve days ago (its signature is dated back, as
history is); the cooperative declared the shipment ten days ago, the provisional statement was issued and its
transfer confirmed; the exporter received and assayed it a week ago within the splitting limit, issued the
final statement, and recorded the final transfer, which the cooperative has not confirmed yet: the balance
shows it pending. Prices are the demo's sample fixes (marketplace/demo_prices.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from accounts.models import Organization, User
from core import clock
from core.money import Money
from listings import services as listing_services
from marketplace.demo_compliance import actor_for
from marketplace.demo_listings import _offer
from marketplace.demo_trade import _terms
from prices.calendar import london_working_day
from producers.models import Producer, Site
from settlement import statements
from settlement.models import Statement
from settlement.payments import payment_confirm, payment_record
from settlement.records import AssayFigures, assay_record, weighing_record
from trade import inquiries, services
from trade.models import Contract

UMPIRE_LAB = "Alex Stewart International del Perú, Callao"


def _working_day_before(day: dt.date) -> dt.date:
    while not london_working_day(day):
        day -= dt.timedelta(days=1)
    return day


def seed_settlement(orgs: dict[str, Organization], users: dict[str, User]) -> int:
    if Statement.objects.exists():
        return 0
    buyer = actor_for(users["buyer2@demo.test"], orgs["exporter"])
    coop_admin = actor_for(users["coop-admin@demo.test"], orgs["coop"])
    coop = Producer.objects.get(pk=orgs["coop"].pk)
    site = Site.objects.filter(producer=coop, status=Site.Status.APPROVED).order_by("created_at").first()
    assert site is not None
    today = clock.today_lima()
    # An offer of its own, all of it sold by this contract (it closes sold out): the demo's other offers keep
    # what the journeys expect of them.
    offer = listing_services.listing_create(
        actor=coop_admin,
        producer=coop,
        **_offer(
            coop,
            "Doré Fairmined para refinería, 100 g",
            "Fairmined doré for a refinery, 100 g",
            quantity_grams=Decimal("100"),
            monthly_capacity_grams=Decimal("100"),
            claims=["fairmined"],
            premium_per_kg_fine_minor=400000,
        ),
    )
    listing_services.listing_move(actor=coop_admin, listing=offer, move="publish")

    inquiry = inquiries.inquiry_create(
        actor=buyer,
        listing_id=offer.pk,
        grams=Decimal("100"),
        message="Para la refinería: 100 g con liquidación por ensayo, PM del día siguiente a la recepción.",
    )
    contract: Contract = services.contract_start(
        actor=coop_admin,
        inquiry=inquiry,
        **_terms(
            site,
            quantity_grams=Decimal("100"),
            deposit_percent_bp=0,
            delivery_date=today + dt.timedelta(days=1),
            settlement={
                "fixing_rule": "after_receipt",
                "fixing_date": None,
                "quotational_period_start": None,
                "quotational_period_days": None,
                "gold_payable_bp": 9950,
                "gold_minimum_fineness": Decimal("0.0"),
                "silver_payable_bp": 0,
                "silver_minimum_fineness": Decimal("0.0"),
                "silver_price_per_fine_gram_minor": None,
                "silver_price_currency": None,
                "provisional_bp": 9000,
                "splitting_limit": Decimal("0.5"),
                "within_limit_rule": "mean",
                "umpire_laboratory": UMPIRE_LAB,
                "umpire_cost": "farther",
            },
            charges=[
                {
                    "label": "Refining charge",
                    "kind": "per_troy_ounce_gross",
                    "amount_minor": 100,
                    "currency": "USD",
                    "percent_bp": None,
                }
            ],
        ),
    )
    services.contract_accept(actor=buyer, contract=contract, version=1)
    inquiries.inquiry_close(actor=buyer, inquiry=inquiry)  # signed: the thread is done (its offer is sold out)
    Contract.objects.filter(pk=contract.pk).update(signed_at=clock.now() - dt.timedelta(days=12))
    contract.refresh_from_db()

    dispatch = _working_day_before(today - dt.timedelta(days=10))
    receipt = _working_day_before(today - dt.timedelta(days=7))
    weighing_record(
        actor=coop_admin, contract=contract, shipment=1, gross_grams=Decimal("108.600"), weighed_on=dispatch
    )
    assay_record(
        actor=coop_admin,
        contract=contract,
        shipment=1,
        party="seller",
        figures=AssayFigures(
            Decimal("921.0"), Decimal("58.0"), "Laboratorio Regional de Madre de Dios", "LRMD-2026-0588", dispatch
        ),
    )
    provisional, _ = statements.statement_issue(actor=buyer, contract=contract, shipment=1, kind="provisional")
    paid, _ = payment_record(
        actor=buyer,
        contract=contract,
        kind="provisional",
        shipment=1,
        amount=Money(provisional.amount_due_minor, provisional.currency),
        paid_on=dispatch,
        bank_reference="BCP-EXP-0588-P",
    )
    payment_confirm(actor=coop_admin, payment=paid)

    weighing_record(actor=buyer, contract=contract, shipment=1, gross_grams=Decimal("108.410"), weighed_on=receipt)
    assay_record(
        actor=buyer,
        contract=contract,
        shipment=1,
        party="buyer",
        figures=AssayFigures(
            Decimal("920.7"), Decimal("58.3"), "Laboratorio de la exportadora", "EXP-LAB-2211", receipt
        ),
    )
    final, _ = statements.statement_issue(actor=buyer, contract=contract, shipment=1, kind="final")
    if final.amount_due_minor > 0:
        payment_record(
            actor=buyer,
            contract=contract,
            kind="final",
            shipment=1,
            amount=Money(final.amount_due_minor, final.currency),
            paid_on=today,
            bank_reference="BCP-EXP-0588-F",
        )
    return 6
