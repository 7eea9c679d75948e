"""The floors a certified offer keeps (docs/settlement.md, "Certified minimums and premiums").

An offer (a listing, or a version of a contract's terms) that claims Fairmined, Fairmined Ecological,
Fairtrade or Fairtrade Ecological may not be priced below the standard's minimum (a share of the LBMA Gold
Price) nor carry a premium below the standard's. The figures are the `CertificationTerms` row in force on the
day; the LBMA price is the latest recorded fix of the benchmark the offer reads (PM for a fixed price); a
premium in another currency than the standard's is compared at the latest recorded rate. When a figure the
check needs is not recorded, the offer is refused with 409 rather than waved through.

The refusal is a 400 naming the field and carrying the figures it compared, in the offer's units.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

from django.utils.translation import gettext as _

from core.errors import BadRequest, Conflict
from core.money import MINOR_UNIT_EXPONENT, Money
from core.units import GRAMS_PER_TROY_OUNCE
from prices.models import CertificationTerms, ExchangeRate, MetalPrice, PremiumRule
from prices.selectors import CERTIFIED_CLAIMS, certification_in_force, gold_benchmark, latest_fix, latest_rate


@dataclass(frozen=True)
class PricedOffer:
    """The price terms of an offer, in the units the models store."""

    price_basis: str  # fixed | lbma_am | lbma_pm
    currency: str
    price_per_fine_gram_minor: int | None  # fixed
    lbma_adjustment_bp: int | None  # LBMA bases
    premium_per_kg_fine_minor: int
    premium_currency: str


def _problem(field: str, code: str, message: str, figures: dict[str, object]) -> BadRequest:
    return BadRequest(
        _("Some fields are invalid: see `errors`."),
        code="validation_error",
        errors=[{"field": field, "code": code, "message": message, "figures": figures}],
    )


def _fix(benchmark: str, day: datetime.date) -> MetalPrice:
    fix = latest_fix(benchmark, on_or_before=day)
    if fix is None:
        raise Conflict(
            _("No %(benchmark)s is recorded yet: a certified offer's minimum cannot be checked without it.")
            % {"benchmark": benchmark},
            code="no_fix_recorded",
            extra={"benchmark": benchmark},
        )
    return fix


def _rate(day: datetime.date) -> ExchangeRate:
    rate = latest_rate("USD", "PEN", on_or_before=day)
    if rate is None:
        raise Conflict(
            _("No USD/PEN exchange rate is recorded yet: amounts in two currencies cannot be compared."),
            code="no_rate_recorded",
            extra={"pair": "USD/PEN"},
        )
    return rate


def _convert_up(amount_minor: Decimal, source: str, target: str, day: datetime.date) -> int:
    """An exact amount of `source` minor units in whole minor units of `target` at the latest rate, rounded up:
    a standard's figure is a floor, and a floor is never rounded below the standard (half to even, the rule of
    settlement lines, would let an offer half a minor unit short through)."""
    if source == target:
        return int(amount_minor.quantize(Decimal(1), rounding=ROUND_CEILING))
    rate = _rate(day)
    major = amount_minor.scaleb(-MINOR_UNIT_EXPONENT[source])
    converted = major * rate.rate if source == rate.base else major / rate.rate
    return int(converted.scaleb(MINOR_UNIT_EXPONENT[target]).quantize(Decimal(1), rounding=ROUND_CEILING))


def _minor_per_fine_gram(usd_per_troy_ounce: Decimal, share_bp: int, currency: str, day: datetime.date) -> int:
    """`share_bp` of an LBMA price per troy ounce, per fine gram in minor units of `currency`, rounded up (a
    floor is never rounded below the standard)."""
    usd = usd_per_troy_ounce * share_bp / Decimal(10000) / GRAMS_PER_TROY_OUNCE
    if currency == "USD":
        return int(usd.scaleb(MINOR_UNIT_EXPONENT["USD"]).quantize(Decimal(1), rounding=ROUND_CEILING))
    rate = _rate(day)
    local = usd * rate.rate if rate.base == "USD" else usd / rate.rate
    return int(local.scaleb(MINOR_UNIT_EXPONENT[currency]).quantize(Decimal(1), rounding=ROUND_CEILING))


def standard_premium_minor(terms: CertificationTerms, *, currency: str, day: datetime.date) -> int:
    """The standard's premium per kilogram of fine gold, in minor units of `currency`, rounded up."""
    if terms.premium_rule == PremiumRule.PER_KG_FINE:
        assert terms.premium_per_kg_fine_minor is not None
        assert terms.premium_currency is not None
        return _convert_up(Decimal(terms.premium_per_kg_fine_minor), terms.premium_currency, currency, day)
    fix = _fix(gold_benchmark("fixed"), day)
    assert terms.premium_percent_bp is not None
    usd_per_kg = fix.usd_per_troy_ounce * Decimal(1000) / GRAMS_PER_TROY_OUNCE
    usd_minor = (usd_per_kg * terms.premium_percent_bp / Decimal(10000)).scaleb(MINOR_UNIT_EXPONENT["USD"])
    return _convert_up(usd_minor, "USD", currency, day)  # rounded once, up, in the offer's currency


