"""The price table as the API shows and takes it: prices and rates as decimal strings ("4118.900", "3.452100"),
percentages as decimal strings ("95.00"), money as `{amount_minor, currency}`."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.money import Currency, Money
from core.serializers import CharField, DecimalField, ModelSerializer, MoneyField, MoneySerializer, ReasonField
from prices.models import Benchmark, CertificationTerms, ExchangeRate, MetalPrice, PremiumRule
from prices.selectors import CERTIFIED_CLAIMS
from prices.services import PRICE_MAX, RATE_MAX, REASON_MAX_LENGTH, SOURCE_MAX_LENGTH, TERMS_SOURCE_MAX_LENGTH

REASON_REQUIRED = _("Say why the figure is corrected: everybody reads it.")


def price_field(**kwargs: Any) -> DecimalField:
    return DecimalField(
        max_digits=10,
        decimal_places=3,
        min_value=Decimal("0.001"),
        max_value=PRICE_MAX,
        help_text="US dollars per troy ounce of fine metal, at most 3 decimals, as a string.",
        **kwargs,
    )


def rate_field(**kwargs: Any) -> DecimalField:
    return DecimalField(
        max_digits=12,
        decimal_places=6,
        min_value=Decimal("0.000001"),
        max_value=RATE_MAX,
        help_text="Units of the quote currency per unit of the base currency, at most 6 decimals, as a string.",
        **kwargs,
    )


def percent_field(**kwargs: Any) -> DecimalField:
    return DecimalField(max_digits=5, decimal_places=2, min_value=Decimal(0), max_value=Decimal(100), **kwargs)


class _Corrected(ModelSerializer):
    replaces = serializers.UUIDField(
        source="replaces_id", read_only=True, allow_null=True, help_text="The row this one corrects."
    )
    replaced_by = serializers.UUIDField(
        source="replaced_by_pk",
        read_only=True,
        allow_null=True,
        help_text="The row that corrects this one (then `current` is false).",
    )


class FixSerializer(_Corrected):
    usd_per_troy_ounce = DecimalField(max_digits=10, decimal_places=3, read_only=True)

    class Meta:
        model = MetalPrice
        fields = [
            "id",
            "benchmark",
            "date",
            "usd_per_troy_ounce",
            "source",
            "sample",
            "current",
            "replaces",
            "replaced_by",
            "correction_reason",
            "recorded_at",
        ]
        read_only_fields = fields


class RateSerializer(_Corrected):
    rate = DecimalField(max_digits=12, decimal_places=6, read_only=True)

    class Meta:
        model = ExchangeRate
        fields = [
            "id",
            "base",
            "quote",
            "date",
            "rate",
            "source",
            "sample",
            "current",
            "replaces",
            "replaced_by",
            "correction_reason",
            "recorded_at",
        ]
        read_only_fields = fields


class FixInputSerializer(serializers.Serializer):
    benchmark = serializers.ChoiceField(choices=Benchmark.choices)
    date = serializers.DateField(help_text="The London day of the fix; not after today in London.")
    usd_per_troy_ounce = price_field()
    source = CharField(max_length=SOURCE_MAX_LENGTH, help_text="Where the figure was read.")  # type: ignore[assignment]
    sample = serializers.BooleanField(
        default=False, help_text="A made-up figure (demo data), shown as such everywhere; never a real fix."
    )


class FixCorrectionSerializer(serializers.Serializer):
    usd_per_troy_ounce = price_field()
    reason = ReasonField(message=REASON_REQUIRED, max_length=REASON_MAX_LENGTH)
    source = CharField(max_length=SOURCE_MAX_LENGTH, required=False, help_text="By default the corrected row's.")  # type: ignore[assignment]
    sample = serializers.BooleanField(required=False, help_text="By default the corrected row's.")


class RateInputSerializer(serializers.Serializer):
    base = serializers.ChoiceField(choices=Currency.choices, default=Currency.USD)
    quote = serializers.ChoiceField(choices=Currency.choices, default=Currency.PEN)
    date = serializers.DateField(help_text="The Lima day of the rate; not after today in Lima.")
    rate = rate_field()
    source = CharField(max_length=SOURCE_MAX_LENGTH, help_text="Where the rate was read.")  # type: ignore[assignment]
    sample = serializers.BooleanField(
        default=False, help_text="A made-up rate (demo data), shown as such everywhere; never a real one."
    )


class RateCorrectionSerializer(serializers.Serializer):
    rate = rate_field()
    reason = ReasonField(message=REASON_REQUIRED, max_length=REASON_MAX_LENGTH)
    source = CharField(max_length=SOURCE_MAX_LENGTH, required=False, help_text="By default the corrected row's.")  # type: ignore[assignment]
    sample = serializers.BooleanField(required=False, help_text="By default the corrected row's.")


def _percent(bp: int | None) -> str | None:
    return None if bp is None else str((Decimal(bp) / 100).quantize(Decimal("0.01")))


class CertificationTermsSerializer(ModelSerializer):
    claim = serializers.CharField(source="claim_id", read_only=True)
    minimum_price_percent = serializers.SerializerMethodField(
        help_text="The minimum price as a percentage of the LBMA Gold Price."
    )
    premium_per_kg_fine = serializers.SerializerMethodField(
        help_text="The premium per kilogram of fine gold (rule `per_kg_fine`); null otherwise."
    )
    premium_percent = serializers.SerializerMethodField(
        help_text="The premium as a percentage of the LBMA Gold Price (rule `percent_of_lbma`); null otherwise."
    )

    class Meta:
        model = CertificationTerms
        fields = [
            "id",
            "claim",
            "valid_from",
            "minimum_price_percent",
            "premium_rule",
            "premium_per_kg_fine",
            "premium_percent",
            "source",
            "source_date",
            "recorded_at",
        ]
        read_only_fields = fields

    @extend_schema_field({"type": "string", "pattern": r"^(?:100\.00|[1-9]?\d\.\d{2})$", "example": "95.00"})
    def get_minimum_price_percent(self, obj: CertificationTerms) -> str | None:
        return _percent(obj.minimum_price_bp)

    @extend_schema_field(MoneySerializer(allow_null=True))
    def get_premium_per_kg_fine(self, obj: CertificationTerms) -> dict[str, Any] | None:
        if obj.premium_per_kg_fine_minor is None or obj.premium_currency is None:
            return None
        return Money(obj.premium_per_kg_fine_minor, obj.premium_currency).as_dict()

    @extend_schema_field(
        {"type": "string", "nullable": True, "pattern": r"^(?:100\.00|[1-9]?\d\.\d{2})$", "example": "15.00"}
    )
    def get_premium_percent(self, obj: CertificationTerms) -> str | None:
        return _percent(obj.premium_percent_bp)


class CertificationTermsInputSerializer(serializers.Serializer):
    """A premium per kilogram (`per_kg_fine`) gives `premium_per_kg_fine` and no `premium_percent`; a share of the
    LBMA price (`percent_of_lbma`) the other way round (400 `required_by_premium_rule` / `not_for_premium_rule`)."""

    claim = serializers.ChoiceField(choices=[(code, code) for code in CERTIFIED_CLAIMS])
    valid_from = serializers.DateField(help_text="The first day the terms apply: today or later.")
    minimum_price_percent = percent_field(help_text="The minimum price, a percentage of the LBMA Gold Price.")
    premium_rule = serializers.ChoiceField(choices=PremiumRule.choices)
    premium_per_kg_fine = MoneyField(required=False, allow_null=True, default=None)
    premium_percent = percent_field(required=False, allow_null=True, default=None)
    source = CharField(max_length=TERMS_SOURCE_MAX_LENGTH, help_text="The standard's text the figures come from.")  # type: ignore[assignment]
    source_date = serializers.DateField(help_text="The date of that text.")

    def to_service(self) -> dict[str, Any]:
        data = dict(self.validated_data)
        data["minimum_price_bp"] = int(data.pop("minimum_price_percent") * 100)
        percent = data.pop("premium_percent")
        data["premium_percent_bp"] = None if percent is None else int(percent * 100)
        return data
