from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from payments.models import ProviderEvent


@admin.register(ProviderEvent)
class ProviderEventAdmin(admin.ModelAdmin):
    """Read-only: the events are what the provider sent, and what we did with them."""

    list_display = ["received_at", "provider", "event_id", "type", "object_id", "outcome", "attempts"]
    list_filter = ["provider", "outcome", "type"]
    search_fields = ["event_id", "object_id"]
    date_hierarchy = "received_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
