from __future__ import annotations

from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.money import Currency, Money
from core.serializers import CharField, DecimalField, GramsField, ModelSerializer, MoneyField, MoneySerializer
from listings.models import Incoterm, PriceBasis
from trade.api.settlement_serializers import (
    ChargeInputSerializer,
    ChargeSerializer,
    SettlementInputSerializer,
    SettlementSerializer,
    ShipmentInputSerializer,
    ShipmentSerializer,
    charge_to_service,
    settlement_to_service,
    shipment_to_service,
)
from trade.models import Contract, ContractAcceptance, ContractVersion, Deposit, DepositRefund, Inquiry, InquiryMessage
from trade.snapshots import compliance_alerts
from trade.terms import settlement_of, snapshot_digest


def _money(amount: int | None, currency: str) -> dict[str, Any] | None:
    return None if amount is None else Money(amount, currency).as_dict()


def _percent(basis_points: int | None) -> str | None:
    return None if basis_points is None else str((Decimal(basis_points) / 100).quantize(Decimal("0.01")))


class InquirySerializer(ModelSerializer):
    buyer = serializers.UUIDField(source="buyer_id", read_only=True)
    buyer_name = CharField(source="buyer.legal_name", read_only=True)
    producer = serializers.UUIDField(source="producer_id", read_only=True)
    producer_name = CharField(source="producer.organization.legal_name", read_only=True)
    listing = serializers.UUIDField(source="listing_id", read_only=True, allow_null=True)
    sourcing_request = serializers.UUIDField(source="sourcing_request_id", read_only=True, allow_null=True)
    grams = GramsField(read_only=True)
    target_price_per_fine_gram = serializers.SerializerMethodField()

    class Meta:
        model = Inquiry
        fields = [
            "id",
            "buyer",
            "buyer_name",
            "producer",
            "producer_name",
            "listing",
            "sourcing_request",
            "opened_by",
            "grams",
            "target_price_per_fine_gram",
            "state",
            "created_at",
            "updated_at",
            "closed_at",
        ]
        read_only_fields = fields

    @extend_schema_field(MoneySerializer(allow_null=True))
    def get_target_price_per_fine_gram(self, obj: Inquiry) -> dict[str, Any] | None:
        return _money(obj.target_price_per_fine_gram_minor, obj.currency)


class InquiryCreateSerializer(serializers.Serializer):
    listing = serializers.UUIDField(required=False, allow_null=True, default=None, help_text="A visible listing.")
    producer = serializers.UUIDField(
        required=False, allow_null=True, default=None, help_text="A verified producer (when no listing is named)."
    )
    sourcing_request = serializers.UUIDField(
        required=False, allow_null=True, default=None, help_text="Producers: the open sourcing request answered."
    )
    message = CharField(max_length=5000)
    grams = GramsField()
    target_price_per_fine_gram = MoneyField(required=False, allow_null=True, default=None)

    def to_service(self) -> dict[str, Any]:
        data = dict(self.validated_data)
        price = data.pop("target_price_per_fine_gram", None)
        return {
            "listing_id": data["listing"],
            "producer_id": data["producer"],
            "sourcing_request_id": data["sourcing_request"],
            "message": data["message"],
            "grams": data["grams"],
            "target_price_per_fine_gram_minor": price.amount_minor if price else None,
            "currency": price.currency if price else Currency.USD,
        }


class InquiryMessageSerializer(ModelSerializer):
    author = serializers.UUIDField(source="author_id", read_only=True)
    author_name = CharField(source="author.full_name", read_only=True)

    class Meta:
        model = InquiryMessage
        fields = ["id", "side", "author", "author_name", "body", "created_at"]
        read_only_fields = fields


class InquiryMessageInputSerializer(serializers.Serializer):
    body = CharField(max_length=5000)


