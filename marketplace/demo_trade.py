"""Demo trade, through the services: the Peruvian exporter (KYC-verified) and the cooperative talk in an
inquiry's thread about the Fairmined doré and negotiate a contract for it (two versions, nothing reserved);
on another of the cooperative's offers, 850 per mille flakes, they have signed a contract that holds 150 g."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from accounts.models import Organization, User
from core import clock
from listings import services as listing_services
from listings.models import Listing
from marketplace.demo_compliance import actor_for
from marketplace.demo_listings import _offer
from producers.models import Producer, Site
from trade import inquiries, services
from trade.models import Contract, Inquiry

FLAKES_TITLE = "Charpas de oro 850‰ sin mercurio, Huepetuhe"


def _terms(site: Site, **fields: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "quantity_grams": Decimal("200"),
        "fineness": Decimal("920"),
        "price_basis": "lbma_pm",
        "currency": "USD",
        "price_per_fine_gram_minor": None,
        "lbma_adjustment_bp": -200,
        "premium_per_kg_fine_minor": 400000,
        "incoterm": "FCA",
        "incoterm_place": "Puerto Maldonado",
        "delivery_date": clock.today_lima() + dt.timedelta(days=45),
        "deposit_amount_minor": None,
        "deposit_percent_bp": 1000,
        "payment_terms": "Saldo por transferencia dentro de los 5 días hábiles posteriores a la entrega.",
        "origin_site": site.pk,
    }
    values.update(fields)
    return values


def seed_trade(orgs: dict[str, Organization], users: dict[str, User]) -> int:
    exporter = orgs["exporter"]
    if Inquiry.objects.filter(buyer=exporter).exists():
        return 0
    created = 0
    buyer = actor_for(users["buyer2@demo.test"], exporter)
    coop_admin = actor_for(users["coop-admin@demo.test"], orgs["coop"])
    coop_member = actor_for(users["coop-member@demo.test"], orgs["coop"])
    coop = Producer.objects.get(pk=orgs["coop"].pk)
    site = Site.objects.filter(producer=coop, status=Site.Status.APPROVED).order_by("created_at").first()
    assert site is not None
    fairmined = Listing.objects.get(producer=coop, claim_rows__claim_id="fairmined", status="published")

    # A thread about the Fairmined doré, and a negotiation for 200 g of it: version 2 is the exporter's.
    inquiry = inquiries.inquiry_create(
        actor=buyer,
        listing_id=fairmined.pk,
        grams=Decimal("200"),
        message="Buenos días. ¿Podrían entregar 200 g en Puerto Maldonado el próximo mes? ¿El ensayo es XRF?",
    )
    inquiries.inquiry_post_message(
        actor=coop_member,
        inquiry=inquiry,
        body="Sí, podemos. La ley es por XRF; el ensayo de laboratorio lo hacemos si lo pagan aparte.",
    )
    inquiries.inquiry_post_message(actor=buyer, inquiry=inquiry, body="Perfecto. Esperamos su propuesta de contrato.")
    negotiating = services.contract_start(actor=coop_admin, inquiry=inquiry, **_terms(site))
    services.contract_propose(
        actor=buyer,
        contract=negotiating,
        **_terms(site, lbma_adjustment_bp=-250, delivery_date=clock.today_lima() + dt.timedelta(days=60)),
    )
    created += 6

    # Another offer of the cooperative, and a contract signed for 150 g of it.
    flakes = listing_services.listing_create(
        actor=coop_admin,
        producer=coop,
        **_offer(
            coop,
            FLAKES_TITLE,
            "Mercury-free gold flakes, 850, Huepetuhe",
            form="flake_dust",
            quantity_grams=Decimal("400"),
            monthly_capacity_grams=Decimal("200"),
            fineness=Decimal("850"),
            claims=["mercury_free"],
        ),
    )
    listing_services.listing_move(actor=coop_admin, listing=flakes, move="publish")
    asked = inquiries.inquiry_create(
        actor=buyer, listing_id=flakes.pk, grams=Decimal("150"), message="Nos interesan 150 g de charpas."
    )
    signed: Contract = services.contract_start(
        actor=buyer,
        inquiry=asked,
        **_terms(
            site,
            quantity_grams=Decimal("150"),
            fineness=Decimal("850"),
            price_basis="fixed",
            currency="USD",
            price_per_fine_gram_minor=9650,
            lbma_adjustment_bp=None,
            premium_per_kg_fine_minor=0,
            deposit_amount_minor=200000,
            deposit_percent_bp=None,
        ),
    )
    services.contract_accept(actor=coop_admin, contract=signed, version=1)
    created += 6
    return created
