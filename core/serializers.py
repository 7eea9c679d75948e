"""Serializer fields for the value types (money as `{amount_minor, currency}`, grams as decimal strings) and the
strict text fields every serializer of the API uses.

DRF's CharField takes a number for a string (`{"full_name": 12345}` is stored as "12345"), so a client that sends
the wrong type is never told. Here a text field takes only a JSON string: anything else is the field's
`invalid` error. `ModelSerializer` maps the models' text fields to these; serializers declare them by name.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import empty

from core.decimals import decimal_pattern
from core.money import Currency, Money
from core.units import GRAM_PLACES


class MoneySerializer(serializers.Serializer):
    amount_minor = serializers.IntegerField(
        min_value=0, max_value=10**15, help_text="Amount in the currency's minor unit (cents, céntimos)."
    )
    currency = serializers.ChoiceField(choices=Currency.choices, help_text="ISO 4217 code.")


@extend_schema_field(MoneySerializer)
class MoneyField(serializers.Field):
    def to_representation(self, value: Money) -> dict[str, Any]:
        return value.as_dict()

    def to_internal_value(self, data: Any) -> Money:
        inner = MoneySerializer(data=data)
        inner.is_valid(raise_exception=True)
        return Money(inner.validated_data["amount_minor"], inner.validated_data["currency"])


# A decimal as the API writes it: digits without leading zeros, a point and decimals, a sign where negative. The
# field's places, digits and bounds are checked after this shape (their own error codes).
DECIMAL_TEXT = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?")


class DecimalField(serializers.DecimalField):
    """A decimal sent as a JSON string ("480.000"), never as a JSON number: a float cannot hold a weight exactly,
    and the schema says string. The text must have the shape the schema's pattern states (`core.decimals`):
    "1e3", " 5", "007" and "+5" are refused rather than read in some way the client did not mean."""

    @property
    def pattern(self) -> str:
        return decimal_pattern(
            min_value=self.min_value,
            max_value=self.max_value,
            places=self.decimal_places or 0,
            max_digits=self.max_digits,
        )

    def to_internal_value(self, data: Any) -> Decimal:
        if not isinstance(data, str):
            message = _('Send the number as a string, like "480.000".')
            raise serializers.ValidationError(message, code="invalid")
        if not DECIMAL_TEXT.fullmatch(data):
            message = _(
                'Write the number with digits and a point, like "480.000" (no spaces, exponents or leading zeros).'
            )
            raise serializers.ValidationError(message, code="invalid")
        if data.startswith("-") and self.min_value is not None and self.min_value >= 0:  # "-0" too
            self.fail("min_value", min_value=self.min_value)
        return super().to_internal_value(data)  # type: ignore[no-any-return]


class GramsField(DecimalField):
    """Grams with milligram precision, written as a decimal string ("500.000")."""

    def __init__(self, **kwargs: Any) -> None:
        if kwargs.get("read_only"):  # what the server writes: 0 when sold out, never negative
            kwargs.setdefault("min_value", Decimal(0))
        else:
            kwargs.setdefault("min_value", GRAM_PLACES)
            kwargs.setdefault("max_value", Decimal("1000000000"))
        super().__init__(max_digits=13, decimal_places=3, coerce_to_string=True, **kwargs)


def _plain_json(value: Any, decimal: Any) -> Any:
    if isinstance(value, Decimal):
        return decimal(value)
    if isinstance(value, dict):
        return {key: _plain_json(item, decimal) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain_json(item, decimal) for item in value]
    return value


class CoordinatesJSONField(serializers.JSONField):
    """A JSON document of coordinates (GeoJSON): decimal numbers become floats, as degrees may."""

    def to_internal_value(self, data: Any) -> Any:
        return super().to_internal_value(_plain_json(data, float))


class ExactJSONField(serializers.JSONField):
    """A free JSON document in which numbers with a fraction are kept exact, as decimal strings."""

    def to_internal_value(self, data: Any) -> Any:
        return super().to_internal_value(_plain_json(data, str))


NOT_A_STRING = _("Send this value as a string.")


class _OnlyStrings:
    """Refuses a value that is not a string (a number, a boolean, a list) instead of converting it, and a string
    longer than `max_length` as sent: the trimming that follows (which also strips the separators \x1c-\x1f)
    must not let a too-long text through, as the schema's `maxLength` counts what the client sent."""

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str):
            raise serializers.ValidationError(str(NOT_A_STRING), code="invalid")
        limit = getattr(self, "max_length", None)
        if limit is not None and len(data) > limit:
            self.fail("max_length", max_length=limit)  # type: ignore[attr-defined]
        return super().to_internal_value(data)  # type: ignore[misc]


class CharField(_OnlyStrings, serializers.CharField):
    pass


class EmailField(_OnlyStrings, serializers.EmailField):
    pass


class URLField(_OnlyStrings, serializers.URLField):
    pass


class SlugField(_OnlyStrings, serializers.SlugField):
    pass


class RegexField(_OnlyStrings, serializers.RegexField):
    pass


# The API's ModelSerializer: the models' text fields become the strict fields above. (No docstring: the schema
# would show it as the description of every serializer built on it.)
class ModelSerializer(serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: CharField,
        models.TextField: CharField,
        models.EmailField: EmailField,
        models.URLField: URLField,
        models.SlugField: SlugField,
        models.DecimalField: DecimalField,
    }


class ReasonField(CharField):
    """A reason someone will read: required, and missing, empty or only spaces all answer the `required` error
    with `message` (which says who reads it), as the services refuse a blank reason."""

    def __init__(self, *, message: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 2000)
        super().__init__(**kwargs)
        self.error_messages["required"] = message

    def run_validation(self, data: Any = empty) -> Any:
        if isinstance(data, str) and not data.strip():
            self.fail("required")
        return super().run_validation(data)


@extend_schema_field({"type": "string", "pattern": r"^\d{4}-(0[1-9]|1[0-2])$", "example": "2026-04"})
class MonthField(serializers.Field):
    """A calendar month, read-only: the first day of the month stored, `YYYY-MM` shown."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> str:
        return f"{value:%Y-%m}"