class ContractVersionSerializer(ModelSerializer):
    proposed_by = serializers.UUIDField(source="proposed_by_id", read_only=True)
    proposed_by_name = CharField(source="proposed_by.full_name", read_only=True)
    proposed_by_organization = serializers.UUIDField(source="proposed_by_organization_id", read_only=True)
    quantity_grams = GramsField(read_only=True)
    fineness = DecimalField(max_digits=5, decimal_places=1, read_only=True)
    price_per_fine_gram = serializers.SerializerMethodField()
    lbma_adjustment_percent = serializers.SerializerMethodField()
    premium_per_kg_fine = serializers.SerializerMethodField()
    deposit_amount = serializers.SerializerMethodField()
    deposit_percent = serializers.SerializerMethodField()
    origin_site = serializers.UUIDField(source="origin_site_id", read_only=True)
    lots = serializers.SerializerMethodField()
    settlement = serializers.SerializerMethodField()
    charges = ChargeSerializer(many=True, read_only=True)
    shipments = ShipmentSerializer(many=True, read_only=True)

    class Meta:
        model = ContractVersion
        fields = [
            "number",
            "side",
            "proposed_by",
            "proposed_by_name",
            "proposed_by_organization",
            "quantity_grams",
            "fineness",
            "price_basis",
            "price_per_fine_gram",
            "lbma_adjustment_percent",
            "premium_per_kg_fine",
            "premium_currency",
            "incoterm",
            "incoterm_place",
            "delivery_date",
            "deposit_amount",
            "deposit_percent",
            "payment_terms",
            "origin_site",
            "lots",
            "settlement",
            "charges",
            "shipments",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(SettlementSerializer(allow_null=True))
    def get_settlement(self, obj: ContractVersion) -> dict[str, Any] | None:
        """How the version is settled; null when its terms say nothing of it."""
        settlement = settlement_of(obj)
        if settlement is None:
            return None
        return dict(SettlementSerializer(settlement, context={"currency": obj.currency}).data)

    @extend_schema_field(serializers.ListField(child=serializers.UUIDField()))
    def get_lots(self, obj: ContractVersion) -> list[str]:
        """Spot sales: the lots these terms sell (empty for a forward sale: its lots are named later)."""
        return [str(lot.pk) for lot in obj.lots.all()]

    @extend_schema_field(MoneySerializer(allow_null=True))
    def get_price_per_fine_gram(self, obj: ContractVersion) -> dict[str, Any] | None:
        return _money(obj.price_per_fine_gram_minor, obj.currency)

    @extend_schema_field(MoneySerializer)
    def get_premium_per_kg_fine(self, obj: ContractVersion) -> dict[str, Any] | None:
        return _money(obj.premium_per_kg_fine_minor, obj.premium_currency)

    def get_lbma_adjustment_percent(self, obj: ContractVersion) -> str | None:
        return _percent(obj.lbma_adjustment_bp)

    @extend_schema_field(MoneySerializer(allow_null=True))
    def get_deposit_amount(self, obj: ContractVersion) -> dict[str, Any] | None:
        return _money(obj.deposit_amount_minor, obj.currency)

    def get_deposit_percent(self, obj: ContractVersion) -> str | None:
        return _percent(obj.deposit_percent_bp)


class SnapshotPolicySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    subject = CharField(help_text="`individual` or `organization`: the producer's kind of policy.")
    version = serializers.IntegerField()


class SnapshotRequirementSerializer(serializers.Serializer):
    code = CharField(help_text="A requirement of the policy.")
    evidence = serializers.ListField(
        child=serializers.UUIDField(), help_text="The items that met it at this site (none: it was not met)."
    )


class SnapshotClaimSerializer(serializers.Serializer):
    code = CharField(help_text="A claim of the listing.")
    rests_on = serializers.ChoiceField(
        choices=["evidence", "roster"], help_text="`roster`: women-led, judged from the roster, names no item."
    )
    evidence = serializers.ListField(
        child=serializers.UUIDField(), help_text="The items that backed it at this site (none: it was not backed)."
    )


class SnapshotSiteSerializer(serializers.Serializer):
    site = serializers.UUIDField()
    requirements = SnapshotRequirementSerializer(many=True)
    claims = SnapshotClaimSerializer(many=True)


class SnapshotFileSerializer(serializers.Serializer):
    position = serializers.IntegerField()
    sha256 = CharField()


class SnapshotEvidenceSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    type = CharField(help_text="The evidence type's code.")
    site = serializers.UUIDField(allow_null=True, help_text="The site a site-specific item names.")
    valid_until = serializers.DateField(allow_null=True)
    files = SnapshotFileSerializer(many=True)


class SnapshotAssaySerializer(serializers.Serializer):
    position = serializers.IntegerField()
    method = CharField()
    sha256 = CharField()


class SnapshotLotSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    code = CharField()
    assays = SnapshotAssaySerializer(many=True)


class ComplianceSnapshotSerializer(serializers.Serializer):
    """What the offer's compliance rested on when the version was proposed; part of the hashed terms."""

    policy = SnapshotPolicySerializer()
    sites = SnapshotSiteSerializer(many=True, help_text="Each origin site, by id.")
    evidence = SnapshotEvidenceSerializer(many=True, help_text="Every item the sites name, by id.")
    lots = SnapshotLotSerializer(many=True, help_text="Spot sales: the lots sold and their assay certificates.")


class ContractVersionDetailSerializer(ContractVersionSerializer):
    """A version with the compliance snapshot taken when it was proposed (null for versions proposed before
    snapshots were taken) and the SHA-256 of its canonical JSON."""

    compliance_snapshot = serializers.SerializerMethodField()
    compliance_snapshot_digest = serializers.SerializerMethodField()

    class Meta(ContractVersionSerializer.Meta):
        fields = [*ContractVersionSerializer.Meta.fields, "compliance_snapshot", "compliance_snapshot_digest"]
        read_only_fields = fields

    @extend_schema_field(ComplianceSnapshotSerializer(allow_null=True))
    def get_compliance_snapshot(self, obj: ContractVersion) -> dict[str, Any] | None:
        return obj.compliance_snapshot or None

    @extend_schema_field(CharField(allow_null=True))
    def get_compliance_snapshot_digest(self, obj: ContractVersion) -> str | None:
        return snapshot_digest(obj.compliance_snapshot)


class ComplianceAlertSerializer(serializers.Serializer):
    evidence_id = serializers.UUIDField()
    type = CharField(help_text="The evidence type's code.")
    event = serializers.ChoiceField(choices=["revoked", "superseded"])
    at = serializers.DateTimeField(allow_null=True)


class ContractAcceptanceSerializer(ModelSerializer):
    organization = serializers.UUIDField(source="organization_id", read_only=True)
    user = serializers.UUIDField(source="user_id", read_only=True)
    user_name = CharField(source="user.full_name", read_only=True)
    version = serializers.IntegerField(source="version.number", read_only=True)

    class Meta:
        model = ContractAcceptance
        fields = ["side", "organization", "user", "user_name", "version", "accepted_at"]
        read_only_fields = fields


class ContractSerializer(ModelSerializer):
    inquiry = serializers.UUIDField(source="inquiry_id", read_only=True)
    buyer = serializers.UUIDField(source="buyer_id", read_only=True)
    buyer_name = CharField(source="buyer.legal_name", read_only=True)
    producer = serializers.UUIDField(source="producer_id", read_only=True)
    producer_name = CharField(source="producer.organization.legal_name", read_only=True)
    listing = serializers.UUIDField(source="listing_id", read_only=True)
    latest_version = serializers.SerializerMethodField()
    signed_version = serializers.SerializerMethodField()

    class Meta:
        model = Contract
        fields = [
            "id",
            "inquiry",
            "buyer",
            "buyer_name",
            "producer",
            "producer_name",
            "listing",
            "state",
            "latest_version",
            "signed_version",
            "terms_hash",
            "signed_at",
            "delivered_at",
            "completed_at",
            "ended_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(ContractVersionSerializer)
    def get_latest_version(self, obj: Contract) -> dict[str, Any]:
        versions = list(obj.versions.all())  # prefetched in number order
        return ContractVersionSerializer(versions[-1]).data

    def get_signed_version(self, obj: Contract) -> int | None:
        for version in obj.versions.all():
            if version.pk == obj.signed_version_id:
                return version.number
        return None


class ContractDetailSerializer(ContractSerializer):
    """A contract with every version of its terms and, once signed, both acceptances."""

    versions = ContractVersionDetailSerializer(many=True, read_only=True)
    acceptances = ContractAcceptanceSerializer(many=True, read_only=True)
    compliance_alerts = serializers.SerializerMethodField()

    class Meta(ContractSerializer.Meta):
        fields = [*ContractSerializer.Meta.fields, "versions", "acceptances", "compliance_alerts"]
        read_only_fields = fields

    @extend_schema_field(ComplianceAlertSerializer(many=True))
    def get_compliance_alerts(self, obj: Contract) -> list[dict[str, Any]]:
        """The items of the accepted snapshot (the signed version's; the latest one's while negotiating)
        revoked or superseded since, with when; empty for a declined, withdrawn or cancelled contract."""
        return list(ComplianceAlertSerializer(compliance_alerts(obj), many=True).data)


class TermsInputSerializer(serializers.Serializer):
    """One version of the terms. Prices as on listings: a fixed price per fine gram (USD or PEN), or the LBMA
    AM or PM fix in USD adjusted by a percentage; plus a premium per kilogram of fine gold in its own currency.
    Optionally how it is settled, the charges deducted and the shipments that deliver it
    (docs/settlement-terms.md); without shipments the version delivers once, on its delivery date. On a
    listing that claims a certified standard (Fairmined, Fairtrade and their Ecological grades) the price and
    the premium keep the standard's floors: 400 `below_certified_minimum` or `premium_below_standard` with the
    figures compared, 409 `no_fix_recorded` or `no_rate_recorded` when a figure the check needs is missing."""

    quantity_grams = GramsField()
    fineness = DecimalField(max_digits=5, decimal_places=1, min_value=Decimal("1"), max_value=Decimal("1000"))
    price_basis = serializers.ChoiceField(choices=PriceBasis.choices)
    price_per_fine_gram = MoneyField(required=False, allow_null=True, default=None)
    lbma_adjustment_percent = DecimalField(
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("-50"),
        max_value=Decimal("50"),
        required=False,
        allow_null=True,
        default=None,
    )
    premium_per_kg_fine_minor = serializers.IntegerField(
        min_value=0,
        max_value=10**9,
        default=0,
        help_text="Minor units of `premium_currency` (cents, céntimos) per kilogram of fine gold.",
    )
    premium_currency = serializers.ChoiceField(
        choices=Currency.choices, default=Currency.USD, help_text="The premium's currency (US dollars by default)."
    )
    incoterm = serializers.ChoiceField(choices=Incoterm.choices)
    incoterm_place = CharField(max_length=120)
    delivery_date = serializers.DateField()
    deposit_amount = MoneyField(
        required=False, allow_null=True, default=None, help_text="A fixed deposit (or give deposit_percent)."
    )
    deposit_percent = DecimalField(
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        required=False,
        allow_null=True,
        default=None,
        help_text="A deposit as a percentage of the contract value (or give deposit_amount).",
    )
    payment_terms = CharField(max_length=2000, required=False, allow_blank=True, default="")
    origin_site = serializers.UUIDField(help_text="An approved site of the listing's producer.")
    lots = serializers.ListField(
        child=serializers.UUIDField(),
        min_length=1,
        max_length=20,
        required=False,
        help_text="Spot listings: the listing's lots this contract sells (required there; 400 "
        "`forward_lots_come_later` on a forward listing, whose lots the producer names once recorded).",
    )
    settlement = SettlementInputSerializer(required=False, allow_null=True, default=None)
    charges = serializers.ListField(
        child=ChargeInputSerializer(), required=False, max_length=10, help_text="At most 10."
    )
    shipments = serializers.ListField(
        child=ShipmentInputSerializer(),
        required=False,
        max_length=12,
        help_text="At most 12; left out, the version delivers once, on its delivery date, with its lots.",
    )

    def to_service(self) -> dict[str, Any]:
        data = dict(self.validated_data)
        settlement = data.pop("settlement", None)
        data["settlement"] = settlement_to_service(settlement) if settlement is not None else None
        data["charges"] = [charge_to_service(charge) for charge in data.pop("charges", [])]
        data["shipments"] = [shipment_to_service(shipment) for shipment in data.pop("shipments", [])]
        price = data.pop("price_per_fine_gram", None)
        adjustment = data.pop("lbma_adjustment_percent", None)
        deposit = data.pop("deposit_amount", None)
        percent = data.pop("deposit_percent", None)
        data["price_per_fine_gram_minor"] = price.amount_minor if price else None
        data["currency"] = price.currency if price else Currency.USD
        data["lbma_adjustment_bp"] = int(adjustment * 100) if adjustment is not None else None
        data["deposit_amount_minor"] = deposit.amount_minor if deposit else None
        if deposit is not None:
            data["deposit_currency"] = deposit.currency
        data["deposit_percent_bp"] = int(percent * 100) if percent is not None else None
        return data


class ContractCreateSerializer(TermsInputSerializer):
    inquiry = serializers.UUIDField(help_text="The inquiry the contract comes from (yours, and open).")
    listing = serializers.UUIDField(
        required=False, allow_null=True, default=None, help_text="Needed when the inquiry names no listing."
    )

    def to_service(self) -> dict[str, Any]:
        data = super().to_service()
        data.pop("inquiry")
        data["listing_id"] = data.pop("listing")
        return data


class ContractLotsInputSerializer(serializers.Serializer):
    lots = serializers.ListField(
        child=serializers.UUIDField(), min_length=1, max_length=20, help_text="Recorded lots of the producer."
    )


class AcceptInputSerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=1, help_text="The number of the version you accept: the latest.")


class CancelInputSerializer(serializers.Serializer):
    reason = CharField(max_length=2000, required=False, allow_blank=True, default="")


class DepositRefundSerializer(ModelSerializer):
    amount = serializers.SerializerMethodField()

    class Meta:
        model = DepositRefund
        fields = ["id", "amount", "status", "cause", "created_at", "updated_at"]
        read_only_fields = fields

    @extend_schema_field(MoneySerializer)
    def get_amount(self, obj: DepositRefund) -> dict[str, Any]:
        return Money(obj.amount_minor, obj.deposit.currency).as_dict()


class DepositSerializer(ModelSerializer):
    contract = serializers.UUIDField(source="contract_id", read_only=True)
    amount = serializers.SerializerMethodField()
    refunded = serializers.SerializerMethodField()
    payment_intent = CharField(
        source="provider_intent_id",
        read_only=True,
        allow_null=True,
        help_text="The Stripe PaymentIntent (pi_...); null until it is created.",
    )
    refunds = DepositRefundSerializer(many=True, read_only=True)

    class Meta:
        model = Deposit
        fields = [
            "id",
            "contract",
            "amount",
            "refunded",
            "status",
            "payment_intent",
            "held_at",
            "payout_reference",
            "released_at",
            "refunds",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(MoneySerializer)
    def get_amount(self, obj: Deposit) -> dict[str, Any]:
        return Money(obj.amount_minor, obj.currency).as_dict()

    @extend_schema_field(MoneySerializer)
    def get_refunded(self, obj: Deposit) -> dict[str, Any]:
        return Money(obj.refunded_minor, obj.currency).as_dict()


class DepositStartedSerializer(DepositSerializer):
    client_secret = CharField(
        read_only=True,
        allow_null=True,
        help_text="Give it to Stripe.js in the buyer's browser to confirm the card payment. Keep it secret.",
    )

    class Meta(DepositSerializer.Meta):
        fields = [*DepositSerializer.Meta.fields, "client_secret"]
        read_only_fields = fields


class DepositRefundInputSerializer(serializers.Serializer):
    amount_minor = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=10**15,
        help_text="How much to refund, in the deposit's currency's minor unit; all that is left when omitted.",
    )


class DepositReleaseInputSerializer(serializers.Serializer):
    payout_reference = CharField(
        max_length=200, help_text="The reference of the bank transfer that paid the deposit out to the producer."
    )
