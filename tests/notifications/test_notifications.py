"""The feed: list, unread count, mark read; e-mail after commit in the recipient's language."""

from __future__ import annotations

import pytest
from django.db import transaction

from audit.models import AuditEvent
from notifications.models import Notification
from notifications.services import notify

pytestmark = pytest.mark.django_db


def test_the_feed_renders_in_the_readers_language(buyer, client_for):
    notify(recipients=[buyer.user], kind="welcome", params={"organization": "Helvetia"})
    spanish = client_for(buyer.user, language="es")

    english_title = buyer.get("/api/v1/notifications/").json()["results"][0]["title"]
    spanish_title = spanish.get("/api/v1/notifications/").json()["results"][0]["title"]

    assert english_title == "Welcome to Oro Responsable"
    assert spanish_title == "Le damos la bienvenida a Oro Responsable"


def test_unread_count_and_mark_read(buyer):
    first, _second = notify(recipients=[buyer.user], kind="welcome", params={"organization": "A"}) + notify(
        recipients=[buyer.user], kind="welcome", params={"organization": "B"}
    )

    assert buyer.get("/api/v1/notifications/unread-count/").json() == {"unread": 2}
    read = buyer.post(f"/api/v1/notifications/{first.pk}/read/")
    again = buyer.post(f"/api/v1/notifications/{first.pk}/read/")

    assert read.status_code == again.status_code == 200
    assert read.json()["read_at"] == again.json()["read_at"] is not None
    assert buyer.get("/api/v1/notifications/unread-count/").json() == {"unread": 1}
    assert [n["is_read"] for n in buyer.get("/api/v1/notifications/?unread=true").json()["results"]] == [False]
    assert buyer.post("/api/v1/notifications/read-all/").json() == {"marked_read": 1}
    assert buyer.get("/api/v1/notifications/unread-count/").json() == {"unread": 0}


def test_someone_elses_notification_is_404(buyer, other_buyer):
    (theirs,) = notify(recipients=[other_buyer.user], kind="welcome", params={"organization": "X"})

    assert buyer.get(f"/api/v1/notifications/{theirs.pk}/").status_code == 404
    assert buyer.post(f"/api/v1/notifications/{theirs.pk}/read/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_email_goes_out_only_after_commit(buyer, mailoutbox, django_capture_on_commit_callbacks):
    buyer.user.preferred_language = "en"
    buyer.user.save()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notify(recipients=[buyer.user], kind="welcome", params={"organization": "Helvetia"})
    assert mailoutbox == []

    for callback in callbacks:
        callback()

    assert [m.subject for m in mailoutbox] == ["Welcome to Oro Responsable"]
    assert Notification.objects.get().emailed_at is not None


def test_a_rolled_back_change_notifies_nobody(buyer, mailoutbox, django_capture_on_commit_callbacks):
    def failing_change():
        with transaction.atomic():
            notify(recipients=[buyer.user], kind="welcome", params={"organization": "X"})
            raise RuntimeError("the change failed")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        failing_change()

    assert Notification.objects.count() == 0
    assert mailoutbox == []


def test_a_failing_mail_server_does_not_lose_the_feed(buyer, settings, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 1

    with django_capture_on_commit_callbacks(execute=True):
        notify(recipients=[buyer.user], kind="welcome", params={"organization": "X"})

    notification = Notification.objects.get()
    assert notification.emailed_at is None
    assert buyer.get("/api/v1/notifications/unread-count/").json() == {"unread": 1}


def test_codes_in_a_notification_are_translated_for_each_reader(producer_admin, producer_member, coop, client_for):
    from accounts.models import Membership

    membership = Membership.objects.get(user=producer_member.user)
    producer_admin.patch(f"/api/v1/organizations/{coop.pk}/members/{membership.pk}/", {"role": "admin"}, format="json")

    english = client_for(producer_member.user, language="en").get("/api/v1/notifications/").json()["results"][0]
    spanish = client_for(producer_member.user, language="es").get("/api/v1/notifications/").json()["results"][0]

    assert english["params"]["role"] == spanish["params"]["role"] == "admin"
    assert "Administrator" in english["body"]
    assert "Administrador(a)" in spanish["body"]


def test_marking_read_is_audited_once_and_only_to_the_network(buyer, reviewer):
    [first] = notify(recipients=[buyer.user], kind="welcome", params={"organization": "Helvetia"})
    notify(recipients=[buyer.user], kind="welcome", params={"organization": "Helvetia"})

    assert buyer.post(f"/api/v1/notifications/{first.pk}/read/").status_code == 200
    assert buyer.post(f"/api/v1/notifications/{first.pk}/read/").status_code == 200  # already read: no change
    assert buyer.post("/api/v1/notifications/read-all/").json() == {"marked_read": 1}
    assert buyer.post("/api/v1/notifications/read-all/").json() == {"marked_read": 0}  # nothing left: no change

    events = list(AuditEvent.objects.filter(action__startswith="notifications.").order_by("seq"))
    assert [(e.action, e.actor_id, e.target_id, e.data) for e in events] == [
        ("notifications.notification.read", buyer.user.pk, str(first.pk), {"kind": "welcome"}),
        ("notifications.notification.read_all", buyer.user.pk, str(buyer.user.pk), {"marked": 1}),
    ]
    # A person's inbox is hers: her organisation's admins do not read when she read it; the network does.
    assert {e.actor_organization_id for e in events} == {None}
    assert {e.subject_organization_id for e in events} == {None}
    own_trail = buyer.get("/api/v1/audit-events/?action_prefix=notifications.").json()["results"]
    assert own_trail == []
    network_trail = reviewer.get("/api/v1/audit-events/?action_prefix=notifications.").json()["results"]
    assert len(network_trail) == 2
