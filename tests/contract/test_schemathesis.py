"""The committed schema as a contract, checked by Schemathesis: every operation × every role, in-process.

Schemathesis reads openapi/schema.yaml and, for each operation, generates requests from it (valid ones and
deliberately invalid ones: wrong types, missing fields, odd query parameters and headers). Each request goes
to the Django WSGI application in this process (no server, no network), as one of five roles: anonymous,
buyer admin, producer admin, reviewer, staff. The world is the permission matrix's (tests/contract/
test_permission_matrix.py): real organisations, a verified producer with a site, a member miner, evidence with
a PDF, a listing, a sourcing request, an inquiry, a contract and a deposit. Hypothesis chooses, per example,
whether the ids in the path are generated or those of the world's real objects (the matrix's HOME), so the
requests reach the views' real work and not only their 404.

Each response is checked for:
- no server error (5xx);
- a status code the schema documents for that operation;
- a content type, headers and a body that conform to the schema for that status;
- no authentication ignored: for a role with a token, a 2xx answer makes Schemathesis send the same request
  without the token and with an invalid one, and either must be refused (401/403).

Every example runs in a savepoint that is rolled back, with a cleared cache: examples do not see each
other's writes (a logout would otherwise revoke the token of the next hundred examples) and throttle counters
never turn the run into 429s. The throttle rates are also raised for the whole test.

How many examples: SCHEMATHESIS_EXAMPLES per operation and role, 5 by default (the quick pass of `make test`),
100 for `make test-thorough`. Runs are derandomized (the same examples each run, a seed derived from the
test's name) and use no Hypothesis example database, so nothing is written into the work tree; set
SCHEMATHESIS_DERANDOMIZE=0 to explore new examples locally (a failure prints how to reproduce it).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from knox.models import AuthToken
from rest_framework.throttling import SimpleRateThrottle
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.contract import test_permission_matrix as matrix
from tests.contract.test_permission_matrix import HOME, World

# The matrix's world (and its configured Stripe keys) as fixtures of this module too, shared rather than
# copied, so both suites test the same objects.
world = matrix.world
producer_status = matrix.producer_status
_stripe_configured = matrix._stripe_configured

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "openapi" / "schema.yaml"
EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "5"))
DERANDOMIZE = os.environ.get("SCHEMATHESIS_DERANDOMIZE", "1") != "0"
ROLES = ("anonymous", "buyer_admin", "producer_admin", "reviewer", "staff")
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    ignored_auth,
]

schema = schemathesis.openapi.from_path(SCHEMA_FILE)
schema.app = WSGIHandler()  # requests go to Django in this process
schema.config.update(base_url="http://localhost")  # localhost is in ALLOWED_HOSTS


@pytest.fixture
def tokens(world: World) -> dict[str, str]:
    """A fresh token for each role that has a user (the world's clients keep their own)."""
    return {
        role: AuthToken.objects.create(user=actor.user)[1]
        for role, actor in world.actors.items()
        if actor.user is not None
    }


@pytest.fixture(autouse=True)
def _throttles_out_of_the_way(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Thousands of requests from one client: every scope gets a rate no run reaches. DRF's throttles read
    their rates once, at import, so the class attribute is replaced along with the setting."""
    rates = {scope: "1000000/second" for scope in settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)


@pytest.fixture(autouse=True)
def _keep_the_test_connection() -> Iterator[None]:
    """Django's WSGI handler closes the database connection after each request unless it is reusable, and one
    inside the test's transaction is not: on PostgreSQL that would end the test's transaction. Django's test
    client disconnects the same signal handler around each request; the whole test does here."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@schema.parametrize()
@schema.given(data=st.data())
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=DERANDOMIZE,
    database=None,
    print_blob=True,
    # The world is built once per operation and role; each example rolls its writes back (see below).
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_the_api_keeps_its_schema(case: Any, data: Any, role: str, world: World, tokens: dict[str, str]) -> None:
    actor = world.actors[role]
    headers = {"Authorization": f"Token {tokens[role]}"} if role in tokens else {}
    path = case.operation.path
    if "{" in path and data.draw(st.booleans(), label="ids of the world's real objects"):
        home = HOME[path](world, actor.user or world.coop_admin)
        case.path_parameters = {**case.path_parameters, **{name: str(value) for name, value in home.items()}}
    cache.clear()
    with transaction.atomic():
        case.call_and_validate(headers=headers, checks=CHECKS)
        transaction.set_rollback(True)