def certified_terms(claims: Iterable[str], day: datetime.date) -> list[CertificationTerms]:
    """The figures in force on `day` of each certified standard among `claims`."""
    found = []
    for claim in sorted(set(claims) & set(CERTIFIED_CLAIMS)):
        terms = certification_in_force(claim, day)
        if terms is not None:
            found.append(terms)
    return found


def check_certified_floors(
    *, claims: Iterable[str], offer: PricedOffer, day: datetime.date
) -> list[CertificationTerms]:
    """Refuse an offer below a claimed standard's minimum price or premium; give back the figures it met."""
    applied = certified_terms(claims, day)
    for terms in applied:
        standard = str(terms.claim_id)
        if offer.price_basis == "fixed":
            assert offer.price_per_fine_gram_minor is not None
            fix = _fix(gold_benchmark("fixed"), day)
            floor = _minor_per_fine_gram(fix.usd_per_troy_ounce, terms.minimum_price_bp, offer.currency, day)
            if offer.price_per_fine_gram_minor < floor:
                raise _problem(
                    "price_per_fine_gram",
                    "below_certified_minimum",
                    _(
                        "%(standard)s gold may not be sold below %(share)s %% of the LBMA Gold Price: "
                        "%(floor)s per fine gram at the fix of %(date)s (%(fix)s USD per troy ounce); "
                        "this offer asks %(price)s."
                    )
                    % {
                        "standard": standard,
                        "share": Decimal(terms.minimum_price_bp) / 100,
                        "floor": Money(floor, offer.currency),
                        "date": fix.date.isoformat(),
                        "fix": fix.usd_per_troy_ounce,
                        "price": Money(offer.price_per_fine_gram_minor, offer.currency),
                    },
                    {
                        "standard": standard,
                        "minimum_price_percent": str(Decimal(terms.minimum_price_bp) / 100),
                        "minimum_per_fine_gram": Money(floor, offer.currency).as_dict(),
                        "offered_per_fine_gram": Money(offer.price_per_fine_gram_minor, offer.currency).as_dict(),
                        "fix": {
                            "benchmark": fix.benchmark,
                            "date": fix.date.isoformat(),
                            "usd_per_troy_ounce": str(fix.usd_per_troy_ounce),
                        },
                        "source": terms.source,
                    },
                )
        else:
            lowest = terms.minimum_price_bp - 10000  # 95 % of the fix: an adjustment of at least -5 %
            assert offer.lbma_adjustment_bp is not None
            if offer.lbma_adjustment_bp < lowest:
                raise _problem(
                    "lbma_adjustment_percent",
                    "below_certified_minimum",
                    _(
                        "%(standard)s gold may not be sold below %(share)s %% of the LBMA Gold Price: the "
                        "adjustment may not be lower than %(lowest)s %%; this offer has %(offered)s %%."
                    )
                    % {
                        "standard": standard,
                        "share": Decimal(terms.minimum_price_bp) / 100,
                        "lowest": Decimal(lowest) / 100,
                        "offered": Decimal(offer.lbma_adjustment_bp) / 100,
                    },
                    {
                        "standard": standard,
                        "minimum_price_percent": str(Decimal(terms.minimum_price_bp) / 100),
                        "lowest_adjustment_percent": str(Decimal(lowest) / 100),
                        "offered_adjustment_percent": str(Decimal(offer.lbma_adjustment_bp) / 100),
                        "source": terms.source,
                    },
                )
        required = standard_premium_minor(terms, currency=offer.premium_currency, day=day)
        if offer.premium_per_kg_fine_minor < required:
            raise _problem(
                "premium_per_kg_fine",
                "premium_below_standard",
                _("The %(standard)s premium is %(required)s per kilogram of fine gold; this offer gives %(offered)s.")
                % {
                    "standard": standard,
                    "required": Money(required, offer.premium_currency),
                    "offered": Money(offer.premium_per_kg_fine_minor, offer.premium_currency),
                },
                {
                    "standard": standard,
                    "required_per_kg_fine": Money(required, offer.premium_currency).as_dict(),
                    "offered_per_kg_fine": Money(offer.premium_per_kg_fine_minor, offer.premium_currency).as_dict(),
                    "source": terms.source,
                },
            )
    return applied
