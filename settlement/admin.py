"""Read-only admin: weighings, assays, statements and payments change only through the audited services."""

from django.contrib import admin

from audit.admin_mixins import ReadOnlyAdmin
from settlement.models import AssayResult, Payment, Statement, Weighing


@admin.register(Weighing)
class WeighingAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["contract", "shipment", "party", "gross_grams", "weighed_on", "recorded_at"]
    list_filter = ["party"]


@admin.register(AssayResult)
class AssayResultAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["contract", "shipment", "party", "au_per_mille", "laboratory", "assayed_on"]
    list_filter = ["party"]


@admin.register(Statement)
class StatementAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["contract", "shipment", "kind", "currency", "amount_due_minor", "issued_at"]
    list_filter = ["kind"]


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["contract", "payer", "kind", "amount_minor", "currency", "bank_reference", "confirmed_at"]
    list_filter = ["kind", "payer"]
