"""Deposits: the buyer pays part of a signed contract by card; the platform holds it until staff release it
to the producer (outside Stripe: Connect does not pay out to Peru) or it is refunded through Stripe.

The rule everywhere: Stripe is never called inside an open transaction. Each use case commits what it is
about to do (the deposit row with its idempotency key, a claim on creating its intent, a refund reserved on
the deposit), then calls Stripe, then records the outcome with a compare-and-set update. A crash between
the two leaves a row that `reconcile_deposits` finishes with the same idempotency key.

Amounts: a fixed deposit amount is taken as agreed. A percentage needs the contract's value, which is known
only under a fixed price (`trade.terms.fixed_value_minor`); under an LBMA formula the value is known on the
day of the fix, which this API does not record, so a percentage deposit on an LBMA contract is refused (409
`deposit_value_unknown`): the parties agree a fixed deposit amount in the terms instead.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from audit.services import audit_record
from core.actor import Actor
from core.errors import Conflict, NotFound, PermissionDenied, ServiceUnavailable
from notifications.services import notify
from payments.errors import PaymentProviderUnavailable, PaymentRequestInvalid, PaymentsNotConfigured
from payments.gateway import Intent, WebhookEvent, gateway, payments_configured
from trade.models import (
    DEPOSIT_ACTIVE_STATES,
    DEPOSIT_TRANSITIONS,
    Contract,
    ContractState,
    Deposit,
    DepositRefund,
    DepositStatus,
    Side,
)
from trade.terms import fixed_value_minor

logger = logging.getLogger(__name__)

# A request that claimed the creation of an intent this long ago and stored nothing died: another may
# create it (with the same idempotency key, so Stripe answers with the same intent). Longer than the
# gateway's timeout with its retries.
INTENT_CLAIM_LEASE = timedelta(seconds=60)
# How long a second request for the same deposit waits for the first to store the intent's id.
INTENT_WAIT_SECONDS = 5.0
INTENT_POLL_SECONDS = 0.1
# Stripe's PaymentIntent status -> the deposit's. Others (requires_confirmation, requires_action, a
# requires_payment_method with no failed attempt) leave the deposit where it is.
INTENT_STATUS_TO_DEPOSIT = {
    "succeeded": DepositStatus.HELD,
    "processing": DepositStatus.PROCESSING,
    "canceled": DepositStatus.CANCELLED,
}
RELEASABLE_CONTRACT_STATES = (ContractState.DELIVERED, ContractState.COMPLETED)


class DepositIntentPending(ServiceUnavailable):
    """Another request is creating this deposit's payment right now: retry in a moment."""

    code = "deposit_payment_pending"
    default_detail = gettext_lazy("The payment for this deposit is being prepared. Try again in a few seconds.")

    def __init__(self, detail: Any = None, *, retry_after: int = 2) -> None:
        super().__init__(detail, extra={"retry_after": retry_after})


@dataclass(frozen=True)
class DepositStarted:
    deposit: Deposit
    client_secret: str | None  # for the buyer's browser (Stripe.js) to confirm the card payment
    created: bool  # a new deposit (201) or the contract's active one (200)


# --- Reads ------------------------------------------------------------------------------------------
def deposits_for(*, actor: Actor) -> QuerySet[Deposit]:
    """The deposits of the actor's contracts (as buyer or producer); reviewers and staff read them all."""
    deposits = Deposit.objects.select_related("contract__buyer", "contract__producer__organization").prefetch_related(
        "refunds"
    )
    if actor.is_staff or actor.is_reviewer:
        return deposits
    if actor.organization_kind == "buyer":
        return deposits.filter(contract__buyer_id=actor.organization_id)
    if actor.organization_kind == "producer":
        return deposits.filter(contract__producer_id=actor.organization_id)
    return deposits.none()


def deposit_get(*, actor: Actor, deposit_id: Any) -> Deposit:
    found = deposits_for(actor=actor).filter(pk=deposit_id).first()
    if found is None:
        raise NotFound()
    return found


def deposit_of_contract(*, actor: Actor, contract: Contract) -> Deposit:
    """The contract's current deposit: the active one, else the latest. 404 when it has none."""
    deposits = deposits_for(actor=actor).filter(contract=contract)
    found = deposits.filter(status__in=DEPOSIT_ACTIVE_STATES).first() or deposits.order_by("-created_at").first()
    if found is None:
        raise NotFound(_("This contract has no deposit."), code="deposit_not_found")
    return found


