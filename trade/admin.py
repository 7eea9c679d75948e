"""Read-mostly admin: state moves go through the services (and the API), so every move is audited."""

from django.contrib import admin

from trade.models import Contract, ContractAcceptance, ContractVersion, Inquiry, InquiryMessage


class InquiryMessageInline(admin.TabularInline):
    model = InquiryMessage
    extra = 0
    can_delete = False
    readonly_fields = ["author", "side", "body", "created_at"]


@admin.register(Inquiry)
class InquiryAdmin(admin.ModelAdmin):
    list_display = ["id", "buyer", "producer", "listing", "state", "created_at"]
    list_filter = ["state", "opened_by"]
    readonly_fields = [field.name for field in Inquiry._meta.fields]
    inlines = [InquiryMessageInline]


class ContractVersionInline(admin.StackedInline):
    model = ContractVersion
    extra = 0
    can_delete = False
    readonly_fields = [field.name for field in ContractVersion._meta.fields]


class ContractAcceptanceInline(admin.TabularInline):
    model = ContractAcceptance
    extra = 0
    can_delete = False
    readonly_fields = [field.name for field in ContractAcceptance._meta.fields]


@admin.register(Contract)
class ContractAdmin(admin.ModelAdmin):
    list_display = ["id", "buyer", "producer", "listing", "state", "signed_at", "created_at"]
    list_filter = ["state"]
    readonly_fields = [field.name for field in Contract._meta.fields]
    inlines = [ContractVersionInline, ContractAcceptanceInline]
