"""A buyer's KYC verification counts for the months of the KYC policy in force the day a reviewer verifies it,
lapses the day after its `kyc_valid_until` (today in Lima, no job), is reminded before it lapses, and is
renewed by submitting again and being verified again. The KYC policy is versioned data: a version that would
edit the past is refused."""

from __future__ import annotations

import datetime as dt
import io
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client

from accounts.models import Organization
from audit.models import AuditEvent
from compliance import catalogue
from compliance.models import KycPolicy, KycReminderSent
from core import clock
from notifications.models import Notification
from tests.compliance.helpers import add_member, ok
from tests.compliance.test_kyc import approve_all, kyc_url, upload_kyc
from tests.problems import assert_problem

pytestmark = pytest.mark.django_db


def org_url(organization) -> str:
    return f"/api/v1/organizations/{organization.pk}/"


def stored(organization) -> Organization:
    return Organization.objects.get(pk=organization.pk)


def verify_through_the_api(buyer, reviewer, organization) -> dict:
    """Upload every KYC document, have them approved, submit, and have a reviewer verify: the body."""
    approve_all(reviewer, upload_kyc(buyer))
    ok(buyer.post(kyc_url(organization, "submit"), {}, format="json"))
    return ok(reviewer.post(kyc_url(organization, "verify"), {}, format="json"))


def on(day: dt.date):
    """Run as if today (in Lima) were `day`."""
    return mock.patch.object(clock, "today_lima", return_value=day)


@pytest.fixture
def verified(buyer, buyer_org, reviewer) -> dt.date:
    """The buyer verified today through the API: its `kyc_valid_until`."""
    verify_through_the_api(buyer, reviewer, buyer_org)
    valid_until = stored(buyer_org).kyc_valid_until
    assert valid_until is not None
    return valid_until


# --- The validity a verification grants ------------------------------------------------------------------
def test_a_verification_counts_twelve_months_by_the_seeded_policy(buyer, buyer_org, reviewer):
    today = clock.today_lima()
    seeded = KycPolicy.in_force(today)
    assert seeded is not None
    assert (seeded.validity_months, seeded.reminder_days) == (12, [])

    verify_through_the_api(buyer, reviewer, buyer_org)

    organization = stored(buyer_org)
    assert organization.kyc_valid_until == catalogue.add_months(today, 12)
    assert organization.kyc_verified_at is not None
    body = ok(buyer.get(org_url(buyer_org)))
    assert body["kyc_status"] == body["kyc_effective_status"] == "verified"
    assert body["kyc_valid_until"] == organization.kyc_valid_until.isoformat()
    assert body["kyc_verified_at"] is not None
    event = AuditEvent.objects.get(action="compliance.kyc.verify")
    assert event.data["valid_until"] == organization.kyc_valid_until.isoformat()


def test_a_buyer_never_verified_has_no_validity(buyer, buyer_org, coop, producer_admin):
    body = ok(buyer.get(org_url(buyer_org)))
    assert (body["kyc_status"], body["kyc_effective_status"]) == ("unverified", "unverified")
    assert (body["kyc_verified_at"], body["kyc_valid_until"]) == (None, None)
    producer = ok(producer_admin.get(org_url(coop)))
    assert (producer["kyc_status"], producer["kyc_effective_status"], producer["kyc_valid_until"]) == ("", "", None)


def test_the_policy_version_in_force_on_the_day_of_the_verification_decides(buyer, buyer_org, reviewer):
    today = clock.today_lima()
    KycPolicy.objects.create(
        effective_from=today + dt.timedelta(days=10), validity_months=6, source="Comité de riesgos, acta 7"
    )
    approve_all(reviewer, upload_kyc(buyer))
    ok(buyer.post(kyc_url(buyer_org, "submit"), {}, format="json"))

    with on(today + dt.timedelta(days=10)):
        ok(reviewer.post(kyc_url(buyer_org, "verify"), {}, format="json"))

    assert stored(buyer_org).kyc_valid_until == catalogue.add_months(today + dt.timedelta(days=10), 6)


