"""The certified standards' minimum prices and premiums, as their texts gave them (docs/settlement.md).

Each row names the text and its date. A newer text is a new row with its own `valid_from` (staff record it with
`POST /api/v1/prices/certification-terms/`, docs/prices.md); these rows then stay as the history."""

import datetime

from django.db import migrations

ROWS = [
    # claim, minimum % of LBMA (bp), premium rule, per kg fine (minor units), currency, % of LBMA (bp), source, date
    (
        "fairmined",
        9500,
        "per_kg_fine",
        400_000,
        "USD",
        None,
        "Fairmined Standard for Gold from Artisanal and Small-scale Mining: minimum price 95 % of the LBMA "
        "price; Fairmined Premium USD 4,000 per kg of fine gold (fairmined.org, figures as of 2018)",
        datetime.date(2018, 1, 1),
    ),
    (
        "fairmined_ecological",
        9500,
        "per_kg_fine",
        600_000,
        "USD",
        None,
        "Fairmined Standard: Ecological Gold premium USD 6,000 per kg of fine gold (USD 4,000 plus USD 2,000), "
        "minimum price 95 % of the LBMA price (fairmined.org, figures as of 2018)",
        datetime.date(2018, 1, 1),
    ),
    (
        "fairtrade",
        9500,
        "per_kg_fine",
        200_000,
        "USD",
        None,
        "Fairtrade Standard for Gold and Associated Precious Metals for ASM: minimum price 95 % of the LBMA "
        "price; Fairtrade Premium USD 2,000 per kg of fine gold (Fairtrade International, August 2013)",
        datetime.date(2013, 8, 1),
    ),
    (
        "fairtrade_ecological",
        9500,
        "percent_of_lbma",
        None,
        None,
        1500,
        "Fairtrade Standard for Gold and Associated Precious Metals for ASM: Ecological Gold premium 15 % of the "
        "LBMA price, minimum price 95 % of the LBMA price (Fairtrade International, August 2013)",
        datetime.date(2013, 8, 1),
    ),
]


def seed(apps, schema_editor):
    CertificationTerms = apps.get_model("prices", "CertificationTerms")
    for claim, minimum, rule, per_kg, currency, percent, source, source_date in ROWS:
        CertificationTerms.objects.update_or_create(
            claim_id=claim,
            valid_from=source_date,
            defaults={
                "minimum_price_bp": minimum,
                "premium_rule": rule,
                "premium_per_kg_fine_minor": per_kg,
                "premium_currency": currency,
                "premium_percent_bp": percent,
                "source": source,
                "source_date": source_date,
            },
        )


def unseed(apps, schema_editor):
    apps.get_model("prices", "CertificationTerms").objects.filter(valid_from__in=[r[-1] for r in ROWS]).delete()


class Migration(migrations.Migration):
    dependencies = [("prices", "0001_initial"), ("compliance", "0013_fairtrade_ecological_claim")]
    operations = [migrations.RunPython(seed, unseed)]
