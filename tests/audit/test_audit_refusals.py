"""A refused write appends no audit event: every refused call of the permission matrix, counted.

The calls are the matrix's own (tests/contract/test_permission_matrix.py): each write operation of the
schema sent with an empty body by every role the matrix says is refused (400, 401, 403, 404 or 409), on the
matrix's world. The one refusal recorded on purpose is a sign-in with a wrong password: the trail of a
brute-force attempt (`accounts.login.failed`), tested below on its own.
"""

from __future__ import annotations

import pytest

from audit.models import AuditEvent
from tests.contract.test_permission_matrix import (  # noqa: F401  (the matrix's fixtures)
    MATRIX,
    ROLES,
    _stripe_configured,
    home_url,
    producer_status,
    schema_operations,
    send,
    world,
)

pytestmark = pytest.mark.django_db

REFUSED = (400, 401, 403, 404, 409)
WRITES = sorted(operation for operation in MATRIX if operation[0] in ("POST", "PUT", "PATCH", "DELETE"))


def _head() -> int:
    return AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def test_every_write_operation_is_refused_to_someone():
    """Each write operation has at least one refused call below (so none escapes this test)."""
    assert [op for op in WRITES if not set(MATRIX[op]) & set(REFUSED)] == []


@pytest.mark.parametrize("operation", WRITES, ids=[f"{method} {path}" for method, path in WRITES])
def test_a_refused_write_appends_no_event(operation, world):  # noqa: F811
    has_body = "requestBody" in schema_operations()[operation]
    refused = [(role, status) for role, status in zip(ROLES, MATRIX[operation], strict=True) if status in REFUSED]
    appended = {}
    for role, status in refused:
        actor = world.actors[role]
        head = _head()

        response = send(
            actor, operation, home_url(operation[1], world, actor.user or world.coop_admin), {} if has_body else None
        )

        assert response.status_code == status, (role, response.content[:300])
        appended[role] = list(AuditEvent.objects.filter(seq__gt=head).values_list("action", flat=True))
    assert appended == {role: [] for role, _status in refused}


def test_a_wrong_password_is_the_one_refusal_recorded(anon, buyer):
    head = _head()

    response = anon.post("/api/v1/auth/login/", {"email": buyer.user.email, "password": "adivina"}, format="json")

    assert response.status_code == 401
    assert list(AuditEvent.objects.filter(seq__gt=head).values_list("action", "data")) == [
        ("accounts.login.failed", {"email": buyer.user.email})
    ]
