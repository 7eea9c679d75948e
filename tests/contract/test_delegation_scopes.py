"""Deny by default: what a delegate (a support organisation's field officer acting for a producer) may call.

One permission keeps delegates in scope (core.permissions.DelegatesInScope): every permission of the project
derives from it, and a view opens an operation to a scope by declaring it (`delegable`). These tests walk
every operation of the API, as the schema generator sees them:

- every view's permissions derive from `DelegatesInScope` (a view that used DRF's own `AllowAny` would let a
  delegate through unchecked);
- the operations each scope opens are exactly those listed here, so nothing becomes delegable by accident: a
  new declaration fails this test until it is added to DELEGABLE (and to docs/delegation.md).

The permission matrix (tests/contract/test_permission_matrix.py, columns `delegate_evidence` and
`delegate_sites`) shows what each of them answers.
"""

from __future__ import annotations

import functools
from types import SimpleNamespace
from typing import Any

from drf_spectacular.generators import SchemaGenerator

from core.permissions import DelegatesInScope, delegable_scope

DELEGABLE: dict[str, set[tuple[str, str]]] = {
    "evidence": {
        # the producer's evidence: read, upload (an upload submits the item for review), download its files
        ("GET", "/api/v1/evidence/"),
        ("POST", "/api/v1/evidence/"),
        ("GET", "/api/v1/evidence/{id}/"),
        ("GET", "/api/v1/evidence/{id}/files/{position}/"),
        # what to upload: the producer's standing, requirement by requirement, and the catalogue
        ("GET", "/api/v1/producers/{producer_pk}/compliance/"),
        ("GET", "/api/v1/requirements/"),
        ("GET", "/api/v1/requirements/{code}/"),
        ("GET", "/api/v1/evidence-types/"),
        ("GET", "/api/v1/evidence-types/{code}/"),
    },
    "sites": {
        # the producer's sites and their locations: read, add, correct (a reviewer decides on them)
        ("GET", "/api/v1/producers/{producer_pk}/sites/"),
        ("POST", "/api/v1/producers/{producer_pk}/sites/"),
        ("GET", "/api/v1/producers/{producer_pk}/sites/{id}/"),
        ("PATCH", "/api/v1/producers/{producer_pk}/sites/{id}/"),
    },
}


@functools.cache
def operations() -> list[tuple[str, str, Any]]:
    """(method, path, view) of every operation, each view set up for its action as a request would be."""
    generator = SchemaGenerator()
    generator._initialise_endpoints()
    found = []
    for path, _regex, method, view in generator._get_paths_and_endpoints():
        if path.startswith("/api/v1/"):
            view.request = SimpleNamespace(method=method)
            found.append((method, path, view))
    return found


def test_every_operation_is_walked():
    methods_and_paths = {(method, path) for method, path, _view in operations()}

    assert len(methods_and_paths) == len(operations()) > 150
    assert {op for ops in DELEGABLE.values() for op in ops} <= methods_and_paths


def test_every_view_keeps_delegates_in_scope():
    outside = sorted(
        f"{method} {path}: {type(permission).__name__}"
        for method, path, view in operations()
        for permission in view.get_permissions()
        if not isinstance(permission, DelegatesInScope)
    )

    assert outside == [], "use the permissions of core.permissions: they keep delegates in their scopes"


def test_each_scope_opens_exactly_the_operations_listed():
    declared: dict[str, set[tuple[str, str]]] = {}
    for method, path, view in operations():
        scope = delegable_scope(view)
        if scope is not None:
            declared.setdefault(scope, set()).add((method, path))

    assert declared == DELEGABLE


def test_no_payment_contract_listing_or_member_operation_is_delegable():
    never = ("/api/v1/contracts/", "/api/v1/deposits/", "/api/v1/payments/", "/api/v1/listings/", "/api/v1/lots/")
    never += ("/api/v1/inquiries/", "/api/v1/pack-requests/", "/api/v1/webhook", "/api/v1/organizations/")
    never += ("/api/v1/delegations/", "/api/v1/auth/", "/api/v1/audit-events/", "/api/v1/invitations/")
    delegable = {path for ops in DELEGABLE.values() for _method, path in ops}

    assert [path for path in delegable if path.startswith(never) or "/members/" in path or "/pack" in path] == []
