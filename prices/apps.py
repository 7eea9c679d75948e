from django.apps import AppConfig


class PricesConfig(AppConfig):
    name = "prices"
    verbose_name = "Prices: LBMA fixes, exchange rates and the certified standards' minimums and premiums"
    default_auto_field = "django.db.models.BigAutoField"
