from django.apps import AppConfig


class ProvenanceConfig(AppConfig):
    name = "provenance"
    verbose_name = "Provenance: lots, assays, custody and the mass balance"
    default_auto_field = "django.db.models.BigAutoField"
