"""An environmental certification (ENV_CERT) is granted for one project, that is one site: it becomes
site-specific, like the IGAFOM it stands in for.

Items already stored of a site-specific type that name no site (ENV_CERT items, and any older item of the
other site-specific types stored without one) are given a site when the producer has exactly one site:
the document can only be about that one. When the producer has several sites (or none), the item keeps no
site and from now on counts for no site: the producer uploads it again naming its site. Nothing else
changes; the stored verdicts are recomputed by `manage.py refresh_standings` (docs/deploy.md), which the
deploy runs after this migration.

Reversing makes ENV_CERT organisation-level again and leaves the sites given (they are true).
"""

from django.db import migrations

NEWLY_SITE_SPECIFIC = ["ENV_CERT"]


def forwards(apps, schema_editor):
    EvidenceType = apps.get_model("compliance", "EvidenceType")
    Evidence = apps.get_model("compliance", "Evidence")
    Site = apps.get_model("producers", "Site")
    EvidenceType.objects.filter(code__in=NEWLY_SITE_SPECIFIC).update(site_specific=True)
    unsited = Evidence.objects.filter(evidence_type__site_specific=True, site__isnull=True)
    organizations = set(unsited.values_list("organization_id", flat=True).distinct())
    sites: dict = {}
    for producer_id, site_id in Site.objects.filter(producer_id__in=organizations).values_list("producer_id", "id"):
        sites.setdefault(producer_id, []).append(site_id)
    for organization_id, site_ids in sites.items():
        if len(site_ids) == 1:
            unsited.filter(organization_id=organization_id).update(site_id=site_ids[0])


def backwards(apps, schema_editor):
    EvidenceType = apps.get_model("compliance", "EvidenceType")
    EvidenceType.objects.filter(code__in=NEWLY_SITE_SPECIFIC).update(site_specific=False)


class Migration(migrations.Migration):
    dependencies = [
        ("compliance", "0004_site_standing"),
        ("producers", "0002_site_crs_overlaps_reference_areas"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
