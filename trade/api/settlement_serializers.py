"""The settlement part of a version of the terms, in and out (docs/settlement-terms.md): the settlement terms,
the charges and the shipments. Percentages are decimal strings in the API and basis points in the database,
fineness and the splitting limit per mille with one decimal, money as `{amount_minor, currency}`."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.money import Money
from core.serializers import (
    CharField,
    DecimalField,
    GramsField,
    ModelSerializer,
    MoneyField,
    MoneySerializer,
    RegexField,
)
from listings.models import Incoterm
from prices.models import CertificationTerms
from trade.models import (
    AssayRule,
    ChargeKind,
    ContractCharge,
    ContractShipment,
    FixingRule,
    SettlementTerms,
    UmpireCost,
)


def _money(amount: int | None, currency: str | None) -> dict[str, Any] | None:
    return None if amount is None or currency is None else Money(amount, currency).as_dict()


def _percent(basis_points: int | None) -> str | None:
    return None if basis_points is None else str((Decimal(basis_points) / 100).quantize(Decimal("0.01")))


def _basis_points(percent: Decimal | None) -> int | None:
    return None if percent is None else int(percent * 100)


def _percent_field(*, low: str = "0", **kwargs: Any) -> DecimalField:
    return DecimalField(max_digits=5, decimal_places=2, min_value=Decimal(low), max_value=Decimal("100"), **kwargs)


def _per_mille_field(**kwargs: Any) -> DecimalField:
    return DecimalField(max_digits=5, decimal_places=1, min_value=Decimal("0"), max_value=Decimal("1000"), **kwargs)


# --- In -------------------------------------------------------------------------------------------------------
class SettlementInputSerializer(serializers.Serializer):
    """How the version is settled. The fixing rule says which fields of the fixing it takes: `on_date` a
    `fixing_date`, `average` a `quotational_period_start` and `quotational_period_days`, `after_receipt` none
    (400 `required_by_fixing_rule` or `not_for_fixing_rule` otherwise)."""

    fixing_rule = serializers.ChoiceField(choices=FixingRule.choices)
    fixing_date = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="`on_date`: the day whose fix prices the gold."
    )
    quotational_period_start = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="`average`: the first day of the period."
    )
    quotational_period_days = serializers.IntegerField(
        min_value=1,
        max_value=92,
        required=False,
        allow_null=True,
        default=None,
        help_text="`average`: how many days the period lasts (the mean of the fixes on those days).",
    )
    gold_payable_percent = _percent_field(low="0.01", help_text="The share of the fine gold paid: 99.5.")
    gold_minimum_fineness = _per_mille_field(
        default=Decimal("0.0"), help_text="Per mille: below it the gold is not paid."
    )
    silver_payable_percent = _percent_field(default=Decimal("0"), help_text="The share of the fine silver paid.")
    silver_minimum_fineness = _per_mille_field(
        default=Decimal("0.0"), help_text="Per mille: below it the silver is not paid."
    )
    silver_price_per_fine_gram = MoneyField(
        required=False,
        allow_null=True,
        default=None,
        help_text="A fixed-price contract that pays silver names its price, in the contract's currency; an LBMA "
        "contract reads the LBMA Silver Price (400 `lbma_reads_silver_price`).",
    )
    provisional_percent = _percent_field(
        default=Decimal("0"), help_text="The share of the value on the declared weight and assay paid at dispatch."
    )
    splitting_limit = _per_mille_field(
        help_text="Per mille: two assays closer than this settle by `within_limit_rule`; farther, the umpire's."
    )
    within_limit_rule = serializers.ChoiceField(choices=AssayRule.choices, default=AssayRule.MEAN)
    umpire_laboratory = CharField(max_length=200, help_text="The laboratory whose assay settles a dispute.")
    umpire_cost = serializers.ChoiceField(choices=UmpireCost.choices, default=UmpireCost.FARTHER)


def settlement_to_service(data: dict[str, Any]) -> dict[str, Any]:
    silver_price = data.get("silver_price_per_fine_gram")
    return {
        "fixing_rule": data["fixing_rule"],
        "fixing_date": data.get("fixing_date"),
        "quotational_period_start": data.get("quotational_period_start"),
        "quotational_period_days": data.get("quotational_period_days"),
        "gold_payable_bp": _basis_points(data["gold_payable_percent"]),
        "gold_minimum_fineness": data["gold_minimum_fineness"],
        "silver_payable_bp": _basis_points(data["silver_payable_percent"]),
        "silver_minimum_fineness": data["silver_minimum_fineness"],
        "silver_price_per_fine_gram_minor": silver_price.amount_minor if silver_price else None,
        "silver_price_currency": silver_price.currency if silver_price else None,
        "provisional_bp": _basis_points(data["provisional_percent"]),
        "splitting_limit": data["splitting_limit"],
        "within_limit_rule": data["within_limit_rule"],
        "umpire_laboratory": data["umpire_laboratory"],
        "umpire_cost": data["umpire_cost"],
    }


class ChargeAmountInputSerializer(serializers.Serializer):
    amount_minor = serializers.IntegerField(
        min_value=0, max_value=10**15, help_text="Amount in the currency's minor unit (cents, céntimos)."
    )
    currency = RegexField(
        r"^[A-Z]{3}$",
        help_text="ISO 4217 code: the contract's currency or USD, the LBMA price's (400 "
        "`charge_currency_not_in_contract` otherwise).",
    )


class ChargeInputSerializer(serializers.Serializer):
    """A charge the buyer deducts per shipment: an `amount` (per troy ounce of gross weight received, per lot)
    or a `percent` of the metal's value, whichever its kind takes (400 `required_by_charge_kind`,
    `not_for_charge_kind`)."""

    label = CharField(max_length=120, help_text="What it is: «Refining charge».")  # type: ignore[assignment]
    kind = serializers.ChoiceField(choices=ChargeKind.choices)
    amount = ChargeAmountInputSerializer(required=False, allow_null=True, default=None)
    percent = _percent_field(required=False, allow_null=True, default=None, help_text="`percent_of_value`: 0.50.")


def charge_to_service(data: dict[str, Any]) -> dict[str, Any]:
    amount = data.get("amount")
    return {
        "label": data["label"],
        "kind": data["kind"],
        "amount_minor": amount["amount_minor"] if amount else None,
        "currency": amount["currency"] if amount else None,
        "percent_bp": _basis_points(data.get("percent")),
    }


class ShipmentInputSerializer(serializers.Serializer):
    """One delivery. Together the shipments deliver the version's quantity (400 `shipments_do_not_add_up`)."""

    quantity_grams = GramsField()
    delivery_date = serializers.DateField()
    incoterm = serializers.ChoiceField(choices=Incoterm.choices)
    incoterm_place = CharField(max_length=120)
    lots = serializers.ListField(
        child=serializers.UUIDField(),
        max_length=20,
        required=False,
        help_text="Spot listings: the version's lots this shipment delivers (each lot in one shipment). Forward "
        "listings: none (400 `forward_lots_come_later`).",
    )