# --- Helpers ----------------------------------------------------------------------------------------
def _people_of(organization_id: Any) -> QuerySet[User]:
    return User.objects.filter(memberships__organization_id=organization_id, is_active=True)


def _money(amount_minor: int, currency: str) -> str:
    return f"{Decimal(amount_minor) / 100:.2f} {currency}"


def _notify(
    deposit: Deposit, kind: str, *, sides: tuple[str, ...] = (Side.BUYER, Side.PRODUCER), **params: Any
) -> None:
    contract = deposit.contract
    for side in sides:
        organization = contract.buyer if side == Side.BUYER else contract.producer.organization
        notify(
            recipients=_people_of(organization.pk),
            kind=kind,
            params={
                "buyer": contract.buyer.legal_name,
                "producer": contract.producer.organization.legal_name,
                "amount": _money(deposit.amount_minor, deposit.currency),
            }
            | params,
            organization=organization,
            target=contract,
        )


def _audit(deposit: Deposit, action: str, *, actor: Actor | None = None, data: dict[str, Any]) -> None:
    audit_record(
        action=f"trade.deposit.{action}",
        actor=actor,
        subject_organization=deposit.contract.producer.organization,
        target=deposit,
        data={"deposit": str(deposit.pk), "contract": str(deposit.contract_id), **data},
    )


def _reload(deposit_id: Any) -> Deposit:
    return Deposit.objects.select_related("contract__buyer", "contract__producer__organization").get(pk=deposit_id)


def _move(deposit: Deposit, target: str, **changes: Any) -> bool:
    """Compare-and-set: move to `target` from the states the table allows; False when nothing moved."""
    now = timezone.now()
    return (
        Deposit.objects.filter(pk=deposit.pk, status__in=DEPOSIT_TRANSITIONS[target]).update(
            status=target, updated_at=now, **changes
        )
        == 1
    )


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
            % {"deposit": _money(amount, version.currency), "value": _money(value, version.currency)},
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
    return DepositStarted(deposit=_reload(deposit.pk), client_secret=intent.client_secret, created=created)


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
            if retry is not None and _move(retry, DepositStatus.REQUIRES_PAYMENT):
                # A declined card: the buyer tries another card on the same intent, as Stripe intends.
                retry = _reload(retry.pk)
                _audit(retry, "payment_retried", actor=actor, data={"from": "failed", "to": "requires_payment"})
                return retry, False
            amount, currency = deposit_amount_for(locked)
            deposit = Deposit(contract=locked, amount_minor=amount, currency=currency, created_by=actor.user)
            deposit.idempotency_key = f"deposit:{deposit.pk}:create"
            deposit.save(force_insert=True)
            deposit = _reload(deposit.pk)
            _audit(deposit, "created", actor=actor, data={"amount_minor": amount, "currency": currency})
            return deposit, True
    except IntegrityError:
        # Another request inserted the contract's active deposit between our read and our insert (the
        # partial unique constraint): use it.
        active = Deposit.objects.filter(contract=contract, status__in=DEPOSIT_ACTIVE_STATES).first()
        if active is None:
            raise
        return active, False


def _claim_intent_creation(deposit: Deposit) -> bool:
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
    if not _claim_intent_creation(deposit):
        return _wait_for_intent(deposit)
    return _create_intent(deposit)


def _wait_for_intent(deposit: Deposit) -> Intent:
    deadline = time.monotonic() + INTENT_WAIT_SECONDS
    while True:
        intent_id = Deposit.objects.filter(pk=deposit.pk).values_list("provider_intent_id", flat=True).first()
        if intent_id:
            return gateway().retrieve_payment_intent(intent_id)
        if _claim_intent_creation(deposit):  # the request that claimed it gave up (Stripe failed it): take over
            return _create_intent(deposit)
        if time.monotonic() >= deadline:
            raise DepositIntentPending()
        time.sleep(INTENT_POLL_SECONDS)


def _create_intent(deposit: Deposit) -> Intent:
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


# --- Following the PaymentIntent (webhook and reconcile) --------------------------------------------
def deposit_status_for(intent: Intent) -> str | None:
    if intent.status == "requires_payment_method" and intent.last_payment_error:
        return DepositStatus.FAILED
    return INTENT_STATUS_TO_DEPOSIT.get(intent.status)


