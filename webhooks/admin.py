from django.contrib import admin

from audit.admin_mixins import ReadOnlyAdmin
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent

# Read-only: endpoints change through the API's services (audited); the rest is the dispatcher's log. Secrets are
# not registered: staff never read them.


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ("url", "organization", "state", "failing_since", "created_at")
    list_filter = ("state",)


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ("id", "type", "organization", "audit_seq", "created_at")
    list_filter = ("type",)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ("id", "endpoint", "state", "created_at", "delivered_at")
    list_filter = ("state",)


@admin.register(WebhookAttempt)
class WebhookAttemptAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ("delivery", "at", "status_code", "error", "latency_ms")
