"""The committed schema as a contract, checked by Schemathesis: every operation × every role, in-process.

Schemathesis reads openapi/schema.yaml and, for each operation, generates requests from it (valid ones and
deliberately invalid ones: wrong types, missing fields, odd query parameters and headers). Each request goes
to the Django WSGI application in this process (no server, no network), as one of five roles: anonymous,
buyer admin, producer admin, reviewer, staff. The world is the permission matrix's (tests/contract/
test_permission_matrix.py): real organisations, a verified producer with a site, a member miner, evidence with
a PDF, a listing, a sourcing request, an inquiry, a contract and a deposit. Hypothesis chooses, per example,
whether the ids in the path are generated or those of the world's real objects (the matrix's HOME), so the
requests reach the views' real work and not only their 404.

Both generated phases run: coverage (boundary values and missing parts, valid and invalid) and fuzzing. Each
response is checked for:
- no server error (5xx);
- a status code the schema documents for that operation;
- a content type, headers and a body that conform to the schema for that status;
- no authentication ignored: for a role with a token, a 2xx answer makes Schemathesis send the same request
  without the token and with an invalid one, and either must be refused (401/403).

`make test-thorough` (SCHEMATHESIS_THOROUGH=1, its default; also in CI) adds every other check Schemathesis has:
data the schema calls invalid is refused (4xx); data it calls valid is accepted (not 400, except for the rules a
JSON schema cannot state, each with a code of its own (see SCHEMA_CODES): ids that do not exist, check digits,
rules between fields, a file's real content); a missing required header is refused; a method the schema does not
list answers 405 with `Allow`; a deleted resource is gone; a resource just created is there. It also runs the
stateful phase for each role with a token: Schemathesis' state machine follows the schema's links
(openapi/links.py) from a create to the reads and moves on what it created (evidence, listings, inquiries,
contracts, deposits), up to SCHEMATHESIS_STATEFUL_STEPS (10) calls per scenario, SCHEMATHESIS_EXAMPLES scenarios
per role.

Every example (and every stateful scenario) runs in a savepoint that is rolled back, with a cleared cache:
examples do not see each other's writes (a logout would otherwise revoke the token of the next hundred
examples) and throttle counters never turn the run into 429s. The throttle rates are also raised for the whole test.

How many examples: SCHEMATHESIS_EXAMPLES per operation and role, 5 by default (the quick pass of `make test`),
100 for `make test-thorough`. Runs are derandomized (the same examples each run, a seed derived from the
test's name) and use no Hypothesis example database, so nothing is written into the work tree; set
SCHEMATHESIS_DERANDOMIZE=0 to explore new examples locally (a failure prints how to reproduce it).
"""

from __future__ import annotations

import json
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
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import (
    allow_header_conformance,
    content_type_conformance,
    ensure_resource_availability,
    ignored_auth,
    missing_required_header,
    negative_data_rejection,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
    use_after_free,
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
THOROUGH = os.environ.get("SCHEMATHESIS_THOROUGH", "0") == "1"
ROLES = ("anonymous", "buyer_admin", "producer_admin", "reviewer", "staff")
AUTHENTICATED_ROLES = ROLES[1:]

schema = schemathesis.openapi.from_path(SCHEMA_FILE)
schema.app = WSGIHandler()  # requests go to Django in this process
schema.config.update(base_url="http://localhost")  # localhost is in ALLOWED_HOSTS
# Both generated phases, with valid and invalid data: the coverage phase's boundary and missing-part cases, then
# Hypothesis' fuzzing. Explicit, so a change of Schemathesis' defaults does not quietly narrow the run. The
# examples phase (the schema's own examples, sent as they are) is left out: Schemathesis cannot combine it with
# this test's `@schema.given()`, which draws the world's real ids, and the other phases generate valid and invalid
# data of their own for every operation.
schema.config.phases.update(phases=["coverage", "fuzzing", "stateful"])

# Does each answer keep the schema?
CONFORMANCE = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    ignored_auth,
]
# The error codes of what a JSON schema states: a type, a format, a length, a bound, a choice, a required part. A 400
# to schema-valid data that names one of these is a disagreement between the schema and the server. Every other
# code names a rule the schema cannot state (an id that does not exist or is not the caller's, a check digit, a
# rule between two fields, a place on the map, today's date, a file's real content) and each has a code of its
# own, so that such a 400 is the server's right answer and not a disagreement. A field the server requires only in
# some cases says so in its code (`required_by_price_basis`, `required_for_individual`...), never with `required`,
# which is the schema's word.
SCHEMA_CODES = frozenset(
    {
        "required",
        "null",
        "blank",
        "invalid",
        "invalid_choice",
        "not_a_list",
        "empty",
        "max_length",
        "min_length",
        "max_value",
        "min_value",
        "max_digits",
        "max_decimal_places",
        "max_whole_digits",
        "max_string_length",
        "date",
        "datetime",
        "overflow",
        "not_a_dict",
        "invalid_page_size",
        "invalid_organization_header",
        "malformed_request",
        "parse_error",
    }
)


