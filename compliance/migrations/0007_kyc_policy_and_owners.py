import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0003_kyc_validity_constraints'),
        ('compliance', '0006_production_declarations'),
    ]

    operations = [
        migrations.AddField(
            model_name='evidencetype',
            name='declares_owners',
            field=models.BooleanField(default=False),
        ),
        migrations.CreateModel(
            name='KycPolicy',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('validity_months', models.PositiveSmallIntegerField(help_text='A verification counts until the same day this many months later (inclusive).')),
                ('reminder_days', models.JSONField(blank=True, default=list, help_text="Days before the lapse when the buyer's admins are reminded (0: on the day it lapses). Empty: the thresholds of evidence reminders (60, 30, 7 and 0).")),
                ('effective_from', models.DateField(unique=True)),
                ('source', models.CharField(max_length=200)),
                ('notes', models.TextField(blank=True)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
            ],
            options={
                'verbose_name': 'KYC policy',
                'verbose_name_plural': 'KYC policies',
                'ordering': ['-effective_from'],
                'constraints': [models.CheckConstraint(condition=models.Q(('validity_months__gte', 1), ('validity_months__lte', 60)), name='kyc_policy_months_range')],
            },
        ),
        migrations.CreateModel(
            name='KycReminderSent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('valid_until', models.DateField()),
                ('days_before', models.PositiveSmallIntegerField()),
                ('sent_at', models.DateTimeField(auto_now_add=True)),
                ('organization', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='kyc_reminders', to='accounts.organization')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('organization', 'valid_until', 'days_before'), name='kyc_reminder_once_per_threshold')],
            },
        ),
    ]
