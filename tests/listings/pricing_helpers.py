"""The price table as the tests need it: fixes and rates written directly (the prices app records them), and a
cooperative compliant today whose published listings buyers see."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from accounts.models import Organization
from compliance.models import Claim, Evidence
from compliance.standing import standings_refresh
from core import clock
from listings.models import Listing, ListingClaim
from prices.models import Benchmark, ExchangeRate, MetalPrice
from producers.models import Producer, Site
from tests.factories import ListingFactory
from tests.provenance.helpers import declare_row
from tests.trade.helpers import make_compliant_producer


def producing(organization: Organization) -> tuple[Producer, Site]:
    """`make_compliant_producer`, whose site also declared (and a reviewer confirmed) 10 kg produced this month:
    a forward listing it publishes is offered, not held for a volume check."""
    producer, site = make_compliant_producer(organization)
    declare_row(site, clock.today_lima().replace(day=1), "10000.000")
    return producer, site


def record_fix(usd_per_troy_ounce: str, *, benchmark: str = Benchmark.GOLD_PM, days_ago: int = 0) -> MetalPrice:
    return MetalPrice.objects.create(
        benchmark=benchmark,
        date=clock.today_lima() - dt.timedelta(days=days_ago),
        usd_per_troy_ounce_milli=int(Decimal(usd_per_troy_ounce) * 1000),
        source="LBMA, lbma.org.uk (test)",
    )


def record_rate(soles_per_dollar: str, *, days_ago: int = 0) -> ExchangeRate:
    return ExchangeRate.objects.create(
        base="USD",
        quote="PEN",
        date=clock.today_lima() - dt.timedelta(days=days_ago),
        rate_micro=int(Decimal(soles_per_dollar) * 10**6),
        source="SBS, tipo de cambio (test)",
    )


def fixed(amount_minor: int, currency: str = "USD", **fields: Any) -> dict[str, Any]:
    return {
        "price_basis": "fixed",
        "currency": currency,
        "price_per_fine_gram_minor": amount_minor,
        "lbma_adjustment_bp": None,
        **fields,
    }


def lbma(adjustment_bp: int, basis: str = "lbma_pm", **fields: Any) -> dict[str, Any]:
    return {
        "price_basis": basis,
        "currency": "USD",
        "price_per_fine_gram_minor": None,
        "lbma_adjustment_bp": adjustment_bp,
        **fields,
    }


def back_claims(producer: Producer, site: Site, claims: list[str]) -> None:
    """An approved item, valid 200 days, for each requirement of each claim: the claims hold at `site`."""
    organization: Organization = producer.organization
    admin = organization.memberships.first()
    assert admin is not None
    for claim in Claim.objects.filter(code__in=claims).prefetch_related("requirements__evidence_types"):
        for requirement in claim.requirements.all():
            evidence_type = requirement.evidence_types.first()
            Evidence.objects.create(
                organization=organization,
                evidence_type=evidence_type,
                site=site if evidence_type.site_specific else None,
                issue_date=clock.today_lima(),
                submitted_by=admin.user,
                status="approved",
                valid_until=clock.today_lima() + dt.timedelta(days=200),
            )
    standings_refresh(organization_ids=[organization.pk])


def published(producer: Producer, site: Site, price: dict[str, Any], claims: tuple[str, ...] = (), **fields: Any):
    listing: Listing = ListingFactory(
        producer=producer,
        sites=[site],
        published=True,
        min_order_grams=Decimal("1"),
        valid_until=clock.today_lima() + dt.timedelta(days=60),
        **price,
        **fields,
    )
    for claim in claims:
        ListingClaim.objects.create(listing=listing, claim_id=claim)
    return listing
