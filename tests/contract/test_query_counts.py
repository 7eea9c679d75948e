"""Every list endpoint runs the same number of queries whatever the number of rows (DESIGN.md, "Performance").

Each case lists with a few rows, adds ten more, lists again and compares. Every row has its own related
objects (another user, another organisation), so an N+1 on a relation shows as a difference.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from drf_spectacular.generators import SchemaGenerator

from accounts.models import Organization, Role
from audit.services import audit_record
from notifications.services import notify
from tests.factories import (
    BuyerOrganizationFactory,
    InvitationFactory,
    MembershipFactory,
    OrganizationFactory,
)

pytestmark = pytest.mark.django_db

FEW, MORE = 2, 12


_serial = itertools.count()


def add_organizations(coop: Organization, count: int) -> None:
    for _ in range(count):
        factory = BuyerOrganizationFactory if next(_serial) % 2 else OrganizationFactory
        MembershipFactory(organization=factory(), role=Role.ADMIN)


def add_members(coop: Organization, count: int) -> None:
    for _ in range(count):
        MembershipFactory(organization=coop, role=Role.MEMBER)


def add_invitations(coop: Organization, count: int) -> None:
    for _ in range(count):
        inviter = MembershipFactory(organization=coop, role=Role.ADMIN).user
        InvitationFactory(organization=coop, invited_by=inviter, invited_by_organization=coop)


def add_notifications_for(recipient: Any) -> Callable[[Organization, int], None]:
    def add(coop: Organization, count: int) -> None:
        for _ in range(count):
            organization = OrganizationFactory()
            membership = MembershipFactory(organization=organization, role=Role.ADMIN)
            notify(
                recipients=[recipient],
                kind="membership_role_changed",
                params={"organization": organization.legal_name, "role": "Administrator"},
                organization=organization,
                target=membership,
            )

    return add


def add_audit_events(coop: Organization, count: int) -> None:
    """Events about coop, each done by another person acting for another organisation."""
    for _ in range(count):
        membership = MembershipFactory(organization=BuyerOrganizationFactory(), role=Role.ADMIN)
        audit_record(
            action="accounts.organization.updated",
            actor=membership.user,
            actor_organization=membership.organization,
            subject_organization=coop,
            target=coop,
            data={"website": f"https://example.test/{membership.pk}"},
        )


@dataclass(frozen=True)
class ListCase:
    path: str  # the schema's path template
    role: str  # the fixture of the actor that lists
    add_rows: Callable[[Any, Organization], Callable[[Organization, int], None]]  # (actor, coop) → adder

    def url(self, coop: Organization) -> str:
        return self.path.format(organization_pk=coop.pk)


LIST_CASES = [
    ListCase("/api/v1/organizations/", "reviewer", lambda actor, coop: add_organizations),
    ListCase("/api/v1/organizations/", "staff", lambda actor, coop: add_organizations),
    ListCase("/api/v1/organizations/{organization_pk}/members/", "producer_admin", lambda actor, coop: add_members),
    ListCase("/api/v1/invitations/", "producer_admin", lambda actor, coop: add_invitations),
    ListCase("/api/v1/notifications/", "producer_member", lambda actor, coop: add_notifications_for(actor.user)),
    ListCase("/api/v1/audit-events/", "reviewer", lambda actor, coop: add_audit_events),
    ListCase("/api/v1/audit-events/", "staff", lambda actor, coop: add_audit_events),
    ListCase("/api/v1/audit-events/", "producer_admin", lambda actor, coop: add_audit_events),
]


@functools.cache
def paginated_list_paths() -> frozenset[str]:
    """GET operations whose success body is a paginated list, from the generated schema."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    paths = set()
    for path, operations in schema["paths"].items():
        get = operations.get("get")
        if get is None:
            continue
        body = get["responses"].get("200", {}).get("content", {}).get("application/json", {})
        if body.get("schema", {}).get("$ref", "").startswith("#/components/schemas/Paginated"):
            paths.add(path)
    return frozenset(paths)


def measure(actor: Any, url: str, rows_key: str = "results") -> tuple[int, int]:
    """(queries run, rows returned) for one GET."""
    with CaptureQueriesContext(connection) as queries:
        response = actor.get(url)
    assert response.status_code == 200, response.content
    return len(queries.captured_queries), len(response.json()[rows_key])


def test_every_list_endpoint_has_a_query_count_case():
    assert {case.path for case in LIST_CASES} == paginated_list_paths()


@pytest.mark.parametrize("case", LIST_CASES, ids=[f"{case.path} as {case.role}" for case in LIST_CASES])
def test_a_list_runs_the_same_queries_for_2_and_12_rows(case, request, coop):
    actor = request.getfixturevalue(case.role)
    add_rows = case.add_rows(actor, coop)
    url = case.url(coop)
    add_rows(coop, FEW)
    few_queries, few_rows = measure(actor, url)

    add_rows(coop, MORE - FEW)
    more_queries, more_rows = measure(actor, url)

    assert few_rows >= FEW
    assert more_rows == few_rows + MORE - FEW
    assert more_queries == few_queries, (
        f"{few_rows} rows: {few_queries} queries, {more_rows} rows: {more_queries} queries"
    )


def test_me_runs_the_same_queries_for_1_and_4_memberships(producer_admin):
    one_queries, one_membership = measure(producer_admin, "/api/v1/me/", rows_key="memberships")

    for factory in (OrganizationFactory, BuyerOrganizationFactory, OrganizationFactory):
        MembershipFactory(user=producer_admin.user, organization=factory(), role=Role.MEMBER)
    four_queries, four_memberships = measure(producer_admin, "/api/v1/me/", rows_key="memberships")

    assert (one_membership, four_memberships) == (1, 4)
    assert four_queries == one_queries
