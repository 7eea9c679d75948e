"""Named actors, each an API client with its own token and organisation, as docs/architecture.md describes.

`buyer` (admin of a Swiss refiner), `buyer_member`, `other_buyer`, `producer_admin` (president of a
cooperative), `producer_member`, `other_producer`, `reviewer` (the network), `staff`, `anon`.

Every test that used the database ends with its audit chain verified (`verify_chain`, what
`manage.py verify_audit_chain` runs): whatever a scenario did, it left a trail that proves itself. A test
that breaks the chain on purpose says so with `@pytest.mark.audit_chain_tampered`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.utils import translation
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from accounts.models import Organization, Role, User
from accounts.services import token_issue
from audit.verification import verify_chain
from tests.demo_data import demo_once  # noqa: F401  (fixture: the demo seeded once per module)
from tests.factories import (
    BuyerOrganizationFactory,
    DelegationFactory,
    MembershipFactory,
    OrganizationFactory,
    SupportOrganizationFactory,
    UserFactory,
)

# The fixtures through which a test reaches the database (pytest-django's, and the live server's).
DATABASE_FIXTURES = frozenset(
    {"db", "transactional_db", "django_db_reset_sequences", "django_db_serialized_rollback", "live_server"}
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "audit_chain_tampered: the test breaks the audit chain on purpose; it is not verified after it"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """`@pytest.mark.postgres` tests are skipped, with the reason, when the suite runs on SQLite: the one way to
    mark a test PostgreSQL-only, so that `-m postgres` selects them all. `@pytest.mark.postgres(reason="...")`
    says why in the skip."""
    from django.db import connection

    if connection.vendor == "postgresql":
        return
    for item in items:
        marker = item.get_closest_marker("postgres")
        if marker is not None:
            why = f": {marker.kwargs['reason']}" if "reason" in marker.kwargs else ""
            run_on = f"this run is on {connection.vendor} (set DATABASE_URL)"
            item.add_marker(pytest.mark.skip(reason=f"needs PostgreSQL{why}; {run_on}"))


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Django deletes the SQLite test database's file but not the WAL files beside it: remove those too."""
    from pathlib import Path

    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.sqlite3" or not database.get("TEST", {}).get("NAME"):
        return
    name = Path(database["TEST"]["NAME"])
    for leftover in name.parent.glob(f"{name.name}*"):
        if leftover.name.endswith(("-wal", "-shm")) and not leftover.with_name(leftover.name[:-4]).exists():
            leftover.unlink(missing_ok=True)


def _uses_database(item: pytest.Item) -> bool:
    fixtures = set(getattr(item, "fixturenames", ()))
    return item.get_closest_marker("django_db") is not None or bool(fixtures & DATABASE_FIXTURES)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """After a test that passed and used the database, its audit chain must verify.

    A hook around the test's call rather than a fixture: it runs while the test's database is still there
    (before pytest-django rolls back or flushes it in the fixtures' teardown), whichever way the test asked
    for the database (a marker, `db`, `transactional_db`, `live_server`).
    """
    result = yield
    if _uses_database(item) and item.get_closest_marker("audit_chain_tampered") is None:
        report = verify_chain()
        assert report.ok, f"the audit chain does not verify after this test: #{report.broken_at}: {report.reason}"
    return result


@dataclass
class ActorClient:
    client: APIClient
    user: User | None
    organization: Organization | None

    def __getattr__(self, name: str) -> Any:  # client.get / post / patch / delete...
        return getattr(self.client, name)


