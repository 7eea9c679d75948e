"""Red flags, their categories, answers and attachments, as the API shows and takes them."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from core.serializers import CharField, ModelSerializer, ReasonField
from diligence.models import (
    FACTS_MAX_LENGTH,
    TEXT_MAX_LENGTH,
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
