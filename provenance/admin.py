"""Lots are read-only in the admin (they change only through the API's services, which check the mass
balance and the custody order and record the audit event); the mass-balance policy is data staff keep,
audited on every save."""

from __future__ import annotations

from django.contrib import admin

from audit.admin_mixins import AuditedAdmin, ReadOnlyAdmin
from provenance.models import AssayCertificate, CustodyEvent, Lot, LotSource, MassBalancePolicy


class LotSourceInline(ReadOnlyAdmin, admin.TabularInline):
    model = LotSource
    extra = 0
    fields = readonly_fields = ("site", "month", "grams")


class AssayInline(ReadOnlyAdmin, admin.TabularInline):
    model = AssayCertificate
    extra = 0
    fields = readonly_fields = (
        "position",
        "laboratory",
        "method",
        "au_per_mille",
        "ag_per_mille",
        "certificate_number",
        "assayed_on",
        "sha256",
    )


class CustodyInline(ReadOnlyAdmin, admin.TabularInline):
    model = CustodyEvent
    extra = 0
    fields = readonly_fields = ("seq", "kind", "occurred_at", "place", "organization", "user", "weight_grams")


@admin.register(Lot)
class LotAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["code", "producer", "form", "gross_grams", "declared_fineness", "seal_number", "created_at"]
    list_filter = ["form"]
    search_fields = ["code", "seal_number", "producer__organization__legal_name"]
    inlines = [LotSourceInline, AssayInline, CustodyInline]


@admin.register(MassBalancePolicy)
class MassBalancePolicyAdmin(AuditedAdmin):
    list_display = ["effective_from", "tolerance_bp", "source", "created_at"]
