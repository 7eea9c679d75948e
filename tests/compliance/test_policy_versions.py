"""A policy change is a new version from a date: the one in force is never edited, past answers stay."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.test import Client

from compliance import catalogue
from compliance.models import Policy
from core import clock

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(staff):
    client = Client()
    client.force_login(staff.user)
    return client


def test_a_policy_in_force_cannot_be_edited_or_deleted_in_the_admin(admin_client):
    policy = Policy.objects.get(subject="organization", version=1)

    change = admin_client.post(f"/admin/compliance/policy/{policy.pk}/change/", {"notes": "rewritten"})
    delete = admin_client.post(f"/admin/compliance/policy/{policy.pk}/delete/", {"post": "yes"})

    assert change.status_code == 403
    assert delete.status_code == 403
    policy.refresh_from_db()
    assert policy.notes != "rewritten"


def test_staff_copy_a_policy_as_a_new_version_that_applies_from_tomorrow(admin_client):
    current = Policy.objects.get(subject="organization", version=1)
    today = clock.today_lima()

    response = admin_client.post(
        "/admin/compliance/policy/", {"action": "copy_as_new_version", "_selected_action": [current.pk]}
    )

    assert response.status_code == 302
    new = Policy.objects.get(subject="organization", version=2)
    assert new.effective_from == today + dt.timedelta(days=1)
    assert set(new.requirements.values_list("code", flat=True)) == set(
        current.requirements.values_list("code", flat=True)
    )
    new.requirements.remove("OHS_TRAINING")  # the future version may still be edited

    assert catalogue.policy_in_force("organization", today).version == 1
    with mock.patch.object(clock, "today_lima", return_value=today + dt.timedelta(days=1)):
        tomorrow = catalogue.policy_in_force("organization", clock.today_lima())
    assert tomorrow.version == 2
    assert "OHS_TRAINING" not in {r.code for r in catalogue.policy_rule(tomorrow).requirements}
    assert "OHS_TRAINING" in {r.code for r in catalogue.policy_rule(current).requirements}