def test_months_are_counted_to_the_same_day_or_the_end_of_a_shorter_month():
    assert catalogue.add_months(dt.date(2026, 3, 10), 12) == dt.date(2027, 3, 10)
    assert catalogue.add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert catalogue.add_months(dt.date(2027, 12, 31), 2) == dt.date(2028, 2, 29)
    assert catalogue.add_months(dt.date(2026, 11, 30), 14) == dt.date(2028, 1, 30)


# --- Lapsing -------------------------------------------------------------------------------------------
def test_the_kyc_lapses_the_day_after_its_validity_with_no_job(buyer, buyer_org, reviewer, verified):
    with on(verified):
        last_day = ok(buyer.get(org_url(buyer_org)))
        kyc = ok(buyer.get(kyc_url(buyer_org)))
    assert (last_day["kyc_status"], last_day["kyc_effective_status"]) == ("verified", "verified")
    assert kyc["verification_status"] == "verified"

    with on(verified + dt.timedelta(days=1)):
        lapsed = ok(buyer.get(org_url(buyer_org)))
        seen_by_reviewer = ok(reviewer.get(org_url(buyer_org)))
        kyc = ok(buyer.get(kyc_url(buyer_org)))

    assert (lapsed["kyc_status"], lapsed["kyc_effective_status"]) == ("verified", "lapsed")
    assert lapsed["kyc_valid_until"] == verified.isoformat()
    assert seen_by_reviewer["kyc_effective_status"] == "lapsed"
    assert kyc["verification_status"] == "lapsed"
    assert stored(buyer_org).kyc_status == "verified"  # nothing was written: it is read against today


# --- Renewal -------------------------------------------------------------------------------------------
def test_a_lapsed_buyer_renews_by_submitting_again_and_being_verified_again(buyer, buyer_org, reviewer, verified):
    lapse_day = verified + dt.timedelta(days=1)
    with on(lapse_day):
        assert ok(buyer.get(org_url(buyer_org)))["kyc_effective_status"] == "lapsed"
        renewed_documents = upload_kyc(buyer)
        submitted = ok(buyer.post(kyc_url(buyer_org, "submit"), {}, format="json"))
        assert submitted["verification_status"] == "submitted"
        # Still not counting: the old verification lapsed and the new one is not made yet.
        assert stored(buyer_org).kyc_lapsed_on() == lapse_day
        assert_problem(reviewer.post(kyc_url(buyer_org, "verify"), {}, format="json"), 409, "requirements_missing")
        approve_all(reviewer, renewed_documents)
        verified_again = ok(reviewer.post(kyc_url(buyer_org, "verify"), {}, format="json"))
        body = ok(buyer.get(org_url(buyer_org)))

    assert verified_again["verification_status"] == "verified"
    assert body["kyc_effective_status"] == "verified"
    assert body["kyc_valid_until"] == catalogue.add_months(lapse_day, 12).isoformat()
    moves = AuditEvent.objects.filter(action__startswith="compliance.kyc.").order_by("seq")
    assert [(e.action, e.data["from"]) for e in moves] == [
        ("compliance.kyc.submit", "unverified"),
        ("compliance.kyc.verify", "submitted"),
        ("compliance.kyc.submit", "verified"),
        ("compliance.kyc.verify", "submitted"),
    ]


def test_a_buyer_may_renew_before_it_lapses_and_stays_verified_meanwhile(buyer, buyer_org, reviewer, verified):
    ok(buyer.post(kyc_url(buyer_org, "submit"), {}, format="json"))

    organization = stored(buyer_org)
    assert (organization.kyc_status, organization.kyc_valid_until) == ("submitted", verified)
    assert organization.kyc_cleared() is True  # the renewal under review does not cut the validity short
    with on(verified + dt.timedelta(days=1)):
        assert stored(buyer_org).kyc_cleared() is False

    ok(reviewer.post(kyc_url(buyer_org, "reject"), {"reason": "Falta la verificación de sanciones"}, format="json"))
    assert stored(buyer_org).kyc_cleared() is False  # a rejection ends it at once


