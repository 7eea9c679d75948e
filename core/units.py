"""Gold weights and fineness, exact from the API to the database.

Grams are `Decimal` with three places (milligram precision) in Python and the API, and an integer count of
milligrams in the database, because SQLite stores DecimalField as REAL. Fineness is parts per thousand with
one decimal, stored as an integer count of tenths.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

GRAM_PLACES = Decimal("0.001")
FINENESS_PLACES = Decimal("0.1")
GRAMS_PER_TROY_OUNCE = Decimal("31.1034768")


def _exact_decimal(value: Any, places: Decimal, what: Any) -> Decimal:
    if isinstance(value, float):
        raise ValidationError(_("%(what)s must be a decimal string, not a float.") % {"what": what})
    try:
        number = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise ValidationError(_("%(what)s is not a number.") % {"what": what}) from None
    if not number.is_finite():
        raise ValidationError(_("%(what)s is not a number.") % {"what": what})
    if number != number.quantize(places):
        raise ValidationError(_("%(what)s has too many decimals.") % {"what": what})
    return number.quantize(places)


def grams(value: Any) -> Decimal:
    return _exact_decimal(value, GRAM_PLACES, _("Grams"))


def fineness(value: Any) -> Decimal:
    number = _exact_decimal(value, FINENESS_PLACES, _("Fineness"))
    if not Decimal(0) <= number <= Decimal(1000):
        raise ValidationError(_("Fineness is parts per thousand, from 0 to 1000."))
    return number


def fine_grams(gross: Decimal, fineness_per_mille: Decimal) -> Decimal:
    """Fine gold content: gross × fineness / 1000, rounded half up to the milligram."""
    return (gross * fineness_per_mille / Decimal(1000)).quantize(GRAM_PLACES, rounding=ROUND_HALF_UP)


def troy_ounces(weight_grams: Decimal) -> Decimal:
    return (weight_grams / GRAMS_PER_TROY_OUNCE).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def karat(fineness_per_mille: Decimal) -> Decimal:
    return (fineness_per_mille * 24 / Decimal(1000)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


class _ScaledIntegerField(models.BigIntegerField):
    """A Decimal in Python stored as an integer count of `unit` in the database."""

    unit: Decimal
    parse: Any
    # What django-stubs should believe the attribute holds (it would say int for a BigIntegerField).
    _pyi_private_set_type: Decimal | int | str  # type: ignore[assignment]
    _pyi_private_get_type: Decimal  # type: ignore[assignment]

    def from_db_value(self, value: int | None, expression: Any, connection: Any) -> Decimal | None:
        return None if value is None else (Decimal(value) * self.unit).quantize(self.unit)

    def to_python(self, value: Any) -> Decimal | None:
        if value is None or isinstance(value, Decimal):
            return value
        return type(self).parse(value)

    def get_prep_value(self, value: Any) -> int | None:
        if value is None:
            return None
        if hasattr(value, "resolve_expression"):
            return value
        return int(type(self).parse(value) / self.unit)

    def formfield(self, **kwargs: Any) -> Any:
        from django import forms

        return forms.DecimalField(decimal_places=-self.unit.as_tuple().exponent, **kwargs)  # type: ignore[operator]


class GramsField(_ScaledIntegerField):
    """Grams with milligram precision, stored as integer milligrams."""

    unit = GRAM_PLACES
    parse = staticmethod(grams)


class FinenessField(_ScaledIntegerField):
    """Parts per thousand with one decimal, stored as integer tenths."""

    unit = FINENESS_PLACES
    parse = staticmethod(fineness)
