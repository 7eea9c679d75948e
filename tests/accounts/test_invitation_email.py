"""A mail server that fails when an invitation is sent: the invitation stands, the inviter is told, and it
can be sent again with a new token. Never a 500, never a token lost for good."""

from __future__ import annotations

import re
import socket
from typing import Any

import pytest
from django.core import mail

from accounts.models import Invitation, Membership
from audit.models import AuditEvent
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

INVITATIONS = "/api/v1/invitations/"
NEW_PASSWORD = "Oro-sin-mercurio-2026"


@pytest.fixture
def closed_port() -> int:
    """A loopback port nobody listens on: connecting to it is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def broken_mail(settings: Any, closed_port: int) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", closed_port, 2
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False


def _token(message: Any) -> str:
    found = re.search(r"token=([\w-]+)", message.body)
    assert found is not None
    return found.group(1)


def test_an_invitation_whose_mail_fails_is_saved_and_the_inviter_is_told(producer_admin, broken_mail):
    response = producer_admin.post(INVITATIONS, {"email": "socia@example.test"}, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["email_sent"]) == ("pending", False)
    assert body["email_message"] == "The invitation was saved but its e-mail could not be sent. Resend it later."
    assert Invitation.objects.filter(pk=body["id"], email="socia@example.test").exists()
    assert AuditEvent.objects.filter(action="accounts.invitation.created", target_id=body["id"]).count() == 1


def test_the_mail_failure_is_told_in_spanish(producer_admin, client_for, broken_mail):
    in_spanish = client_for(producer_admin.user, producer_admin.organization, language="es")

    response = in_spanish.post(INVITATIONS, {"email": "socia@example.test"}, format="json")

    assert response.status_code == 201
    assert response.json()["email_message"] == (
        "La invitación se guardó, pero no se pudo enviar su correo. Vuelva a enviarla más tarde."
    )


def test_a_sent_invitation_says_so(producer_admin, mailoutbox):
    response = producer_admin.post(INVITATIONS, {"email": "socia@example.test"}, format="json")

    assert response.status_code == 201
    assert (response.json()["email_sent"], response.json()["email_message"]) == (True, "")
    assert mailoutbox[-1].to == ["socia@example.test"]


def test_resending_issues_a_new_token_and_only_the_new_one_works(producer_admin, anon, settings, broken_mail):
    first = producer_admin.post(INVITATIONS, {"email": "socia@example.test"}, format="json").json()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    old_hash = Invitation.objects.get(pk=first["id"]).token_hash

    resent = producer_admin.post(f"{INVITATIONS}{first['id']}/resend/")

    assert resent.status_code == 200, resent.content
    assert (resent.json()["id"], resent.json()["email_sent"], resent.json()["email_message"]) == (first["id"], True, "")
    assert Invitation.objects.get(pk=first["id"]).token_hash != old_hash
    assert AuditEvent.objects.filter(action="accounts.invitation.resent", target_id=first["id"]).count() == 1
    accepted = anon.post(
        "/api/v1/invitations/accept/",
        {"token": _token(mail.outbox[-1]), "password": NEW_PASSWORD, "full_name": "Juana Mamani"},
        format="json",
    )
    assert accepted.status_code == 201, accepted.content
    assert Membership.objects.filter(user__email="socia@example.test").count() == 1


def test_a_resend_that_fails_again_says_so(producer_admin, broken_mail):
    first = producer_admin.post(INVITATIONS, {"email": "socia@example.test"}, format="json").json()

    resent = producer_admin.post(f"{INVITATIONS}{first['id']}/resend/")

    assert resent.status_code == 200
    assert resent.json()["email_sent"] is False


def test_a_used_or_revoked_invitation_is_not_resent(producer_admin, mailoutbox):
    first = producer_admin.post(INVITATIONS, {"email": "socia@example.test"}, format="json").json()
    producer_admin.post(f"{INVITATIONS}{first['id']}/revoke/")

    resent = producer_admin.post(f"{INVITATIONS}{first['id']}/resend/")

    assert resent.status_code == 409
    assert resent.json()["code"] == "invitation_revoked"
    assert len(mailoutbox) == 1


def test_a_plain_member_cannot_resend(producer_admin, client_for, mailoutbox):
    first = producer_admin.post(INVITATIONS, {"email": "socia@example.test"}, format="json").json()
    member = MembershipFactory(organization=producer_admin.organization, role="member")

    resent = client_for(member.user, producer_admin.organization).post(f"{INVITATIONS}{first['id']}/resend/")

    assert resent.status_code == 403
    assert len(mailoutbox) == 1