def _forgiven(problem: dict[str, Any]) -> bool:
    errors = problem.get("errors") or [{"code": problem.get("code"), "field": None}]
    return all(error.get("code") not in SCHEMA_CODES for error in errors)


def valid_data_is_accepted(ctx: Any, response: Any, case: Any) -> bool | None:
    """Schemathesis' positive data acceptance, forgiving a 400 that only names the rules above."""
    if response.status_code == 400 and _forgiven(json.loads(response.content or b"{}")):
        return None
    return positive_data_acceptance(ctx, response, case)


# Does the server agree with the schema about what is valid, and about which resources exist?
STRICT = [
    negative_data_rejection,
    valid_data_is_accepted,
    missing_required_header,
    unsupported_method,
    allow_header_conformance,
    use_after_free,
    ensure_resource_availability,
]
CHECKS = CONFORMANCE + STRICT if THOROUGH else CONFORMANCE
STATEFUL_STEPS = int(os.environ.get("SCHEMATHESIS_STATEFUL_STEPS", "10"))


# Schemathesis asks for gzip, as the HTTP library it is built on does, but its in-process WSGI transport hands the
# body over as sent, still compressed, where that library would decode it. The answers are asked for uncompressed:
# compression is transparent to the schema, and tests/core/test_http_caching.py checks it.
PLAIN = {"Accept-Encoding": "identity"}


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
    headers = PLAIN | ({"Authorization": f"Token {tokens[role]}"} if role in tokens else {})
    path = case.operation.path
    # A case that is invalid in its path keeps its path: the server must refuse it as generated.
    path_is_valid = case.meta is None or not case.meta.is_negative_at(ParameterLocation.PATH)
    if "{" in path and path_is_valid and data.draw(st.booleans(), label="ids of the world's real objects"):
        home = HOME[path](world, actor.user or world.coop_admin)
        case.path_parameters = {**case.path_parameters, **{name: str(value) for name, value in home.items()}}
    cache.clear()
    with transaction.atomic():
        case.call_and_validate(headers=headers, checks=CHECKS)
        transaction.set_rollback(True)


@pytest.mark.skipif(not THOROUGH, reason="the stateful run belongs to the thorough run: make test-thorough")
@pytest.mark.django_db
@pytest.mark.parametrize("role", AUTHENTICATED_ROLES)
def test_the_journeys_keep_the_schema(role: str, world: World, tokens: dict[str, str]) -> None:
    """Schemathesis' state machine follows the schema's links (create → read → act) as one role: a step's answer
    fills the next step's ids, so the later steps of a journey act on what the earlier ones created."""
    headers = PLAIN | {"Authorization": f"Token {tokens[role]}"}

    class Journeys(schema.as_state_machine()):  # type: ignore[misc]
        def setup(self) -> None:
            # Each scenario starts from the world and leaves it as it found it, like one example above.
            cache.clear()
            self.savepoint = transaction.atomic()
            self.savepoint.__enter__()

        def teardown(self) -> None:
            transaction.set_rollback(True)
            self.savepoint.__exit__(None, None, None)

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": headers}

        def validate_response(self, response: Any, case: Any, additional_checks: Any = None, **kwargs: Any) -> None:
            case.validate_response(
                response, checks=CHECKS, headers=headers, transport_kwargs=kwargs, recorder=self.recorder
            )

    Journeys.run(
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=STATEFUL_STEPS,
            deadline=None,
            derandomize=DERANDOMIZE,
            database=None,
            print_blob=True,
            suppress_health_check=list(HealthCheck),
        )
    )
