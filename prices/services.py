"""Every write to the price table: record an LBMA fix or a USD/PEN rate, correct one, record a certified
standard's terms. Staff only; each write is atomic with one audit event, and a refusal changes nothing.

Recording is idempotent: the same figure (with the same `sample` flag) for a day already recorded answers the
row that is there and records nothing, so a retried request or a re-read bulletin is harmless. Another figure
for that day is 409 `fix_already_recorded` / `rate_already_recorded`, naming the row: a figure is never
overwritten, it is corrected. A correction is a new row that `replaces` the old one, with a reason; the old
row stops being `current` and stays, so that what a settlement read on a day can always be shown. It decides on
the old row locked with `select_for_update`: of two corrections at once, one wins and the other is 409
`fix_not_current` / `rate_not_current`.

Certification terms (a standard's minimum price and premium) are dated rows too: new terms take effect today
or later, and terms in force are never edited (409 `edits_the_past`, as the compliance catalogue answers).

Figures arrive as exact decimals (a price with at most 3 places, a rate with at most 6), never floats, and
are stored as integers (`prices/models.py`). A figure for a day that has not begun where it is published (a
London day for a fix, a Lima day for the SBS rate) cannot exist and is refused (`prices/calendar.py`).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from audit.services import audit_record
from compliance.models import Claim
from core import clock
from core.actor import Actor
from core.errors import Conflict, PermissionDenied, field_error
from core.extensions import provider
from core.money import Currency, Money
from prices.calendar import today_london
from prices.models import (
    PRICE_PLACES,
    RATE_PLACES,
    Benchmark,
    CertificationTerms,
    ExchangeRate,
    MetalPrice,
    PremiumRule,
    TermsInForce,
)
from prices.selectors import CERTIFIED_CLAIMS

SOURCE_MAX_LENGTH = 200
REASON_MAX_LENGTH = 2000
# Bounds no real figure comes near: a typing slip (a price in cents, a rate upside down by far) is refused.
PRICE_MAX = Decimal(1_000_000)  # USD per troy ounce
RATE_MAX = Decimal(100_000)  # units of the quote currency per unit of the base


def require_staff(actor: Actor) -> None:
    if not actor.is_staff:
        raise PermissionDenied(_("Only staff record and correct prices."), code="not_staff")


def _exact(value: Any, places: Decimal, maximum: Decimal, field: str) -> int:
    """`value` as a whole number of `places` (thousandths, millionths); 400 naming `field` otherwise."""
    if isinstance(value, (float, bool)):
        raise field_error(field, "invalid", _("Send the figure as a decimal string, never a float."))
    try:
        number = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise field_error(field, "invalid", _("This is not a number.")) from None
    if not number.is_finite():
        raise field_error(field, "invalid", _("This is not a number."))
    if number <= 0:
        raise field_error(field, "min_value", _("The figure must be more than zero."))
    if number > maximum:
        raise field_error(field, "max_value", _("The figure is larger than any real one: check it."))
    if number != number.quantize(places):
        raise field_error(
            field,
            "max_decimal_places",
            _("At most %(places)d decimal places.") % {"places": -places.as_tuple().exponent},  # type: ignore[operator]
        )
    return int(number.scaleb(-places.as_tuple().exponent))  # type: ignore[operator]


def price_milli(value: Any, field: str = "usd_per_troy_ounce") -> int:
    return _exact(value, PRICE_PLACES, PRICE_MAX, field)


def rate_micro(value: Any, field: str = "rate") -> int:
    return _exact(value, RATE_PLACES, RATE_MAX, field)


def _text(value: str, field: str, max_length: int, message: str) -> str:
    text = (value or "").strip()
    if not text:
        raise field_error(field, "required", message)
    if len(text) > max_length:
        raise field_error(field, "max_length", _("At most %(count)d characters.") % {"count": max_length})
    return text


def clean_source(source: str) -> str:
    return _text(source, "source", SOURCE_MAX_LENGTH, _("Say where the figure was read."))


def _reason(reason: str) -> str:
    return _text(reason, "reason", REASON_MAX_LENGTH, _("Say why the figure is corrected: everybody reads it."))


def _not_in_future(day: dt.date, today: dt.date, where: str) -> None:
    if day > today:
        raise field_error(
            "date",
            "in_the_future",
            _("%(date)s has not begun in %(place)s yet: a figure for it cannot exist.")
            % {"date": day.isoformat(), "place": where},
        )


def _benchmark(benchmark: str) -> str:
    if benchmark not in Benchmark.values:
        raise field_error(
            "benchmark",
            "invalid_choice",
            _("Unknown benchmark: use one of %(choices)s.") % {"choices": ", ".join(Benchmark.values)},
        )
    return benchmark


def _pair(base: str, quote: str) -> tuple[str, str]:
    for field, code in (("base", base), ("quote", quote)):
        if code not in Currency.values:
            raise field_error(
                field,
                "invalid_choice",
                _("Unknown currency: use one of %(choices)s.") % {"choices": ", ".join(Currency.values)},
            )
    if base == quote:
        raise field_error("quote", "same_currency", _("A rate is between two different currencies."))
    return base, quote


def _fix_figures(row: MetalPrice) -> dict[str, Any]:
    return {
        "id": str(row.pk),
        "benchmark": row.benchmark,
        "date": row.date.isoformat(),
        "usd_per_troy_ounce": str(row.usd_per_troy_ounce),
        "source": row.source,
        "sample": row.sample,
    }


def _rate_figures(row: ExchangeRate) -> dict[str, Any]:
    return {
        "id": str(row.pk),
        "base": row.base,
        "quote": row.quote,
        "date": row.date.isoformat(),
        "rate": str(row.rate),
        "source": row.source,
        "sample": row.sample,
    }


# --- Fixes ------------------------------------------------------------------------------------------------------
def fix_already_recorded(existing: MetalPrice) -> Conflict:
    return Conflict(
        _(
            "The %(benchmark)s of %(date)s is already recorded as %(figure)s USD per troy ounce%(sample)s: correct "
            "that row instead."
        )
        % {
            "benchmark": existing.benchmark,
            "date": existing.date.isoformat(),
            "figure": existing.usd_per_troy_ounce,
            "sample": _(" (a sample figure)") if existing.sample else "",
        },
        code="fix_already_recorded",
        extra={"existing": _fix_figures(existing)},
    )


def _same_fix(existing: MetalPrice, milli: int, sample: bool) -> MetalPrice:
    if existing.usd_per_troy_ounce_milli == milli and existing.sample == sample:
        return existing
    raise fix_already_recorded(existing)


@transaction.atomic
def fix_record(
    *,
    actor: Actor,
    benchmark: str,
    date: dt.date,
    usd_per_troy_ounce: Decimal,
    source: str,
    sample: bool = False,
) -> tuple[MetalPrice, bool]:
    """Record the fix of `benchmark` on the London day `date`; (the row, whether it is new)."""
    require_staff(actor)
    benchmark = _benchmark(benchmark)
    milli = price_milli(usd_per_troy_ounce)
    _not_in_future(date, today_london(), "London")
    source = clean_source(source)
    existing = MetalPrice.objects.filter(benchmark=benchmark, date=date, current=True).first()
    if existing is not None:
        return _same_fix(existing, milli, sample), False
    try:
        with transaction.atomic():
            row = MetalPrice.objects.create(
                benchmark=benchmark,
                date=date,
                usd_per_troy_ounce_milli=milli,
                source=source,
                sample=sample,
                recorded_by=actor.user,
            )
    except IntegrityError:  # recorded by someone else since we looked: judged like any repeat
        existing = MetalPrice.objects.filter(benchmark=benchmark, date=date, current=True).first()
        if existing is None:
            raise
        return _same_fix(existing, milli, sample), False
    provider("PRICE_TABLE_CHANGED")()  # the indicative prices search sorts by
    audit_record(action="prices.fix.recorded", actor=actor, target=row, data=_fix_figures(row))
    return row, True


@transaction.atomic
def fix_correct(
    *,
    actor: Actor,
    fix: MetalPrice,
    usd_per_troy_ounce: Decimal,
    reason: str,
    source: str | None = None,
    sample: bool | None = None,
) -> MetalPrice:
    """Replace a current fix with a corrected figure (a new row); the source and the sample flag stay the old
    row's unless given."""
    require_staff(actor)
    milli = price_milli(usd_per_troy_ounce)
    reason = _reason(reason)
    old = MetalPrice.objects.select_for_update().get(pk=fix.pk)
    if not old.current:
        newer = MetalPrice.objects.filter(benchmark=old.benchmark, date=old.date, current=True).first()
        raise Conflict(
            _("This fix was already corrected: correct the current row of %(date)s.") % {"date": old.date.isoformat()},
            code="fix_not_current",
            extra={"current": _fix_figures(newer) if newer is not None else None},
        )
    source = clean_source(source) if source is not None else old.source
    sample = old.sample if sample is None else sample
    if (milli, source, sample) == (old.usd_per_troy_ounce_milli, old.source, old.sample):
        raise field_error(
            "usd_per_troy_ounce", "unchanged", _("The correction changes nothing: it is the same figure.")
        )
    MetalPrice.objects.filter(pk=old.pk).update(current=False)
    row = MetalPrice.objects.create(
        benchmark=old.benchmark,
        date=old.date,
        usd_per_troy_ounce_milli=milli,
        source=source,
        sample=sample,
        replaces=old,
        correction_reason=reason,
        recorded_by=actor.user,
    )
    provider("PRICE_TABLE_CHANGED")()  # the indicative prices search sorts by
    audit_record(
        action="prices.fix.corrected",
        actor=actor,
        target=row,
        data={**_fix_figures(row), "replaces": _fix_figures(old), "reason": reason},
    )
    return row


