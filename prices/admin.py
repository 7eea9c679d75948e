"""The price table is read-only in the admin: a fix or a rate is never edited (a correction is a new row with a
reason, through the API or `manage.py import_prices`, audited), and certification terms in force are never
edited either (new terms are a new row, `POST /api/v1/prices/certification-terms/`). docs/prices.md."""

from __future__ import annotations

from django.contrib import admin

from audit.admin_mixins import ReadOnlyAdmin
from prices.models import CertificationTerms, ExchangeRate, MetalPrice


@admin.register(MetalPrice)
class MetalPriceAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["date", "benchmark", "usd_per_troy_ounce", "sample", "current", "source", "recorded_at"]
    list_filter = ["benchmark", "sample", "current"]
    date_hierarchy = "date"
    search_fields = ["source", "correction_reason"]


@admin.register(ExchangeRate)
class ExchangeRateAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["date", "base", "quote", "rate", "sample", "current", "source", "recorded_at"]
    list_filter = ["base", "quote", "sample", "current"]
    date_hierarchy = "date"
    search_fields = ["source", "correction_reason"]


@admin.register(CertificationTerms)
class CertificationTermsAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = [
        "claim",
        "valid_from",
        "minimum_price_bp",
        "premium_rule",
        "premium_per_kg_fine_minor",
        "premium_currency",
        "premium_percent_bp",
        "source_date",
    ]
    list_filter = ["claim", "premium_rule"]
