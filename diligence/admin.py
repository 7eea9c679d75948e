"""Red flags are read-only in the admin (they change only through the API's services, which check the subject,
the four eyes and record the audit event); the categories are data staff keep, audited on every save."""

from __future__ import annotations

from django.contrib import admin

from audit.admin_mixins import AuditedAdmin, ReadOnlyAdmin
from diligence.models import RedFlag, RedFlagAnswer, RedFlagAttachment, RedFlagCategory


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
