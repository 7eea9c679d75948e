"""`send_compliance_reminders`: the organisation's admins hear 60, 30 and 7 days before an approved item
lapses and on the day it lapses, once each, not for items already renewed, by e-mail after commit in
each recipient's language."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command

from accounts.models import Role
from compliance.models import NO_EXPIRY, ReminderSent
from notifications.models import Notification
from tests.compliance.helpers import add_member, day, make_evidence, uploaded

pytestmark = pytest.mark.django_db

LAPSES_IN = 100  # the item below is valid until day(99): it no longer counts from day(100)


def remind(on: dt.date | None = None) -> str:
    out = io.StringIO()
    args = ["--today", on.isoformat()] if on else []
    call_command("send_compliance_reminders", *args, stdout=out)
    return out.getvalue().strip()


def reminders_to(user) -> list[tuple[str, str]]:
    return [
        (n.kind, n.params["days"])
        for n in Notification.objects.filter(recipient=user, kind__startswith="requirement_").order_by("created_at")
    ]


def approved(organization, evidence_type, author, valid_until, **fields):
    return make_evidence(
        organization, evidence_type, submitted_by=author, status="approved", valid_until=valid_until, **fields
    )


@pytest.fixture
def english_admin(coop):
    return add_member(coop, Role.ADMIN, "treasurer@example.test", language="en")


@pytest.fixture
def ruc(coop, producer_admin):
    """An approved Ficha RUC, valid until day(99)."""
    return approved(coop, "TAX_RUC", producer_admin.user, day(LAPSES_IN - 1), document_number="RUC-2026-11")


def test_admins_are_reminded_60_30_and_7_days_before_and_on_the_lapse_day(
    ruc, producer_admin, producer_member, english_admin
):
    lapse_day = day(LAPSES_IN)
    expected_by_days_left = {
        61: None,
        60: ("requirement_expiring", "60"),
        59: None,
        45: None,
        31: None,
        30: ("requirement_expiring", "30"),
        29: None,
        8: None,
        7: ("requirement_expiring", "7"),
        6: None,
        1: None,
        0: ("requirement_lapsed", "0"),
        -1: None,
    }
    sent: list[tuple[str, str]] = []
    for days_left, expected in expected_by_days_left.items():
        output = remind(lapse_day - dt.timedelta(days=days_left))
        if expected:
            sent.append(expected)
        assert output == f"{1 if expected else 0} reminders sent.", days_left
        assert reminders_to(producer_admin.user) == sent, days_left

    assert reminders_to(english_admin.user) == sent
    assert reminders_to(producer_member.user) == []  # admins only
    assert sorted(ReminderSent.objects.filter(evidence=ruc).values_list("days_before", flat=True)) == [0, 7, 30, 60]
    notification = Notification.objects.filter(recipient=producer_admin.user, kind="requirement_expiring").first()
    assert (notification.target_id, notification.organization_id) == (str(ruc.pk), ruc.organization_id)
    assert notification.params["valid_until"] == day(LAPSES_IN - 1).isoformat()
    assert notification.params["document"] == "RUC-2026-11"


def test_running_twice_the_same_day_sends_nothing_twice(
    ruc, producer_admin, english_admin, mailoutbox, django_capture_on_commit_callbacks
):
    on = day(LAPSES_IN - 30)

    with django_capture_on_commit_callbacks(execute=True):
        assert remind(on) == "1 reminders sent."
        assert remind(on) == "0 reminders sent."

    assert reminders_to(producer_admin.user) == [("requirement_expiring", "30")]
    assert ReminderSent.objects.filter(evidence=ruc).count() == 1
    assert len(mailoutbox) == 2  # one per admin, once


def test_a_missed_reminder_goes_out_on_the_next_run_once(ruc, producer_admin):
    remind(day(LAPSES_IN - 50))
    remind(day(LAPSES_IN - 40))

    assert reminders_to(producer_admin.user) == [("requirement_expiring", "50")]
    assert list(ReminderSent.objects.values_list("days_before", flat=True)) == [60]


def test_without_a_date_it_runs_for_today_in_lima(coop, producer_admin):
    approved(coop, "HG_DECL", producer_admin.user, day(59))

    assert remind() == "1 reminders sent."
    assert reminders_to(producer_admin.user) == [("requirement_expiring", "60")]


def test_an_item_renewed_by_a_newer_approved_item_is_not_reminded(coop, producer_admin, ruc):
    approved(coop, "TAX_RUC", producer_admin.user, day(LAPSES_IN + 300))
    ohs = approved(coop, "OHS_TRAINING", producer_admin.user, day(LAPSES_IN - 1))  # not renewed

    assert remind(day(LAPSES_IN - 7)) == "1 reminders sent."

    assert reminders_to(producer_admin.user) == [("requirement_expiring", "7")]
    assert list(ReminderSent.objects.values_list("evidence_id", flat=True)) == [ohs.pk]


def test_an_item_whose_renewal_waits_for_review_is_not_reminded(coop, producer_admin):
    approved(coop, "TAX_RUC", producer_admin.user, day(6))  # lapses in 7 days
    # The producer already sent this week's Ficha RUC: valid 30 days once approved, longer than the old one.
    renewal = uploaded(producer_admin, "TAX_RUC", issue_date=day(-1).isoformat())
    assert renewal["status"] == "submitted"

    assert remind(day(0)) == "0 reminders sent."

    assert reminders_to(producer_admin.user) == []
    assert not ReminderSent.objects.exists()


def test_a_renewal_of_another_organisation_does_not_count(coop, producer_admin, other_producer, ruc):
    approved(other_producer.organization, "TAX_RUC", other_producer.user, day(LAPSES_IN + 300))

    remind(day(LAPSES_IN - 7))

    assert reminders_to(producer_admin.user) == [("requirement_expiring", "7")]
    assert reminders_to(other_producer.user) == []


def test_items_not_approved_or_without_expiry_are_not_reminded(coop, producer_admin, reviewer):
    soon = day(6)
    author = producer_admin.user
    approved(coop, "IGAFOM", author, NO_EXPIRY)
    make_evidence(coop, "TAX_RUC", submitted_by=author, status="revoked", valid_until=soon)
    make_evidence(coop, "REINFO", submitted_by=author, status="superseded", valid_until=soon)
    make_evidence(coop, "HG_DECL", submitted_by=author, status="submitted")
    make_evidence(coop, "PPE_RECORD", submitted_by=author, status="in_review", claimed_by=reviewer.user)
    make_evidence(coop, "OHS_PROG", submitted_by=author, status="rejected")

    assert remind(day(0)) == "0 reminders sent."
    assert not Notification.objects.exists()


def test_buyer_kyc_documents_are_reminded_to_the_buyers_admins(buyer, buyer_member, buyer_org):
    approved(buyer_org, "KYC_SANCTIONS", buyer.user, day(29))

    remind(day(0))

    assert reminders_to(buyer.user) == [("requirement_expiring", "30")]
    assert reminders_to(buyer_member.user) == []


def test_reminders_are_emailed_after_commit_in_each_recipients_language(
    ruc, producer_admin, english_admin, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        remind(day(LAPSES_IN - 60))
        assert mailoutbox == []  # nothing leaves before the transaction commits
    assert callbacks
    for callback in callbacks:
        callback()

    by_recipient = {message.to[0]: message for message in mailoutbox}
    assert set(by_recipient) == {producer_admin.user.email, english_admin.user.email}
    english = by_recipient[english_admin.user.email]
    assert english.subject == "Taxpayer registration record lapses in 60 days"
    assert "RUC-2026-11" in english.body
    assert day(LAPSES_IN - 1).isoformat() in english.body
    spanish = by_recipient[producer_admin.user.email]
    assert "Ficha RUC" in spanish.subject
    assert "60" in spanish.subject
    assert "lapses" not in spanish.subject  # the Spanish text, not the English one with a Spanish name
    assert "Upload the renewed document" not in spanish.body
    assert "RUC-2026-11" in spanish.body
    assert Notification.objects.filter(kind="requirement_expiring", emailed_at__isnull=True).count() == 0


def test_the_lapse_day_e_mail_says_it_lapsed(ruc, english_admin, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        remind(day(LAPSES_IN))

    english = next(m for m in mailoutbox if m.to == [english_admin.user.email])
    assert english.subject == "Taxpayer registration record lapsed today"
