from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.money import Money
from core.serializers import CharField, DecimalField, GramsField, ModelSerializer, MoneyField, MoneySerializer
from settlement.balance import Balance
from settlement.models import AssayResult, Party, Payment, PaymentKind, Statement, StatementKind, Weighing
from settlement.records import AssayFigures
from settlement.selectors import ShipmentRecords, contract_currency


def _fineness(**kwargs: Any) -> DecimalField:
    return DecimalField(max_digits=5, decimal_places=1, min_value=Decimal("0"), max_value=Decimal("1000"), **kwargs)


# --- Records ----------------------------------------------------------------------------------------------------
class WeighingSerializer(ModelSerializer):
    contract = serializers.UUIDField(source="contract_id", read_only=True)
    gross_grams = GramsField(read_only=True)
    recorded_by = serializers.UUIDField(source="recorded_by_id", read_only=True)
    recorded_by_name = CharField(source="recorded_by.full_name", read_only=True)

    class Meta:
        model = Weighing
        fields = [
            "id",
            "contract",
            "shipment",
            "party",
            "gross_grams",
            "weighed_on",
            "recorded_by",
            "recorded_by_name",
            "recorded_at",
        ]
        read_only_fields = fields


class WeighingInputSerializer(serializers.Serializer):
    gross_grams = GramsField(help_text="The gross weight found, in grams with up to 3 decimals.")
    weighed_on = serializers.DateField(
        help_text="The day of the weighing: the dispatch (seller) or the receipt (buyer). Not in the future, not "
        "before the contract was signed."
    )


class AssayResultSerializer(ModelSerializer):
    contract = serializers.UUIDField(source="contract_id", read_only=True)
    au_per_mille = _fineness(read_only=True)
    ag_per_mille = _fineness(read_only=True)
    cost = serializers.SerializerMethodField()
    recorded_by = serializers.UUIDField(source="recorded_by_id", read_only=True)
    recorded_by_name = CharField(source="recorded_by.full_name", read_only=True)

    class Meta:
        model = AssayResult
        fields = [
            "id",
            "contract",
            "shipment",
            "party",
            "au_per_mille",
            "ag_per_mille",
            "laboratory",
            "certificate_number",
            "assayed_on",
            "cost",
            "recorded_by",
            "recorded_by_name",
            "recorded_at",
        ]
        read_only_fields = fields

    @extend_schema_field(MoneySerializer(allow_null=True))
    def get_cost(self, obj: AssayResult) -> dict[str, Any] | None:
        if obj.cost_minor is None:
            return None
        currency = self.context.get("currency") or contract_currency(obj.contract)
        return Money(obj.cost_minor, currency).as_dict()


class ShipmentAssayCorrectionSerializer(serializers.Serializer):
    au_per_mille = _fineness(help_text="Gold, parts per thousand with one decimal (0 to 1000).")
    ag_per_mille = _fineness(
        required=False, default=Decimal("0.0"), help_text="Silver, parts per thousand with one decimal (0 if absent)."
    )
    laboratory = CharField(max_length=200, help_text="The laboratory; for the umpire, the one the signed terms name.")
    certificate_number = CharField(max_length=80, required=False, allow_blank=True, default="")
    assayed_on = serializers.DateField(help_text="Not in the future, not before the contract was signed.")
    cost = MoneyField(
        required=False,
        allow_null=True,
        default=None,
        help_text="The umpire laboratory's fee, in the contract's currency (the umpire's assay only).",
    )

    def figures(self) -> AssayFigures:
        data = self.validated_data
        return AssayFigures(
            au_per_mille=data["au_per_mille"],
            ag_per_mille=data["ag_per_mille"],
            laboratory=data["laboratory"],
            certificate_number=data["certificate_number"],
            assayed_on=data["assayed_on"],
            cost=data["cost"],
        )


class ShipmentAssayInputSerializer(ShipmentAssayCorrectionSerializer):
    party = serializers.ChoiceField(
        choices=Party.choices,
        help_text="seller (the producer's admin), buyer (the buyer's admin) or umpire (either side's admin, once "
        "the two differ by more than the splitting limit).",
    )


# --- Shipments --------------------------------------------------------------------------------------------------
class ShipmentLotSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    code = CharField()


class ShipmentStatementSerializer(ModelSerializer):
    class Meta:
        model = Statement
        fields = ["id", "kind", "issued_at"]
        read_only_fields = fields


class ShipmentRecordsSerializer(serializers.Serializer):
    """A shipment's terms (from the signed version) and the records it is settled from."""

    number = serializers.IntegerField(source="shipment.number")
    quantity_grams = GramsField(source="shipment.quantity_grams", read_only=True)
    delivery_date = serializers.DateField(source="shipment.delivery_date")
    incoterm = CharField(source="shipment.incoterm")
    incoterm_place = CharField(source="shipment.incoterm_place")
    lots = ShipmentLotSerializer(source="shipment.lots", many=True)
    weighings = WeighingSerializer(many=True)
    assays = AssayResultSerializer(many=True)
    assay_difference = DecimalField(
        max_digits=5,
        decimal_places=1,
        allow_null=True,
        read_only=True,
        help_text="|seller's − buyer's| gold, per mille, once both assays are recorded.",
    )
    splitting_limit = serializers.SerializerMethodField()
    umpire_laboratory = serializers.SerializerMethodField()
    umpire_needed = serializers.BooleanField(
        help_text="Both assays are recorded and differ by more than the splitting limit: the umpire settles."
    )
    statements = ShipmentStatementSerializer(many=True)

    @extend_schema_field(CharField(allow_null=True, help_text="Per mille, from the signed settlement terms."))
    def get_splitting_limit(self, obj: ShipmentRecords) -> str | None:
        return None if obj.terms is None else f"{obj.terms.splitting_limit:.1f}"

    @extend_schema_field(CharField(allow_null=True))
    def get_umpire_laboratory(self, obj: ShipmentRecords) -> str | None:
        return None if obj.terms is None else obj.terms.umpire_laboratory


