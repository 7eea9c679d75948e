"""Input serializers validate shape; output serializers decide exactly which fields leave the server."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import (
    DEVICE_NAME_MAX_LENGTH,
    Delegation,
    DelegationScope,
    Invitation,
    Language,
    Membership,
    Organization,
    Role,
    TokenDevice,
    User,
)
from core.serializers import CharField, EmailField, ModelSerializer, RegexField, URLField
from core.validators import is_valid_ruc


# --- Output ---------------------------------------------------------------------------------------
class OrganizationSummarySerializer(ModelSerializer):
    class Meta:
        model = Organization
        fields = ["id", "kind", "legal_name", "country"]
        read_only_fields = fields


class OrganizationSerializer(ModelSerializer):
    kyc_effective_status = serializers.SerializerMethodField()

    class Meta:
        model = Organization
        fields = [
            "id",
            "kind",
            "legal_name",
            "country",
            "tax_id",
            "contact_email",
            "contact_phone",
            "website",
            "buyer_type",
            "kyc_status",
            "kyc_effective_status",
            "kyc_verified_at",
            "kyc_valid_until",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "kyc_verified_at": {"help_text": "When a reviewer last verified this buyer's KYC."},
            "kyc_valid_until": {
                "help_text": "The last day the latest verification counts (Lima time); from the next day the buyer "
                "cannot propose or sign contracts until a reviewer verifies it again."
            },
        }

    @extend_schema_field(
        serializers.ChoiceField(
            choices=[*Organization.KYC_EFFECTIVE_STATUSES, ""],
            help_text="`kyc_status`, except `lapsed` when a verification is past `kyc_valid_until` today in Lima. "
            "Empty for producers and the network.",
        )
    )
    def get_kyc_effective_status(self, obj: Organization) -> str:
        return obj.kyc_effective_status()


class MyMembershipSerializer(ModelSerializer):
    organization = OrganizationSummarySerializer(read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "organization", "role", "created_at"]
        read_only_fields = fields


class UserSerializer(ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "email", "full_name", "preferred_language", "is_staff", "date_joined"]
        read_only_fields = fields


class MeSerializer(UserSerializer):
    memberships = MyMembershipSerializer(many=True, read_only=True)

    class Meta(UserSerializer.Meta):
        fields = [*UserSerializer.Meta.fields, "memberships"]
        read_only_fields = fields


class MemberSerializer(ModelSerializer):
    user = UserSerializer(read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "user", "role", "created_at"]
        read_only_fields = fields


INVITATION_STATUSES = ["pending", "accepted", "revoked", "expired"]


class InvitationSerializer(ModelSerializer):
    status = serializers.ChoiceField(choices=INVITATION_STATUSES, read_only=True)
    invited_by = EmailField(source="invited_by.email", read_only=True)

    class Meta:
        model = Invitation
        fields = [
            "id",
            "kind",
            "organization",
            "email",
            "role",
            "legal_name",
            "country",
            "message",
            "status",
            "invited_by",
            "created_at",
            "expires_at",
            "accepted_at",
            "revoked_at",
        ]
        read_only_fields = fields


DELEGATION_STATUSES = ["active", "expired", "revoked"]


class OfficerSerializer(ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "email", "full_name"]
        read_only_fields = fields


class DelegationSerializer(ModelSerializer):
    organization = OrganizationSummarySerializer(read_only=True, help_text="The producer organisation acted for.")
    officer = OfficerSerializer(read_only=True, help_text="The field officer who may act for it.")
    support_organization = OrganizationSummarySerializer(
        read_only=True, help_text="The officer's support organisation, through which they act."
    )
    scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=DelegationScope.choices),
        read_only=True,
        help_text="`evidence`: the producer's evidence, its files and the requirements to meet; `sites`: its sites "
        "and their locations.",
    )
    status = serializers.SerializerMethodField()
    granted_by = EmailField(source="granted_by.email", read_only=True)
    revoked_by = EmailField(source="revoked_by.email", read_only=True, allow_null=True, default=None)

    class Meta:
        model = Delegation
        fields = [
            "id",
            "organization",
            "officer",
            "support_organization",
            "scopes",
            "valid_until",
            "status",
            "granted_by",
            "granted_at",
            "revoked_by",
            "revoked_at",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "valid_until": {"help_text": "The last day it counts (Lima time); null: until revoked."},
        }

    @extend_schema_field(
        serializers.ChoiceField(
            choices=DELEGATION_STATUSES,
            help_text="`active` while it works; `expired` once past `valid_until`; `revoked` by the producer.",
        )
    )
    def get_status(self, obj: Delegation) -> str:
        return obj.effective_status()


class DelegationCreateSerializer(serializers.Serializer):
    officer_email = EmailField(
        max_length=254, help_text="The e-mail address of a field officer (a member of a support organisation)."
    )
    scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=DelegationScope.choices),
        allow_empty=False,
        min_length=1,
        max_length=len(DelegationScope.values),
        help_text="What the officer may do for you: `evidence`, `sites`, or both.",
    )
    valid_until = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="The last day it counts; absent: until revoked."
    )
    support_organization = serializers.UUIDField(
        required=False,
        allow_null=True,
        default=None,
        help_text="The support organisation the officer acts through; needed only when they belong to several.",
    )


class InvitationSentSerializer(InvitationSerializer):
    email_sent = serializers.BooleanField(
        help_text="Whether the e-mail with the token left. When false the invitation stands: resend it."
    )
    email_message = CharField(help_text="Empty when the e-mail left; otherwise what to do.")

    class Meta(InvitationSerializer.Meta):
        fields = [*InvitationSerializer.Meta.fields, "email_sent", "email_message"]
        read_only_fields = fields


class TokenSerializer(serializers.Serializer):
    token = CharField(help_text="Send as `Authorization: Token <token>`.")
    expiry = serializers.DateTimeField()
    user = MeSerializer()


class TokenDeviceSerializer(ModelSerializer):
    """A token of the caller's: one device signed in."""

    expiry = serializers.DateTimeField(source="token.expiry", read_only=True, help_text="When the token stops working.")
    current = serializers.SerializerMethodField(help_text="Whether this request was made with this token.")

    class Meta:
        model = TokenDevice
        fields = ["id", "device_name", "created_at", "expiry", "last_used_at", "current"]
        read_only_fields = fields
        extra_kwargs = {
            "id": {"help_text": "The token's id, for `DELETE auth/tokens/{id}/` (neither the token nor its hash)."},
            "device_name": {"help_text": "The name given at sign-in, or read from the User-Agent; may be empty."},
            "created_at": {"help_text": "When the token was issued (at sign-in or by a refresh)."},
            "last_used_at": {
                "help_text": "The last request made with the token, to the minute (its issue, until it is used)."
            },
        }

    def get_current(self, obj: TokenDevice) -> bool:
        return bool(obj.token_id == self.context.get("current_token"))


