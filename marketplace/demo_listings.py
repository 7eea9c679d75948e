"""Demo listings in every state, and a sourcing request with its matches, through the services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from accounts.models import Organization, User
from core import clock
from listings import services, sourcing
from listings.models import Listing, SourcingRequest
from marketplace.demo_compliance import actor_for
from producers.models import Producer, Site
from provenance.models import Lot


def _offer(producer: Producer, title_es: str, title_en: str, **fields: Any) -> dict[str, Any]:
    today = clock.today_lima()
    site = Site.objects.filter(producer=producer).order_by("created_at").first()
    assert site is not None
    values: dict[str, Any] = {
        "sites": [site.pk],
        "form": "dore",
        "quantity_grams": Decimal("500"),
        "min_order_grams": Decimal("100"),
        "fineness": Decimal("920"),
        "fineness_basis": "xrf",
        "processing_methods": ["shaking_table", "borax_smelting"],
        "claims": [],
        "price_basis": "lbma_pm",
        "lbma_adjustment_bp": -200,
        "currency": "USD",
        "price_per_fine_gram_minor": None,
        "premium_per_kg_fine_minor": 0,
        "incoterm": "FCA",
        "incoterm_place": "Puerto Maldonado",
        "valid_from": today,
        "valid_until": today + dt.timedelta(days=60),
        "title_es": title_es,
        "title_en": title_en,
        "description_es": "",
        "description_en": "",
    }
    values.update(fields)
    return values


def seed_listings(orgs: dict[str, Organization], users: dict[str, User]) -> int:
    created = 0
    coop_admin = actor_for(users["coop-admin@demo.test"], orgs["coop"])
    coop = Producer.objects.get(pk=orgs["coop"].pk)
    specs: list[tuple[Any, Producer, str, dict[str, Any]]] = [
        (
            coop_admin,
            coop,
            "publish",
            _offer(
                coop,
                "Doré 920 sin mercurio, Fairmined",
                "Mercury-free Fairmined doré, 920",
                claims=["mercury_free", "fairmined"],
                premium_per_kg_fine_minor=400000,
                description_es="Oro aluvial de Huepetuhe: mesa vibratoria y fundición con bórax, sin mercurio.",
                description_en="Alluvial gold from Huepetuhe: shaking table and borax smelting, no mercury.",
            ),
        ),
        (
            coop_admin,
            coop,
            "pause",
            _offer(
                coop,
                "Charpas de oro, pausado hasta la próxima campaña",
                "Gold flakes, paused until next season",
                form="flake_dust",
                fineness=Decimal("880"),
                monthly_capacity_grams=Decimal("100"),
                claims=["mercury_free"],
            ),
        ),
        (coop_admin, coop, "withdraw", _offer(coop, "Pepitas (retirado)", "Nuggets (withdrawn)", form="nugget")),
        (
            coop_admin,
            coop,
            "draft",
            _offer(
                coop,
                "Borrador: doré a precio fijo",
                "Draft: fixed-price doré",
                price_basis="fixed",
                lbma_adjustment_bp=None,
                price_per_fine_gram_minor=9850,
                currency="USD",
            ),
        ),
    ]
    lot = Lot.objects.filter(producer=coop, code="L-0412").first()
    if lot is not None and not lot.listing_rows.exists():
        # A spot listing offers the recorded lot: its grams, fineness, form, methods and site are the lot's.
        spot = _offer(
            coop,
            "Lote L-0412: doré 921,4 ‰ con ensayo al fuego, sin mercurio",
            "Lot L-0412: fire-assayed 921.4 ‰ doré, mercury-free",
            kind="spot",
            lots=[lot.pk],
            claims=["mercury_free"],
            description_es="Un lingote de 480 g de Playa Huepetuhe Alto, precintado (004417), con su ensayo.",
            description_en="One 480 g bar from Playa Huepetuhe Alto, sealed (004417), with its assay certificate.",
        )
        for derived in ("sites", "form", "quantity_grams", "min_order_grams", "fineness", "fineness_basis"):
            del spot[derived]
        del spot["processing_methods"]
        specs.append((coop_admin, coop, "publish", spot))
    miner_admin = actor_for(users["miner@demo.test"], orgs["miner"])
    miner = Producer.objects.get(pk=orgs["miner"].pk)
    specs.append(
        (
            miner_admin,
            miner,
            "publish",
            _offer(
                miner,
                "Oro de Tambopata de una minera artesanal",
                "Gold from a woman artisanal miner in Tambopata",
                quantity_grams=Decimal("120"),
                min_order_grams=Decimal("20"),
                fineness=Decimal("905"),
                claims=["women_led"],
                description_es="Su REINFO vence esta semana: la oferta se ocultará el día que venza si no lo renueva.",
            ),
        )
    )
    assoc_admin = actor_for(users["candelaria-admin@demo.test"], orgs["association"])
    assoc = Producer.objects.get(pk=orgs["association"].pk)
    specs.append(
        (
            assoc_admin,
            assoc,
            "draft",
            _offer(
                assoc,
                "Doré de Laberinto (no se puede publicar: falta la capacitación en SSO)",
                "Doré from Laberinto (cannot be published yet: OHS training missing)",
                fineness=Decimal("900"),
            ),
        )
    )
    for actor, producer, outcome, values in specs:
        if Listing.objects.filter(producer=producer, title_es=values["title_es"]).exists():
            continue
        listing = services.listing_create(actor=actor, producer=producer, **values)
        created += 1
        if outcome in ("publish", "pause"):
            listing = services.listing_move(actor=actor, listing=listing, move="publish")
        if outcome == "pause":
            services.listing_move(actor=actor, listing=listing, move="pause")
        if outcome == "withdraw":
            services.listing_move(actor=actor, listing=listing, move="withdraw")
    exporter = actor_for(users["buyer2@demo.test"], orgs["exporter"])
    if not SourcingRequest.objects.filter(buyer=orgs["exporter"]).exists():
        today = clock.today_lima()
        sourcing.sourcing_request_create(
            actor=exporter,
            title="2 kg por trimestre, 900‰ o más, sin mercurio",
            grams=Decimal("2000"),
            min_fineness=Decimal("900"),
            forms=[],
            claims=["mercury_free"],
            max_price_per_fine_gram_minor=None,
            currency="USD",
            incoterm="FCA",
            delivery_from=today + dt.timedelta(days=30),
            delivery_until=today + dt.timedelta(days=120),
            notes="Entrega en Puerto Maldonado o Lima.",
        )
        created += 1
    return created