# --- Payments ---------------------------------------------------------------------------------------------------
class PaymentSerializer(ModelSerializer):
    contract = serializers.UUIDField(source="contract_id", read_only=True)
    amount = serializers.SerializerMethodField()
    recorded_by = serializers.UUIDField(source="recorded_by_id", read_only=True)
    recorded_by_name = CharField(source="recorded_by.full_name", read_only=True)
    confirmed = serializers.SerializerMethodField()
    confirmed_by = serializers.UUIDField(source="confirmed_by_id", read_only=True, allow_null=True)
    confirmed_by_name = CharField(source="confirmed_by.full_name", read_only=True, allow_null=True, default=None)

    class Meta:
        model = Payment
        fields = [
            "id",
            "contract",
            "shipment",
            "kind",
            "payer",
            "amount",
            "paid_on",
            "bank_reference",
            "note",
            "recorded_by",
            "recorded_by_name",
            "recorded_at",
            "confirmed",
            "confirmed_by",
            "confirmed_by_name",
            "confirmed_at",
        ]
        read_only_fields = fields

    @extend_schema_field(MoneySerializer)
    def get_amount(self, obj: Payment) -> dict[str, Any]:
        return Money(obj.amount_minor, obj.currency).as_dict()

    def get_confirmed(self, obj: Payment) -> bool:
        return obj.confirmed_at is not None


class PaymentInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=PaymentKind.choices)
    shipment = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=1,
        max_value=32767,
        help_text="The shipment paid for; none for the contract as a whole.",
    )
    amount = MoneyField(help_text="More than 0, in the contract's currency.")
    paid_on = serializers.DateField(help_text="The day of the transfer; not in the future.")
    bank_reference = CharField(
        max_length=80, help_text="The payer's bank reference of the transfer: once per payer and contract."
    )
    note = CharField(max_length=500, required=False, allow_blank=True, default="")

    def validate_amount(self, value: Money) -> Money:
        if value.amount_minor <= 0:
            raise serializers.ValidationError(_("A payment is more than 0."), code="not_positive")
        return value


# --- The balance ------------------------------------------------------------------------------------------------
class FlowsSerializer(serializers.Serializer):
    paid_by_buyer_minor = serializers.IntegerField(help_text="Confirmed payments from the buyer to the producer.")
    paid_by_producer_minor = serializers.IntegerField(help_text="Confirmed payments back to the buyer.")
    unconfirmed_by_buyer_minor = serializers.IntegerField(help_text="Recorded by the buyer, not confirmed yet.")
    unconfirmed_by_producer_minor = serializers.IntegerField(help_text="Recorded by the producer, not confirmed yet.")


class ShipmentBalanceSerializer(FlowsSerializer):
    number = serializers.IntegerField()
    owed_minor = serializers.IntegerField(help_text="What the issued statements say the shipment is worth.")
    owed_by = serializers.ChoiceField(
        choices=StatementKind.choices,
        allow_null=True,
        help_text="final: its net value; provisional: its amount due; null: no statement yet.",
    )
    statement = serializers.UUIDField(allow_null=True)
    outstanding_minor = serializers.IntegerField()


class DepositBalanceSerializer(serializers.Serializer):
    applied_minor = serializers.IntegerField(help_text="Released to the producer, less refunds: paid by the buyer.")
    held_minor = serializers.IntegerField(help_text="Held by the platform: shown, not counted.")


class TotalBalanceSerializer(FlowsSerializer):
    owed_minor = serializers.IntegerField()
    deposit_applied_minor = serializers.IntegerField(source="deposit.applied_minor")
    outstanding_minor = serializers.IntegerField(
        help_text="Positive: the buyer owes the producer; negative: the producer owes the buyer."
    )


class BalanceSerializer(serializers.Serializer):
    """Amounts are integers in minor units of `currency`; outstanding may be negative."""

    contract = serializers.SerializerMethodField()
    currency = CharField()
    shipments = ShipmentBalanceSerializer(many=True)
    unallocated = FlowsSerializer(help_text="Payments that name no shipment.")
    deposit = DepositBalanceSerializer()
    total = serializers.SerializerMethodField()

    @extend_schema_field(serializers.UUIDField())
    def get_contract(self, obj: Balance) -> str:
        return str(self.context["contract_id"])

    @extend_schema_field(TotalBalanceSerializer)
    def get_total(self, obj: Balance) -> dict[str, Any]:
        return dict(TotalBalanceSerializer(obj).data)
