"""The buyer pays a deposit: the deposit row, then its PaymentIntent, created by exactly one request."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.actor import Actor
from core.errors import Conflict, PermissionDenied
from payments.errors import PaymentProviderUnavailable, PaymentRequestInvalid, PaymentsNotConfigured
from payments.gateway import Intent, gateway, payments_configured
from trade.deposits._shared import INTENT_CLAIM_LEASE, audit_deposit, money_text, move_deposit, reload_deposit
from trade.models import (
    DEPOSIT_ACTIVE_STATES,
    Contract,
    ContractState,
    Deposit,
    DepositStatus,
    Side,
)
from trade.terms import fixed_value_minor

logger = logging.getLogger(__name__)


# What a second request for the same deposit tells its client to wait while the first one is at Stripe (a
# create answers in well under a second; the gateway's timeout bounds the worst case).
INTENT_RETRY_AFTER_SECONDS = 1


class DepositInProgress(Conflict):
    """Another request is creating this deposit's payment at Stripe right now: the client retries after
    `Retry-After` seconds and gets the same deposit and payment. Answered at once: a request never waits for
    another one (it would hold a worker, and poll the database, for as long as Stripe takes)."""

    code = "deposit_in_progress"
    default_detail = gettext_lazy(
        "Another request is preparing the payment of this deposit right now. Try again in a moment."
    )

    def __init__(self, detail: Any = None, *, retry_after: int = INTENT_RETRY_AFTER_SECONDS) -> None:
        super().__init__(detail, extra={"retry_after": retry_after})


@dataclass(frozen=True)
class DepositStarted:
    deposit: Deposit
    client_secret: str | None  # for the buyer's browser (Stripe.js) to confirm the card payment
    created: bool  # a new deposit (201) or the contract's active one (200)


def deposit_amount_for(contract: Contract) -> tuple[int, str]:
    """The deposit the signed terms ask for, in minor units of their currency. Raises Conflict when none can
    be charged: no deposit agreed, a percentage of a value not known yet (LBMA), more than the gold is worth."""
    version = contract.signed_version
    assert version is not None
    value = fixed_value_minor(
        {
            "price_basis": version.price_basis,
            "price_per_fine_gram_minor": version.price_per_fine_gram_minor,
            "quantity_grams": version.quantity_grams,
            "fineness": version.fineness,
            "currency": version.currency,
            "premium_per_kg_fine_minor": version.premium_per_kg_fine_minor,
            "premium_currency": version.premium_currency,
        }
    )
    if version.deposit_amount_minor is not None:
        amount = version.deposit_amount_minor
    else:
        assert version.deposit_percent_bp is not None
        if version.deposit_percent_bp == 0:
            amount = 0
        elif value is None:
            raise Conflict(
                _(
                    "The deposit is a percentage of a price set by the LBMA fix, which is not known yet. Agree a "
                    "fixed deposit amount in the terms."
                ),
                code="deposit_value_unknown",
            )
        else:
            exact = Decimal(value) * version.deposit_percent_bp / Decimal(10000)
            amount = int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    if amount <= 0:
        raise Conflict(_("The signed terms ask for no deposit."), code="no_deposit_agreed")
    if value is not None and amount > value:
        raise Conflict(
            _("The deposit (%(deposit)s) is more than the contract is worth (%(value)s).")
            % {"deposit": money_text(amount, version.currency), "value": money_text(value, version.currency)},
            code="deposit_above_contract_value",
        )
    return amount, version.currency


# --- Creating a deposit and its PaymentIntent -------------------------------------------------------
def require_buyer_admin(actor: Actor, contract: Contract) -> None:
    if contract.side_of(actor.organization_id) != Side.BUYER:
        raise PermissionDenied(_("The buyer pays the deposit."), code="not_buyer_side")
    if not actor.is_org_admin:
        raise PermissionDenied(_("Only an administrator of your organisation pays a deposit."), code="not_admin")


def deposit_start(*, actor: Actor, contract: Contract) -> DepositStarted:
    """The buyer's admin asks to pay the deposit of a signed contract: the deposit row is committed (or the
    active one found), then its PaymentIntent created at Stripe (or read back), and its client secret given.

    Raises 503 `payments_not_configured` (nothing stored) without Stripe, 503 `payment_provider_unavailable`
    when Stripe cannot be reached (the deposit stays, waiting for its intent: a retry or `reconcile_deposits`
    creates it with the same idempotency key)."""
    require_buyer_admin(actor, contract)
    if not payments_configured():
        raise PaymentsNotConfigured()
    deposit, created = _deposit_row(actor=actor, contract=contract)
    intent = _ensure_intent(deposit)
    return DepositStarted(deposit=reload_deposit(deposit.pk), client_secret=intent.client_secret, created=created)


def _deposit_row(*, actor: Actor, contract: Contract) -> tuple[Deposit, bool]:
    try:
        with transaction.atomic():
            locked = Contract.objects.select_for_update().get(pk=contract.pk)
            if locked.state != ContractState.SIGNED:
                raise Conflict(
                    _("A deposit is paid on a signed contract; this one is %(state)s.")
                    % {"state": ContractState(locked.state).label},
                    code="contract_not_signed",
                )
            active = Deposit.objects.filter(contract=locked, status__in=DEPOSIT_ACTIVE_STATES).first()
            if active is not None:
                return active, False
            failed = Deposit.objects.filter(contract=locked, status=DepositStatus.FAILED).order_by("-created_at")
            retry = failed.filter(provider_intent_id__isnull=False).first()
            if retry is not None and move_deposit(retry, DepositStatus.REQUIRES_PAYMENT):
                # A declined card: the buyer tries another card on the same intent, as Stripe intends.
                retry = reload_deposit(retry.pk)
                audit_deposit(retry, "payment_retried", actor=actor, data={"from": "failed", "to": "requires_payment"})
                return retry, False
            amount, currency = deposit_amount_for(locked)
            deposit = Deposit(contract=locked, amount_minor=amount, currency=currency, created_by=actor.user)
            deposit.idempotency_key = f"deposit:{deposit.pk}:create"
            deposit.save(force_insert=True)
            deposit = reload_deposit(deposit.pk)
            audit_deposit(deposit, "created", actor=actor, data={"amount_minor": amount, "currency": currency})
            return deposit, True
    except IntegrityError:
        # Another request inserted the contract's active deposit between our read and our insert (the
        # partial unique constraint): use it.
        active = Deposit.objects.filter(contract=contract, status__in=DEPOSIT_ACTIVE_STATES).first()
        if active is None:
            raise
        return active, False


def intent_claim(deposit: Deposit) -> bool:
    now = timezone.now()
    return (
        Deposit.objects.filter(
            Q(intent_claimed_at__isnull=True) | Q(intent_claimed_at__lt=now - INTENT_CLAIM_LEASE),
            pk=deposit.pk,
            status=DepositStatus.REQUIRES_PAYMENT,
            provider_intent_id__isnull=True,
        ).update(intent_claimed_at=now, updated_at=now)
        == 1
    )


def _ensure_intent(deposit: Deposit) -> Intent:
    """The deposit's PaymentIntent: read back if stored, else created by exactly one request."""
    if deposit.provider_intent_id:
        return gateway().retrieve_payment_intent(deposit.provider_intent_id)
    if intent_claim(deposit):
        return intent_create(deposit)
    # Another request holds the claim. It may have stored the intent since our read: then answer it.
    intent_id = Deposit.objects.filter(pk=deposit.pk).values_list("provider_intent_id", flat=True).first()
    if intent_id:
        return gateway().retrieve_payment_intent(intent_id)
    raise DepositInProgress()


