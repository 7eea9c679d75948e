"""Migration accounts/0002: buyers verified before validities existed get 12 months from the day the audit
trail shows a reviewer verified them, or from the day of the migration when it shows none."""

from __future__ import annotations

import datetime as dt
import importlib
from unittest import mock

import pytest
from django.apps import apps

from accounts.models import Organization
from compliance import catalogue
from core import clock
from tests.compliance.test_kyc_validity import verify_through_the_api
from tests.factories import BuyerOrganizationFactory

pytestmark = pytest.mark.django_db

migration = importlib.import_module("accounts.migrations.0002_kyc_validity")


def test_verified_buyers_get_twelve_months_from_their_recorded_verification(buyer, buyer_org, reviewer):
    hundred_days_ago = clock.now() - dt.timedelta(days=100)
    with mock.patch.object(clock, "now", return_value=hundred_days_ago):
        verify_through_the_api(buyer, reviewer, buyer_org)
    unrecorded = BuyerOrganizationFactory(kyc_status="verified")  # loaded by hand: no event names it
    never = BuyerOrganizationFactory()
    # What the rows held before the migration gave them a validity (the constraint needs one, so: another).
    Organization.objects.filter(pk__in=[buyer_org.pk, unrecorded.pk]).update(
        kyc_valid_until=clock.today_lima() + dt.timedelta(days=3), kyc_verified_at=None
    )

    migration.backfill(apps, None)

    recorded = Organization.objects.get(pk=buyer_org.pk)
    verified_day = hundred_days_ago.astimezone(clock.LIMA).date()
    assert recorded.kyc_valid_until == catalogue.add_months(verified_day, 12)
    assert recorded.kyc_verified_at == hundred_days_ago
    by_hand = Organization.objects.get(pk=unrecorded.pk)
    assert (by_hand.kyc_valid_until, by_hand.kyc_verified_at) == (catalogue.add_months(clock.today_lima(), 12), None)
    assert Organization.objects.get(pk=never.pk).kyc_valid_until is None
