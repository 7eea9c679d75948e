"""Staff see people, organisations, invitations and delegations here. Organisations, memberships and invitations carry
rules (KYC decided by reviewers on evidence, the last administrator, single-use tokens, one active delegation
per producer and officer), so they are
read-only: their changes go through the API. User accounts and permission groups stay editable, and every
save is audited (audit/admin_mixins.py)."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.db import models, transaction
from django.http import HttpRequest, HttpResponse
from knox.admin import AuthTokenAdmin as KnoxAuthTokenAdmin
from knox.models import AuthToken

from accounts.models import Delegation, Invitation, Membership, Organization, TokenDevice, User
from audit.admin_mixins import AuditedAdmin, ReadOnlyAdmin, admin_audit


@admin.register(User)
class UserAdmin(AuditedAdmin, DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "is_staff", "is_active", "date_joined"]
    search_fields = ["email", "full_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("full_name", "preferred_language")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "full_name", "password1", "password2")}),)

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> HttpResponse:
        with transaction.atomic():
            response = super().user_change_password(request, id, form_url)
            user = self.get_object(request, unquote(id))
            if request.method == "POST" and response.status_code == 302 and user is not None:
                admin_audit(request, user, "password_changed", ["password"])
        return response


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(AuditedAdmin, DjangoGroupAdmin):
    pass


admin.site.unregister(AuthToken)


class TokenDeviceInline(ReadOnlyAdmin, admin.TabularInline):
    model = TokenDevice
    extra = 0
    fields = ["id", "device_name", "created_at", "last_used_at"]
    readonly_fields = ["id", "device_name", "created_at", "last_used_at"]


@admin.register(AuthToken)
class AuthTokenAdmin(ReadOnlyAdmin, KnoxAuthTokenAdmin):
    """A token is a signed-in session: staff may look (with the device it was issued to), never mint one for
    somebody else."""

    inlines = [TokenDeviceInline]


class MembershipInline(ReadOnlyAdmin, admin.TabularInline):
    model = Membership
    extra = 0
    fields = ["user", "role", "created_at"]
    readonly_fields = ["user", "role", "created_at"]


@admin.register(Organization)
class OrganizationAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = [
        "legal_name",
        "kind",
        "country",
        "tax_id",
        "buyer_type",
        "kyc_status",
        "kyc_valid_until",
        "created_at",
    ]
    list_filter = ["kind", "kyc_status", "country"]
    search_fields = ["legal_name", "tax_id"]
    inlines = [MembershipInline]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["email", "kind", "organization", "role", "created_at", "expires_at", "accepted_at", "revoked_at"]
    list_filter = ["kind", "role"]
    search_fields = ["email", "legal_name"]
    exclude = ["token_hash"]


@admin.register(Delegation)
class DelegationAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = [
        "organization",
        "officer",
        "support_organization",
        "status",
        "valid_until",
        "granted_at",
        "revoked_at",
    ]
    list_filter = ["status", "scope_evidence", "scope_sites"]
    search_fields = ["organization__legal_name", "officer__email", "support_organization__legal_name"]
    list_select_related = ["organization", "officer", "support_organization"]
