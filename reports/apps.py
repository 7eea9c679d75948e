from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Reports: the network's public impact report"
    default_auto_field = "django.db.models.BigAutoField"