def handle_payment_event(event: WebhookEvent) -> None:
    """PAYMENTS_EVENT_HANDLER: a verified Stripe event. The intent is re-read, never taken from the event."""
    if not event.type.startswith("payment_intent.") or not event.object_id:
        return
    deposit = Deposit.objects.filter(provider_intent_id=event.object_id).first()
    if deposit is None:
        return  # not one of our deposits (another integration on the same account, or a test event)
    deposit_follow_intent(deposit=deposit, intent=gateway().retrieve_payment_intent(event.object_id))


def deposit_follow_intent(*, deposit: Deposit, intent: Intent) -> bool:
    """Move the deposit to what the intent says, forward only; True when it moved. A deposit that became held
    on a contract cancelled meanwhile is refunded at once."""
    target = deposit_status_for(intent)
    if target is None:
        return False
    moved = _apply_intent_status(deposit, intent, target)
    if target == DepositStatus.HELD:
        _refund_if_contract_ended(deposit)
    return moved


@transaction.atomic
def _apply_intent_status(deposit: Deposit, intent: Intent, target: str) -> bool:
    previous = Deposit.objects.filter(pk=deposit.pk).values_list("status", flat=True).get()
    if previous == target:
        return False
    if target == DepositStatus.HELD and (intent.amount_received or intent.amount) != deposit.amount_minor:
        logger.error(
            "Deposit %s: the intent received %s, not %s", deposit.pk, intent.amount_received, deposit.amount_minor
        )
    if not _move(deposit, target, **({"held_at": timezone.now()} if target == DepositStatus.HELD else {})):
        return False
    deposit = _reload(deposit.pk)
    _audit(deposit, "payment_" + target, data={"from": previous, "to": target, "intent": intent.id})
    if target == DepositStatus.HELD:
        _notify(deposit, "deposit_paid")
    elif target == DepositStatus.FAILED:
        _notify(deposit, "deposit_failed", sides=(Side.BUYER,))
    return True


# --- Refunds ----------------------------------------------------------------------------------------
def deposit_refund(*, actor: Actor, deposit: Deposit, amount_minor: int | None = None) -> DepositRefund:
    """Staff refund part or all of what is left of a held deposit. The refund is reserved on the deposit and
    committed, then asked of Stripe; if Stripe says no, the reservation is undone and the error raised. If
    Stripe cannot be reached, the refund stays pending (503, retryable): `reconcile_deposits` finishes it with
    the same idempotency key, and a second staff request cannot refund the reserved amount again."""
    if not actor.is_staff:
        raise PermissionDenied(_("Staff refund deposits."), code="not_staff")
    if not payments_configured():
        raise PaymentsNotConfigured()
    refund = _reserve_refund(deposit=deposit, amount_minor=amount_minor, cause=DepositRefund.Cause.STAFF, actor=actor)
    _send_refund(refund, undo_on_failure=True)
    refund.refresh_from_db()
    return refund


@transaction.atomic
def _reserve_refund(*, deposit: Deposit, amount_minor: int | None, cause: str, actor: Actor | None) -> DepositRefund:
    locked = Deposit.objects.select_for_update().get(pk=deposit.pk)
    if locked.status != DepositStatus.HELD:
        raise Conflict(
            _("Only a held deposit can be refunded; this one is %(status)s.")
            % {"status": DepositStatus(locked.status).label},
            code="deposit_not_held",
        )
    left = locked.refundable_minor
    amount = left if amount_minor is None else amount_minor
    if amount <= 0 or amount > left:
        raise Conflict(
            _("At most %(left)s of this deposit can still be refunded.") % {"left": _money(left, locked.currency)},
            code="refund_above_held",
            extra={"refundable": {"amount_minor": left, "currency": locked.currency}},
        )
    if not Deposit.objects.filter(
        pk=locked.pk, status=DepositStatus.HELD, refunded_minor__lte=F("amount_minor") - amount
    ).update(refunded_minor=F("refunded_minor") + amount, updated_at=timezone.now()):
        raise Conflict(_("The deposit changed meanwhile: read it again."), code="deposit_changed")
    refund = DepositRefund(
        deposit=locked, amount_minor=amount, cause=cause, created_by=actor.user if actor is not None else None
    )
    refund.idempotency_key = f"deposit:{locked.pk}:refund:{refund.pk}"
    refund.save(force_insert=True)
    _audit(
        _reload(locked.pk),
        "refund_reserved",
        actor=actor,
        data={"refund": str(refund.pk), "amount_minor": amount, "cause": cause},
    )
    return refund


