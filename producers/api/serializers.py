"""Producers, sites and the roster. Public serializers carry public fields only: no RUC, DNI, exact
coordinates or roster; private ones are for the producer's own people and reviewers."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.extensions import provider
from core.serializers import CharField, CoordinatesJSONField, DecimalField, ModelSerializer, ReasonField, RegexField
from core.validators import validate_dni, validate_ruc
from producers import selectors
from producers.geometry import public_point
from producers.models import (
    District,
    LegalCategory,
    LegalKind,
    MemberMiner,
    Producer,
    ReferenceArea,
    Sex,
    Site,
    SourceCrs,
)
from producers.selectors import WOMEN_LED


def _django_validator(validator: Any) -> Any:
    def run(value: str) -> str:
        try:
            validator(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages, code=exc.code) from exc
        return value

    return run


def validate_optional_dni(value: str) -> None:
    if value:
        validate_dni(value)


class BadgeSerializer(serializers.Serializer):
    code = CharField()
    assurance = CharField(help_text="self_declared, reviewer_verified or third_party_certified")
    valid_until = serializers.DateField(allow_null=True)
    evidence_types = serializers.ListField(
        child=CharField(), help_text="The evidence types (GET /api/v1/evidence-types/{code}/) that back the claim."
    )


class ProducerPublicSerializer(ModelSerializer):
    id = serializers.UUIDField(source="pk", read_only=True)
    legal_name = CharField(source="organization.legal_name", read_only=True)
    women_led = serializers.SerializerMethodField(
        help_text="The women-led badge holds: approved member-register evidence with more than half women, or an "
        "individual woman miner's approved identity (see `badges`)."
    )
    women_count = serializers.IntegerField(read_only=True)
    members_count = serializers.IntegerField(read_only=True)
    compliant = serializers.SerializerMethodField()
    compliant_until = serializers.SerializerMethodField()
    badges = serializers.SerializerMethodField()
    offers_today = serializers.SerializerMethodField(
        help_text="How many of its listings buyers can find in search today (the search read model)."
    )

    class Meta:
        model = Producer
        fields = [
            "id",
            "legal_name",
            "legal_kind",
            "legal_category",
            "district",
            "description_es",
            "description_en",
            "verification_status",
            "verified_at",
            "women_led",
            "women_count",
            "members_count",
            "compliant",
            "compliant_until",
            "badges",
            "offers_today",
        ]
        read_only_fields = fields

    def _standing(self, obj: Producer) -> dict[str, Any]:
        return self.context.get("standing", {}).get(obj.pk, {"compliant": False, "compliant_until": None, "badges": []})

    def get_offers_today(self, obj: Producer) -> int:
        return int(self.context.get("offers", {}).get(obj.pk, 0))

    def get_women_led(self, obj: Producer) -> bool:
        return obj.is_verified and any(badge["code"] == WOMEN_LED for badge in self._standing(obj)["badges"])

    def get_compliant(self, obj: Producer) -> bool:
        return bool(self._standing(obj)["compliant"])

    def get_compliant_until(self, obj: Producer) -> dt.date | None:
        until = self._standing(obj)["compliant_until"]
        return None if until is None or until.year == 9999 else until

    @extend_schema_field(BadgeSerializer(many=True))
    def get_badges(self, obj: Producer) -> list[dict[str, Any]]:
        return [
            {
                **badge,
                "valid_until": None
                if badge["valid_until"] is None or badge["valid_until"].year == 9999
                else badge["valid_until"],
            }
            for badge in self._standing(obj)["badges"]
        ]


class ProducerPrivateSerializer(ProducerPublicSerializer):
    """The public fields, plus those only the producer's people, reviewers and staff see. The private
    fields are optional in the schema, so one response schema describes what everybody gets."""

    created_at = serializers.DateTimeField(required=False)
    updated_at = serializers.DateTimeField(required=False)

    class Meta(ProducerPublicSerializer.Meta):
        private = [
            "ruc",
            "dni",
            "holder_sex",
            "reinfo_code",
            "contact_phone",
            "verification_reason",
            "verification_changed_at",
            "created_at",
            "updated_at",
        ]
        fields = [*ProducerPublicSerializer.Meta.fields, *private]
        read_only_fields = ProducerPublicSerializer.Meta.fields
        extra_kwargs = {name: {"required": False} for name in private}


class ProducerInputSerializer(serializers.Serializer):
    legal_kind = serializers.ChoiceField(choices=LegalKind.choices)
    legal_category = serializers.ChoiceField(choices=LegalCategory.choices)
    ruc = CharField(max_length=11, validators=[_django_validator(validate_ruc)])
    dni = CharField(
        max_length=8,
        required=False,
        allow_blank=True,
        default="",
        validators=[_django_validator(validate_optional_dni)],
    )
    holder_sex = serializers.ChoiceField(choices=Sex.choices, required=False, allow_blank=True, default="")
    reinfo_code = CharField(max_length=40, required=False, allow_blank=True, default="")
    district = serializers.ChoiceField(choices=District.choices)
    contact_phone = CharField(max_length=40, required=False, allow_blank=True, default="")
    description_es = CharField(max_length=4000, required=False, allow_blank=True, default="")
    description_en = CharField(max_length=4000, required=False, allow_blank=True, default="")


class ProducerUpdateSerializer(ProducerInputSerializer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, partial=True, **kwargs)


class ReasonSerializer(serializers.Serializer):
    reason = CharField(max_length=2000, required=False, allow_blank=True, default="")


class RequiredReasonSerializer(serializers.Serializer):
    """Moves the producer must be told the reason for (reject, request changes, suspend, revoke; reject a site)."""

    reason = ReasonField(message=_("Give the reason: the producer will read it."))


class SitePublicSerializer(ModelSerializer):
    approximate_location = serializers.SerializerMethodField()

    class Meta:
        model = Site
        fields = ["id", "name", "district", "approximate_location", "status"]
        read_only_fields = fields

    @extend_schema_field(serializers.JSONField(help_text="A GeoJSON Point rounded to 0.1 degree (about 11 km)."))
    def get_approximate_location(self, obj: Site) -> dict[str, Any]:
        return public_point(obj.latitude, obj.longitude)


class SiteForCounterpartySerializer(SitePublicSerializer):
    """The public fields and the exact geometry: what a buyer with an inquiry with the producer sees, to
    check where the gold comes from (never the review or the findings)."""

    class Meta(SitePublicSerializer.Meta):
        fields = [*SitePublicSerializer.Meta.fields, "geometry"]
        read_only_fields = fields


class SiteOverlapSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ReferenceArea.Kind.choices)
    code = CharField()
    name = CharField()
    overlap_hectares = DecimalField(
        max_digits=12, decimal_places=2, help_text="Hectares of the site inside the area (0.00 for a point)."
    )


class SiteSerializer(SitePublicSerializer):
    """The public fields, plus the exact geometry and the review, which only the producer's people,
    reviewers and staff see (optional in the schema, like the producer's private fields)."""

    created_at = serializers.DateTimeField(required=False)
    updated_at = serializers.DateTimeField(required=False)
    area_hectares = DecimalField(
        max_digits=10,
        decimal_places=2,
        allow_null=True,
        required=False,
        help_text="A polygon's area, measured in UTM zone 19S (null for a point).",
    )
    overlaps = SiteOverlapSerializer(
        many=True,
        required=False,
        help_text="Protected areas and buffer zones the site overlaps: a reviewer must acknowledge them to approve.",
    )

    class Meta(SitePublicSerializer.Meta):
        private = [
            "concession_code",
            "geometry",
            "source_crs",
            "latitude",
            "longitude",
            "area_hectares",
            "flagged",
            "overlaps",
            "review_reason",
            "reviewed_at",
            "created_at",
            "updated_at",
        ]
        fields = [*SitePublicSerializer.Meta.fields, *private]
        read_only_fields = SitePublicSerializer.Meta.fields
        extra_kwargs = {name: {"required": False} for name in private}


class SiteForReviewSerializer(SiteSerializer):
    """A site in the reviewers' list across producers: the site and whose it is."""

    producer = serializers.UUIDField(source="producer_id", read_only=True)
    producer_name = CharField(source="producer.organization.legal_name", read_only=True)

    class Meta(SiteSerializer.Meta):
        fields = ["producer", "producer_name", *SiteSerializer.Meta.fields]
        read_only_fields = fields
        extra_kwargs: dict[str, Any] = {}


@extend_schema_field(
    {
        "type": "object",
        "properties": {
            "type": {"type": "string", "enum": ["Point", "Polygon"]},
            "coordinates": {"type": "array", "minItems": 1},
        },
        "required": ["type", "coordinates"],
    }
)
class GeoJSONGeometryField(CoordinatesJSONField):
    """A GeoJSON geometry object; the schema says its shape, the server checks its coordinates (`geometry.py`)."""


class SiteInputSerializer(serializers.Serializer):
    name = CharField(max_length=120)
    concession_code = RegexField(r"^[A-Za-z0-9\-./ ]{1,40}$", max_length=40)
    district = serializers.ChoiceField(choices=District.choices)
    geometry = GeoJSONGeometryField(
        help_text='GeoJSON Point or Polygon in `crs`: {"type": "Point", "coordinates": [longitude, latitude]} in '
        "WGS84, [easting, northing] in metres in UTM zone 19S. Stored in WGS84; it must lie in Madre de Dios."
    )
    crs = serializers.ChoiceField(
        choices=SourceCrs.choices,
        required=False,
        help_text="The coordinate system of `geometry` (default EPSG:4326, WGS84 longitude/latitude).",
    )


class SiteApproveSerializer(ReasonSerializer):
    acknowledge_overlaps = serializers.BooleanField(
        default=False,
        help_text="Required, with a reason, to approve a flagged site (it overlaps a protected area or buffer zone).",
    )


class SiteUpdateSerializer(SiteInputSerializer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, partial=True, **kwargs)


class MemberMinerSerializer(ModelSerializer):
    class Meta:
        model = MemberMiner
        fields = ["id", "full_name", "dni", "birth_year", "sex", "role", "active", "created_at"]
        read_only_fields = fields


class MemberMinerInputSerializer(serializers.Serializer):
    full_name = CharField(max_length=200)
    dni = CharField(max_length=8, validators=[_django_validator(validate_dni)])
    birth_year = serializers.IntegerField(min_value=1900, max_value=2100)
    sex = serializers.ChoiceField(choices=Sex.choices)
    role = serializers.ChoiceField(choices=MemberMiner.Role.choices, default=MemberMiner.Role.MEMBER)
    active = serializers.BooleanField(default=True)


class MemberMinerUpdateSerializer(MemberMinerInputSerializer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, partial=True, **kwargs)


def serialize_producers(producers: list[Producer], actor: Any, many: bool) -> Any:
    """Producers as the API shows them to `actor`: the private fields only to those who may see them (their own
    people, reviewers, staff), with the standing and the count of offers buyers find today."""
    standing = provider("PRODUCER_STANDING")(producers)
    offers = provider("PRODUCER_OFFERS")([producer.pk for producer in producers])
    rows = []
    for producer in producers:
        private = selectors.can_see_private(actor=actor, producer=producer)
        serializer = ProducerPrivateSerializer if private else ProducerPublicSerializer
        rows.append(serializer(producer, context={"standing": standing, "offers": offers}).data)
    return rows if many else rows[0]
