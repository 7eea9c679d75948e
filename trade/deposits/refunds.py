"""Refunds of a held deposit: reserved on the deposit and committed, then asked of Stripe."""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from core.actor import Actor
from core.errors import Conflict, PermissionDenied
from payments.errors import PaymentProviderUnavailable, PaymentRequestInvalid, PaymentsNotConfigured
from payments.gateway import gateway, payments_configured
from trade.deposits._shared import audit_deposit, money_text, notify_parties, reload_deposit
from trade.models import (
    DEPOSIT_TRANSITIONS,
    ContractState,
    Deposit,
    DepositRefund,
    DepositStatus,
)

logger = logging.getLogger(__name__)


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
    refund = refund_reserve(deposit=deposit, amount_minor=amount_minor, cause=DepositRefund.Cause.STAFF, actor=actor)
    _send_refund(refund, undo_on_failure=True)
    refund.refresh_from_db()
    return refund


@transaction.atomic
def refund_reserve(*, deposit: Deposit, amount_minor: int | None, cause: str, actor: Actor | None) -> DepositRefund:
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
            _("At most %(left)s of this deposit can still be refunded.") % {"left": money_text(left, locked.currency)},
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
    audit_deposit(
        reload_deposit(locked.pk),
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
        audit_deposit(
            reload_deposit(refund.deposit_id), "refund_failed", data={"refund": str(refund.pk), "error": error[:500]}
        )


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
    deposit = reload_deposit(refund.deposit_id)
    audit_deposit(
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
    notify_parties(deposit, "deposit_refunded", refunded=money_text(refund.amount_minor, deposit.currency))
    if fully:
        logger.info("Deposit %s refunded in full", deposit.pk)


def refund_retry(refund: DepositRefund) -> bool:
    return _send_refund(refund, undo_on_failure=False)


def refund_if_contract_ended(deposit: Deposit) -> DepositRefund | None:
    """A deposit held on a cancelled contract (paid while it was being cancelled) goes back to the buyer."""
    try:
        with transaction.atomic():
            locked = Deposit.objects.select_for_update(of=("self",)).select_related("contract").get(pk=deposit.pk)
            if locked.contract.state != ContractState.CANCELLED or locked.status != DepositStatus.HELD:
                return None
            if locked.refundable_minor <= 0 or locked.refunds.filter(status=DepositRefund.Status.PENDING).exists():
                return None
            refund = refund_reserve(
                deposit=locked, amount_minor=None, cause=DepositRefund.Cause.CONTRACT_CANCELLED, actor=None
            )
    except Conflict:
        return None
    refund_retry(refund)
    return refund
