"""Limits through the HTTP API: every throttle scope answers 429 with `Retry-After` and a problem body and changes
nothing; every list of the committed schema refuses a page size over the bound; JSON bodies over the limit are
413 with nothing stored; throttles count in the shared cache, and let requests through when it is down."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.conf import settings
from django.core.cache import caches
from django.test import override_settings
from knox.models import AuthToken

from accounts.models import Invitation, Organization, User
from audit.models import AuditEvent
from compliance.models import Evidence
from core.throttling import LoginFailuresPerAccount
from listings.models import Listing
from tests.compliance.helpers import pdf_upload
from tests.core.test_health import UNREACHABLE_REDIS
from tests.factories import PASSWORD
from tests.listings.test_sourcing import make_request
from tests.problems import assert_problem
from tests.trade.deposit_helpers import FIXED_PRICE, deposit_url, fake_stripe, signed_contract  # noqa: F401
from tests.trade.helpers import CONTRACTS, INQUIRIES, Trade, ask, make_compliant_producer, make_listing, start, terms
from tests.trade.helpers import verify_kyc as kyc_verify
from trade.models import ContractVersion, Inquiry, InquiryMessage
from webhooks.models import WebhookEndpoint

pytestmark = pytest.mark.django_db

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "openapi" / "schema.yaml"
OPERATIONS = yaml.safe_load(SCHEMA_FILE.read_text())["paths"]


@pytest.fixture
def trade(producer_admin, buyer, coop) -> Trade:
    """coop compliant with a visible 500 g listing; the buyer's refiner KYC-verified."""
    producer, site = make_compliant_producer(coop)
    listing = make_listing(producer, site)
    kyc_verify(buyer.organization)
    return Trade(producer=producer, site=site, listing=listing)


def assert_throttled(response: Any, at_most: int) -> dict[str, Any]:
    body = assert_problem(response, 429, "throttled")
    wait = int(response["Retry-After"])
    assert 1 <= wait <= at_most
    assert body["retry_after"] == wait
    assert str(wait) in body["detail"]
    return body


# --- Every throttle scope -----------------------------------------------------------------------------------
@dataclass
class Scope:
    """`attempt(n)` makes the n-th request of the scope; `stored()` counts what such requests create."""

    attempt: Callable[[int], Any]
    stored: Callable[[], Any]


def anon_scope(request: Any) -> Scope:
    anon = request.getfixturevalue("anon")
    return Scope(attempt=lambda n: anon.get("/api/v1/listings/"), stored=lambda: None)


def user_scope(request: Any) -> Scope:
    buyer = request.getfixturevalue("buyer")
    return Scope(attempt=lambda n: buyer.get("/api/v1/me/"), stored=lambda: None)


def signup_scope(request: Any) -> Scope:
    anon = request.getfixturevalue("anon")

    def attempt(n: int) -> Any:
        body = {
            "email": f"compras{n}@refineria.example",
            "password": "Refinar-oro-limpio-7",
            "full_name": "Anna Keller",
            "organization": {"legal_name": f"Refinería {n} SA", "country": "CH", "buyer_type": "refiner"},
        }
        return anon.post("/api/v1/auth/signup/", body, format="json")

    return Scope(attempt=attempt, stored=lambda: (User.objects.count(), Organization.objects.count()))


def login_scope(request: Any) -> Scope:
    anon, buyer = request.getfixturevalue("anon"), request.getfixturevalue("buyer")
    body = {"email": buyer.user.email, "password": PASSWORD}
    return Scope(
        attempt=lambda n: anon.post("/api/v1/auth/login/", body, format="json"), stored=AuthToken.objects.count
    )


def login_account_scope(request: Any) -> Scope:
    """Failed logins per account, each from another client address; then the right password is refused too."""
    anon, buyer = request.getfixturevalue("anon"), request.getfixturevalue("buyer")
    # Its windows are fixed: a clock at the start of one keeps the three attempts in the same window.
    request.getfixturevalue("monkeypatch").setattr(LoginFailuresPerAccount, "timer", staticmethod(lambda: 3600.0 * 9))

    def attempt(n: int) -> Any:
        password = PASSWORD if n == 2 else f"guess-{n}"
        body = {"email": buyer.user.email, "password": password}
        return anon.post("/api/v1/auth/login/", body, format="json", REMOTE_ADDR=f"203.0.113.{n + 1}")

    return Scope(attempt=attempt, stored=AuthToken.objects.count)


