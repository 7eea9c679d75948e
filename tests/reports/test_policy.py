"""The report policy is versioned data: a version in force is never edited or deleted, a new one takes effect
today at the earliest, and no version publishes a group of one."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from core import clock
from reports.models import PolicyInForce, ReportPolicy

pytestmark = pytest.mark.django_db


def test_the_seed_is_three_producers_from_2025_with_the_networks_reason():
    [seed] = ReportPolicy.objects.all()

    assert (seed.min_group_size, seed.valid_from) == (3, dt.date(2025, 1, 1))
    assert "network's own choice" in seed.source
    assert "not a legal requirement" in seed.source


def test_a_version_in_force_is_never_edited_nor_deleted():
    seed = ReportPolicy.objects.get()
    seed.min_group_size = 2

    with pytest.raises(PolicyInForce):
        seed.save()
    with pytest.raises(PolicyInForce):
        seed.delete()
    seed.refresh_from_db()
    assert seed.min_group_size == 3


def test_a_future_version_may_be_changed_but_not_moved_into_the_past():
    future = ReportPolicy.objects.create(
        min_group_size=4, valid_from=clock.today_lima() + dt.timedelta(days=10), source="Board minutes no. 14."
    )
    future.min_group_size = 5
    future.save()

    future.valid_from = clock.today_lima() - dt.timedelta(days=1)
    with pytest.raises(PolicyInForce):
        future.save()
    ReportPolicy.objects.get(pk=future.pk).delete()  # not in force yet: it may go
    assert ReportPolicy.objects.count() == 1


def test_the_admin_form_refuses_a_new_version_dated_before_today():
    version = ReportPolicy(min_group_size=4, valid_from=clock.today_lima() - dt.timedelta(days=1), source="x")

    with pytest.raises(ValidationError) as refused:
        version.full_clean()
    assert "valid_from" in refused.value.message_dict

    ReportPolicy(min_group_size=4, valid_from=clock.today_lima(), source="Board minutes no. 15.").full_clean()


@pytest.mark.parametrize("size", [0, 1, 101])
def test_no_version_publishes_a_group_of_one(size):
    with pytest.raises(ValidationError):
        ReportPolicy(min_group_size=size, valid_from=clock.today_lima(), source="x").full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        ReportPolicy.objects.create(min_group_size=size, valid_from=dt.date(2030, 1, 1), source="x")


def test_a_source_is_named():
    with pytest.raises(IntegrityError), transaction.atomic():
        ReportPolicy.objects.create(min_group_size=3, valid_from=dt.date(2030, 1, 1), source="")


def test_staff_add_a_version_in_the_admin_and_it_is_audited():
    from django.test import Client

    from audit.models import AuditEvent
    from tests.factories import UserFactory

    client = Client()
    client.force_login(UserFactory(email="ops@example.test", is_staff=True, is_superuser=True))
    url = "/admin/reports/reportpolicy/add/"
    fields = {"min_group_size": "5", "source": "Board minutes no. 16: five producers.", "notes": ""}

    past = client.post(url, {**fields, "valid_from": (clock.today_lima() - dt.timedelta(days=1)).isoformat()})
    assert past.status_code == 200  # the form again, with the error
    assert not ReportPolicy.objects.filter(min_group_size=5).exists()

    added = client.post(url, {**fields, "valid_from": clock.today_lima().isoformat()})
    assert added.status_code == 302
    version = ReportPolicy.objects.get(min_group_size=5)
    event = AuditEvent.objects.get(action="reports.reportpolicy.admin_added")
    assert event.target_id == str(version.pk)
    # In force from today: read-only from now on.
    assert client.get(f"/admin/reports/reportpolicy/{version.pk}/change/").status_code == 200
    refused = client.post(f"/admin/reports/reportpolicy/{version.pk}/change/", {**fields, "min_group_size": "6"})
    assert refused.status_code == 403
    version.refresh_from_db()
    assert version.min_group_size == 5
