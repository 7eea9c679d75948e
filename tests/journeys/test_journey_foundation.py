"""Journey 1 (invitation and sign-in steps) and journey 7 (the chain check), through the HTTP API only."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

PRESIDENT_PASSWORD = "Huepetuhe-oro-limpio-23"


def login(email: str, password: str) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="es")
    response = client.post("/api/v1/auth/login/", {"email": email, "password": password}, format="json")
    assert response.status_code == 200, response.json()
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}", HTTP_ACCEPT_LANGUAGE="es")
    return client


def test_a_cooperative_is_invited_joins_and_anyone_can_check_what_happened(
    reviewer, mailoutbox, django_capture_on_commit_callbacks
):
    # The network's reviewer signs in and invites the cooperative of Huepetuhe by e-mail.
    lucia = login(reviewer.user.email, PASSWORD)
    with django_capture_on_commit_callbacks(execute=True):
        invited = lucia.post(
            "/api/v1/invitations/",
            {
                "kind": "producer_organization",
                "email": "presidenta@mujeresdeoro.test",
                "legal_name": "Cooperativa Minera Mujeres de Oro de Huepetuhe",
                "message": "Bienvenidas a la red",
            },
            format="json",
        )
    assert invited.status_code == 201, invited.json()
    email = mailoutbox[-1]
    assert email.to == ["presidenta@mujeresdeoro.test"]
    assert "Invitación" in email.subject  # written in the reviewer's language
    token = re.search(r"token=([\w-]+)", email.body).group(1)

    # The president accepts the invitation and sets her password.
    with django_capture_on_commit_callbacks(execute=True):
        accepted = APIClient(HTTP_ACCEPT_LANGUAGE="es").post(
            "/api/v1/invitations/accept/",
            {
                "token": token,
                "password": PRESIDENT_PASSWORD,
                "full_name": "Juana Mamani Condori",
                "preferred_language": "es",
            },
            format="json",
        )
    assert accepted.status_code == 201, accepted.json()
    coop_id = accepted.json()["membership"]["organization"]["id"]

    # She signs in and sees herself as the admin of the new producer organisation.
    juana = login("presidenta@mujeresdeoro.test", PRESIDENT_PASSWORD)
    me = juana.get("/api/v1/me/").json()
    assert [(m["organization"]["id"], m["organization"]["kind"], m["role"]) for m in me["memberships"]] == [
        (coop_id, "producer", "admin")
    ]
    # The reviewer is told that the cooperative joined.
    feed = lucia.get("/api/v1/notifications/").json()["results"]
    assert [n["kind"] for n in feed] == ["invitation_accepted"]

    # She invites a member of the cooperative, who joins too.
    with django_capture_on_commit_callbacks(execute=True):
        juana.post("/api/v1/invitations/", {"email": "elena@mujeresdeoro.test", "role": "member"}, format="json")
    member_token = re.search(r"token=([\w-]+)", mailoutbox[-1].body).group(1)
    joined = APIClient().post(
        "/api/v1/invitations/accept/",
        {"token": member_token, "password": "Elena-oro-limpio-42", "full_name": "Elena Choque Apaza"},
        format="json",
    )
    assert joined.status_code == 201
    members = juana.get(f"/api/v1/organizations/{coop_id}/members/").json()["results"]
    assert sorted(m["role"] for m in members) == ["admin", "member"]

    # Journey 7: the reviewer reads the trail; the cooperative reads its own; the chain verifies.
    trail = lucia.get("/api/v1/audit-events/?page_size=100").json()["results"]
    actions = [e["action"] for e in trail]
    assert "accounts.invitation.created" in actions
    assert "accounts.invitation.accepted" in actions
    own_trail = juana.get("/api/v1/audit-events/?page_size=100").json()["results"]
    assert own_trail
    assert all(coop_id in (e["actor_organization"], e["subject_organization"]) for e in own_trail)
    out = io.StringIO()
    call_command("verify_audit_chain", stdout=out)
    assert f"Audit chain OK: {len(trail)} events" in out.getvalue()

    # She signs out; her token no longer works.
    assert juana.post("/api/v1/auth/logout/").status_code == 204
    assert juana.get("/api/v1/me/").status_code == 401
