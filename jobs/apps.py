from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class JobsConfig(AppConfig):
    name = "jobs"
    verbose_name = "Jobs: work after the request, on the queue"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Each app declares its jobs in its own `tasks.py` (`@job("app.name")`); importing them here fills the
        # registry in every process, web and worker alike, without this app importing the apps above it.
        autodiscover_modules("tasks")
