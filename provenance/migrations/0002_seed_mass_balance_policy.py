import datetime as dt

from django.db import migrations


def seed(apps, schema_editor):
    MassBalancePolicy = apps.get_model("provenance", "MassBalancePolicy")
    MassBalancePolicy.objects.get_or_create(
        effective_from=dt.date(2020, 1, 1),
        defaults={
            "tolerance_bp": 0,
            "source": "Network policy at launch",
            "notes": "No gold may leave a site-month beyond the grams a reviewer confirmed as produced there.",
        },
    )


class Migration(migrations.Migration):
    dependencies = [("provenance", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
