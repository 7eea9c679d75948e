"""Listings become spot (recorded lots) or forward (future production with a monthly capacity). Every existing
listing was an offer of gold not recorded as a lot, so it becomes a forward listing whose monthly capacity is
its whole quantity: what it offered, it may still deliver in any one month of its validity."""

import core.units
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def existing_listings_are_forward(apps, schema_editor):
    Listing = apps.get_model("listings", "Listing")
    Listing.objects.filter(monthly_capacity_grams__isnull=True).update(
        kind="forward", monthly_capacity_grams=models.F("quantity_grams")
    )


class Migration(migrations.Migration):

    dependencies = [
        ('listings', '0007_search_generation'),
        ('producers', '0002_site_crs_overlaps_reference_areas'),
        ('provenance', '0002_seed_mass_balance_policy'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ListingLot',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('live', models.BooleanField(default=True)),
            ],
            options={
                'ordering': ['id'],
            },
        ),
        migrations.AddField(
            model_name='listing',
            name='kind',
            field=models.CharField(choices=[('spot', 'Spot: recorded lots'), ('forward', 'Forward: future production of named sites')], default='forward', max_length=8),
        ),
        migrations.AddField(
            model_name='listing',
            name='monthly_capacity_grams',
            field=core.units.GramsField(blank=True, null=True),
        ),
        migrations.RunPython(existing_listings_are_forward, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='listing',
            name='form',
            field=models.CharField(choices=[('dore', 'Doré (borax-smelted bar)'), ('sponge', 'Sponge'), ('nugget', 'Nugget'), ('flake_dust', 'Flakes and dust'), ('gravity_concentrate', 'Gravity concentrate')], max_length=24),
        ),
        migrations.AddConstraint(
            model_name='listing',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('kind', 'spot'), ('monthly_capacity_grams__isnull', True)), models.Q(('kind', 'forward'), ('monthly_capacity_grams__isnull', False), ('monthly_capacity_grams__gt', 0), ('monthly_capacity_grams__lte', models.F('quantity_grams'))), _connector='OR'), name='listing_capacity_matches_kind'),
        ),
        migrations.AddField(
            model_name='listinglot',
            name='listing',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='listing_lots', to='listings.listing'),
        ),
        migrations.AddField(
            model_name='listinglot',
            name='lot',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='listing_rows', to='provenance.lot'),
        ),
        migrations.AddConstraint(
            model_name='listinglot',
            constraint=models.UniqueConstraint(fields=('listing', 'lot'), name='listing_lot_once'),
        ),
        migrations.AddConstraint(
            model_name='listinglot',
            constraint=models.UniqueConstraint(condition=models.Q(('live', True)), fields=('lot',), name='lot_in_one_live_listing'),
        ),
    ]