# --- Exchange rates -----------------------------------------------------------------------------------------
def rate_already_recorded(existing: ExchangeRate) -> Conflict:
    return Conflict(
        _("The %(pair)s rate of %(date)s is already recorded as %(rate)s%(sample)s: correct that row instead.")
        % {
            "pair": f"{existing.base}/{existing.quote}",
            "date": existing.date.isoformat(),
            "rate": existing.rate,
            "sample": _(" (a sample figure)") if existing.sample else "",
        },
        code="rate_already_recorded",
        extra={"existing": _rate_figures(existing)},
    )


def _same_rate(existing: ExchangeRate, micro: int, sample: bool) -> ExchangeRate:
    if existing.rate_micro == micro and existing.sample == sample:
        return existing
    raise rate_already_recorded(existing)


@transaction.atomic
def rate_record(
    *,
    actor: Actor,
    date: dt.date,
    rate: Decimal,
    source: str,
    base: str = Currency.USD,
    quote: str = Currency.PEN,
    sample: bool = False,
) -> tuple[ExchangeRate, bool]:
    """Record how many `quote` one `base` buys on the Lima day `date`; (the row, whether it is new)."""
    require_staff(actor)
    base, quote = _pair(base, quote)
    micro = rate_micro(rate)
    _not_in_future(date, clock.today_lima(), "Lima")
    source = clean_source(source)
    existing = ExchangeRate.objects.filter(base=base, quote=quote, date=date, current=True).first()
    if existing is not None:
        return _same_rate(existing, micro, sample), False
    try:
        with transaction.atomic():
            row = ExchangeRate.objects.create(
                base=base,
                quote=quote,
                date=date,
                rate_micro=micro,
                source=source,
                sample=sample,
                recorded_by=actor.user,
            )
    except IntegrityError:
        existing = ExchangeRate.objects.filter(base=base, quote=quote, date=date, current=True).first()
        if existing is None:
            raise
        return _same_rate(existing, micro, sample), False
    provider("PRICE_TABLE_CHANGED")()  # the indicative prices search sorts by
    audit_record(action="prices.rate.recorded", actor=actor, target=row, data=_rate_figures(row))
    return row, True


