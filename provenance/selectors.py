"""Reads of lots and the mass balance, scoped to the caller.

A producer's lots and mass balance are seen by its own members, the network's reviewers, staff, and the
buyer organisations that have an inquiry with it (trade answers which, through PRODUCER_COUNTERPARTIES).
Everybody else gets 404.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, Q, QuerySet, Sum

from compliance.production import declared_by_site_month
from core.actor import Actor
from core.errors import NotFound
from core.extensions import provider
from core.units import GRAM_PLACES
from producers.models import Producer, Site
from provenance.models import AssayCertificate, CustodyEvent, Lot, LotSource, MassBalancePolicy


def counterparties_of(buyer_organization_id: Any) -> Any:
    """The producer ids a buyer organisation has an inquiry with (a subquery)."""
    return provider("PRODUCER_COUNTERPARTIES")(buyer_organization_id)


def visible_producers(actor: Actor) -> Q | None:
    """None: every producer. Otherwise the condition on a producer id (`producer_id__in` / `pk`)."""
    if actor.is_staff or actor.is_reviewer:
        return None
    if actor.organization_kind == "producer":
        return Q(producer_id=actor.organization_id)
    if actor.organization_kind == "buyer":
        return Q(producer_id__in=counterparties_of(actor.organization_id))
    return Q(pk__in=[])


def can_read(*, actor: Actor, producer_id: Any) -> bool:
    if actor.is_staff or actor.is_reviewer or actor.organization_id == producer_id:
        return True
    if actor.organization_kind == "buyer":
        return counterparties_of(actor.organization_id).filter(producer_id=producer_id).exists()  # type: ignore[no-any-return]
    return False


def readable_producer(*, actor: Actor, producer_id: Any) -> Producer:
    producer = Producer.objects.filter(pk=producer_id).first()
    if producer is None or not can_read(actor=actor, producer_id=producer.pk):
        raise NotFound()
    return producer


def lot_relations(lots: QuerySet[Lot]) -> QuerySet[Lot]:
    """What the lot's representation reads: its sources, assays and custody trail."""
    return lots.select_related("producer__organization", "recorded_by").prefetch_related(
        Prefetch("sources", queryset=LotSource.objects.select_related("site").order_by("id")),
        Prefetch("assays", queryset=AssayCertificate.objects.order_by("position")),
        Prefetch("custody", queryset=CustodyEvent.objects.select_related("organization", "user").order_by("seq")),
    )


def lots_for(*, actor: Actor) -> QuerySet[Lot]:
    lots = lot_relations(Lot.objects.all())
    scope = visible_producers(actor)
    return lots if scope is None else lots.filter(scope)


def lot_get(*, actor: Actor, lot_id: Any) -> Lot:
    lot = lots_for(actor=actor).filter(pk=lot_id).first()
    if lot is None:
        raise NotFound()
    return lot


def assay_get(*, actor: Actor, lot_id: Any, position: int) -> AssayCertificate:
    assay = AssayCertificate.objects.select_related("lot__producer__organization").filter(
        lot=lot_get(actor=actor, lot_id=lot_id), position=position
    )
    found = assay.first()
    if found is None:
        raise NotFound()
    return found


def tolerance_bp(today: dt.date) -> int:
    policy = MassBalancePolicy.in_force(today)
    return policy.tolerance_bp if policy else 0


def allowed_grams(declared: Decimal, tolerance: int) -> Decimal:
    """declared × (1 + tolerance), rounded down to the milligram."""
    return (declared * (10000 + tolerance) / Decimal(10000)).quantize(GRAM_PLACES, rounding="ROUND_DOWN")


def used_by_site_month(site_ids: list[Any], months: list[dt.date] | None = None) -> dict[tuple[Any, dt.date], Decimal]:
    """Grams of every lot ever recorded against each site-month (there is no lot delete)."""
    rows = LotSource.objects.filter(site_id__in=site_ids)
    if months is not None:
        rows = rows.filter(month__in=months)
    used: dict[tuple[Any, dt.date], Decimal] = defaultdict(Decimal)
    totals = rows.order_by().values("site_id", "month").annotate(total=Sum("grams"))
    for site_id, month, total in totals.values_list("site_id", "month", "total"):
        used[(site_id, month)] = Decimal(total).quantize(GRAM_PLACES)  # Sum keeps GramsField: grams
    return used


@dataclass(frozen=True)
class BalanceRow:
    site: Site
    month: dt.date
    declared_grams: Decimal
    used_grams: Decimal
    committed_forward_grams: Decimal
    left_grams: Decimal


def mass_balance(
    *,
    producer: Producer,
    today: dt.date,
    site_id: Any = None,
    month_from: dt.date | None = None,
    month_to: dt.date | None = None,
) -> list[BalanceRow]:
    """Per site and month with a confirmed declaration, a lot or a forward sale: declared, used by lots, sold
    forward for delivery that month and not yet delivered by named lots (trade answers, through
    FORWARD_COMMITMENTS), and left: declared × (1 + tolerance) − used − committed, never below zero."""
    sites = {site.pk: site for site in Site.objects.filter(producer=producer).order_by("name", "id")}
    if site_id is not None:
        sites = {pk: site for pk, site in sites.items() if str(pk) == str(site_id)}
    declared = declared_by_site_month(sites)
    used = used_by_site_month(list(sites))
    committed = provider("FORWARD_COMMITMENTS")(list(sites))
    tolerance = tolerance_bp(today)
    keys = {
        key
        for key in (*declared, *used, *committed)
        if (month_from is None or key[1] >= month_from) and (month_to is None or key[1] <= month_to)
    }
    order = {pk: index for index, pk in enumerate(sites)}
    rows = []
    for site_key, month in sorted(keys, key=lambda key: (order[key[0]], key[1])):
        declared_grams = declared.get((site_key, month), Decimal("0.000"))
        used_grams = used.get((site_key, month), Decimal("0.000"))
        forward = committed.get((site_key, month), Decimal("0.000"))
        left = max(allowed_grams(declared_grams, tolerance) - used_grams - forward, Decimal("0.000"))
        rows.append(BalanceRow(sites[site_key], month, declared_grams, used_grams, forward, left))
    return rows
