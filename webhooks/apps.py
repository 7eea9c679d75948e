from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = "Webhooks: signed events for the organisations' own systems"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from webhooks import notification_kinds  # noqa: F401  (registers the kinds)