def invitations_scope(request: Any) -> Scope:
    buyer = request.getfixturevalue("buyer")

    def attempt(n: int) -> Any:
        return buyer.post("/api/v1/invitations/", {"email": f"socia{n}@refineria.example"}, format="json")

    return Scope(attempt=attempt, stored=Invitation.objects.count)


def uploads_scope(request: Any) -> Scope:
    buyer = request.getfixturevalue("buyer")

    def attempt(n: int) -> Any:
        data = {"evidence_type": "KYC_COMPANY_REG", "issue_date": "2026-01-05", "files": [pdf_upload(f"kyc-{n}.pdf")]}
        return buyer.post("/api/v1/evidence/", data, format="multipart")

    return Scope(attempt=attempt, stored=Evidence.objects.count)


def inquiries_scope(request: Any) -> Scope:
    """New inquiries and messages in a thread share the budget: both notify the other side's people."""
    buyer, trade = request.getfixturevalue("buyer"), request.getfixturevalue("trade")

    def attempt(n: int) -> Any:
        if n == 0:
            body = {"listing": str(trade.listing.pk), "grams": "10", "message": "¿Entregan en mayo?"}
            return buyer.post(INQUIRIES, body, format="json")
        inquiry = Inquiry.objects.get()
        return buyer.post(f"{INQUIRIES}{inquiry.pk}/messages/", {"body": f"¿Y el precio? ({n})"}, format="json")

    return Scope(attempt=attempt, stored=lambda: (Inquiry.objects.count(), InquiryMessage.objects.count()))


def proposals_scope(request: Any) -> Scope:
    """Starting a contract and proposing new terms share the budget: each notifies the other side."""
    buyer, producer_admin = request.getfixturevalue("buyer"), request.getfixturevalue("producer_admin")
    trade = request.getfixturevalue("trade")
    inquiry = ask(buyer, trade.listing)

    def attempt(n: int) -> Any:
        if n == 0:
            return producer_admin.post(CONTRACTS, {"inquiry": inquiry["id"], **terms(trade.site)}, format="json")
        contract = ContractVersion.objects.get(number=1).contract
        body = terms(trade.site, payment_terms=f"Saldo contra entrega ({n}).")
        return producer_admin.post(f"{CONTRACTS}{contract.pk}/propose/", body, format="json")

    return Scope(attempt=attempt, stored=ContractVersion.objects.count)


def deposits_scope(request: Any) -> Scope:
    """Deposit attempts are refused before Stripe is called."""
    buyer, producer_admin = request.getfixturevalue("buyer"), request.getfixturevalue("producer_admin")
    stripe = request.getfixturevalue("fake_stripe")
    contract = signed_contract(request.getfixturevalue("trade"), buyer, producer_admin)
    return Scope(attempt=lambda n: buyer.post(deposit_url(contract)), stored=lambda: list(stripe.calls))


def audit_verify_scope(request: Any) -> Scope:
    """Each verification recomputes many hashes: a reviewer may not run it in a loop."""
    reviewer = request.getfixturevalue("reviewer")
    return Scope(attempt=lambda n: reviewer.get("/api/v1/audit-events/verify/"), stored=lambda: None)


SCOPES: dict[str, Callable[[Any], Scope]] = {
    "anon": anon_scope,
    "user": user_scope,
    "signup": signup_scope,
    "login": login_scope,
    "login_account": login_account_scope,
    "invitations": invitations_scope,
    "uploads": uploads_scope,
    "inquiries": inquiries_scope,
    "proposals": proposals_scope,
    "deposits": deposits_scope,
    "audit_verify": audit_verify_scope,
}


