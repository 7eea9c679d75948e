"""Deposits in tests: a signed contract to pay, a fake Stripe gateway for our own logic, signed webhook
deliveries through the real endpoint. The flow end to end runs against localstripe (test_deposits_localstripe)."""

from __future__ import annotations

import importlib
import itertools
import threading
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.test import Client

from compliance.models import Policy, ReviewReason
from diligence.models import RedFlagCategory
from payments.errors import PaymentProviderUnavailable, PaymentRequestInvalid
from payments.gateway import Intent, Refund
from reports.models import ReportPolicy
from tests.localstripe_server import WEBHOOK_PATH, WEBHOOK_SECRET
from tests.payments.conftest import sign, stripe_event
from tests.trade.helpers import CONTRACTS, ask, ok, start

# 300 g at 920 per mille = 276 fine grams at USD 98.00 a fine gram: the gold is worth USD 27,048.00.
CONTRACT_VALUE_MINOR = 2704800
FIXED_PRICE = {
    "price_basis": "fixed",
    "price_per_fine_gram": {"amount_minor": 9800, "currency": "USD"},
    "lbma_adjustment_percent": None,
    "premium_per_kg_fine_minor": 0,
    "deposit_percent": "10.00",
}
TEN_PERCENT_MINOR = 270480


def deposit_url(contract: dict[str, Any]) -> str:
    return f"{CONTRACTS}{contract['id']}/deposit/"


def refund_url(deposit_id: Any) -> str:
    return f"/api/v1/deposits/{deposit_id}/refund/"


def release_url(deposit_id: Any) -> str:
    return f"/api/v1/deposits/{deposit_id}/release/"


def signed_contract(trade: Any, buyer: Any, producer_admin: Any, **terms: Any) -> dict[str, Any]:
    """The buyer asks, the cooperative proposes (a fixed price and a 10 % deposit unless told), the buyer signs."""
    contract = start(producer_admin, ask(buyer, trade.listing), trade.site, **(FIXED_PRICE | terms))
    return ok(buyer.post(f"{CONTRACTS}{contract['id']}/accept/", {"version": 1}, format="json"))


def deliver_event(event_type: str, intent_id: str, event_id: str | None = None) -> Any:
    """POST a signed event to the webhook, as Stripe does (each call with its own client: threads may call it)."""
    body = stripe_event(event_type, event_id=event_id, object_id=intent_id)
    return Client().post(WEBHOOK_PATH, data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=sign(body))


def reseed_catalogue() -> None:
    """A transactional test starts from a flushed database: put back the catalogue the migrations seed (0002,
    0005's environmental certification per site, 0006's production declarations per site and month, 0011's KYC
    policy and owners declaration, 0013's Fairtrade Ecological claim, 0015's reviewers' common reasons), the
    certified standards' figures, the mass-balance policy, the red-flag categories and the impact report's
    policy."""
    if not Policy.objects.exists():
        # The migrations' own models (no custom `save()`): today's models refuse a policy version or deadline
        # that takes effect before today, which is what a seed of the catalogue in force has to write.
        apps = MigrationLoader(connection).project_state().apps
        importlib.import_module("compliance.migrations.0002_seed_catalogue").seed_catalogue(apps, None)
        importlib.import_module("compliance.migrations.0005_env_cert_per_site").forwards(apps, None)
        declarations = importlib.import_module("compliance.migrations.0006_production_declarations")
        declarations.production_declarations_per_site(apps, None)
        importlib.import_module("compliance.migrations.0008_seed_basis_deadlines").seed(apps, None)
        importlib.import_module("compliance.migrations.0011_seed_kyc_policy_and_owners").seed(apps, None)
        importlib.import_module("compliance.migrations.0012_owners_declaration_basis").seed(apps, None)
        importlib.import_module("provenance.migrations.0002_seed_mass_balance_policy").seed(apps, None)
        importlib.import_module("compliance.migrations.0013_fairtrade_ecological_claim").seed(apps, None)
        importlib.import_module("prices.migrations.0002_seed_certification_terms").seed(apps, None)
    if not ReviewReason.objects.exists():
        importlib.import_module("compliance.migrations.0015_seed_review_reasons").seed(
            MigrationLoader(connection).project_state().apps, None
        )
    if not RedFlagCategory.objects.exists():
        importlib.import_module("diligence.migrations.0002_seed_categories").seed(
            MigrationLoader(connection).project_state().apps, None
        )
    if not ReportPolicy.objects.exists():
        importlib.import_module("reports.migrations.0002_seed_report_policy").seed(
            MigrationLoader(connection).project_state().apps, None
        )


