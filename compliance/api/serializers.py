"""The catalogue, evidence and the engine's answer, as the API shows them."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from compliance.models import (
    NO_EXPIRY,
    DeclaredProduction,
    Evidence,
    EvidenceBasis,
    EvidenceFile,
    EvidenceType,
    Requirement,
)
from compliance.production import MAX_MONTHS, MONTH_REGEX
from core.decimals import decimal_pattern
from core.serializers import CharField, ExactJSONField, GramsField, ModelSerializer, MonthField, ReasonField


def _no_expiry_as_null(value: dt.date | None) -> dt.date | None:
    return None if value is None or value == NO_EXPIRY else value


class EvidenceTypeSerializer(ModelSerializer):
    class Meta:
        model = EvidenceType
        fields = [
            "code",
            "name_es",
            "name_en",
            "area",
            "subject",
            "issuer",
            "validity",
            "validity_days",
            "needs_second_review",
            "site_specific",
            "reviewer_checks_es",
            "reviewer_checks_en",
        ]
        read_only_fields = fields


class EvidenceBasisSerializer(ModelSerializer):
    class Meta:
        model = EvidenceBasis
        fields = ["citation", "clause", "url", "to_confirm", "note"]
        read_only_fields = fields
        extra_kwargs = {
            "to_confirm": {"help_text": "Taken from general knowledge, not yet checked against the norm's text."}
        }


class DeadlineSerializer(serializers.Serializer):
    code = CharField(help_text='The deadline\'s name ("formalization").')
    date = serializers.DateField(allow_null=True, help_text="The deadline in force today (null: none recorded).")
    effective_from = serializers.DateField(allow_null=True)
    norm = CharField(allow_blank=True, help_text="The norm that set it (a decree).")


class ValiditySerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=EvidenceType.Validity.choices)
    description = CharField()
    days = serializers.IntegerField(allow_null=True, help_text="`days`: counted from the issue date.")
    deadline = DeadlineSerializer(allow_null=True, help_text="`deadline`: the deadline in force today.")
    allows_no_expiry = serializers.BooleanField(
        help_text="`document_expiry`: an item may say the document never expires (`no_expiry`) instead of a date."
    )


class ServedRequirementSerializer(serializers.Serializer):
    code = CharField()
    name = CharField()
    claims = serializers.ListField(child=CharField(), help_text="The claims this requirement backs.")


class EvidenceTypeCatalogueSerializer(ModelSerializer):
    """One type of evidence as producers and buyers read it, in the caller's language."""

    name = CharField(read_only=True)
    proves = CharField(read_only=True, help_text="What the document proves.")
    reviewer_checks = serializers.SerializerMethodField()
    validity = serializers.SerializerMethodField()
    per = serializers.ChoiceField(choices=EvidenceType.Per.choices, read_only=True, help_text="What one item covers.")
    requirements = serializers.SerializerMethodField()
    claims = serializers.SerializerMethodField(help_text="Every claim the type backs (through its requirements).")
    purpose = serializers.ChoiceField(
        choices=EvidenceType.Purpose.choices,
        read_only=True,
        help_text="Why a type that serves no requirement exists (empty: it serves the requirements listed).",
    )
    purpose_note = CharField(read_only=True)
    basis = EvidenceBasisSerializer(many=True, read_only=True, help_text="The norms and standards that ask for it.")

    class Meta:
        model = EvidenceType
        fields = [
            "code",
            "name",
            "area",
            "subject",
            "proves",
            "issuer",
            "validity",
            "per",
            "needs_second_review",
            "reviewer_checks",
            "requirements",
            "claims",
            "purpose",
            "purpose_note",
            "basis",
        ]
        read_only_fields = fields

    def get_reviewer_checks(self, obj: EvidenceType) -> str:
        return obj.reviewer_checks

    @extend_schema_field(ValiditySerializer)
    def get_validity(self, obj: EvidenceType) -> dict[str, Any]:
        deadline = None
        if obj.validity == EvidenceType.Validity.DEADLINE:
            row = self.context.get("deadlines", {}).get(obj.deadline_code)
            deadline = {
                "code": obj.deadline_code,
                "date": row.deadline if row else None,
                "effective_from": row.effective_from if row else None,
                "norm": row.norm if row else "",
            }
        return {
            "kind": obj.validity,
            "description": str(EvidenceType.Validity(obj.validity).label),
            "days": obj.validity_days,
            "deadline": deadline,
            "allows_no_expiry": obj.validity == EvidenceType.Validity.DOCUMENT_EXPIRY and obj.allows_no_expiry,
        }

    @extend_schema_field(ServedRequirementSerializer(many=True))
    def get_requirements(self, obj: EvidenceType) -> list[dict[str, Any]]:
        return [
            {"code": r.code, "name": r.name, "claims": sorted(c.code for c in r.claims.all())}
            for r in obj.requirements.all()
        ]

    def get_claims(self, obj: EvidenceType) -> list[str]:
        return sorted({c.code for r in obj.requirements.all() for c in r.claims.all()})


