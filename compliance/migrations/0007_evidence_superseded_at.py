# Items superseded before this column existed keep it empty: when they were replaced was not recorded.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('compliance', '0006_production_declarations'),
    ]

    operations = [
        migrations.AddField(
            model_name='evidence',
            name='superseded_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