# --- The policy is data that never edits the past --------------------------------------------------------
@pytest.fixture
def admin_client(staff):
    client = Client()
    client.force_login(staff.user)
    return client


def kyc_policy_form(effective_from: dt.date, **fields) -> dict:
    return {
        "validity_months": "6",
        "reminder_days": "[30, 7]",
        "effective_from": effective_from.isoformat(),
        "source": "Comité de cumplimiento, acta 12",
        "notes": "",
        "_save": "Save",
        **fields,
    }


def test_a_kyc_policy_version_that_edits_the_past_is_refused_in_the_admin(admin_client):
    seeded = KycPolicy.objects.get()
    yesterday = clock.today_lima() - dt.timedelta(days=1)
    events = AuditEvent.objects.count()

    added = admin_client.post("/admin/compliance/kycpolicy/add/", kyc_policy_form(yesterday))
    changed = admin_client.post(
        f"/admin/compliance/kycpolicy/{seeded.pk}/change/",
        kyc_policy_form(seeded.effective_from, validity_months="24"),
    )
    deleted = admin_client.post(f"/admin/compliance/kycpolicy/{seeded.pk}/delete/", {"post": "yes"})

    assert added.status_code == 200  # the form again, with the error
    assert "edits the past" in str(added.context["adminform"].form.non_field_errors())
    assert (changed.status_code, deleted.status_code) == (403, 403)
    assert list(KycPolicy.objects.values_list("pk", "validity_months")) == [(seeded.pk, 12)]
    assert AuditEvent.objects.count() == events


def test_the_orm_refuses_a_version_that_edits_the_past_too():
    seeded = KycPolicy.objects.get()
    yesterday = clock.today_lima() - dt.timedelta(days=1)

    with pytest.raises(ValidationError, match="edits the past"):
        KycPolicy(effective_from=yesterday, validity_months=6, source="x").save()
    seeded.validity_months = 24
    with pytest.raises(ValidationError, match="edits the past"):
        seeded.save()
    with pytest.raises(ValidationError, match="edits the past"):
        seeded.delete()

    assert list(KycPolicy.objects.values_list("validity_months", flat=True)) == [12]


def test_staff_add_a_version_from_today_or_later_and_edit_it_until_it_is_in_force(admin_client):
    today = clock.today_lima()

    added = admin_client.post("/admin/compliance/kycpolicy/add/", kyc_policy_form(today + dt.timedelta(days=30)))

    assert added.status_code == 302
    future = KycPolicy.objects.get(effective_from=today + dt.timedelta(days=30))
    assert (future.validity_months, future.reminder_days) == (6, [30, 7])
    assert AuditEvent.objects.filter(action="compliance.kycpolicy.admin_added", target_id=str(future.pk)).exists()
    edited = admin_client.post(
        f"/admin/compliance/kycpolicy/{future.pk}/change/",
        kyc_policy_form(future.effective_from, validity_months="9"),
    )
    assert edited.status_code == 302
    assert KycPolicy.objects.get(pk=future.pk).validity_months == 9
    assert catalogue.kyc_policy_in_force(today).validity_months == 12
    with on(today + dt.timedelta(days=30)):
        assert catalogue.kyc_policy_in_force(clock.today_lima()).validity_months == 9
        in_force = admin_client.post(
            f"/admin/compliance/kycpolicy/{future.pk}/change/",
            kyc_policy_form(future.effective_from, validity_months="10"),
        )
    assert in_force.status_code == 403
    assert KycPolicy.objects.get(pk=future.pk).validity_months == 9


def test_reminder_days_are_whole_days_given_once(admin_client):
    later = clock.today_lima() + dt.timedelta(days=5)
    for bad in ('[30, "7"]', "[30, 30]", "[-1]", "[400]", '{"days": 7}'):
        response = admin_client.post("/admin/compliance/kycpolicy/add/", kyc_policy_form(later, reminder_days=bad))
        assert response.status_code == 200, bad
        assert "reminder_days" in response.context["adminform"].form.errors, bad
    assert KycPolicy.objects.count() == 1


