from django.apps import AppConfig


class DiligenceConfig(AppConfig):
    name = "diligence"
    verbose_name = "Due diligence: red flags"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from diligence import notification_kinds  # noqa: F401  (registers the kinds)
