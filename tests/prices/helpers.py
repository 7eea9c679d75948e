"""Shared pieces of the price table's tests."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from accounts.models import User
from audit.models import AuditEvent
from core import clock
from core.actor import Actor
from prices.calendar import today_london
from prices.models import CertificationTerms, ExchangeRate, MetalPrice

FIXES = "/api/v1/prices/fixes/"
RATES = "/api/v1/prices/rates/"
TERMS = "/api/v1/prices/certification-terms/"
SOURCE = "LBMA, lbma.org.uk, LBMA Gold Price PM"
SBS = "SBS, tipo de cambio promedio ponderado venta"


def staff_actor(user: User) -> Actor:
    return Actor(user)


def days_ago(n: int) -> dt.date:
    """A London day that has certainly begun in Lima too (n >= 1)."""
    return min(today_london(), clock.today_lima()) - dt.timedelta(days=n)


def fix(
    benchmark: str = "lbma_gold_pm", day: dt.date | None = None, price: str = "4118.900", **fields: Any
) -> MetalPrice:
    return MetalPrice.objects.create(
        benchmark=benchmark,
        date=day or days_ago(1),
        usd_per_troy_ounce_milli=int(Decimal(price) * 1000),
        source=fields.pop("source", SOURCE),
        **fields,
    )


def rate(day: dt.date | None = None, value: str = "3.452100", **fields: Any) -> ExchangeRate:
    return ExchangeRate.objects.create(
        date=day or days_ago(1), rate_micro=int(Decimal(value) * 1_000_000), source=fields.pop("source", SBS), **fields
    )


def state() -> tuple[Any, ...]:
    """What a refused write must leave as it was: every row of the price table and the audit trail's head."""
    return (
        list(MetalPrice.objects.order_by("pk").values()),
        list(ExchangeRate.objects.order_by("pk").values()),
        list(CertificationTerms.objects.order_by("pk").values()),
        AuditEvent.objects.count(),
    )


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("seq"))
