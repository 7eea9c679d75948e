from django.apps import AppConfig


class ProducersConfig(AppConfig):
    name = "producers"
    verbose_name = "Producers"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from producers import notification_kinds  # noqa: F401  (registers the kinds)
