"""Migration 0005: ENV_CERT becomes site-specific; unsited items of site-specific types get the producer's
site when it has exactly one, and otherwise keep none (they then count for no site)."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from compliance.models import Evidence, EvidenceType
from tests.compliance.helpers import make_evidence, make_producer, make_site
from tests.factories import MembershipFactory, OrganizationFactory

pytestmark = pytest.mark.django_db

migration = importlib.import_module("compliance.migrations.0005_env_cert_per_site")


def test_unsited_items_get_the_only_site_and_stay_unsited_otherwise():
    EvidenceType.objects.filter(pk="ENV_CERT").update(site_specific=False)  # as before the migration
    one, two = OrganizationFactory(), OrganizationFactory()
    only = make_site(make_producer(one))
    producer = make_producer(two)
    make_site(producer, "010203401", "Playa 1")
    make_site(producer, "010203402", "Playa 2")
    user = MembershipFactory(organization=one).user
    items = {
        "one_env": make_evidence(one, "ENV_CERT", submitted_by=user),
        "one_title": make_evidence(one, "MINING_RIGHT", submitted_by=user),
        "one_ruc": make_evidence(one, "TAX_RUC", submitted_by=user),
        "two_env": make_evidence(two, "ENV_CERT", submitted_by=user),
    }

    migration.forwards(apps, None)

    sites = {name: Evidence.objects.get(pk=item.pk).site_id for name, item in items.items()}
    assert sites == {"one_env": only.pk, "one_title": only.pk, "one_ruc": None, "two_env": None}
    assert EvidenceType.objects.get(pk="ENV_CERT").site_specific

    migration.backwards(apps, None)
    assert not EvidenceType.objects.get(pk="ENV_CERT").site_specific