class SignupResultSerializer(serializers.Serializer):
    user = UserSerializer()
    organization = OrganizationSerializer()


class AcceptResultSerializer(serializers.Serializer):
    user = UserSerializer()
    membership = MyMembershipSerializer()


# --- Input ----------------------------------------------------------------------------------------
def _check_password(password: str, user: User | None = None) -> str:
    try:
        password_validation.validate_password(password, user)
    except DjangoValidationError as exc:
        raise serializers.ValidationError(list(exc.messages), code="weak_password") from exc
    return password


class BuyerOrganizationInputSerializer(serializers.Serializer):
    legal_name = CharField(max_length=200)
    country = RegexField(r"^[A-Z]{2}$", help_text="ISO 3166-1 alpha-2, e.g. PE, CH")
    tax_id = CharField(max_length=40, required=False, allow_blank=True, default="")
    buyer_type = serializers.ChoiceField(choices=Organization.BuyerType.choices)
    contact_phone = CharField(max_length=40, required=False, allow_blank=True, default="")
    website = URLField(required=False, allow_blank=True, default="")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs["tax_id"] = attrs["tax_id"].strip()
        if attrs["country"] == "PE" and not is_valid_ruc(attrs["tax_id"]):
            raise serializers.ValidationError(
                {"tax_id": _("A Peruvian organisation needs a valid RUC: 11 digits with a valid check digit.")},
                code="invalid_ruc",
            )
        return attrs


class SignupInputSerializer(serializers.Serializer):
    """Sign-up of a buyer organisation. There is no role here: the first user is always its admin."""

    email = EmailField(max_length=254)
    password = CharField(write_only=True, max_length=128, style={"input_type": "password"})
    full_name = CharField(max_length=200)
    preferred_language = serializers.ChoiceField(choices=Language.choices, default=Language.ES)
    organization = BuyerOrganizationInputSerializer()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        probe = User(email=attrs["email"], full_name=attrs["full_name"])
        try:
            _check_password(attrs["password"], probe)
        except serializers.ValidationError as exc:
            raise serializers.ValidationError({"password": exc.detail}) from exc
        return attrs


class LoginInputSerializer(serializers.Serializer):
    email = EmailField(max_length=254)
    password = CharField(max_length=128, style={"input_type": "password"})
    device_name = CharField(
        max_length=DEVICE_NAME_MAX_LENGTH,
        required=False,
        allow_blank=True,
        help_text='A name for the device signing in, shown in `auth/tokens/` ("Teléfono de Rosa"); surrounding '
        'spaces are trimmed. Absent or blank: a short name read from the User-Agent ("Chrome (Android)").',
    )


class MeUpdateSerializer(serializers.Serializer):
    full_name = CharField(max_length=200, required=False)
    preferred_language = serializers.ChoiceField(choices=Language.choices, required=False)


class OrganizationUpdateSerializer(serializers.Serializer):
    contact_email = EmailField(required=False, allow_blank=True)
    contact_phone = CharField(max_length=40, required=False, allow_blank=True)
    website = URLField(required=False, allow_blank=True)


class MemberUpdateSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices, required=False, help_text="Absent: nothing changes.")


class InvitationCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Invitation.Kind.choices, default=Invitation.Kind.MEMBER)
    email = EmailField(max_length=254)
    role = serializers.ChoiceField(choices=Role.choices, default=Role.MEMBER)
    legal_name = CharField(max_length=200, required=False, allow_blank=True, default="")
    country = RegexField(r"^[A-Z]{2}$", required=False, default="PE")
    message = CharField(max_length=2000, required=False, allow_blank=True, default="")


class InvitationAcceptSerializer(serializers.Serializer):
    token = CharField(max_length=100)
    password = CharField(max_length=128, write_only=True, style={"input_type": "password"})
    full_name = CharField(max_length=200, required=False, allow_blank=True, default="")
    preferred_language = serializers.ChoiceField(choices=Language.choices, default=Language.ES)
