from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from audit.admin_mixins import AuditedAdmin
from core import clock
from reports.models import ReportPolicy


@admin.register(ReportPolicy)
class ReportPolicyAdmin(AuditedAdmin):
    """The impact report's minimum group size (docs/impact.md). A version in force (or past) is read-only and
    cannot be deleted: a change is a new version effective today or later (the model's `clean` refuses an
    earlier day). Each save is audited (`reports.reportpolicy.admin_added`)."""

    list_display = ["valid_from", "min_group_size", "source", "in_force_or_past"]

    @admin.display(boolean=True, description="in force or past")
    def in_force_or_past(self, obj: ReportPolicy) -> bool:
        return obj.in_force_or_past()

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.valid_from <= clock.today_lima():
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.valid_from <= clock.today_lima():
            return False
        return super().has_delete_permission(request, obj)
