"""Read-only: a job changes state only by running, or by staff's retry through the API (audited)."""

from django.contrib import admin

from audit.admin_mixins import ReadOnlyAdmin
from jobs.models import Job


@admin.register(Job)
class JobAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["name", "state", "attempts", "max_attempts", "run_after", "created_at", "finished_at"]
    list_filter = ["state", "name"]
    search_fields = ["key", "last_error"]