def _send_refund(refund: DepositRefund, *, undo_on_failure: bool) -> bool:
    """Ask Stripe for a reserved refund (outside any transaction); True when Stripe refunded it.

    Stripe refusing the request (the intent is not paid, nothing left to refund) undoes the reservation.
    Stripe unreachable or too slow: the refund stays pending and reserved, whoever asked (a staff request
    also gets the retryable 503), for `reconcile_deposits` to retry with the same idempotency key."""
    deposit = Deposit.objects.get(pk=refund.deposit_id)
    DepositRefund.objects.filter(pk=refund.pk).update(attempts=F("attempts") + 1)
    try:
        if not deposit.provider_intent_id:
            raise PaymentRequestInvalid(provider_code="no_payment_intent")
        result = gateway().refund(
            payment_intent_id=deposit.provider_intent_id,
            amount_minor=refund.amount_minor,
            idempotency_key=refund.idempotency_key,
        )
    except PaymentRequestInvalid as exc:
        _refund_failed(refund, f"{exc.code}: {exc.provider_code}")
        raise
    except PaymentsNotConfigured as exc:
        # A refused key: Stripe did nothing.
        if undo_on_failure:
            _refund_failed(refund, exc.code)
            raise
        DepositRefund.objects.filter(pk=refund.pk).update(last_error=exc.code, updated_at=timezone.now())
        logger.warning("Refund %s stays pending: %s", refund.pk, exc.code)
        return False
    except PaymentProviderUnavailable as exc:
        # A timeout or an outage: Stripe may have refunded before the answer was lost. Undoing the reservation
        # would let a retry refund again under a new key; keeping it pending lets `reconcile_deposits` ask
        # again with the same key, which Stripe answers with the first outcome. Money is never refunded twice.
        DepositRefund.objects.filter(pk=refund.pk).update(last_error=exc.code, updated_at=timezone.now())
        logger.warning("Refund %s stays pending: %s", refund.pk, exc.code)
        if undo_on_failure:
            raise
        return False
    if result.status in ("failed", "canceled"):
        _refund_failed(refund, f"provider status {result.status}")
        if undo_on_failure:
            raise PaymentRequestInvalid(provider_code=f"refund_{result.status}")
        return False
    _refund_succeeded(refund, result.id)
    return True


@transaction.atomic
def _refund_failed(refund: DepositRefund, error: str) -> None:
    if DepositRefund.objects.filter(pk=refund.pk, status=DepositRefund.Status.PENDING).update(
        status=DepositRefund.Status.FAILED, last_error=error[:500], updated_at=timezone.now()
    ):
        Deposit.objects.filter(pk=refund.deposit_id).update(
            refunded_minor=F("refunded_minor") - refund.amount_minor, updated_at=timezone.now()
        )
        _audit(_reload(refund.deposit_id), "refund_failed", data={"refund": str(refund.pk), "error": error[:500]})


@transaction.atomic
def _refund_succeeded(refund: DepositRefund, provider_refund_id: str) -> None:
    """Record Stripe's refund (a pending one at Stripe counts: card refunds do not fail once accepted); the
    deposit is refunded once nothing is left and no other refund is pending."""
    if not DepositRefund.objects.filter(pk=refund.pk, status=DepositRefund.Status.PENDING).update(
        status=DepositRefund.Status.SUCCEEDED,
        provider_refund_id=provider_refund_id,
        last_error="",
        updated_at=timezone.now(),
    ):
        return
    pending = DepositRefund.objects.filter(deposit=OuterRef("pk"), status=DepositRefund.Status.PENDING)
    fully = (
        Deposit.objects.filter(pk=refund.deposit_id, status__in=DEPOSIT_TRANSITIONS[DepositStatus.REFUNDED])
        .filter(refunded_minor=F("amount_minor"))
        .exclude(Exists(pending))
        .update(status=DepositStatus.REFUNDED, updated_at=timezone.now())
    )
    deposit = _reload(refund.deposit_id)
    _audit(
        deposit,
        "refunded",
        data={
            "refund": str(refund.pk),
            "amount_minor": refund.amount_minor,
            "provider_refund": provider_refund_id,
            "status": deposit.status,
            "refunded_minor": deposit.refunded_minor,
        },
    )
    _notify(deposit, "deposit_refunded", refunded=_money(refund.amount_minor, deposit.currency))
    if fully:
        logger.info("Deposit %s refunded in full", deposit.pk)