def intent_create(deposit: Deposit) -> Intent:
    """Call Stripe under our claim, with the stored idempotency key; store the id with a compare-and-set."""
    try:
        intent = gateway().create_payment_intent(
            amount_minor=deposit.amount_minor,
            currency=deposit.currency,
            idempotency_key=deposit.idempotency_key,
            metadata={"deposit": str(deposit.pk), "contract": str(deposit.contract_id)},
        )
    except Exception:
        # Give the claim back at once: the next request (or reconcile_deposits) retries with the same key.
        Deposit.objects.filter(pk=deposit.pk, provider_intent_id__isnull=True).update(intent_claimed_at=None)
        raise
    stored = Deposit.objects.filter(
        pk=deposit.pk, provider_intent_id__isnull=True, status=DepositStatus.REQUIRES_PAYMENT
    ).update(provider_intent_id=intent.id, updated_at=timezone.now())
    if stored:
        return intent
    current = Deposit.objects.get(pk=deposit.pk)
    if current.provider_intent_id == intent.id:
        return intent
    # Our claim lapsed and another request stored its intent, or the deposit was cancelled meanwhile: ours
    # must never be paid.
    _cancel_intent_quietly(intent.id)
    if current.provider_intent_id and current.status in DEPOSIT_ACTIVE_STATES:
        return gateway().retrieve_payment_intent(current.provider_intent_id)
    raise Conflict(_("This deposit was cancelled."), code="deposit_cancelled")


def _cancel_intent_quietly(intent_id: str) -> None:
    try:
        gateway().cancel_payment_intent(intent_id)
    except (PaymentProviderUnavailable, PaymentRequestInvalid, PaymentsNotConfigured):
        logger.warning("Could not cancel the orphan PaymentIntent %s", intent_id, exc_info=True)
