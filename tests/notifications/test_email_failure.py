"""A mail server that fails after a change committed: the change and its feed row stand, nothing is raised
to the caller, and the e-mail stays marked as not sent (`emailed_at` empty)."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from notifications.models import Notification
from notifications.services import notify
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def broken_mail(settings: Any) -> None:
    with socket.socket() as sock:  # a loopback port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 2
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False


def test_a_notification_whose_mail_fails_stays_in_the_feed_unsent(broken_mail, django_capture_on_commit_callbacks):
    ana = UserFactory(email="ana@example.test")

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notify(recipients=[ana], kind="welcome", params={"organization": "Oro Fino SA"})

    assert len(callbacks) == 1
    notification = Notification.objects.get(recipient=ana)
    assert (notification.kind, notification.emailed_at) == ("welcome", None)


def test_the_same_notification_is_marked_sent_when_the_mail_leaves(mailoutbox, django_capture_on_commit_callbacks):
    ana = UserFactory(email="ana@example.test")

    with django_capture_on_commit_callbacks(execute=True):
        notify(recipients=[ana], kind="welcome", params={"organization": "Oro Fino SA"})

    assert Notification.objects.get(recipient=ana).emailed_at is not None
    assert [m.to for m in mailoutbox] == [["ana@example.test"]]