def refund_retry(refund: DepositRefund) -> bool:
    return _send_refund(refund, undo_on_failure=False)


# --- The contract is cancelled ----------------------------------------------------------------------
def deposit_lock_for_cancel(*, contract: Contract) -> Deposit | None:
    """Inside `contract_move("cancel")`, right after the contract: lock its active deposit, before the listing
    and the audit chain (the order every writer takes them in: contract, deposit, listing, audit chain)."""
    return (
        Deposit.objects.select_for_update(of=("self",))
        .filter(contract=contract, status__in=DEPOSIT_ACTIVE_STATES)
        .first()
    )


def deposit_on_contract_cancel(*, actor: Actor, deposit: Deposit | None) -> None:
    """Inside `contract_move("cancel")`'s transaction, with the deposit locked: reserve the refund of a held
    deposit (Stripe is asked after commit), cancel an unpaid one (its intent is cancelled after commit; one
    with no intent yet is cancelled here)."""
    if deposit is None:
        return
    if deposit.status == DepositStatus.HELD:
        if deposit.refundable_minor > 0:
            refund = _reserve_refund(
                deposit=deposit, amount_minor=None, cause=DepositRefund.Cause.CONTRACT_CANCELLED, actor=actor
            )
            transaction.on_commit(lambda: _after_commit(refund_retry, refund))
        return
    if deposit.provider_intent_id is None and not _claim_live(deposit):
        if _move(deposit, DepositStatus.CANCELLED):
            _audit(_reload(deposit.pk), "cancelled", actor=actor, data={"reason": "contract_cancelled"})
        return
    transaction.on_commit(lambda: _after_commit(deposit_cancel_unpaid, deposit))


def _claim_live(deposit: Deposit) -> bool:
    return deposit.intent_claimed_at is not None and deposit.intent_claimed_at >= timezone.now() - INTENT_CLAIM_LEASE


def _after_commit(function: Any, obj: Any) -> None:
    """Stripe calls after a commit: a failure is logged and left for reconcile_deposits, never raised into a
    response whose change is already committed."""
    try:
        function(obj)
    except Exception:
        logger.exception("Deposit follow-up %s failed for %s; reconcile_deposits retries it", function.__name__, obj.pk)


def deposit_cancel_unpaid(deposit: Deposit) -> str:
    """Cancel the intent of a deposit whose contract was cancelled before it was paid, then the deposit. If the
    buyer paid meanwhile, the deposit follows the intent to held and is refunded. Returns what happened."""
    deposit = Deposit.objects.get(pk=deposit.pk)
    if deposit.status not in (DepositStatus.REQUIRES_PAYMENT, DepositStatus.PROCESSING, DepositStatus.FAILED):
        return "nothing to cancel"
    if deposit.provider_intent_id is None:
        if _claim_live(deposit):
            return "intent being created; later"
        with transaction.atomic():
            if _move(deposit, DepositStatus.CANCELLED):
                _audit(_reload(deposit.pk), "cancelled", data={"reason": "contract_cancelled"})
        return "cancelled"
    try:
        intent = gateway().cancel_payment_intent(deposit.provider_intent_id)
    except PaymentRequestInvalid:
        intent = gateway().retrieve_payment_intent(deposit.provider_intent_id)  # paid (or cancelled) meanwhile
    if intent.status == "canceled":
        with transaction.atomic():
            if _move(deposit, DepositStatus.CANCELLED):
                _audit(_reload(deposit.pk), "cancelled", data={"reason": "contract_cancelled", "intent": intent.id})
        return "cancelled"
    deposit_follow_intent(deposit=deposit, intent=intent)
    return f"intent {intent.status}"


def _refund_if_contract_ended(deposit: Deposit) -> DepositRefund | None:
    """A deposit held on a cancelled contract (paid while it was being cancelled) goes back to the buyer."""
    try:
        with transaction.atomic():
            locked = Deposit.objects.select_for_update(of=("self",)).select_related("contract").get(pk=deposit.pk)
            if locked.contract.state != ContractState.CANCELLED or locked.status != DepositStatus.HELD:
                return None
            if locked.refundable_minor <= 0 or locked.refunds.filter(status=DepositRefund.Status.PENDING).exists():
                return None
            refund = _reserve_refund(
                deposit=locked, amount_minor=None, cause=DepositRefund.Cause.CONTRACT_CANCELLED, actor=None
            )
    except Conflict:
        return None
    refund_retry(refund)
    return refund