# --- Reminders -----------------------------------------------------------------------------------------
def remind(day: dt.date) -> str:
    out = io.StringIO()
    call_command("send_compliance_reminders", "--today", day.isoformat(), stdout=out)
    return out.getvalue().strip()


def kyc_reminders_to(user) -> list[tuple[str, str]]:
    return [
        (n.kind, n.params.get("days", "0"))
        for n in Notification.objects.filter(recipient=user, kind__startswith="kyc_")
        .exclude(kind="kyc_decided")
        .order_by("created_at")
    ]


def test_the_buyers_admins_are_reminded_before_the_kyc_lapses_once_per_threshold(
    buyer, buyer_member, buyer_org, verified, mailoutbox, django_capture_on_commit_callbacks
):
    english = add_member(buyer_org, "admin", "compliance@refinery.test", language="en")
    lapse_day = verified + dt.timedelta(days=1)
    expected = {
        61: None,
        60: ("kyc_expiring", "60"),
        59: None,
        30: ("kyc_expiring", "30"),
        8: None,
        7: ("kyc_expiring", "7"),
        1: None,
        0: ("kyc_lapsed", "0"),
        -1: None,
    }
    sent: list[tuple[str, str]] = []
    with django_capture_on_commit_callbacks(execute=True):
        for days_left, reminder in expected.items():
            # KYC documents lapse long before the verification: count only the KYC reminders here.
            remind(lapse_day - dt.timedelta(days=days_left))
            remind(lapse_day - dt.timedelta(days=days_left))  # twice the same day: nothing twice
            if reminder:
                sent.append(reminder)
            assert kyc_reminders_to(buyer.user) == sent, days_left

    assert kyc_reminders_to(english.user) == sent
    assert kyc_reminders_to(buyer_member.user) == []  # admins only
    assert sorted(KycReminderSent.objects.values_list("days_before", flat=True)) == [0, 7, 30, 60]
    assert AuditEvent.objects.filter(action="compliance.kyc_reminder.sent").count() == 4
    lapsed_mail = next(m for m in mailoutbox if m.to == [english.user.email] and "lapsed" in m.subject)
    assert lapsed_mail.subject == f"The KYC of {buyer_org.legal_name} lapsed"
    assert verified.isoformat() in lapsed_mail.body
    expiring = next(m for m in mailoutbox if m.to == [english.user.email] and m.subject.startswith("The KYC"))
    assert expiring.subject == f"The KYC of {buyer_org.legal_name} lapses in 60 days"


def test_a_renewed_verification_is_reminded_again_and_a_renewal_under_review_is_not(
    buyer, buyer_org, reviewer, verified
):
    lapse_day = verified + dt.timedelta(days=1)
    remind(lapse_day - dt.timedelta(days=30))
    ok(buyer.post(kyc_url(buyer_org, "submit"), {}, format="json"))  # renewing early

    remind(lapse_day - dt.timedelta(days=7))
    assert kyc_reminders_to(buyer.user) == [("kyc_expiring", "30")]

    Organization.objects.filter(pk=buyer_org.pk).update(
        kyc_status="verified", kyc_valid_until=verified + dt.timedelta(days=365)
    )
    remind(verified + dt.timedelta(days=365 - 29))
    assert kyc_reminders_to(buyer.user) == [("kyc_expiring", "30"), ("kyc_expiring", "30")]


def test_the_kyc_policy_in_force_may_name_its_own_thresholds(buyer, buyer_org, verified):
    lapse_day = verified + dt.timedelta(days=1)
    KycPolicy.objects.create(
        effective_from=lapse_day - dt.timedelta(days=20), validity_months=12, reminder_days=[14, 0], source="acta 9"
    )

    remind(lapse_day - dt.timedelta(days=30))  # the seeded version: the thresholds of evidence
    remind(lapse_day - dt.timedelta(days=14))  # the new one: 14 days and the lapse day only
    remind(lapse_day - dt.timedelta(days=7))
    remind(lapse_day)

    assert kyc_reminders_to(buyer.user) == [("kyc_expiring", "30"), ("kyc_expiring", "14"), ("kyc_lapsed", "0")]
