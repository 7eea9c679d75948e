from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "compliance"
    verbose_name = "Compliance: catalogue, evidence and review"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from compliance import notification_kinds  # noqa: F401  (registers the kinds)