def shipment_to_service(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "quantity_grams": data["quantity_grams"],
        "delivery_date": data["delivery_date"],
        "incoterm": data["incoterm"],
        "incoterm_place": data["incoterm_place"],
        "lots": list(data.get("lots") or []),
    }


# --- Out ------------------------------------------------------------------------------------------------------
class CertificationFiguresSerializer(ModelSerializer):
    """The certified standard's figures in force when the version was proposed, which the terms met."""

    claim = CharField(source="claim_id", read_only=True)
    minimum_price_percent = serializers.SerializerMethodField(help_text="Of the LBMA Gold Price.")
    premium_per_kg_fine = serializers.SerializerMethodField()
    premium_percent = serializers.SerializerMethodField(help_text="`percent_of_lbma`: of the LBMA Gold Price.")

    class Meta:
        model = CertificationTerms
        fields = [
            "claim",
            "valid_from",
            "minimum_price_percent",
            "premium_rule",
            "premium_per_kg_fine",
            "premium_percent",
            "source",
            "source_date",
        ]
        read_only_fields = fields

    def get_minimum_price_percent(self, obj: CertificationTerms) -> str:
        return str(_percent(obj.minimum_price_bp))

    @extend_schema_field(MoneySerializer(allow_null=True))
    def get_premium_per_kg_fine(self, obj: CertificationTerms) -> dict[str, Any] | None:
        return _money(obj.premium_per_kg_fine_minor, obj.premium_currency)

    @extend_schema_field(CharField(allow_null=True))
    def get_premium_percent(self, obj: CertificationTerms) -> str | None:
        return _percent(obj.premium_percent_bp)


