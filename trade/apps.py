from django.apps import AppConfig


class TradeConfig(AppConfig):
    name = "trade"
    verbose_name = "Trade"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from trade import notification_kinds  # noqa: F401  (registers the kinds)
