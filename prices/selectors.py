"""Reads of the price table: the fix of a day, the first fix after a day, the fixes of a quotational period,
the latest recorded; the exchange rate of a day; the certified standard's figures in force. Only `current`
rows count (a corrected figure is read as corrected). Nothing here guesses: a fix not yet recorded is None,
and the caller says what it waits for."""

from __future__ import annotations

import datetime
from typing import Any

from prices.models import Benchmark, CertificationTerms, ExchangeRate, MetalPrice


def _fixes(benchmark: str) -> Any:
    return MetalPrice.objects.filter(benchmark=benchmark, current=True)


def fix_on(benchmark: str, day: datetime.date) -> MetalPrice | None:
    return _fixes(benchmark).filter(date=day).first()


def first_fix_after(benchmark: str, day: datetime.date) -> MetalPrice | None:
    """The first fix on a London day after `day` (the day after receipt, or the next day with a fix)."""
    return _fixes(benchmark).filter(date__gt=day).order_by("date").first()


def fixes_between(benchmark: str, first: datetime.date, last: datetime.date) -> list[MetalPrice]:
    """The fixes from `first` to `last`, both included, oldest first."""
    return list(_fixes(benchmark).filter(date__gte=first, date__lte=last).order_by("date"))


def latest_fix(benchmark: str, on_or_before: datetime.date | None = None) -> MetalPrice | None:
    rows = _fixes(benchmark)
    if on_or_before is not None:
        rows = rows.filter(date__lte=on_or_before)
    return rows.order_by("-date").first()


def rate_on(base: str, quote: str, day: datetime.date) -> ExchangeRate | None:
    return ExchangeRate.objects.filter(base=base, quote=quote, current=True, date=day).first()


def latest_rate(base: str, quote: str, on_or_before: datetime.date | None = None) -> ExchangeRate | None:
    rows = ExchangeRate.objects.filter(base=base, quote=quote, current=True)
    if on_or_before is not None:
        rows = rows.filter(date__lte=on_or_before)
    return rows.order_by("-date").first()


def certification_in_force(claim: str, day: datetime.date) -> CertificationTerms | None:
    return CertificationTerms.objects.filter(claim_id=claim, valid_from__lte=day).order_by("-valid_from").first()


CERTIFIED_CLAIMS = ("fairmined", "fairmined_ecological", "fairtrade", "fairtrade_ecological")


def gold_benchmark(price_basis: str) -> str:
    """The LBMA gold benchmark a listing's or contract's price basis reads (PM for a fixed price, whose
    certified minimum is checked against the afternoon fix)."""
    return Benchmark.GOLD_AM if price_basis == "lbma_am" else Benchmark.GOLD_PM
