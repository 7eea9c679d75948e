"""Lots, their sources, assays and custody trail, and the mass balance, as the API shows and takes them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rest_framework import serializers

from core.serializers import CharField, DecimalField, GramsField, ModelSerializer, MonthField, RegexField
from provenance.models import (
    NEXT_CUSTODY_KINDS,
    AssayCertificate,
    AssayMethod,
    CustodyEvent,
    Form,
    Lot,
    LotSource,
    ProcessingMethod,
)

MONTH_REGEX = r"^\d{4}-(0[1-9]|1[0-2])$"


def _fineness_field(**kwargs: Any) -> DecimalField:
    kwargs.setdefault("min_value", Decimal("0"))
    return DecimalField(max_digits=5, decimal_places=1, max_value=Decimal("1000"), **kwargs)


class LotSourceSerializer(ModelSerializer):
    site_name = CharField(source="site.name", read_only=True)
    month = MonthField()
    grams = GramsField(read_only=True)

    class Meta:
        model = LotSource
        fields = ["site", "site_name", "month", "grams"]
        read_only_fields = fields


class AssaySerializer(ModelSerializer):
    au_per_mille = _fineness_field(read_only=True)
    ag_per_mille = _fineness_field(read_only=True)
    download = serializers.SerializerMethodField()

    class Meta:
        model = AssayCertificate
        fields = [
            "position",
            "laboratory",
            "method",
            "au_per_mille",
            "ag_per_mille",
            "certificate_number",
            "assayed_on",
            "original_name",
            "content_type",
            "size",
            "sha256",
            "created_at",
            "download",
        ]
        read_only_fields = fields

    def get_download(self, obj: AssayCertificate) -> str:
        return f"/api/v1/lots/{obj.lot_id}/assays/{obj.position}/file/"


class CustodyEventSerializer(ModelSerializer):
    organization_name = CharField(source="organization.legal_name", read_only=True)
    user_name = CharField(source="user.full_name", read_only=True)
    weight_grams = GramsField(read_only=True, allow_null=True)
    document = serializers.SerializerMethodField(help_text="The document's name, type and SHA-256, if any.")

    class Meta:
        model = CustodyEvent
        fields = [
            "seq",
            "kind",
            "occurred_at",
            "place",
            "organization",
            "organization_name",
            "user",
            "user_name",
            "weight_grams",
            "seal_number",
            "notes",
            "document",
            "created_at",
        ]
        read_only_fields = fields

    def get_document(self, obj: CustodyEvent) -> dict[str, Any] | None:
        if not obj.sha256:
            return None
        return {"original_name": obj.original_name, "content_type": obj.content_type, "sha256": obj.sha256}


class LotSerializer(ModelSerializer):
    gross_grams = GramsField(read_only=True)
    declared_fineness = _fineness_field(read_only=True)
    fineness = serializers.SerializerMethodField(
        help_text="The latest fire assay's Au ‰, else the declared fineness (XRF never sets it)."
    )
    fine_grams = GramsField(read_only=True, help_text="gross × fineness / 1000, rounded down to the milligram.")
    producer_name = CharField(source="producer.organization.legal_name", read_only=True)
    sources = LotSourceSerializer(many=True, read_only=True)
    assays = AssaySerializer(many=True, read_only=True)
    custody = CustodyEventSerializer(many=True, read_only=True)

    class Meta:
        model = Lot
        fields = [
            "id",
            "producer",
            "producer_name",
            "code",
            "form",
            "gross_grams",
            "declared_fineness",
            "fineness",
            "fine_grams",
            "production_from",
            "production_to",
            "processing_methods",
            "seal_number",
            "notes",
            "recorded_by",
            "created_at",
            "sources",
            "assays",
            "custody",
        ]
        read_only_fields = fields

    def get_fineness(self, obj: Lot) -> str:
        return f"{obj.fineness_in_force():.1f}"


class LotSourceInputSerializer(serializers.Serializer):
    site = serializers.UUIDField()
    grams = GramsField()
    month = RegexField(
        MONTH_REGEX, required=False, help_text="YYYY-MM; may be left out when the window lies in one month."
    )


class LotInputSerializer(serializers.Serializer):
    code = CharField(max_length=40, help_text="Your own code for the lot, unique among your lots.")
    form = serializers.ChoiceField(choices=Form.choices)
    gross_grams = GramsField()
    declared_fineness = _fineness_field(min_value=Decimal("0.1"))
    production_from = serializers.DateField()
    production_to = serializers.DateField()
    processing_methods = serializers.ListField(
        child=serializers.ChoiceField(choices=ProcessingMethod.choices), min_length=1, max_length=10
    )
    sources = serializers.ListField(child=LotSourceInputSerializer(), min_length=1, max_length=20)
    seal_number = CharField(max_length=40, required=False, allow_blank=True, default="")
    place = CharField(max_length=200, required=False, allow_blank=True, default="")
    notes = CharField(max_length=2000, required=False, allow_blank=True, default="")


class AssayInputSerializer(serializers.Serializer):
    """Multipart form: the fields below and the certificate's `file` (PDF or image)."""

    laboratory = CharField(max_length=200)
    method = serializers.ChoiceField(choices=AssayMethod.choices)
    au_per_mille = _fineness_field()
    ag_per_mille = _fineness_field()
    certificate_number = CharField(max_length=80)
    assayed_on = serializers.DateField()
    file = serializers.FileField(allow_empty_file=True, help_text="PDF, JPEG, PNG or WebP; decided by the content.")


class CustodyInputSerializer(serializers.Serializer):
    """The next event of the chain of custody, in JSON (a document comes with the form below)."""

    kind = serializers.ChoiceField(choices=NEXT_CUSTODY_KINDS)
    occurred_at = serializers.DateTimeField()
    place = CharField(max_length=200, required=False, allow_blank=True, default="")
    weight_grams = GramsField(required=False, allow_null=True, default=None)
    seal_number = CharField(max_length=40, required=False, allow_blank=True, default="")
    notes = CharField(max_length=2000, required=False, allow_blank=True, default="")


class CustodyFormSerializer(CustodyInputSerializer):
    """The same as a multipart form, with an optional `document` (PDF or image)."""

    document = serializers.FileField(required=False, allow_null=True, allow_empty_file=True, default=None)


class MassBalanceRowSerializer(serializers.Serializer):
    site = serializers.UUIDField(source="site.pk")
    site_name = CharField(source="site.name")
    month = MonthField()
    declared_grams = GramsField(min_value=None, help_text="Confirmed by a reviewer; 0 with no declaration.")
    used_grams = GramsField(min_value=None, help_text="Every lot ever recorded against this site and month.")
    committed_forward_grams = GramsField(
        min_value=None,
        help_text="Sold forward from this site for delivery this month, less the lots already named for those sales.",
    )
    left_grams = GramsField(
        min_value=None, help_text="Declared (with the tolerance) less used and committed forward: never below 0."
    )


class MassBalanceSerializer(serializers.Serializer):
    producer = serializers.UUIDField()
    tolerance_bp = serializers.IntegerField(help_text="The policy in force: basis points over the declared grams.")
    rows = MassBalanceRowSerializer(many=True)
