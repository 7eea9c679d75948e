"""The Fairtrade Ecological claim: Fairtrade gold whose certificate carries the ecological flag (no mercury
and no cyanide), which implies mercury-free, as Fairmined Ecological does."""

from django.db import migrations


def seed(apps, schema_editor):
    Claim = apps.get_model("compliance", "Claim")
    Requirement = apps.get_model("compliance", "Requirement")
    claim, _ = Claim.objects.update_or_create(
        code="fairtrade_ecological",
        defaults={
            "name_en": "Fairtrade Ecological",
            "name_es": "Fairtrade Ecológico",
            "assurance": "third_party_certified",
            "rule": "ecological_flag",
        },
    )
    claim.requirements.set(Requirement.objects.filter(code="FAIRTRADE"))
    claim.implies.set(Claim.objects.filter(code="mercury_free"))


def unseed(apps, schema_editor):
    apps.get_model("compliance", "Claim").objects.filter(code="fairtrade_ecological").delete()


class Migration(migrations.Migration):
    dependencies = [("compliance", "0012_owners_declaration_basis")]
    operations = [migrations.RunPython(seed, unseed)]
