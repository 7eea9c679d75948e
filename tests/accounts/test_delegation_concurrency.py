"""Races on PostgreSQL with real threads: two grants of the same officer at once make one delegation."""

from __future__ import annotations

import pytest

from accounts.models import Delegation, Role
from audit.models import AuditEvent
from audit.verification import verify_chain
from tests.concurrency import postgres_only, run_at_once
from tests.conftest import make_client
from tests.factories import MembershipFactory, OrganizationFactory, SupportOrganizationFactory, UserFactory
from tests.problems import assert_problem

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("attempt", range(3))
def test_two_admins_granting_the_same_officer_at_once_make_one_delegation(attempt):
    coop = OrganizationFactory()
    admins = [MembershipFactory(organization=coop, role=Role.ADMIN).user for _ in range(2)]
    officer = MembershipFactory(
        organization=SupportOrganizationFactory(), user=UserFactory(email="officer@example.test"), role=Role.MEMBER
    ).user
    clients = [make_client(admin, coop) for admin in admins]

    def grant(i):
        body = {"officer_email": officer.email, "scopes": ["evidence", "sites"][i : i + 1]}
        return clients[i].post("/api/v1/delegations/", body, format="json")

    responses = run_at_once(2, grant)

    assert sorted(r.status_code for r in responses) == [201, 409], [r.content for r in responses]
    assert_problem(next(r for r in responses if r.status_code == 409), 409, "delegation_exists")
    assert Delegation.objects.filter(organization=coop, officer=officer, status="active").count() == 1
    assert AuditEvent.objects.filter(action="accounts.delegation.granted").count() == 1
    assert verify_chain().ok


@pytest.mark.parametrize("attempt", range(3))
def test_two_revocations_at_once_record_one(attempt):
    coop = OrganizationFactory()
    admins = [MembershipFactory(organization=coop, role=Role.ADMIN).user for _ in range(2)]
    MembershipFactory(
        organization=SupportOrganizationFactory(), user=UserFactory(email="officer@example.test"), role=Role.MEMBER
    )
    clients = [make_client(admin, coop) for admin in admins]
    granted = clients[0].post(
        "/api/v1/delegations/", {"officer_email": "officer@example.test", "scopes": ["sites"]}, format="json"
    )
    url = f"/api/v1/delegations/{granted.json()['id']}/revoke/"

    responses = run_at_once(2, lambda i: clients[i].post(url))

    assert [r.status_code for r in responses] == [200, 200]
    assert Delegation.objects.get().status == "revoked"
    assert AuditEvent.objects.filter(action="accounts.delegation.revoked").count() == 1
