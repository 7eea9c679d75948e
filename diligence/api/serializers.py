"""Red flags, their categories, answers and attachments, as the API shows and takes them."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from core.serializers import CharField, ModelSerializer, ReasonField
from diligence.models import (
    FACTS_MAX_LENGTH,
    TEXT_MAX_LENGTH,
    PackConsent,
    RedFlag,
    RedFlagAnswer,
    RedFlagAttachment,
    RedFlagCategory,
    Severity,
    SubjectKind,
)


class RedFlagCategorySerializer(ModelSerializer):
    class Meta:
        model = RedFlagCategory
        fields = ["code", "name_es", "name_en", "description_es", "description_en", "source"]
        read_only_fields = fields


class RedFlagAttachmentSerializer(ModelSerializer):
    answer = serializers.IntegerField(source="answer_id", read_only=True, allow_null=True)
    download = serializers.SerializerMethodField()

    class Meta:
        model = RedFlagAttachment
        fields = [
            "position",
            "side",
            "answer",
            "original_name",
            "content_type",
            "size",
            "sha256",
            "uploaded_at",
            "download",
        ]
        read_only_fields = fields

    def get_download(self, obj: RedFlagAttachment) -> str:
        return f"/api/v1/red-flags/{obj.flag_id}/attachments/{obj.position}/"


class RedFlagAnswerSerializer(ModelSerializer):
    answered_by_name = CharField(source="answered_by.full_name", read_only=True)

    class Meta:
        model = RedFlagAnswer
        fields = ["id", "text", "answered_by", "answered_by_name", "answered_at"]
        read_only_fields = fields


# Who in the network opened, proposed closing and closed a flag: for the reviewers and staff only. The
# producer's members read them as null (the network speaks as one).
NETWORK_ONLY = (
    "opened_by",
    "opened_by_name",
    "close_proposed_by",
    "close_proposed_by_name",
    "close_proposed_at",
    "close_proposal_reason",
    "closed_by",
    "closed_by_name",
)


class RedFlagSerializer(ModelSerializer):
    organization_name = CharField(source="organization.legal_name", read_only=True)
    site_name = CharField(source="site.name", read_only=True, allow_null=True, default=None)
    lot_code = CharField(source="lot.code", read_only=True, allow_null=True, default=None)
    category_name_es = CharField(source="category.name_es", read_only=True)
    category_name_en = CharField(source="category.name_en", read_only=True)
    suspends_offers = serializers.SerializerMethodField(
        help_text="Open and of high severity: the offers it concerns are hidden from buyers."
    )
    close_proposed = serializers.SerializerMethodField(
        help_text="An open high-severity flag that a first reviewer proposed closing: a second one confirms."
    )
    opened_by = serializers.UUIDField(source="opened_by_id", read_only=True, allow_null=True)
    opened_by_name = CharField(source="opened_by.full_name", read_only=True, allow_null=True)
    close_proposed_by = serializers.UUIDField(source="close_proposed_by_id", read_only=True, allow_null=True)
    close_proposed_by_name = CharField(
        source="close_proposed_by.full_name", read_only=True, allow_null=True, default=None
    )
    close_proposal_reason = CharField(read_only=True, allow_null=True)
    closed_by = serializers.UUIDField(source="closed_by_id", read_only=True, allow_null=True)
    closed_by_name = CharField(source="closed_by.full_name", read_only=True, allow_null=True, default=None)
    answers = RedFlagAnswerSerializer(many=True, read_only=True)
    attachments = RedFlagAttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = RedFlag
        fields = [
            "id",
            "subject_kind",
            "organization",
            "organization_name",
            "site",
            "site_name",
            "lot",
            "lot_code",
            "category",
            "category_name_es",
            "category_name_en",
            "severity",
            "facts",
            "status",
            "suspends_offers",
            "opened_at",
            "close_proposed",
            "close_reason",
            "closed_at",
            "answers",
            "attachments",
            *NETWORK_ONLY,
        ]
        read_only_fields = fields

    def get_suspends_offers(self, obj: RedFlag) -> bool:
        return obj.status == "open" and obj.severity == Severity.HIGH

    def get_close_proposed(self, obj: RedFlag) -> bool:
        return obj.status == "open" and obj.close_proposed_by_id is not None

    def to_representation(self, instance: RedFlag) -> dict[str, Any]:
        data = super().to_representation(instance)
        if not self.context.get("network", False):
            for name in NETWORK_ONLY:
                data[name] = None
        return dict(data)


class RedFlagInputSerializer(serializers.Serializer):
    subject_kind = serializers.ChoiceField(choices=SubjectKind.choices)
    producer = serializers.UUIDField(
        required=False,
        allow_null=True,
        help_text="The producer organisation: the subject of a producer flag; for a site or lot flag, optional, "
        "and then it must be the site's or lot's producer.",
    )
    site = serializers.UUIDField(required=False, allow_null=True, help_text="The subject of a site flag.")
    lot = serializers.UUIDField(required=False, allow_null=True, help_text="The subject of a lot flag.")
    buyer = serializers.UUIDField(required=False, allow_null=True, help_text="The buyer organisation of a buyer flag.")
    category = CharField(max_length=40, help_text="A code of /red-flag-categories/.")
    severity = serializers.ChoiceField(choices=Severity.choices)
    facts = CharField(max_length=FACTS_MAX_LENGTH, help_text="What was found: the producer reads it.")


class RedFlagCloseSerializer(serializers.Serializer):
    reason = ReasonField(message=_("Give the reason for closing: the producer will read it."))


class RedFlagAnswerInputSerializer(serializers.Serializer):
    text = CharField(max_length=TEXT_MAX_LENGTH)


class RedFlagAnswerFormSerializer(RedFlagAnswerInputSerializer):
    """The same as a multipart form, with files (`file`, repeated, optional)."""

    file = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True), required=False, help_text="Up to 5 files."
    )


class RedFlagAttachmentInputSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True, help_text="A PDF or an image.")


# --- The due-diligence pack --------------------------------------------------------------------------
class PackConsentSerializer(ModelSerializer):
    buyer_name = CharField(source="buyer.legal_name", read_only=True)
    producer_name = CharField(source="producer.legal_name", read_only=True)
    requested_by_name = CharField(source="requested_by.full_name", read_only=True)
    decided_by_name = CharField(source="decided_by.full_name", read_only=True, allow_null=True, default=None)
    basis_kind = serializers.ChoiceField(
        choices=[("inquiry", "inquiry"), ("contract", "contract")],
        read_only=True,
        help_text="What allowed the request: an open inquiry or a contract between the two.",
    )
    pack = serializers.SerializerMethodField(help_text="Where the buyer reads the pack once it is granted.")

    class Meta:
        model = PackConsent
        fields = [
            "id",
            "buyer",
            "buyer_name",
            "producer",
            "producer_name",
            "status",
            "basis_kind",
            "basis_id",
            "requested_by",
            "requested_by_name",
            "requested_at",
            "decided_by",
            "decided_by_name",
            "decided_at",
            "reason",
            "pack",
        ]
        read_only_fields = fields

    def get_pack(self, obj: PackConsent) -> str:
        return f"/api/v1/producers/{obj.producer_id}/pack/"


class PackDeclineSerializer(serializers.Serializer):
    reason = ReasonField(message=_("Say why you decline: the buyer will read it."))


class PackRevokeSerializer(serializers.Serializer):
    reason = CharField(max_length=2000, required=False, allow_blank=True, help_text="Optional: the buyer reads it.")


# The pack's sections, for the schema: the view answers the dict that diligence.pack builds.
class _PackConsentPart(serializers.Serializer):
    id = serializers.UUIDField()
    buyer = serializers.UUIDField()
    buyer_name = CharField()
    granted_at = serializers.DateTimeField(allow_null=True)
    basis = serializers.DictField(help_text="`kind` (inquiry or contract) and `id`.")


class _PackProducer(serializers.Serializer):
    id = serializers.UUIDField()
    legal_name = CharField()
    legal_kind = CharField()
    legal_category = CharField()
    ruc = CharField()
    dni = CharField()
    reinfo_code = CharField()
    district = CharField()
    country = CharField()
    verification_status = CharField()
    verified_at = serializers.DateTimeField(allow_null=True)


class _PackOwner(serializers.Serializer):
    name = CharField()
    document_type = CharField()
    document_number = CharField()
    share_percent = CharField()
    pep = serializers.BooleanField(allow_null=True)


class _PackPep(serializers.Serializer):
    name = CharField()
    position = CharField()
    relation = CharField()


class _PackOwners(serializers.Serializer):
    source = CharField(help_text="declaration, or individual_miner (the miner herself).")  # type: ignore[assignment]
    evidence = serializers.UUIDField(allow_null=True)
    valid_until = serializers.DateField(allow_null=True)
    owners = _PackOwner(many=True)
    peps = _PackPep(many=True)


class _PackScreening(serializers.Serializer):
    screened_at = serializers.DateTimeField()
    lists = serializers.ListField(child=serializers.DictField(), help_text="source, sha256, imported_at, entries.")
    hits = serializers.ListField(child=serializers.DictField())


class _PackFile(serializers.Serializer):
    id = serializers.IntegerField()
    position = serializers.IntegerField()
    original_name = CharField()
    content_type = CharField()
    size = serializers.IntegerField()
    sha256 = CharField()
    download = CharField(help_text="A signed link, valid for PACK_FILE_LINK_SECONDS (10 minutes by default).")


class _PackEvidence(serializers.Serializer):
    id = serializers.UUIDField()
    type = CharField()
    type_name_es = CharField()
    type_name_en = CharField()
    site = serializers.UUIDField(allow_null=True)
    issuer = CharField()
    document_number = CharField()
    issue_date = serializers.DateField()
    expiry_date = serializers.DateField(allow_null=True)
    valid_until = serializers.DateField(allow_null=True)
    reviewer = CharField(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    files = _PackFile(many=True)


class _PackSite(serializers.Serializer):
    id = serializers.UUIDField()
    name = CharField()
    concession_code = CharField()
    district = CharField()
    status = CharField()
    geometry = serializers.JSONField(help_text="GeoJSON, WGS84, exact.")
    area_hectares = CharField(allow_null=True)


class _PackLotSource(serializers.Serializer):
    site = serializers.UUIDField()
    site_name = CharField()
    month = CharField()
    grams = CharField()


class _PackAssay(serializers.Serializer):
    position = serializers.IntegerField()
    laboratory = CharField()
    method = CharField()
    au_per_mille = CharField()
    certificate_number = CharField()
    assayed_on = serializers.DateField()
    sha256 = CharField(allow_null=True)
    size = serializers.IntegerField(allow_null=True)


class _PackCustody(serializers.Serializer):
    seq = serializers.IntegerField()
    kind = CharField()
    occurred_at = serializers.DateTimeField()
    place = CharField()
    organization = CharField()
    seal_number = CharField()
    sha256 = CharField(allow_null=True)


class _PackLot(serializers.Serializer):
    id = serializers.UUIDField()
    code = CharField()
    form = CharField()
    gross_grams = CharField()
    declared_fineness = CharField()
    fine_grams = CharField()
    production_from = serializers.DateField()
    production_to = serializers.DateField()
    processing_methods = serializers.ListField(child=CharField())
    seal_number = CharField()
    sources = _PackLotSource(many=True)
    assays = _PackAssay(many=True)
    custody = _PackCustody(many=True)


class _PackBalanceRow(serializers.Serializer):
    site = serializers.UUIDField()
    site_name = CharField()
    month = CharField()
    declared_grams = CharField()
    used_grams = CharField()
    committed_forward_grams = CharField()
    left_grams = CharField()


class _PackMassBalance(serializers.Serializer):
    tolerance_bp = serializers.IntegerField()
    rows = _PackBalanceRow(many=True)


class _PackAnswer(serializers.Serializer):
    text = CharField()
    answered_by_name = CharField(allow_null=True)
    answered_at = serializers.DateTimeField()


class _PackAttachment(serializers.Serializer):
    original_name = CharField()
    size = serializers.IntegerField()
    sha256 = CharField()


class _PackFlag(serializers.Serializer):
    id = serializers.UUIDField()
    subject_kind = CharField()
    site = CharField(allow_null=True, help_text="The site's name, for a site flag.")
    lot = CharField(allow_null=True, help_text="The lot's code, for a lot flag.")
    category = CharField()
    category_name_en = CharField()
    category_name_es = CharField()
    severity = CharField()
    status = CharField()
    facts = CharField()
    opened_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)
    close_reason = CharField(allow_null=True)
    answers = _PackAnswer(many=True)
    attachments = _PackAttachment(many=True)


class _PackPolicy(serializers.Serializer):
    subject = CharField()
    version = serializers.IntegerField()
    effective_from = serializers.DateField()
    requirements = serializers.ListField(child=CharField())


class PackSerializer(serializers.Serializer):
    consent = _PackConsentPart()
    as_of = serializers.DateField(help_text="The day (America/Lima) the evidence is judged valid on.")
    producer = _PackProducer()
    owners = _PackOwners(allow_null=True)
    screening = _PackScreening(allow_null=True)
    evidence = _PackEvidence(many=True)
    sites = _PackSite(many=True)
    lots = _PackLot(many=True)
    mass_balance = _PackMassBalance()
    red_flags = _PackFlag(many=True)
    policy = _PackPolicy()
    generated_at = serializers.DateTimeField()
    sha256 = CharField(
        help_text="SHA-256 of the canonical JSON (sorted keys, no spaces, UTF-8) of the content: every key but "
        "`generated_at`, `sha256` and the files' `download` links."
    )
