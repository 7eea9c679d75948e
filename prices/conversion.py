"""Exact conversion of an amount between two currencies at a recorded rate, rounding half to even to the
target's minor unit (the rule every settlement line states). Converting A to B and back loses at most one
minor unit of A when B's minor unit is worth no more than A's (USD to PEN and back); the other way the loss
is at most half the rate, in minor units, plus a half (tests/prices/test_conversion.py)."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

from core.money import MINOR_UNIT_EXPONENT


class NoRate(Exception):
    """The conversion needs a rate between these two currencies that was not given."""


def convert_minor(amount_minor: int, *, source: str, target: str, base: str, quote: str, rate: Decimal) -> int:
    """`amount_minor` of `source` in minor units of `target`, at `rate` units of `quote` per unit of `base`."""
    if source == target:
        return amount_minor
    if {source, target} != {base, quote}:
        raise NoRate(f"no rate between {source} and {target}")
    major = Decimal(amount_minor).scaleb(-MINOR_UNIT_EXPONENT[source])
    converted = major * rate if source == base else major / rate
    return int(converted.scaleb(MINOR_UNIT_EXPONENT[target]).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
