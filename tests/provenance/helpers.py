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
from provenance.selectors import used_by_site_month
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


def deliver_lot(
    producer: Any, contract: dict, site: Site, grams: str = "300.000", fineness: str = "920.0", code: str = ""
) -> dict:
    """What a producer does before marking a forward contract delivered: the month's production declared and
    confirmed for the origin site, a lot recorded from it, and the lot named for the contract (over HTTP)."""
    used = used_by_site_month([site.pk], [last_month()]).get((site.pk, last_month()), Decimal(0))
    declare_row(site, last_month(), f"{used + Decimal(grams):.3f}")
    body = lot_body(site, grams, code=code or f"D-{contract['id'][:8]}", declared_fineness=fineness)
    lot = record_lot(producer, body)
    assert lot.status_code == 201, lot.content[:1500]
    named = producer.post(f"/api/v1/contracts/{contract['id']}/lots/", {"lots": [lot.json()["id"]]}, format="json")
    assert named.status_code == 201, named.content[:1500]
    return lot.json()


def fire_assay_of_l0412(month: dt.date) -> dict:
    """The regional laboratory's fire assay of the journey's lot: Au 921.4 ‰, Ag 61.2 ‰, with its certificate."""
    return {
        "laboratory": "Laboratorio Regional de Madre de Dios",
        "method": "fire_assay",
        "au_per_mille": "921.4",
        "ag_per_mille": "61.2",
        "certificate_number": "LRMD-2026-0412",
        "assayed_on": month.replace(day=20).isoformat(),
        "file": pdf_upload("ensayo-L-0412.pdf", "Certificado de ensayo al fuego"),
    }


def spot_body(*lot_ids: str, **overrides: Any) -> dict:
    """A spot listing of recorded lots: everything but what it reads from them."""
    today = clock.today_lima()
    return {
        "kind": "spot",
        "lots": list(lot_ids),
        "claims": [],
        "price_basis": "lbma_pm",
        "lbma_adjustment_percent": "-2.00",
        "incoterm": "FCA",
        "incoterm_place": "Puerto Maldonado",
        "valid_from": today.isoformat(),
        "valid_until": (today + dt.timedelta(days=60)).isoformat(),
        "title_es": "Lote de doré sin mercurio",
        **overrides,
    }