class RequirementSerializer(ModelSerializer):
    evidence_types = EvidenceTypeSerializer(many=True, read_only=True)
    policies = serializers.SerializerMethodField(help_text="Subjects whose policy in force requires it.")

    class Meta:
        model = Requirement
        fields = ["code", "name_es", "name_en", "area", "evidence_types", "what_to_do_es", "what_to_do_en", "policies"]
        read_only_fields = fields

    def get_policies(self, obj: Requirement) -> list[str]:
        in_force = self.context.get("policies_in_force", {})
        return sorted(subject for subject, codes in in_force.items() if obj.code in codes)


class EvidenceFileSerializer(ModelSerializer):
    download = serializers.SerializerMethodField()

    class Meta:
        model = EvidenceFile
        fields = ["position", "original_name", "content_type", "size", "sha256", "created_at", "download"]
        read_only_fields = fields

    def get_download(self, obj: EvidenceFile) -> str:
        return f"/api/v1/evidence/{obj.evidence_id}/files/{obj.position}/"


class DeclaredProductionSerializer(ModelSerializer):
    month = MonthField()
    declared_grams = GramsField(read_only=True)
    confirmed_grams = GramsField(read_only=True, allow_null=True, help_text="Set by the reviewer who approved it.")

    class Meta:
        model = DeclaredProduction
        fields = ["month", "declared_grams", "confirmed_grams"]
        read_only_fields = fields


class EvidenceSerializer(ModelSerializer):
    files = EvidenceFileSerializer(many=True, read_only=True)
    evidence_type_name = serializers.SerializerMethodField()
    area = CharField(source="evidence_type.area", read_only=True)
    valid_until = serializers.SerializerMethodField()
    production = DeclaredProductionSerializer(
        many=True, read_only=True, help_text="Production declarations: the grams declared and confirmed per month."
    )

    class Meta:
        model = Evidence
        fields = [
            "id",
            "organization",
            "evidence_type",
            "evidence_type_name",
            "area",
            "site",
            "document_number",
            "issuer",
            "issue_date",
            "expiry_date",
            "no_expiry",
            "notes",
            "attributes",
            "supersedes",
            "status",
            "created_at",
            "claimed_by",
            "claimed_at",
            "first_approved_by",
            "decided_by",
            "decided_at",
            "decision_reason",
            "valid_until",
            "files",
            "production",
        ]
        read_only_fields = fields

    def get_evidence_type_name(self, obj: Evidence) -> str:
        return obj.evidence_type.name

    def get_valid_until(self, obj: Evidence) -> dt.date | None:
        return _no_expiry_as_null(obj.valid_until)


class JSONObjectField(ExactJSONField):
    """A JSON object, also when sent as a string inside a multipart form."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str):
            try:
                data = json.loads(data)
            except ValueError:
                raise serializers.ValidationError(_("Send a JSON object."), code="invalid") from None
        data = super().to_internal_value(data)
        if not isinstance(data, dict) or len(json.dumps(data)) > 4000:
            raise serializers.ValidationError(_("Send a JSON object of at most 4,000 characters."), code="invalid")
        return data


PRODUCTION_SCHEMA = {
    "type": "array",
    "minItems": 1,
    "maxItems": MAX_MONTHS,
    "items": {
        "type": "object",
        "properties": {
            "month": {"type": "string", "pattern": MONTH_REGEX, "description": "YYYY-MM"},
            "grams": {
                "type": "string",
                "format": "decimal",
                "pattern": decimal_pattern(min_value=0, max_value=10**9, places=3, max_digits=13),
                "description": 'Grams with at most three decimals, as a string: "2100.000".',
            },
        },
        "required": ["month", "grams"],
    },
}


@extend_schema_field(PRODUCTION_SCHEMA)
class ProductionField(serializers.JSONField):
    """`[{"month": "2026-04", "grams": "2100.000"}]`, also as a JSON string inside a multipart form. The
    service checks the months and grams (compliance.production): grams are strings, never JSON numbers."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str):
            try:
                data = json.loads(data, parse_float=Decimal)
            except ValueError:
                raise serializers.ValidationError(_("Send a JSON list."), code="invalid") from None
        if not isinstance(data, list):
            raise serializers.ValidationError(_("Send a JSON list of at most 2,000 characters."), code="invalid")
        # Each entry's month and grams, as the schema names them; other keys are ignored as a serializer ignores
        # unknown fields (a number among them is never turned into JSON again), and only then is the size checked.
        data = [{k: v for k, v in e.items() if k in ("month", "grams")} if isinstance(e, dict) else e for e in data]
        if len(json.dumps(data, default=str)) > 2000:
            raise serializers.ValidationError(_("Send a JSON list of at most 2,000 characters."), code="invalid")
        return data


