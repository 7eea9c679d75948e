"""The KYC validity's rules, once every verified buyer has one (0002): in a migration of their own, so that on
PostgreSQL the table is not altered in the transaction that updated its rows."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_kyc_validity")]

    operations = [
        migrations.AddConstraint(
            model_name="organization",
            constraint=models.CheckConstraint(
                condition=models.Q(("kyc_status", "verified"), _negated=True) | models.Q(kyc_valid_until__isnull=False),
                name="org_verified_kyc_has_validity",
            ),
        ),
        migrations.AddConstraint(
            model_name="organization",
            constraint=models.CheckConstraint(
                condition=models.Q(kind="buyer") | models.Q(kyc_valid_until__isnull=True, kyc_verified_at__isnull=True),
                name="org_kyc_validity_only_on_buyers",
            ),
        ),
    ]
