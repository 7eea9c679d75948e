"""Serializer fields for the value types: money as `{amount_minor, currency}`, grams as decimal strings."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

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


class GramsField(serializers.DecimalField):
    """Grams with milligram precision, written as a decimal string ("500.000")."""

    def __init__(self, **kwargs: Any) -> None:
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
