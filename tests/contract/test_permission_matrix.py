"""Who may call what: every operation of the generated schema × every role → the status it answers.

The table is the contract. Each case builds a fresh world, fills the path with the id of a "home" object
that belongs to the cooperative `coop` (see HOME), sends the request as one role and checks the status.
Write operations send an empty JSON body, so a role that may act gets a 400 (or the operation's natural
success when every field is optional) and nothing changes; a role that may not gets 403, another
organisation's object is 404 and no token is 401 (DESIGN.md, "API conventions").

A separate isolation test sends every operation with an id in its path as a member of another
organisation, with a body that would change the object, and checks it answers 404 and changes nothing.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from drf_spectacular.generators import SchemaGenerator

from accounts.models import Invitation, Membership, Organization, Role, User
from audit.models import AuditEvent
from audit.services import audit_record
from notifications.models import Notification
from notifications.services import notify
from tests.conftest import ActorClient
from tests.factories import InvitationFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

HTTP_METHODS = ("get", "post", "put", "patch", "delete")
ROLES = ("anonymous", "buyer_admin", "buyer_member", "producer_admin", "producer_member", "reviewer", "staff")

ORGANIZATION = "/api/v1/organizations/{id}/"
MEMBERS = "/api/v1/organizations/{organization_pk}/members/"
MEMBER = "/api/v1/organizations/{organization_pk}/members/{id}/"
INVITATION = "/api/v1/invitations/{id}/"
INVITATION_REVOKE = "/api/v1/invitations/{id}/revoke/"
NOTIFICATION = "/api/v1/notifications/{id}/"
NOTIFICATION_READ = "/api/v1/notifications/{id}/read/"
AUDIT_EVENT = "/api/v1/audit-events/{seq}/"

# Expected status per role, in the order of ROLES. Notes on the rows that are not obvious:
# - sign-up, login and invitation acceptance ignore any token: `{}` is a 400 for everybody.
# - PATCH me/ and PATCH organizations/{id}/ have only optional fields, so `{}` is a successful no-op.
# - reviewers read every organisation and its members, but manage neither (403).
# - invitations are "the ones your organisation sent": the network's reviewers do not see coop's (404);
#   plain members may neither list, read, send nor revoke invitations (403); staff see all of them.
# - staff act for no organisation and may do everything.
# - a role that may never do an operation gets 403 whatever the body: the role is checked before the body
#   is validated (a plain member sending an invitation or changing a role, a reviewer changing a role).
# - audit events: organisation admins read their own organisation's, reviewers and staff everything.
# fmt: off
MATRIX: dict[tuple[str, str], tuple[int, ...]] = {
    #                                                   anon buyA buyM proA proM  rev staff
    ("POST",   "/api/v1/auth/signup/"):                (400, 400, 400, 400, 400, 400, 400),
    ("POST",   "/api/v1/auth/login/"):                 (400, 400, 400, 400, 400, 400, 400),
    ("POST",   "/api/v1/auth/logout/"):                (401, 204, 204, 204, 204, 204, 204),
    ("POST",   "/api/v1/auth/logout-all/"):            (401, 204, 204, 204, 204, 204, 204),
    ("GET",    "/api/v1/me/"):                         (401, 200, 200, 200, 200, 200, 200),
    ("PATCH",  "/api/v1/me/"):                         (401, 200, 200, 200, 200, 200, 200),
    ("GET",    "/api/v1/organizations/"):              (401, 200, 200, 200, 200, 200, 200),
    ("GET",    ORGANIZATION):                          (401, 404, 404, 200, 200, 200, 200),
    ("PATCH",  ORGANIZATION):                          (401, 404, 404, 200, 403, 403, 200),
    ("GET",    MEMBERS):                               (401, 404, 404, 200, 200, 200, 200),
    ("GET",    MEMBER):                                (401, 404, 404, 200, 200, 200, 200),
    ("PATCH",  MEMBER):                                (401, 404, 404, 400, 403, 403, 400),
    ("DELETE", MEMBER):                                (401, 404, 404, 204, 403, 403, 204),
    ("GET",    "/api/v1/invitations/"):                (401, 200, 403, 200, 403, 200, 200),
    ("POST",   "/api/v1/invitations/"):                (401, 400, 403, 400, 403, 400, 400),
    ("GET",    INVITATION):                            (401, 404, 403, 200, 403, 404, 200),
    ("POST",   INVITATION_REVOKE):                     (401, 404, 403, 200, 403, 404, 200),
    ("POST",   "/api/v1/invitations/accept/"):         (400, 400, 400, 400, 400, 400, 400),
    ("GET",    "/api/v1/notifications/"):              (401, 200, 200, 200, 200, 200, 200),
    ("GET",    NOTIFICATION):                          (401, 200, 200, 200, 200, 200, 200),
    ("POST",   NOTIFICATION_READ):                     (401, 200, 200, 200, 200, 200, 200),
    ("POST",   "/api/v1/notifications/read-all/"):     (401, 200, 200, 200, 200, 200, 200),
    ("GET",    "/api/v1/notifications/unread-count/"): (401, 200, 200, 200, 200, 200, 200),
    ("GET",    "/api/v1/audit-events/"):               (401, 200, 403, 200, 403, 200, 200),
    ("GET",    AUDIT_EVENT):                           (401, 404, 403, 200, 403, 200, 200),
}
# fmt: on


@functools.cache
def schema_operations() -> dict[tuple[str, str], dict[str, Any]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {
        (method.upper(), path): operation
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if method in HTTP_METHODS
    }


@dataclass
class World:
    """The fixtures' actors, plus the cooperative's home objects that the paths point at."""

    actors: dict[str, ActorClient]
    other_producer: ActorClient
    other_buyer: ActorClient
    coop: Organization
    coop_member: Membership  # a plain member of coop who is none of the actors
    invitation: Invitation  # pending, sent by coop's admin to join coop
    audit_event: AuditEvent  # coop's admin changed coop
    notifications: dict[Any, Notification]  # one per user, keyed by the user's pk

    @property
    def coop_admin(self) -> User:
        user = self.actors["producer_admin"].user
        assert user is not None
        return user


@pytest.fixture
def world(
    anon, buyer, buyer_member, producer_admin, producer_member, reviewer, staff, other_producer, other_buyer, coop
) -> World:
    actors = {
        "anonymous": anon,
        "buyer_admin": buyer,
        "buyer_member": buyer_member,
        "producer_admin": producer_admin,
        "producer_member": producer_member,
        "reviewer": reviewer,
        "staff": staff,
    }
    coop_member = MembershipFactory(organization=coop, role=Role.MEMBER, user=UserFactory(email="socia2@example.test"))
    invitation = InvitationFactory(
        organization=coop, invited_by=producer_admin.user, invited_by_organization=coop, email="nueva@example.test"
    )
    audit_event = audit_record(
        action="accounts.organization.updated",
        actor=producer_admin.user,
        actor_organization=coop,
        target=coop,
        data={"website": "https://mujeresdeoro.example"},
    )
    notifications = {}
    for actor in [*actors.values(), other_producer, other_buyer]:
        if actor.user is not None:
            name = actor.organization.legal_name if actor.organization else "Oro Responsable"
            [notification] = notify(
                recipients=[actor.user], kind="welcome", params={"organization": name}, organization=actor.organization
            )
            notifications[actor.user.pk] = notification
    return World(
        actors=actors,
        other_producer=other_producer,
        other_buyer=other_buyer,
        coop=coop,
        coop_member=coop_member,
        invitation=invitation,
        audit_event=audit_event,
        notifications=notifications,
    )


# The home object each path parameter names. Everything is coop's: the organisation itself, a plain member
# of it, an invitation its admin sent, an event of its audit trail. Notifications belong to a person, not an
# organisation: the home notification is the one of `owner` (the caller's own in the matrix, coop's admin's
# for anonymous callers and in the isolation test).
HOME: dict[str, Callable[[World, User], dict[str, Any]]] = {
    ORGANIZATION: lambda world, owner: {"id": world.coop.pk},
    MEMBERS: lambda world, owner: {"organization_pk": world.coop.pk},
    MEMBER: lambda world, owner: {"organization_pk": world.coop.pk, "id": world.coop_member.pk},
    INVITATION: lambda world, owner: {"id": world.invitation.pk},
    INVITATION_REVOKE: lambda world, owner: {"id": world.invitation.pk},
    NOTIFICATION: lambda world, owner: {"id": world.notifications[owner.pk].pk},
    NOTIFICATION_READ: lambda world, owner: {"id": world.notifications[owner.pk].pk},
    AUDIT_EVENT: lambda world, owner: {"seq": world.audit_event.seq},
}


def home_url(path: str, world: World, owner: User) -> str:
    if "{" not in path:
        return path
    assert path in HOME, f"say which of coop's objects {path} points at: add it to HOME"
    return path.format(**HOME[path](world, owner))


def send(actor: ActorClient, method: str, url: str, body: dict[str, Any] | None) -> Any:
    call = getattr(actor.client, method.lower())
    if body is None:
        return call(url)
    return call(url, body, format="json")


def assert_problem_if_error(response: Any) -> None:
    if response.status_code >= 400:
        assert response["Content-Type"] == "application/problem+json", response.content
        body = response.json()
        assert body["status"] == response.status_code
        assert isinstance(body.get("code"), str)
        assert body["code"]


def test_the_matrix_covers_every_operation_of_the_schema():
    in_schema = set(schema_operations())

    missing_from_matrix = sorted(in_schema - MATRIX.keys())
    not_in_schema = sorted(MATRIX.keys() - in_schema)

    assert missing_from_matrix == [], "operations without a row in MATRIX"
    assert not_in_schema == [], "MATRIX rows for operations the schema does not have"


def test_every_row_gives_a_status_for_each_role():
    assert {len(statuses) for statuses in MATRIX.values()} == {len(ROLES)}


@pytest.mark.parametrize(
    ("operation", "role"),
    [(operation, role) for operation in MATRIX for role in ROLES],
    ids=[f"{method} {path} as {role}" for (method, path) in MATRIX for role in ROLES],
)
def test_permission_matrix(operation, role, world):
    method, path = operation
    expected = MATRIX[operation][ROLES.index(role)]
    actor = world.actors[role]
    url = home_url(path, world, actor.user or world.coop_admin)
    has_body = "requestBody" in schema_operations().get(operation, {})

    response = send(actor, method, url, {} if has_body else None)

    assert response.status_code == expected, (
        f"{method} {url} as {role}: expected {expected}, got {response.status_code}: {response.content[:300]!r}"
    )
    assert_problem_if_error(response)
    assert str(response.status_code) in schema_operations()[operation]["responses"], "status not in the schema"


# Bodies an intruder sends: one that would change the object if it were let through, and for operations
# with a body also one that is invalid (the object must be resolved, and refused, before the body is read).
INTRUDER_BODIES: dict[tuple[str, str], list[dict[str, Any]]] = {
    ("PATCH", ORGANIZATION): [
        {"website": "https://intruso.example", "contact_email": "x@intruso.example"},
        {"website": "no es una dirección"},
    ],
    ("PATCH", MEMBER): [{"role": "admin"}, {"role": "emperatriz"}],
}

SNAPSHOT_MODELS = (User, Organization, Membership, Invitation, Notification, AuditEvent)


def snapshot() -> dict[str, list[dict[str, Any]]]:
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in SNAPSHOT_MODELS}


def _isolation_cases() -> list[Any]:
    cases = []
    for method, path in MATRIX:
        if "{" not in path:
            continue
        for body_index, body in enumerate(INTRUDER_BODIES.get((method, path), [None])):
            for intruder in ("other_producer", "other_buyer"):
                label = "no body" if body is None else ("changing body" if body_index == 0 else "invalid body")
                cases.append(pytest.param((method, path), intruder, body, id=f"{method} {path} as {intruder}, {label}"))
    return cases


def test_isolation_covers_every_operation_with_an_id_in_its_path():
    with_ids = {operation for operation in schema_operations() if "{" in operation[1]}

    assert with_ids <= MATRIX.keys()
    assert {case.values[0] for case in _isolation_cases()} == with_ids


@pytest.mark.parametrize(("operation", "intruder", "body"), _isolation_cases())
def test_another_organisation_gets_404_and_changes_nothing(operation, intruder, body, world):
    method, path = operation
    actor = getattr(world, intruder)
    url = home_url(path, world, world.coop_admin)
    before = snapshot()

    response = send(actor, method, url, body)

    assert response.status_code == 404, f"{method} {url} as {intruder}: {response.status_code} {response.content!r}"
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "not_found"
    after = snapshot()
    assert {name: len(rows) for name, rows in after.items()} == {name: len(rows) for name, rows in before.items()}
    assert after == before
