"""The indicative price of a listing: about what a fine gram of it costs in US dollars today, premium included,
so that offers in soles and in dollars, at a fixed price or on the LBMA Gold Price, can be compared and sorted
(docs/pricing-offers.md). It is indicative: a contract is priced by its own terms, and an LBMA price by the fix
of the day the contract names.

    fixed, USD      the price per fine gram
    fixed, PEN      the price per fine gram / the latest USD/PEN rate (soles per dollar)
    lbma_am/pm      the latest fix of that benchmark (USD per troy ounce) / 31.1034768 × (1 + adjustment)
    + the premium   per kilogram of fine gold / 1000, divided by the latest USD/PEN rate when in soles

summed exactly and rounded once, half to even, to the US cent. Unknown (None) when a figure it needs is not
recorded: an LBMA listing and no fix of its benchmark, a price or premium in soles and no USD/PEN rate.

Two twins say it: `indicative_price`, a pure function over the listing's price fields and the fix and rate
(exact, with fractions), and `indicative_sort_key`, the same figure as a SQL expression for ordering in the
database. The SQL uses integers only (non-negative; division and remainder), so it is exact on PostgreSQL and
SQLite alike: each term is a fraction a/d, and round-half-even of a1/d1 + a2/d2 is computed from the integer
parts and the remainders (tests/listings/test_indicative_price.py checks the twins agree on both databases).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from django.db.models import BigIntegerField, Case, F, Q, Value, When
from django.db.models.expressions import CombinedExpression, Expression
from django.db.models.functions import Cast
from django.db.models.lookups import Exact, LessThan

from core.money import Money
from listings.models import PRICE_FIELDS
from prices.certified import PricedOffer
from prices.models import Benchmark, ExchangeRate, MetalPrice

# Cents per fine gram at a fix F (thousandths of a dollar per troy ounce) and an adjustment A (basis points):
# F / 10 / 31.1034768 × (10000 + A) / 10000 = F × (10000 + A) × 25 / 77758692.
LBMA_NUMERATOR = 25
LBMA_DENOMINATOR = 77_758_692
RATE_SCALE = 10**6  # ExchangeRate.rate_micro: millionths of a sol per dollar
BENCHMARK_OF_BASIS = {"lbma_am": Benchmark.GOLD_AM, "lbma_pm": Benchmark.GOLD_PM}


@dataclass(frozen=True)
class Market:
    """The figures an indicative price reads: the latest fix of each gold benchmark and the latest USD/PEN
    rate (read once per request, `listings.selectors.current_market`)."""

    fixes: Mapping[str, MetalPrice]  # by benchmark; a benchmark with no fix recorded is absent
    rate: ExchangeRate | None  # base USD, quote PEN


@dataclass(frozen=True)
class Indicative:
    usd_cents_per_fine_gram: int
    fix: MetalPrice | None  # the fix it read (LBMA bases)
    rate: ExchangeRate | None  # the rate it read (a price or premium in soles)

    def as_dict(self) -> dict[str, Any]:
        fix, rate = self.fix, self.rate
        return {
            "usd_per_fine_gram": Money(self.usd_cents_per_fine_gram, "USD").as_dict(),
            "includes_premium": True,
            "fix": None
            if fix is None
            else {
                "benchmark": fix.benchmark,
                "date": fix.date.isoformat(),
                "usd_per_troy_ounce": str(fix.usd_per_troy_ounce),
                "sample": fix.sample,
            },
            "rate": None
            if rate is None
            else {
                "base": rate.base,
                "quote": rate.quote,
                "date": rate.date.isoformat(),
                "rate": str(rate.rate),
                "sample": rate.sample,
            },
        }


def _usd_pen(market: Market) -> ExchangeRate | None:
    rate = market.rate
    return rate if rate is not None and (rate.base, rate.quote) == ("USD", "PEN") else None


def indicative_price(offer: PricedOffer, market: Market) -> Indicative | None:
    """The indicative price of `offer` at `market`, or None when a figure it needs is not recorded."""
    rate = _usd_pen(market)
    fix = None
    used_rate = None
    price: Fraction
    if offer.price_basis == "fixed":
        assert offer.price_per_fine_gram_minor is not None
        if offer.currency == "USD":
            price = Fraction(offer.price_per_fine_gram_minor)
        elif offer.currency == "PEN" and rate is not None:
            price = Fraction(offer.price_per_fine_gram_minor * RATE_SCALE, rate.rate_micro)
            used_rate = rate
        else:
            return None
    else:
        fix = market.fixes.get(BENCHMARK_OF_BASIS[offer.price_basis])
        if fix is None:
            return None
        assert offer.lbma_adjustment_bp is not None
        price = Fraction(
            LBMA_NUMERATOR * fix.usd_per_troy_ounce_milli * (10000 + offer.lbma_adjustment_bp), LBMA_DENOMINATOR
        )
    premium = offer.premium_per_kg_fine_minor
    if premium == 0 or offer.premium_currency == "USD":
        price += Fraction(premium, 1000)
    elif offer.premium_currency == "PEN" and rate is not None:
        price += Fraction(premium * 1000, rate.rate_micro)
        used_rate = rate
    else:
        return None
    return Indicative(round(price), fix, used_rate)  # Fraction's round: half to even


def listing_indicative_price(listing: Any, market: Market) -> Indicative | None:
    """The indicative price of a listing (or of its row in the search read model: the same price fields)."""
    return indicative_price(PricedOffer(**{field: getattr(listing, field) for field in PRICE_FIELDS}), market)


# --- The SQL twin ---------------------------------------------------------------------------------------------
UNKNOWN_LAST_ASCENDING = 2**62  # the key of an unknown price, so that it sorts after every known one
UNKNOWN_LAST_DESCENDING = -1


def _int(value: int | None) -> Expression:
    return Cast(Value(value), BigIntegerField())


def _op(lhs: Any, connector: str, rhs: Any) -> CombinedExpression:
    lhs = _int(lhs) if isinstance(lhs, int) else lhs
    rhs = _int(rhs) if isinstance(rhs, int) else rhs
    return CombinedExpression(lhs, connector, rhs, output_field=BigIntegerField())


def _plus_half_even(whole: Any, twice_fraction: Any, denominator: int, *, two_terms: bool) -> Expression:
    """`whole + round_half_even(f)` where f = twice_fraction / (2 × denominator) lies in [0, 1), or in [0, 2)
    for the sum of two fractions, and `whole` is the integer part so far (its parity decides an exact half)."""
    d = denominator
    parity = _op(whole, "%%", 2)
    steps = [
        When(LessThan(twice_fraction, _int(d)), then=_int(0)),
        When(Exact(twice_fraction, _int(d)), then=parity),  # x.5: to the even cent
    ]
    if two_terms:
        steps += [
            When(LessThan(twice_fraction, _int(3 * d)), then=_int(1)),
            When(Exact(twice_fraction, _int(3 * d)), then=_op(2, "-", parity)),  # (x + 1).5
        ]
    return _op(whole, "+", Case(*steps, default=_int(2 if two_terms else 1), output_field=BigIntegerField()))


def _rounded_sum(a1: Any, d1: int, a2: Any, d2: int) -> Expression:
    """round_half_even(a1 / d1 + a2 / d2) for non-negative integer expressions a1, a2 and positive constants d1,
    d2, without ever forming a1 × d2 (which could overflow a bigint): the integer parts are added and the
    remainders compared, (a1 mod d1) × d2 + (a2 mod d2) × d1 against d1 × d2."""
    if d1 == d2:
        a1, a2, d2 = _op(a1, "+", a2), 0, 1
    if d2 == 1:
        if d1 == 1:
            return _op(a1, "+", a2)
        whole = _op(_op(a1, "/", d1), "+", a2)
        return _plus_half_even(whole, _op(2, "*", _op(a1, "%%", d1)), d1, two_terms=False)
    if d1 == 1:
        return _rounded_sum(a2, d2, a1, d1)
    whole = _op(_op(a1, "/", d1), "+", _op(a2, "/", d2))
    remainders = _op(_op(_op(a1, "%%", d1), "*", d2), "+", _op(_op(a2, "%%", d2), "*", d1))
    return _plus_half_even(whole, _op(2, "*", remainders), d1 * d2, two_terms=True)


def indicative_sort_key(market: Market, *, unknown: int | None) -> Case:
    """The indicative price in US cents per fine gram as a SQL expression over the listing's columns, the fix
    and rate of `market` as constants; `unknown` where it cannot be computed (as `indicative_price` says None)."""
    rate = _usd_pen(market)
    prices: list[tuple[Q, Any, int]] = [(Q(price_basis="fixed", currency="USD"), F("price_per_fine_gram_minor"), 1)]
    if rate is not None:
        prices.append(
            (
                Q(price_basis="fixed", currency="PEN"),
                _op(F("price_per_fine_gram_minor"), "*", RATE_SCALE),
                rate.rate_micro,
            )
        )
    for basis, benchmark in BENCHMARK_OF_BASIS.items():
        fix = market.fixes.get(benchmark)
        if fix is not None:
            factor = LBMA_NUMERATOR * fix.usd_per_troy_ounce_milli
            prices.append(
                (Q(price_basis=basis), _op(_op(F("lbma_adjustment_bp"), "+", 10000), "*", factor), LBMA_DENOMINATOR)
            )
    premiums: list[tuple[Q, Any, int]] = [
        (Q(premium_currency="USD") | Q(premium_per_kg_fine_minor=0), F("premium_per_kg_fine_minor"), 1000)
    ]
    if rate is not None:
        premiums.append(
            (
                Q(premium_currency="PEN", premium_per_kg_fine_minor__gt=0),
                _op(F("premium_per_kg_fine_minor"), "*", 1000),
                rate.rate_micro,
            )
        )
    return Case(
        *[
            When(price_when & premium_when, then=_rounded_sum(a1, d1, a2, d2))
            for price_when, a1, d1 in prices
            for premium_when, a2, d2 in premiums
        ],
        default=_int(unknown),
        output_field=BigIntegerField(),
    )
