"""Races on PostgreSQL with real threads: one invitation, one idempotency key, one audit chain, one token refreshed."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.models import Invitation, Membership, Organization, TokenDevice
from accounts.services import _hash_token, token_issue
from audit.models import AuditEvent
from audit.services import audit_record
from audit.verification import verify_chain
from tests.accounts.test_auth import SIGNUP
from tests.concurrency import postgres_only, run_at_once
from tests.factories import InvitationFactory, MembershipFactory, OrganizationFactory, UserFactory
from tests.problems import assert_problem

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("attempt", range(3))
def test_one_invitation_accepted_four_times_at_once_makes_one_member(attempt):
    coop = OrganizationFactory()
    admin = MembershipFactory(organization=coop, role="admin")
    InvitationFactory(
        organization=coop,
        invited_by=admin.user,
        invited_by_organization=coop,
        email="socia@example.test",
        token_hash=_hash_token("the-token"),
    )

    def accept(i):
        return APIClient().post(
            "/api/v1/invitations/accept/",
            {"token": "the-token", "password": "Oro-sin-mercurio-2026", "full_name": f"Socia {i}"},
            format="json",
        )

    responses = run_at_once(4, accept)

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201, 409, 409, 409], responses
    assert Membership.objects.filter(organization=coop, user__email="socia@example.test").count() == 1
    assert Invitation.objects.get().accepted_at is not None


@pytest.mark.parametrize("attempt", range(3))
def test_one_signup_sent_four_times_at_once_with_one_key_creates_one_buyer(attempt):
    def signup(_i):
        return APIClient().post("/api/v1/auth/signup/", SIGNUP, format="json", HTTP_IDEMPOTENCY_KEY="same-key")

    responses = run_at_once(4, signup)

    # Which copies arrive while the first is still running is up to the scheduler: those get 409, later ones the
    # first answer again.
    assert all(r.status_code in (201, 409) for r in responses), [r.status_code for r in responses]
    for refused in (r for r in responses if r.status_code == 409):
        assert_problem(refused, 409, "idempotency_key_in_progress")
    assert Organization.objects.filter(kind="buyer").count() == 1
    created = [r for r in responses if r.status_code == 201]
    assert len({r.json()["organization"]["id"] for r in created}) == 1


def test_eight_writers_at_once_keep_one_unbroken_chain():
    results = run_at_once(
        8, lambda i: [audit_record(action="test.race", data={"writer": i, "n": n}).seq for n in range(5)]
    )

    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(AuditEvent.objects.values_list("seq", flat=True)) == list(range(1, 41))
    assert verify_chain().ok


@pytest.mark.parametrize("attempt", range(3))
def test_one_token_refreshed_four_times_at_once_gives_one_new_token(attempt):
    """Each request authenticates with the same token; the refreshes lock its row one after the other, and only
    the first finds it: the others are 401 and the device keeps exactly one token, the winner's."""
    user = UserFactory(email="rosa@example.test")
    issued = token_issue(user=user, device_name="Teléfono de Rosa")

    def refresh(_i):
        return APIClient().post("/api/v1/auth/tokens/refresh/", HTTP_AUTHORIZATION=f"Token {issued.token}")

    responses = run_at_once(4, refresh)

    assert sorted(r.status_code for r in responses) == [200, 401, 401, 401], responses
    for refused in (r for r in responses if r.status_code == 401):
        assert_problem(refused, 401, "authentication_failed")
    [winner] = [r.json()["token"] for r in responses if r.status_code == 200]
    [device] = TokenDevice.objects.select_related("token").all()
    assert device.device_name == "Teléfono de Rosa"
    assert APIClient().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {winner}").status_code == 200
    assert AuditEvent.objects.filter(action="accounts.token.refreshed").count() == 1
    assert verify_chain().ok