class EvidenceInputSerializer(serializers.Serializer):
    """Multipart form: the fields below and one or more `files`. A form has no null: leave a field out for none."""

    evidence_type = serializers.SlugRelatedField(slug_field="code", queryset=EvidenceType.objects.all())
    site = serializers.UUIDField(required=False, default=None)
    document_number = CharField(max_length=80, required=False, allow_blank=True, default="")
    issuer = CharField(max_length=200, required=False, allow_blank=True, default="")
    issue_date = serializers.DateField()
    expiry_date = serializers.DateField(required=False, default=None)
    no_expiry = serializers.BooleanField(
        required=False,
        default=False,
        help_text='The document says it never expires ("no caduca"): instead of `expiry_date`, for types whose '
        "validity is the date printed on the document and that allow it (`allows_no_expiry`).",
    )
    notes = CharField(max_length=2000, required=False, allow_blank=True, default="")
    attributes = JSONObjectField(
        required=False,
        default=dict,
        help_text='Facts of the document, a JSON object (a string inside the form): {"ecological": true} for a '
        'Fairmined certificate. A declaration of beneficial owners (OWNERS_DECL) carries {"owners": [{"name", '
        '"document_type": "DNI" | "CE" | "PASSPORT", "document_number", "share_percent": "25.50", "pep": false}], '
        '"peps": [{"name", "position", "relation"}]}: 1 to 20 owners whose shares add up to at most 100 '
        "(`owner_shares_over_100` otherwise), each document once; no other type carries owners.",
    )
    supersedes = serializers.UUIDField(required=False, default=None)
    production = ProductionField(
        required=False,
        help_text="Production declarations only: the grams the site produced in each month (1 to 6 months).",
    )
    files = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True),
        allow_empty=False,
        min_length=1,  # says so in the schema too (minItems)
        help_text="PDF, JPEG, PNG or WebP; decided by the content, not the name.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("expiry_date") and attrs["expiry_date"] < attrs["issue_date"]:
            raise serializers.ValidationError(
                {"expiry_date": _("The expiry date is before the issue date.")}, code="before_issue"
            )
        return attrs


class ApproveSerializer(serializers.Serializer):
    valid_until = serializers.DateField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Defaults to the type's validity rule, capped by the expiry.",
    )
    reason = CharField(max_length=2000, required=False, allow_blank=True, default="")
    confirmed_production = ProductionField(
        required=False,
        help_text="Production declarations only (required for them): the grams confirmed for each declared "
        "month, at most the declared grams.",
    )


class DecisionReasonSerializer(serializers.Serializer):
    reason = CharField(max_length=2000)


class OptionalReasonSerializer(serializers.Serializer):
    reason = CharField(max_length=2000, required=False, allow_blank=True, default="")


class KycRejectSerializer(serializers.Serializer):
    reason = ReasonField(message=_("Give the reason: the buyer will read it."))


class RequirementStateSerializer(serializers.Serializer):
    code = CharField()
    name = CharField()
    state = serializers.ChoiceField(choices=["met", "expiring_soon", "pending", "expired", "missing"])
    valid_until = serializers.DateField(allow_null=True)
    evidence = serializers.ListField(child=serializers.UUIDField())
    message = CharField(help_text="What this state means, in the caller's language.")
    what_to_do = CharField()


class ClaimStateSerializer(serializers.Serializer):
    code = CharField()
    assurance = CharField()
    valid_until = serializers.DateField(allow_null=True)


class OriginSiteSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = CharField()
    status = serializers.ChoiceField(choices=["pending", "approved", "rejected"])


class SiteComplianceSerializer(serializers.Serializer):
    site = OriginSiteSerializer()
    compliant = serializers.BooleanField(
        help_text="The origin (the producer at this site) meets the policy: the producer's items that are not "
        "site-specific count, and the site-specific ones that name this site. Listings from the site are "
        "offered only when it is also approved."
    )
    valid_until = serializers.DateField(allow_null=True)
    requirements = RequirementStateSerializer(many=True)


class ComplianceSerializer(serializers.Serializer):
    organization = serializers.UUIDField()
    policy = CharField()
    policy_version = serializers.IntegerField()
    today = serializers.DateField()
    compliant = serializers.BooleanField(
        help_text="A buyer: its KYC policy is met. A producer: at least one of its approved sites is compliant "
        "(see `sites`)."
    )
    valid_until = serializers.DateField(allow_null=True)
    verification_status = CharField(
        allow_null=True,
        help_text="A producer's verification status; a buyer's KYC status, `lapsed` once its last verification "
        "is past its validity (the organisation's `kyc_valid_until`).",
    )
    requirements = RequirementStateSerializer(
        many=True,
        help_text="Requirement by requirement, counting every item of the organisation wherever it names; a "
        "producer's listings are judged site by site (`sites`).",
    )
    claims = ClaimStateSerializer(
        many=True, help_text="A producer's claims held at at least one approved site (women-led: from the roster)."
    )
    sites = SiteComplianceSerializer(
        many=True, help_text="A producer's sites, each judged by the site rule (empty for a buyer)."
    )
