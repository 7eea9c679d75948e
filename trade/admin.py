"""Read-only admin: every write goes through the services (and the API), so every move is audited and no
version of signed terms is ever edited."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from trade.models import Contract, ContractAcceptance, ContractVersion, Inquiry, InquiryMessage


class ReadOnly:
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class InquiryMessageInline(ReadOnly, admin.TabularInline):
    model = InquiryMessage
    extra = 0
    fields = ("author", "side", "body", "created_at")
    readonly_fields = ("author", "side", "body", "created_at")


@admin.register(Inquiry)
class InquiryAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["id", "buyer", "producer", "listing", "state", "created_at"]
    list_filter = ["state", "opened_by"]
    inlines = [InquiryMessageInline]


class ContractVersionInline(ReadOnly, admin.StackedInline):
    model = ContractVersion
    extra = 0


class ContractAcceptanceInline(ReadOnly, admin.TabularInline):
    model = ContractAcceptance
    extra = 0


@admin.register(Contract)
class ContractAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["id", "buyer", "producer", "listing", "state", "signed_at", "created_at"]
    list_filter = ["state"]
    inlines = [ContractVersionInline, ContractAcceptanceInline]