# --- Release ----------------------------------------------------------------------------------------
@transaction.atomic
def deposit_release(*, actor: Actor, deposit: Deposit, payout_reference: str) -> Deposit:
    """Staff record that the held deposit was paid out to the producer (a bank transfer outside Stripe), once
    the gold was delivered. Releasing again with the same reference changes nothing."""
    if not actor.is_staff:
        raise PermissionDenied(_("Staff release deposits."), code="not_staff")
    locked = Deposit.objects.select_for_update(of=("self",)).select_related("contract").get(pk=deposit.pk)
    if locked.status == DepositStatus.RELEASED and locked.payout_reference == payout_reference:
        return _reload(locked.pk)
    if locked.status != DepositStatus.HELD:
        raise Conflict(
            _("Only a held deposit can be released; this one is %(status)s.")
            % {"status": DepositStatus(locked.status).label},
            code="deposit_not_held",
        )
    if locked.contract.state not in RELEASABLE_CONTRACT_STATES:
        raise Conflict(
            _("A deposit is released once the gold is delivered; the contract is %(state)s.")
            % {"state": ContractState(locked.contract.state).label},
            code="contract_not_delivered",
        )
    if locked.refunds.filter(status=DepositRefund.Status.PENDING).exists():
        raise Conflict(_("A refund of this deposit is still pending."), code="refund_pending")
    now = timezone.now()
    if not _move(
        locked, DepositStatus.RELEASED, payout_reference=payout_reference, released_by=actor.user, released_at=now
    ):
        raise Conflict(_("The deposit changed meanwhile: read it again."), code="deposit_changed")
    deposit = _reload(locked.pk)
    _audit(
        deposit,
        "released",
        actor=actor,
        data={"payout_reference": payout_reference, "amount_minor": deposit.refundable_minor},
    )
    _notify(
        deposit,
        "deposit_released",
        sides=(Side.PRODUCER,),
        paid_out=_money(deposit.refundable_minor, deposit.currency),
        reference=payout_reference,
    )
    return deposit


# --- Reconciliation ---------------------------------------------------------------------------------
def deposits_reconcile() -> list[str]:
    """Finish what webhooks and interrupted requests left: returns one line per deposit or refund touched."""
    lines: list[str] = []
    unfinished = Deposit.objects.filter(
        status__in=(DepositStatus.REQUIRES_PAYMENT, DepositStatus.PROCESSING)
    ).select_related("contract")
    for deposit in unfinished.order_by("created_at"):
        try:
            lines.append(f"deposit {deposit.pk}: {_reconcile_one(deposit)}")
        except (PaymentProviderUnavailable, PaymentRequestInvalid, PaymentsNotConfigured, DepositIntentPending) as exc:
            lines.append(f"deposit {deposit.pk}: not yet ({exc.code})")
    for refund in DepositRefund.objects.filter(status=DepositRefund.Status.PENDING).order_by("created_at"):
        try:
            done = refund_retry(refund)
        except PaymentRequestInvalid as exc:
            lines.append(f"refund {refund.pk}: refused by Stripe ({exc.provider_code}); reservation undone")
            continue
        lines.append(f"refund {refund.pk}: {'refunded' if done else 'still pending'}")
    cancelled_held = Deposit.objects.filter(
        status=DepositStatus.HELD, contract__state=ContractState.CANCELLED, refunded_minor__lt=F("amount_minor")
    )
    for deposit in cancelled_held:
        ended = _refund_if_contract_ended(deposit)
        if ended is not None:
            ended.refresh_from_db()
            lines.append(f"deposit {deposit.pk}: contract cancelled, refund {ended.pk} {ended.status}")
    return lines


def _reconcile_one(deposit: Deposit) -> str:
    if deposit.contract.state == ContractState.CANCELLED:
        return deposit_cancel_unpaid(deposit)
    if deposit.provider_intent_id:
        intent = gateway().retrieve_payment_intent(deposit.provider_intent_id)
        before = deposit.status
        moved = deposit_follow_intent(deposit=deposit, intent=intent)
        after = Deposit.objects.filter(pk=deposit.pk).values_list("status", flat=True).get()
        return f"{before} -> {after}" if moved else f"{before}, intent {intent.status}: unchanged"
    if _claim_live(deposit):
        return "intent being created by a request; left alone"
    if not _claim_intent_creation(deposit):
        return "claimed meanwhile; left alone"
    intent = _create_intent(deposit)
    return f"intent {intent.id} created"