@transaction.atomic
def rate_correct(
    *,
    actor: Actor,
    exchange_rate: ExchangeRate,
    rate: Decimal,
    reason: str,
    source: str | None = None,
    sample: bool | None = None,
) -> ExchangeRate:
    """Replace a current rate with a corrected one (a new row), as `fix_correct` does for a fix."""
    require_staff(actor)
    micro = rate_micro(rate)
    reason = _reason(reason)
    old = ExchangeRate.objects.select_for_update().get(pk=exchange_rate.pk)
    if not old.current:
        newer = ExchangeRate.objects.filter(base=old.base, quote=old.quote, date=old.date, current=True).first()
        raise Conflict(
            _("This rate was already corrected: correct the current row of %(date)s.") % {"date": old.date.isoformat()},
            code="rate_not_current",
            extra={"current": _rate_figures(newer) if newer is not None else None},
        )
    source = clean_source(source) if source is not None else old.source
    sample = old.sample if sample is None else sample
    if (micro, source, sample) == (old.rate_micro, old.source, old.sample):
        raise field_error("rate", "unchanged", _("The correction changes nothing: it is the same rate."))
    ExchangeRate.objects.filter(pk=old.pk).update(current=False)
    row = ExchangeRate.objects.create(
        base=old.base,
        quote=old.quote,
        date=old.date,
        rate_micro=micro,
        source=source,
        sample=sample,
        replaces=old,
        correction_reason=reason,
        recorded_by=actor.user,
    )
    provider("PRICE_TABLE_CHANGED")()  # the indicative prices search sorts by
    audit_record(
        action="prices.rate.corrected",
        actor=actor,
        target=row,
        data={**_rate_figures(row), "replaces": _rate_figures(old), "reason": reason},
    )
    return row


