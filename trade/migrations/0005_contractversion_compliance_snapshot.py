# Versions proposed before snapshots existed keep an empty one: their canonical terms leave the key out, so
# their hash (and every stored terms_hash) is unchanged.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('trade', '0004_contract_lots'),
    ]

    operations = [
        migrations.AddField(
            model_name='contractversion',
            name='compliance_snapshot',
            field=models.JSONField(blank=True, default=dict),
        ),
    ]
