"""Seed the first report policy: a figure of the public impact report is published only when at least three
distinct producers stand behind it (docs/impact.md). Idempotent; `tests/trade/deposit_helpers.reseed_catalogue`
calls it to put the seed back after a transactional test flushed the database."""

from __future__ import annotations

import datetime as dt

from django.db import migrations

REPORT_POLICY = {
    "valid_from": dt.date(2025, 1, 1),
    "min_group_size": 3,
    "source": "The network's own choice for its public impact report (board decision at launch), not a legal "
    "requirement: a figure is published only when at least 3 distinct producers stand behind it, after the "
    "small-cell (k-anonymity) practice of official statistics, where 3 to 10 is usual.",
    "notes": "Three is the smallest group in which no producer's own figure can be read off the published one by "
    "another member of the group who knows her own. The network's producers are few and known to each other: the "
    "board may raise it (a new version from its date).",
}


def seed(apps, schema_editor):
    ReportPolicy = apps.get_model("reports", "ReportPolicy")
    # An update or a bulk insert, never save(): the model refuses to save a version in force.
    fields = {k: v for k, v in REPORT_POLICY.items() if k != "valid_from"}
    if not ReportPolicy.objects.filter(valid_from=REPORT_POLICY["valid_from"]).update(**fields):
        ReportPolicy.objects.bulk_create([ReportPolicy(valid_from=REPORT_POLICY["valid_from"], **fields)])


def unseed(apps, schema_editor):
    apps.get_model("reports", "ReportPolicy").objects.filter(valid_from=REPORT_POLICY["valid_from"]).delete()


class Migration(migrations.Migration):
    dependencies = [("reports", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