@dataclass
class FakeStripe:
    """The gateway's operations over a dict of intents, recording each call. `down` makes every call fail as
    an unreachable Stripe does."""

    intents: dict[str, Intent] = field(default_factory=dict)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    refunds: list[Refund] = field(default_factory=list)
    down: bool = False
    _ids: Any = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _call(self, name: str, **arguments: Any) -> None:
        with self._lock:
            self.calls.append((name, arguments))
        if self.down:
            raise PaymentProviderUnavailable()

    def calls_of(self, name: str) -> list[dict[str, Any]]:
        return [arguments for called, arguments in self.calls if called == name]

    def create_payment_intent(self, *, amount_minor: int, currency: str, idempotency_key: str, metadata: Any) -> Intent:
        self._call("create", amount_minor=amount_minor, currency=currency, key=idempotency_key, metadata=dict(metadata))
        with self._lock:
            intent_id = f"pi_fake{next(self._ids)}"
            intent = Intent(
                id=intent_id,
                status="requires_payment_method",
                amount=amount_minor,
                amount_received=0,
                currency=currency,
                client_secret=f"{intent_id}_secret_fake",
                metadata=dict(metadata),
            )
            self.intents[intent_id] = intent
        return intent

    def retrieve_payment_intent(self, intent_id: str) -> Intent:
        self._call("retrieve", intent_id=intent_id)
        return self.intents[intent_id]

    def cancel_payment_intent(self, intent_id: str) -> Intent:
        self._call("cancel", intent_id=intent_id)
        intent = self.intents[intent_id]
        if intent.status in ("succeeded", "canceled"):
            raise PaymentRequestInvalid(provider_code="payment_intent_unexpected_state")
        return self.set(intent_id, "canceled")

    def refund(self, *, payment_intent_id: str, amount_minor: int | None, idempotency_key: str) -> Refund:
        self._call("refund", intent_id=payment_intent_id, amount_minor=amount_minor, key=idempotency_key)
        intent = self.intents[payment_intent_id]
        if intent.status != "succeeded":
            raise PaymentRequestInvalid(provider_code="charge_not_paid")
        refund = Refund(
            id=f"re_fake{next(self._ids)}",
            status="succeeded",
            amount=amount_minor or intent.amount,
            currency=intent.currency,
            payment_intent_id=payment_intent_id,
        )
        self.refunds.append(refund)
        return refund

    def set(self, intent_id: str, status: str, error: str | None = None) -> Intent:
        """What the buyer's browser or Stripe did to the intent meanwhile."""
        with self._lock:
            intent = self.intents[intent_id]
            received = intent.amount if status == "succeeded" else 0
            self.intents[intent_id] = replace(intent, status=status, amount_received=received, last_payment_error=error)
            return self.intents[intent_id]


@pytest.fixture
def fake_stripe(settings: Any, monkeypatch: pytest.MonkeyPatch) -> FakeStripe:
    """Stripe configured, and every gateway call of the deposit logic answered by a FakeStripe."""
    fake = FakeStripe()
    settings.STRIPE_SECRET_KEY = "sk_test_fake"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.PAYMENTS_EVENT_HANDLER = "trade.deposits.stripe_sync.handle_payment_event"
    monkeypatch.setattr("payments.gateway._gateway_for", lambda *configuration: fake)
    return fake
