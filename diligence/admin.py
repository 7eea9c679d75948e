"""Red flags are read-only in the admin (they change only through the API's services, which check the subject,
the four eyes and record the audit event); the categories are data staff keep, audited on every save."""

from __future__ import annotations

from django.contrib import admin

from audit.admin_mixins import AuditedAdmin, ReadOnlyAdmin
from diligence.models import (
    RedFlag,
    RedFlagAnswer,
    RedFlagAttachment,
    RedFlagCategory,
    SanctionsList,
    SanctionsMatch,
    Screening,
)


class AnswerInline(ReadOnlyAdmin, admin.TabularInline):
    model = RedFlagAnswer
    extra = 0
    fields = readonly_fields = ("text", "answered_by", "answered_at")


class AttachmentInline(ReadOnlyAdmin, admin.TabularInline):
    model = RedFlagAttachment
    extra = 0
    fields = readonly_fields = ("position", "side", "answer", "original_name", "content_type", "size", "sha256")


@admin.register(RedFlag)
class RedFlagAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["category", "severity", "status", "subject_kind", "organization", "opened_at", "closed_at"]
    list_filter = ["status", "severity", "subject_kind", "category"]
    search_fields = ["organization__legal_name", "facts"]
    inlines = [AnswerInline, AttachmentInline]


@admin.register(RedFlagCategory)
class RedFlagCategoryAdmin(AuditedAdmin):
    list_display = ["code", "name_en", "source", "position"]


# Sanctions lists change only by `manage.py import_sanctions` (whole file, audited, everyone screened again).
@admin.register(SanctionsList)
class SanctionsListAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["source", "list_format", "entries_count", "imported_at", "superseded_at", "imported_by"]
    list_filter = ["source", "list_format"]
    readonly_fields = ["file_sha256", "file_name"]


@admin.register(Screening)
class ScreeningAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["organization", "screened_at"]
    search_fields = ["organization__legal_name"]


@admin.register(SanctionsMatch)
class SanctionsMatchAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["organization", "source", "reference", "flag", "first_seen_at"]