class SettlementSerializer(ModelSerializer):
    gold_payable_percent = serializers.SerializerMethodField()
    gold_minimum_fineness = DecimalField(max_digits=5, decimal_places=1, read_only=True)
    silver_payable_percent = serializers.SerializerMethodField()
    silver_minimum_fineness = DecimalField(max_digits=5, decimal_places=1, read_only=True)
    silver_price_per_fine_gram = serializers.SerializerMethodField()
    provisional_percent = serializers.SerializerMethodField()
    splitting_limit = DecimalField(max_digits=5, decimal_places=1, read_only=True)
    certification = CertificationFiguresSerializer(read_only=True, allow_null=True)

    class Meta:
        model = SettlementTerms
        fields = [
            "fixing_rule",
            "fixing_date",
            "quotational_period_start",
            "quotational_period_days",
            "gold_payable_percent",
            "gold_minimum_fineness",
            "silver_payable_percent",
            "silver_minimum_fineness",
            "silver_price_per_fine_gram",
            "provisional_percent",
            "splitting_limit",
            "within_limit_rule",
            "umpire_laboratory",
            "umpire_cost",
            "certification",
        ]
        read_only_fields = fields

    def get_gold_payable_percent(self, obj: SettlementTerms) -> str:
        return str(_percent(obj.gold_payable_bp))

    def get_silver_payable_percent(self, obj: SettlementTerms) -> str:
        return str(_percent(obj.silver_payable_bp))

    def get_provisional_percent(self, obj: SettlementTerms) -> str:
        return str(_percent(obj.provisional_bp))

    @extend_schema_field(MoneySerializer(allow_null=True))
    def get_silver_price_per_fine_gram(self, obj: SettlementTerms) -> dict[str, Any] | None:
        currency = self.context.get("currency") or obj.version.currency  # the version's, given by its serializer
        return _money(obj.silver_price_per_fine_gram_minor, currency)


class ChargeSerializer(ModelSerializer):
    amount = serializers.SerializerMethodField()
    percent = serializers.SerializerMethodField()

    class Meta:
        model = ContractCharge
        fields = ["position", "label", "kind", "amount", "percent"]
        read_only_fields = fields

    @extend_schema_field(MoneySerializer(allow_null=True))
    def get_amount(self, obj: ContractCharge) -> dict[str, Any] | None:
        return _money(obj.amount_minor, obj.currency)

    @extend_schema_field(CharField(allow_null=True))
    def get_percent(self, obj: ContractCharge) -> str | None:
        return _percent(obj.percent_bp)


class ShipmentSerializer(ModelSerializer):
    quantity_grams = GramsField(read_only=True)
    lots = serializers.SerializerMethodField()

    class Meta:
        model = ContractShipment
        fields = ["number", "quantity_grams", "delivery_date", "incoterm", "incoterm_place", "lots"]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.UUIDField()))
    def get_lots(self, obj: ContractShipment) -> list[str]:
        """Spot sales: the lots this shipment delivers (none for a forward sale)."""
        return [str(lot.pk) for lot in obj.lots.all()]
