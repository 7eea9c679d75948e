"""The device of each sign-in token (`TokenDevice`), and a row for every token issued before it existed."""

import uuid

import django.db.models.deletion
from django.db import migrations, models


def give_existing_tokens_a_row(apps, schema_editor):
    AuthToken = apps.get_model("knox", "AuthToken")
    TokenDevice = apps.get_model("accounts", "TokenDevice")
    rows = [
        TokenDevice(token_id=digest, device_name="", created_at=created)
        for digest, created in AuthToken.objects.exclude(digest__in=TokenDevice.objects.values("token_id"))
        .values_list("digest", "created")
        .iterator()
    ]
    TokenDevice.objects.bulk_create(rows, batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_kyc_validity_constraints"),
        ("knox", "0009_extend_authtoken_field"),
    ]

    operations = [
        migrations.CreateModel(
            name="TokenDevice",
            fields=[
                ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ("device_name", models.CharField(blank=True, max_length=100)),
                ("created_at", models.DateTimeField()),
                ("last_used_at", models.DateTimeField(blank=True, null=True)),
                (
                    "token",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE, related_name="device", to="knox.authtoken"
                    ),
                ),
            ],
            options={"ordering": ["-created_at"]},
        ),
        migrations.RunPython(give_existing_tokens_a_row, migrations.RunPython.noop),
    ]