# --- Certification terms ------------------------------------------------------------------------------------
TERMS_SOURCE_MAX_LENGTH = 300


def _terms_figures(row: CertificationTerms) -> dict[str, Any]:
    return {
        "id": str(row.pk),
        "claim": str(row.claim_id),
        "valid_from": row.valid_from.isoformat(),
        "minimum_price_bp": row.minimum_price_bp,
        "premium_rule": row.premium_rule,
        "premium_per_kg_fine_minor": row.premium_per_kg_fine_minor,
        "premium_currency": row.premium_currency,
        "premium_percent_bp": row.premium_percent_bp,
        "source": row.source,
        "source_date": row.source_date.isoformat(),
    }


FIGURE_FIELDS = (
    "minimum_price_bp",
    "premium_rule",
    "premium_per_kg_fine_minor",
    "premium_currency",
    "premium_percent_bp",
    "source",
    "source_date",
)


def _terms_values(
    *,
    minimum_price_bp: int,
    premium_rule: str,
    premium_per_kg_fine: Money | None,
    premium_percent_bp: int | None,
    source: str,
    source_date: dt.date,
    today: dt.date,
) -> dict[str, Any]:
    """The figures as the model's constraints want them, or a 400 naming the field."""
    if not 0 <= minimum_price_bp <= 10000:
        raise field_error(
            "minimum_price_percent", "out_of_range", _("The minimum price is a share of the LBMA price: 0 to 100 %.")
        )
    if premium_rule == PremiumRule.PER_KG_FINE:
        if premium_per_kg_fine is None:
            raise field_error(
                "premium_per_kg_fine",
                "required_by_premium_rule",
                _("A premium per kilogram of fine gold needs its amount and currency."),
            )
        if premium_percent_bp is not None:
            raise field_error(
                "premium_percent",
                "not_for_premium_rule",
                _("A premium per kilogram of fine gold has no percentage: leave it out."),
            )
        if premium_per_kg_fine.amount_minor < 0:
            raise field_error("premium_per_kg_fine", "min_value", _("A premium is never negative."))
        per_kg, currency, percent = premium_per_kg_fine.amount_minor, premium_per_kg_fine.currency, None
    elif premium_rule == PremiumRule.PERCENT_OF_LBMA:
        if premium_percent_bp is None:
            raise field_error(
                "premium_percent",
                "required_by_premium_rule",
                _("A premium as a share of the LBMA price needs its percentage."),
            )
        if premium_per_kg_fine is not None:
            raise field_error(
                "premium_per_kg_fine",
                "not_for_premium_rule",
                _("A premium as a share of the LBMA price has no amount per kilogram: leave it out."),
            )
        if not 0 <= premium_percent_bp <= 10000:
            raise field_error("premium_percent", "out_of_range", _("A percentage of the LBMA price: 0 to 100 %."))
        per_kg, currency, percent = None, None, premium_percent_bp
    else:
        raise field_error(
            "premium_rule",
            "invalid_choice",
            _("Unknown premium rule: use one of %(choices)s.") % {"choices": ", ".join(PremiumRule.values)},
        )
    source = _text(source, "source", TERMS_SOURCE_MAX_LENGTH, _("Name the standard's text the figures come from."))
    if source_date > today:
        raise field_error("source_date", "in_the_future", _("The standard's text cannot be dated after today."))
    return {
        "minimum_price_bp": minimum_price_bp,
        "premium_rule": premium_rule,
        "premium_per_kg_fine_minor": per_kg,
        "premium_currency": currency,
        "premium_percent_bp": percent,
        "source": source,
        "source_date": source_date,
    }


