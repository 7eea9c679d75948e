"""Invitations: the network invites producer organisations, admins invite members; tokens are single-use."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from accounts.models import Invitation, Membership, Organization, User
from audit.models import AuditEvent
from notifications.models import Notification
from tests.factories import PASSWORD, UserFactory
from tests.problems import assert_problem, field_errors

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Oro-sin-mercurio-2026"


def invite(client, mail, capture, **body):
    with capture(execute=True):
        response = client.post("/api/v1/invitations/", body, format="json")
    token = re.search(r"token=([\w-]+)", mail[-1].body).group(1) if response.status_code == 201 else None
    return response, token


def test_a_reviewer_invites_a_producer_organisation_and_its_president_joins(
    reviewer, anon, mailoutbox, django_capture_on_commit_callbacks
):
    response, token = invite(
        reviewer,
        mailoutbox,
        django_capture_on_commit_callbacks,
        kind="producer_organization",
        email="Presidenta@Huepetuhe.test",
        legal_name="Cooperativa Minera Mujeres de Oro",
    )

    assert response.status_code == 201
    assert response.json()["status"] == "pending"
    assert "token" not in response.json()
    assert mailoutbox[-1].to == ["presidenta@huepetuhe.test"]
    assert Invitation.objects.get().token_hash != token

    with django_capture_on_commit_callbacks(execute=True):
        accepted = anon.post(
            "/api/v1/invitations/accept/",
            {"token": token, "password": NEW_PASSWORD, "full_name": "Juana Mamani"},
            format="json",
        )

    assert accepted.status_code == 201, accepted.json()
    membership = Membership.objects.get(user__email="presidenta@huepetuhe.test")
    assert (membership.role, membership.organization.kind) == ("admin", "producer")
    assert membership.organization.legal_name == "Cooperativa Minera Mujeres de Oro"
    assert Notification.objects.filter(recipient=reviewer.user, kind="invitation_accepted").count() == 1
    assert AuditEvent.objects.filter(action="accounts.invitation.accepted").count() == 1


def test_an_admin_invites_a_member_who_already_has_an_account(
    producer_admin, anon, mailoutbox, django_capture_on_commit_callbacks
):
    existing = UserFactory(email="socia@example.test")
    _response, token = invite(
        producer_admin, mailoutbox, django_capture_on_commit_callbacks, email="socia@example.test", role="member"
    )

    wrong = anon.post("/api/v1/invitations/accept/", {"token": token, "password": "not-hers-123"}, format="json")
    right = anon.post("/api/v1/invitations/accept/", {"token": token, "password": PASSWORD}, format="json")

    assert wrong.status_code == 400
    assert wrong.json()["errors"][0]["code"] == "wrong_password"
    assert right.status_code == 201
    assert Membership.objects.get(user=existing).organization == producer_admin.organization


def test_a_used_invitation_cannot_be_used_again(producer_admin, anon, mailoutbox, django_capture_on_commit_callbacks):
    _response, token = invite(
        producer_admin, mailoutbox, django_capture_on_commit_callbacks, email="socia@example.test"
    )
    body = {"token": token, "password": NEW_PASSWORD, "full_name": "Elena"}
    assert anon.post("/api/v1/invitations/accept/", body, format="json").status_code == 201

    again = anon.post("/api/v1/invitations/accept/", body, format="json")

    assert again.status_code == 409
    assert again.json()["code"] == "invitation_already_used"
    assert Membership.objects.filter(user__email="socia@example.test").count() == 1


def test_an_expired_invitation_is_refused_in_spanish(
    producer_admin, client_for, mailoutbox, django_capture_on_commit_callbacks
):
    _response, token = invite(
        producer_admin, mailoutbox, django_capture_on_commit_callbacks, email="socia@example.test"
    )
    Invitation.objects.update(expires_at=timezone.now() - dt.timedelta(minutes=1))

    response = client_for(language="es").post(
        "/api/v1/invitations/accept/", {"token": token, "password": NEW_PASSWORD, "full_name": "Elena"}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["code"] == "invitation_expired"
    assert "expir" in response.json()["detail"].lower()
    assert "invitación" in response.json()["detail"].lower()
    assert not User.objects.filter(email="socia@example.test").exists()


def test_a_revoked_invitation_is_refused(producer_admin, anon, mailoutbox, django_capture_on_commit_callbacks):
    response, token = invite(producer_admin, mailoutbox, django_capture_on_commit_callbacks, email="socia@example.test")
    revoke = producer_admin.post(f"/api/v1/invitations/{response.json()['id']}/revoke/")
    revoke_again = producer_admin.post(f"/api/v1/invitations/{response.json()['id']}/revoke/")

    accept = anon.post(
        "/api/v1/invitations/accept/", {"token": token, "password": NEW_PASSWORD, "full_name": "E"}, format="json"
    )

    assert revoke.json()["status"] == revoke_again.json()["status"] == "revoked"
    assert accept.status_code == 409
    assert accept.json()["code"] == "invitation_revoked"
    assert AuditEvent.objects.filter(action="accounts.invitation.revoked").count() == 1


def test_an_unknown_token_is_refused(anon):
    response = anon.post("/api/v1/invitations/accept/", {"token": "forged", "password": NEW_PASSWORD}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invitation_invalid"


def test_a_weak_password_does_not_burn_the_invitation(
    producer_admin, anon, mailoutbox, django_capture_on_commit_callbacks
):
    _response, token = invite(
        producer_admin, mailoutbox, django_capture_on_commit_callbacks, email="socia@example.test"
    )

    weak = anon.post(
        "/api/v1/invitations/accept/", {"token": token, "password": "123", "full_name": "E"}, format="json"
    )
    strong = anon.post(
        "/api/v1/invitations/accept/", {"token": token, "password": NEW_PASSWORD, "full_name": "E"}, format="json"
    )

    assert weak.status_code == 400
    assert strong.status_code == 201


def test_only_reviewers_invite_producer_organisations(producer_admin, buyer):
    for client in (producer_admin, buyer):
        response = client.post(
            "/api/v1/invitations/",
            {"kind": "producer_organization", "email": "x@y.test", "legal_name": "Fake Coop"},
            format="json",
        )
        assert response.status_code == 403
        assert response.json()["code"] == "not_reviewer"
    assert Invitation.objects.count() == 0


def test_a_reviewer_invites_a_support_organisation_whose_first_officer_is_its_admin(
    reviewer, anon, mailoutbox, django_capture_on_commit_callbacks
):
    response, token = invite(
        reviewer,
        mailoutbox,
        django_capture_on_commit_callbacks,
        kind="support_organization",
        email="coordinadora@apoyo.test",
        legal_name="Asociación de Apoyo Minero Sostenible",
    )
    assert response.status_code == 201, response.content
    assert mailoutbox[-1].subject == "Invitation to register Asociación de Apoyo Minero Sostenible on Oro Responsable"

    accepted = anon.post(
        "/api/v1/invitations/accept/",
        {"token": token, "password": NEW_PASSWORD, "full_name": "Teresa Villca"},
        format="json",
    )

    assert accepted.status_code == 201, accepted.json()
    membership = Membership.objects.get(user__email="coordinadora@apoyo.test")
    assert (membership.role, membership.organization.kind) == ("admin", "support")
    assert membership.organization.legal_name == "Asociación de Apoyo Minero Sostenible"


def test_only_reviewers_invite_support_organisations_and_name_them(producer_admin, buyer, reviewer):
    body = {"kind": "support_organization", "email": "x@y.test", "legal_name": "Apoyo Falso"}
    for client in (producer_admin, buyer):
        assert_problem(client.post("/api/v1/invitations/", body, format="json"), 403, "not_reviewer")
    unnamed = reviewer.post("/api/v1/invitations/", {**body, "legal_name": ""}, format="json")

    assert field_errors(unnamed) == {"legal_name": "required_for_support_invitation"}
    assert Invitation.objects.count() == 0


def test_members_cannot_invite_and_nobody_invites_reviewers_outside_the_network(producer_member, producer_admin):
    by_member = producer_member.post("/api/v1/invitations/", {"email": "x@y.test"}, format="json")
    reviewer_role = producer_admin.post(
        "/api/v1/invitations/", {"email": "x@y.test", "role": "reviewer"}, format="json"
    )

    assert by_member.status_code == 403
    assert reviewer_role.status_code == 400
    assert reviewer_role.json()["errors"][0]["code"] == "invalid_role"
    assert Invitation.objects.count() == 0


def test_inviting_a_member_twice_or_an_existing_member_is_409(producer_admin, producer_member):
    first = producer_admin.post("/api/v1/invitations/", {"email": "new@y.test"}, format="json")
    second = producer_admin.post("/api/v1/invitations/", {"email": "NEW@y.test"}, format="json")
    existing = producer_admin.post("/api/v1/invitations/", {"email": producer_member.user.email}, format="json")

    assert first.status_code == 201
    assert (second.status_code, second.json()["code"]) == (409, "invitation_pending")
    assert (existing.status_code, existing.json()["code"]) == (409, "already_member")


def test_invitations_are_listed_for_the_organisation_that_sent_them(producer_admin, other_producer):
    producer_admin.post("/api/v1/invitations/", {"email": "new@y.test"}, format="json")

    mine = producer_admin.get("/api/v1/invitations/").json()["results"]
    theirs = other_producer.get("/api/v1/invitations/").json()["results"]

    assert [i["email"] for i in mine] == ["new@y.test"]
    assert theirs == []
    assert other_producer.get(f"/api/v1/invitations/{mine[0]['id']}/").status_code == 404
    assert other_producer.post(f"/api/v1/invitations/{mine[0]['id']}/revoke/").status_code == 404
    assert Invitation.objects.get().revoked_at is None
    assert Organization.objects.filter(kind="producer").count() == 2
