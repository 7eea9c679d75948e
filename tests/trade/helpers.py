"""A world to trade in: coop (the `producer_admin`'s cooperative) verified and compliant today, with an
approved site and a published 500 g listing; the `buyer`'s refiner KYC-verified. Plus terms, inquiries and
contracts built through the API as the named actors."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone

from accounts.models import Organization
from compliance.models import Evidence, Requirement
from compliance.standing import standings_refresh
from core import clock
from listings.models import Listing
from producers.models import Producer, Site, Verification
from tests.conftest import ActorClient
from tests.factories import ListingFactory, make_ruc

INQUIRIES = "/api/v1/inquiries/"
CONTRACTS = "/api/v1/contracts/"
_serial = iter(range(10**6))


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.content[:1500]
    return response.json()


def make_compliant_producer(organization: Organization) -> tuple[Producer, Site]:
    """A verified cooperative with an approved site and an approved item for every requirement of the
    organisation and individual policies, valid for 200 days."""
    producer = Producer.objects.create(
        organization=organization,
        legal_kind="cooperative",
        legal_category="REINFO",
        ruc=make_ruc("20"),
        district="huepetuhe",
        verification_status=Verification.VERIFIED,
        verified_at=timezone.now(),
    )
    site = make_approved_site(producer)
    admin = organization.memberships.first()
    assert admin is not None, "give the organisation a member first"
    requirements = (
        Requirement.objects.filter(policies__subject__in=["organization", "individual"])
        .distinct()
        .prefetch_related("evidence_types")
    )
    Evidence.objects.bulk_create(
        Evidence(
            organization=organization,
            evidence_type=evidence_type,
            site=site if evidence_type.site_specific else None,  # a site's title backs only that site
            issue_date=clock.today_lima(),
            submitted_by=admin.user,
            status="approved",
            valid_until=clock.today_lima() + dt.timedelta(days=200),
        )
        for requirement in requirements
        for evidence_type in [requirement.evidence_types.first()]
    )
    standings_refresh(organization_ids=[organization.pk])  # what the approving service does
    return producer, site


def make_approved_site(producer: Producer, status: str = Site.Status.APPROVED) -> Site:
    n = next(_serial)
    return Site.objects.create(
        producer=producer,
        name=f"Playa {n}",
        concession_code=f"0102{n:05d}",
        district="huepetuhe",
        geometry={"type": "Point", "coordinates": [-70.51, -12.98]},
        latitude=-12.98,
        longitude=-70.51,
        status=status,
    )


def make_listing(producer: Producer, site: Site, grams: str = "500", status: str = "published") -> Listing:
    return ListingFactory(
        producer=producer,
        sites=[site],
        quantity_grams=Decimal(grams),
        min_order_grams=Decimal("1"),
        valid_until=clock.today_lima() + dt.timedelta(days=60),
        title_es="Doré 920 sin mercurio",
        status=status,
        published_at=timezone.now() if status == "published" else None,
    )


def verify_kyc(organization: Organization, valid_for_days: int = 365) -> None:
    """Verified today, valid for `valid_for_days` more days (what a reviewer's verification stores)."""
    Organization.objects.filter(pk=organization.pk).update(
        kyc_status=Organization.KycStatus.VERIFIED,
        kyc_verified_at=timezone.now(),
        kyc_valid_until=clock.today_lima() + dt.timedelta(days=valid_for_days),
    )


def terms(site: Site, **overrides: Any) -> dict[str, Any]:
    """300 g at 920 per mille, LBMA PM minus 2 % plus the Fairmined premium, FCA Puerto Maldonado, 10 %."""
    body = {
        "quantity_grams": "300.000",
        "fineness": "920.0",
        "price_basis": "lbma_pm",
        "lbma_adjustment_percent": "-2.00",
        "premium_per_kg_fine_minor": 400000,
        "incoterm": "FCA",
        "incoterm_place": "Puerto Maldonado",
        "delivery_date": (clock.today_lima() + dt.timedelta(days=30)).isoformat(),
        "deposit_percent": "10.00",
        "payment_terms": "Saldo contra entrega, transferencia a 5 días.",
        "origin_site": str(site.pk),
    }
    body.update(overrides)
    return body


@dataclass
class Trade:
    producer: Producer
    site: Site
    listing: Listing


def ask(buyer: ActorClient, listing: Listing, grams: str = "300.000", message: str = "¿Entregan en mayo?") -> dict:
    return ok(
        buyer.post(INQUIRIES, {"listing": str(listing.pk), "grams": grams, "message": message}, format="json"), 201
    )


def start(actor: ActorClient, inquiry: dict, site: Site, **overrides: Any) -> dict:
    return ok(actor.post(CONTRACTS, {"inquiry": inquiry["id"], **terms(site, **overrides)}, format="json"), 201)
