"""Read-only admin: every write goes through the services (and the API), so every move is audited and no
version of signed terms is ever edited."""

from django.contrib import admin

from audit.admin_mixins import ReadOnlyAdmin
from trade.models import Contract, ContractAcceptance, ContractVersion, Inquiry, InquiryMessage


class InquiryMessageInline(ReadOnlyAdmin, admin.TabularInline):
    model = InquiryMessage
    extra = 0
    fields = ("author", "side", "body", "created_at")
    readonly_fields = ("author", "side", "body", "created_at")


@admin.register(Inquiry)
class InquiryAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["id", "buyer", "producer", "listing", "state", "created_at"]
    list_filter = ["state", "opened_by"]
    inlines = [InquiryMessageInline]


class ContractVersionInline(ReadOnlyAdmin, admin.StackedInline):
    model = ContractVersion
    extra = 0


class ContractAcceptanceInline(ReadOnlyAdmin, admin.TabularInline):
    model = ContractAcceptance
    extra = 0


@admin.register(Contract)
class ContractAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["id", "buyer", "producer", "listing", "state", "signed_at", "created_at"]
    list_filter = ["state"]
    inlines = [ContractVersionInline, ContractAcceptanceInline]