def test_every_configured_scope_is_tested():
    assert set(SCOPES) == set(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"])


@pytest.mark.parametrize("scope", list(SCOPES))
def test_each_scope_answers_429_with_retry_after_and_changes_nothing(scope, request, rates):
    rates(**{scope: "2/hour"})
    limited = SCOPES[scope](request)
    allowed = [limited.attempt(n).status_code for n in range(2)]
    assert allowed == ([401, 401] if scope == "login_account" else [s for s in allowed if s < 400])
    before, audit_before = limited.stored(), AuditEvent.objects.count()

    assert_throttled(limited.attempt(2), at_most=3600)

    assert limited.stored() == before
    assert AuditEvent.objects.count() == audit_before


def test_a_scope_counts_per_user_not_for_everyone(buyer, other_buyer, rates):
    rates(user="1/min")
    buyer.get("/api/v1/me/")

    assert_throttled(buyer.get("/api/v1/me/"), at_most=60)
    assert other_buyer.get("/api/v1/me/").status_code == 200


def test_reading_invitations_does_not_use_up_the_budget_for_sending_them(buyer, rates):
    rates(invitations="1/hour")

    reads = [buyer.get("/api/v1/invitations/").status_code for _ in range(3)]
    sent = buyer.post("/api/v1/invitations/", {"email": "socia@refineria.example"}, format="json")

    assert reads == [200, 200, 200]
    assert sent.status_code == 201, sent.content[:500]


# --- Throttles across processes, and without the cache ------------------------------------------------------
@pytest.fixture
def shared_redis() -> Any:
    """The local Redis, under a key prefix of this test run only (nothing else is read or flushed); skipped
    where no Redis runs, except under CI."""
    prefix = f"test-limits-{uuid.uuid4().hex}"
    config = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:6379/0",
        "KEY_PREFIX": prefix,
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
    with override_settings(CACHES={"default": config}):
        try:
            caches["default"].get("probe")
        except Exception as exc:  # redis.ConnectionError: no Redis on this machine
            if os.environ.get("CI"):  # .ci/run starts Redis: there, a missing one is a failure, not a skip
                raise
            pytest.skip(f"no Redis at 127.0.0.1:6379: {exc}")
        yield caches["default"]


def test_counts_live_in_the_shared_cache_so_another_process_sees_them(buyer, shared_redis, rates):
    rates(user="2/min")
    assert [buyer.get("/api/v1/me/").status_code for _ in range(2)] == [200, 200]

    # A new connection, as another app server would open, finds the two requests and refuses the third.
    caches["default"].close()
    del caches["default"]
    key = f"throttle_user_{buyer.user.pk}"
    assert len(caches["default"].get(key)) == 2
    assert_throttled(buyer.get("/api/v1/me/"), at_most=60)
    caches["default"].delete(key)


def test_every_scope_lets_requests_through_when_the_cache_is_down(anon, buyer, rates, caplog):
    rates(**dict.fromkeys(SCOPES, "1/hour"))

    with override_settings(CACHES=UNREACHABLE_REDIS):
        statuses = [buyer.get("/api/v1/invitations/").status_code for _ in range(2)]
        statuses += [buyer.post("/api/v1/invitations/", {"email": f"s{n}@x.example"}).status_code for n in range(2)]
        statuses += [anon.get("/api/v1/listings/").status_code for _ in range(2)]

    assert statuses == [200, 200, 201, 201, 200, 200]
    assert "Throttle cache unavailable; request let through" in caplog.text


# --- Page sizes on every list -------------------------------------------------------------------------------
LISTS = sorted(
    path
    for path, operations in OPERATIONS.items()
    if any(parameter["name"] == "page_size" for parameter in operations.get("get", {}).get("parameters", []))
)


@pytest.fixture
def world(trade, buyer, producer_admin, reviewer, staff) -> dict[str, Any]:
    """One of everything a list can be nested in, and the actors who may read the lists."""
    inquiry = ask(buyer, trade.listing)
    ids = {
        "inquiry_pk": inquiry["id"],
        "organization_pk": producer_admin.organization.pk,
        "producer_pk": trade.producer.pk,
        "id": trade.listing.pk,  # /listings/{id}/prices/
    }
    request_ids = {**ids, "id": make_request(buyer)["id"]}  # /sourcing-requests/{id}/matches/
    endpoint = WebhookEndpoint.objects.create(  # /webhook-endpoints/{id}/deliveries/
        organization=producer_admin.organization,
        url="https://93.184.216.34/h",
        event_types=["contract.accepted"],
        created_by=producer_admin.user,
    )
    return {
        "ids": ids,
        "request_ids": request_ids,
        "webhook_ids": {**ids, "id": endpoint.pk},
        "actors": [producer_admin, buyer, reviewer, staff],
    }


def test_the_schema_has_lists_to_check():
    assert len(LISTS) >= 10
    assert "/api/v1/listings/" in LISTS


@pytest.mark.parametrize("path", LISTS)
def test_a_page_size_over_the_bound_is_a_400_problem_on_every_list(path, world):
    missing = [name for name in re.findall(r"{(\w+)}", path) if name not in world["ids"]]
    assert not missing, f"give the `world` fixture an id for {missing}"
    ids = {"/api/v1/sourcing-requests/": "request_ids", "/api/v1/webhook-endpoints/": "webhook_ids"}
    url = path.format(**world[next((key for prefix, key in ids.items() if path.startswith(prefix)), "ids")])
    reader = next((actor for actor in world["actors"] if actor.get(f"{url}?page_size=1").status_code == 200), None)
    assert reader is not None, f"no actor of `world` can read {url}"
    bound = settings.PAGE_SIZE_MAX

    ok = reader.get(f"{url}?page_size={bound}")
    refused = [reader.get(f"{url}?page_size={size}") for size in (bound + 1, 10**9, 0, -1, "all")]

    assert ok.status_code == 200
    for response in refused:
        body = assert_problem(response, 400, "invalid_page_size", field="page_size")
        assert str(bound) in body["detail"]


def test_the_page_size_message_is_in_spanish_too(anon):
    response = anon.get("/api/v1/listings/?page_size=500", HTTP_ACCEPT_LANGUAGE="es")

    assert response.status_code == 400
    assert response.json()["detail"] == "page_size debe ser un número entero de 1 a 100."


# --- JSON bodies over the limit -----------------------------------------------------------------------------
LIMIT = 4000
PADDING = "x" * (LIMIT + 1)


def counts() -> tuple[int, ...]:
    return (
        User.objects.count(),
        AuthToken.objects.count(),
        Listing.objects.count(),
        ContractVersion.objects.count(),
        Inquiry.objects.count(),
        AuditEvent.objects.count(),
    )


def oversized_bodies(trade: Trade, buyer: Any, producer_admin: Any, anon: Any) -> dict[str, Callable[[], Any]]:
    inquiry = ask(buyer, trade.listing)
    contract = start(producer_admin, inquiry, trade.site, **FIXED_PRICE)
    offer = {"form": "dore", "quantity_grams": "100", "fineness": "920", "title_es": "Doré", "description_es": PADDING}
    signup = {"email": "big@refineria.example", "password": PADDING, "full_name": "Big", "organization": {}}
    return {
        "signup": lambda: anon.post("/api/v1/auth/signup/", signup, format="json"),
        "login": lambda: anon.post("/api/v1/auth/login/", {"email": buyer.user.email, "password": PADDING}),
        "listing-create": lambda: producer_admin.post("/api/v1/listings/", offer, format="json"),
        "inquiry-create": lambda: buyer.post(
            INQUIRIES, {"listing": str(trade.listing.pk), "grams": "1", "message": PADDING}, format="json"
        ),
        "contract-propose": lambda: buyer.post(
            f"{CONTRACTS}{contract['id']}/propose/", terms(trade.site, payment_terms=PADDING), format="json"
        ),
    }


@pytest.mark.parametrize("kind", ["signup", "login", "listing-create", "inquiry-create", "contract-propose"])
def test_a_json_body_over_the_limit_is_413_and_nothing_is_stored(kind, trade, buyer, producer_admin, anon, settings):
    send = oversized_bodies(trade, buyer, producer_admin, anon)[kind]
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = LIMIT
    before = counts()

    response = send()

    assert_problem(response, 413, "body_too_large")
    assert counts() == before