@transaction.atomic
def certification_terms_record(
    *,
    actor: Actor,
    claim: str,
    valid_from: dt.date,
    minimum_price_bp: int,
    premium_rule: str,
    premium_per_kg_fine: Money | None = None,
    premium_percent_bp: int | None = None,
    source: str,
    source_date: dt.date,
) -> tuple[CertificationTerms, str]:
    """What a certified standard asks from `valid_from` (today or later) on: (the row, "created", "changed" or
    "unchanged"). A row for that claim and day that takes effect after today is changed in place (it has judged
    nothing yet); one in force today is 409 `edits_the_past`, like any row in force: a change is a new row."""
    require_staff(actor)
    if claim not in CERTIFIED_CLAIMS or not Claim.objects.filter(pk=claim).exists():
        raise field_error(
            "claim",
            "not_certified",
            _("Certification terms are for a certified standard: one of %(claims)s.")
            % {"claims": ", ".join(CERTIFIED_CLAIMS)},
        )
    today = clock.today_lima()
    if valid_from < today:
        raise field_error(
            "valid_from",
            "edits_the_past",
            _("New terms cannot take effect before today: offers were judged by the terms in force then."),
        )
    values = _terms_values(
        minimum_price_bp=minimum_price_bp,
        premium_rule=premium_rule,
        premium_per_kg_fine=premium_per_kg_fine,
        premium_percent_bp=premium_percent_bp,
        source=source,
        source_date=source_date,
        today=today,
    )
    existing = CertificationTerms.objects.select_for_update().filter(claim_id=claim, valid_from=valid_from).first()
    if existing is None:
        try:
            with transaction.atomic():
                row = CertificationTerms.objects.create(
                    claim_id=claim, valid_from=valid_from, recorded_by=actor.user, **values
                )
        except IntegrityError:  # the same claim and day recorded meanwhile: judged as a repeat
            existing = (
                CertificationTerms.objects.select_for_update().filter(claim_id=claim, valid_from=valid_from).first()
            )
            if existing is None:
                raise
        else:
            audit_record(
                action="prices.certification_terms.recorded", actor=actor, target=row, data=_terms_figures(row)
            )
            return row, "created"
    if all(getattr(existing, name) == value for name, value in values.items()):
        return existing, "unchanged"
    if existing.valid_from <= today:
        raise TermsInForce(
            _(
                "The %(claim)s terms from %(date)s are in force: they cannot be edited. Record new terms from a "
                "later day."
            )
            % {"claim": claim, "date": valid_from.isoformat()},
            extra={"existing": _terms_figures(existing)},
        )
    before = _terms_figures(existing)
    for name, value in values.items():
        setattr(existing, name, value)
    existing.recorded_by = actor.user
    existing.save()
    audit_record(
        action="prices.certification_terms.changed",
        actor=actor,
        target=existing,
        data={**_terms_figures(existing), "before": before},
    )
    return existing, "changed"
