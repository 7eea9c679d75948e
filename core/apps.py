from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.core.signals import request_finished

        from core.middleware import clear_request_id

        request_finished.connect(clear_request_id, dispatch_uid="core.clear_request_id")
