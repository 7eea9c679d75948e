"""Read-only: a notification is what somebody was told; only its reader marks it read (through the API)."""

from django.contrib import admin

from audit.admin_mixins import ReadOnlyAdmin
from notifications.models import Notification


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["kind", "recipient", "organization", "created_at", "read_at", "emailed_at"]
    list_filter = ["kind"]
    search_fields = ["recipient__email"]
    raw_id_fields = ["recipient", "organization"]