def make_client(
    user: User | None = None, organization: Organization | None = None, language: str = "en", *, header: bool = False
) -> ActorClient:
    """A client for the user; `header=True` names `organization` in X-Organization on every request (what a
    delegate does for the producer they act for)."""
    client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
    if user is not None:
        token = token_issue(user=user, device_name="Test client").token  # as a sign-in issues it
        extra = {"HTTP_X_ORGANIZATION": str(organization.pk)} if header and organization is not None else {}
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}", HTTP_ACCEPT_LANGUAGE=language, **extra)
    return ActorClient(client=client, user=user, organization=organization)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    """Production hashes with PBKDF2 (about 0.3 s a password); the tests make hundreds of users."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _private_storage_in_tmp(settings: Any, tmp_path: Any) -> None:
    """Evidence files (and the console's images of PDF pages) of each test go to its own folder (real files)."""
    settings.STORAGES = {
        **settings.STORAGES,
        "evidence": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "evidence"), "base_url": None},
        },
        "previews": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "previews"), "base_url": None},
        },
    }


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Throttle counters live in the cache: each test starts with none."""
    cache.clear()


# What every throttle scope allows in a test that sets rates, unless the test names the scope.
GENEROUS_RATE = "1000/min"


@pytest.fixture
def rates(monkeypatch: pytest.MonkeyPatch) -> Callable[..., dict[str, str]]:
    """`rates(login="2/min")`: this test's throttle rates; every other configured scope gets GENEROUS_RATE.

    DRF reads the rates once, when its throttle module is imported, so overriding settings would not reach
    them: the class attribute is patched, and put back after the test. A scope that is not configured is a
    mistake in the test, and fails it.
    """

    def set_rates(**overrides: str) -> dict[str, str]:
        configured = django_settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
        unknown = sorted(overrides.keys() - configured.keys())
        assert not unknown, f"no throttle scope is named {unknown}"
        chosen = dict.fromkeys(configured, GENEROUS_RATE) | overrides
        monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", chosen)
        return chosen

    return set_rates


@pytest.fixture(autouse=True)
def _catalogue_after_a_flush(request: pytest.FixtureRequest) -> None:
    """A transactional test starts where the last one left the database: Django empties every table after
    each, the catalogue the migrations seed included (policies, deadlines, KYC policy, red-flag categories).
    Services read it (a producer's identity change refreshes its stored verdicts under the policy in force), so
    it is put back first, whatever test of whichever module ran before on this worker."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None or not marker.kwargs.get("transaction"):
        return
    from tests.trade.deposit_helpers import reseed_catalogue

    request.getfixturevalue("transactional_db")
    reseed_catalogue()


@pytest.fixture(autouse=True)
def _default_language_after_each_test() -> Iterator[None]:
    """A request in Spanish leaves Spanish active in the thread that served it (the test's own, with the test
    client): the next test, which may send no request at all, must not inherit it."""
    yield
    translation.deactivate()


@pytest.fixture
def network(db: None) -> Organization:
    return OrganizationFactory(kind=Organization.Kind.NETWORK, legal_name="Red de Mujeres Mineras", tax_id="")


@pytest.fixture
def coop(db: None) -> Organization:
    return OrganizationFactory(legal_name="Cooperativa Mujeres de Oro de Huepetuhe")


@pytest.fixture
def buyer_org(db: None) -> Organization:
    return BuyerOrganizationFactory(legal_name="Helvetia Responsible Refining SA")


def _member(organization: Organization, role: str, email: str) -> ActorClient:
    membership = MembershipFactory(organization=organization, role=role, user=UserFactory(email=email))
    return make_client(membership.user, organization)


@pytest.fixture
def anon(db: None) -> ActorClient:
    return make_client()


@pytest.fixture
def buyer(buyer_org: Organization) -> ActorClient:
    return _member(buyer_org, Role.ADMIN, "buyer@example.test")


@pytest.fixture
def buyer_member(buyer_org: Organization) -> ActorClient:
    return _member(buyer_org, Role.MEMBER, "buyer-member@example.test")


@pytest.fixture
def other_buyer(db: None) -> ActorClient:
    return _member(
        BuyerOrganizationFactory(legal_name="Joyería Lima SAC", country="PE", tax_id="20100070970"),
        Role.ADMIN,
        "other-buyer@example.test",
    )


@pytest.fixture
def producer_admin(coop: Organization) -> ActorClient:
    return _member(coop, Role.ADMIN, "president@example.test")


@pytest.fixture
def producer_member(coop: Organization) -> ActorClient:
    return _member(coop, Role.MEMBER, "socia@example.test")


@pytest.fixture
def other_producer(db: None) -> ActorClient:
    return _member(
        OrganizationFactory(legal_name="Asociación Virgen de la Candelaria"), Role.ADMIN, "other@example.test"
    )


@pytest.fixture
def reviewer(network: Organization) -> ActorClient:
    return _member(network, Role.REVIEWER, "reviewer@example.test")


@pytest.fixture
def support_org(db: None) -> Organization:
    return SupportOrganizationFactory(legal_name="Asociación de Apoyo Minero Sostenible")


@pytest.fixture
def officer(support_org: Organization) -> ActorClient:
    """A field officer of the support organisation, acting for it (their only organisation)."""
    return _member(support_org, Role.MEMBER, "officer@example.test")


@pytest.fixture
def delegate(officer: ActorClient, coop: Organization, producer_admin: ActorClient) -> Callable[..., ActorClient]:
    """`delegate("evidence")`: the officer acting for coop (X-Organization) through a delegation of those scopes
    that coop's admin granted (active; `valid_until` may end it)."""

    def make(*scopes: str, valid_until: Any = None) -> ActorClient:
        assert officer.organization is not None
        DelegationFactory(
            organization=coop,
            officer=officer.user,
            support_organization=officer.organization,
            scope_evidence="evidence" in scopes,
            scope_sites="sites" in scopes,
            valid_until=valid_until,
            granted_by=producer_admin.user,
        )
        return make_client(officer.user, coop, header=True)

    return make


@pytest.fixture
def staff(db: None) -> ActorClient:
    return make_client(UserFactory(email="staff@example.test", is_staff=True, is_superuser=True))


@pytest.fixture
def client_for() -> Callable[..., ActorClient]:
    return make_client
