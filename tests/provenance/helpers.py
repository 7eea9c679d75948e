"""Shared helpers for the provenance tests: a cooperative with approved sites, confirmed production
declarations (through the API or as rows), lots and custody events over HTTP."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from django.utils import timezone

from accounts.models import Organization
from compliance.models import DeclaredProduction
from core import clock
from producers.models import Producer, Site
from tests.compliance.helpers import decide, make_evidence, make_producer, make_site, ok, pdf_upload, upload
from tests.conftest import ActorClient

LOTS = "/api/v1/lots/"


def last_month() -> dt.date:
    """The first day of last month: a month wholly in the past (the journey's "April")."""
    return (clock.today_lima().replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def ym(month: dt.date) -> str:
    return f"{month:%Y-%m}"


def approved_site(organization: Organization, name: str = "Huepetuhe-2", code: str = "010203405") -> Site:
    producer = Producer.objects.filter(pk=organization.pk).first() or make_producer(organization)
    site = make_site(producer, concession_code=code, name=name)
    Site.objects.filter(pk=site.pk).update(status=Site.Status.APPROVED)
    site.refresh_from_db()
    return site


def declare_row(site: Site, month: dt.date, grams: str, submitted_by: Any = None) -> DeclaredProduction:
    """An approved production declaration for one site-month, confirmed in full (as rows)."""
    organization = site.producer.organization
    user = submitted_by or organization.memberships.first().user
    evidence = make_evidence(
        organization,
        "PROD_DECL",
        submitted_by=user,
        status="approved",
        valid_until=clock.today_lima() + dt.timedelta(days=180),
        site=site,
    )
    type(evidence).objects.filter(pk=evidence.pk).update(decided_at=timezone.now())
    return DeclaredProduction.objects.create(
        evidence=evidence, site=site, month=month, declared_grams=Decimal(grams), confirmed_grams=Decimal(grams)
    )


def declare(producer: ActorClient, reviewer: ActorClient, site: Site, months: dict[str, str], **confirm: str) -> dict:
    """Upload a declaration and have the reviewer approve it (confirming `confirm` or the declared grams)."""
    production = [{"month": month, "grams": grams} for month, grams in months.items()]
    item = ok(
        upload(
            producer, "PROD_DECL", [pdf_upload("declaracion.pdf")], site=str(site.pk), production=json.dumps(production)
        ),
        201,
    )
    confirmed = [
        {"month": month, "grams": confirm.get(month.replace("-", "_"), grams)} for month, grams in months.items()
    ]
    return ok(decide(reviewer, item["id"], "approve", confirmed_production=confirmed))


def lot_body(site: Site, grams: str, month: dt.date | None = None, code: str = "L-0412", **extra: Any) -> dict:
    start = month or last_month()
    body: dict[str, Any] = {
        "code": code,
        "form": "dore",
        "gross_grams": grams,
        "declared_fineness": "920.0",
        "production_from": start.isoformat(),
        "production_to": (start + dt.timedelta(days=14)).isoformat(),
        "processing_methods": ["shaking_table", "borax_smelting"],
        "sources": [{"site": str(site.pk), "grams": grams}],
    }
    body.update(extra)
    return body


def record_lot(actor: ActorClient, body: dict, **headers: str) -> Any:
    return actor.post(LOTS, body, format="json", **headers)


def custody(actor: ActorClient, lot_id: Any, kind: str, minutes_ago: int = 0, **fields: Any) -> Any:
    at = timezone.now() - dt.timedelta(minutes=minutes_ago)
    return actor.post(
        f"{LOTS}{lot_id}/custody-events/", {"kind": kind, "occurred_at": at.isoformat(), **fields}, format="json"
    )
