from django.apps import AppConfig


class SettlementConfig(AppConfig):
    name = "settlement"
    verbose_name = "Settlement: weighings, assays, statements and recorded bank payments"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from settlement import notification_kinds  # noqa: F401  (registers the kinds)
