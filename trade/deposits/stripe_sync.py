"""Following Stripe: the webhook's handler, the PaymentIntent's status onto the deposit, the Stripe half of
cancelling an unpaid deposit, and `reconcile_deposits` for what webhooks and interrupted requests left."""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from payments.errors import PaymentProviderUnavailable, PaymentRequestInvalid, PaymentsNotConfigured
from payments.gateway import Intent, WebhookEvent, gateway
from trade.deposits._shared import audit_deposit, claim_live, move_deposit, notify_parties, reload_deposit
from trade.deposits.create import DepositInProgress, intent_claim, intent_create
from trade.deposits.refunds import refund_if_contract_ended, refund_retry
from trade.models import (
    ContractState,
    Deposit,
    DepositRefund,
    DepositStatus,
    Side,
)

logger = logging.getLogger(__name__)


# Stripe's PaymentIntent status -> the deposit's. Others (requires_confirmation, requires_action, a
# requires_payment_method with no failed attempt) leave the deposit where it is.
INTENT_STATUS_TO_DEPOSIT = {
    "succeeded": DepositStatus.HELD,
    "processing": DepositStatus.PROCESSING,
    "canceled": DepositStatus.CANCELLED,
}


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
        refund_if_contract_ended(deposit)
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
    if not move_deposit(deposit, target, **({"held_at": timezone.now()} if target == DepositStatus.HELD else {})):
        return False
    deposit = reload_deposit(deposit.pk)
    audit_deposit(deposit, "payment_" + target, data={"from": previous, "to": target, "intent": intent.id})
    if target == DepositStatus.HELD:
        notify_parties(deposit, "deposit_paid")
    elif target == DepositStatus.FAILED:
        notify_parties(deposit, "deposit_failed", sides=(Side.BUYER,))
    return True


def deposit_cancel_unpaid(deposit: Deposit) -> str:
    """Cancel the intent of a deposit whose contract was cancelled before it was paid, then the deposit. If the
    buyer paid meanwhile, the deposit follows the intent to held and is refunded. Returns what happened."""
    deposit = Deposit.objects.get(pk=deposit.pk)
    if deposit.status not in (DepositStatus.REQUIRES_PAYMENT, DepositStatus.PROCESSING, DepositStatus.FAILED):
        return "nothing to cancel"
    if deposit.provider_intent_id is None:
        if claim_live(deposit):
            return "intent being created; later"
        with transaction.atomic():
            if move_deposit(deposit, DepositStatus.CANCELLED):
                audit_deposit(reload_deposit(deposit.pk), "cancelled", data={"reason": "contract_cancelled"})
        return "cancelled"
    try:
        intent = gateway().cancel_payment_intent(deposit.provider_intent_id)
    except PaymentRequestInvalid:
        intent = gateway().retrieve_payment_intent(deposit.provider_intent_id)  # paid (or cancelled) meanwhile
    if intent.status == "canceled":
        with transaction.atomic():
            if move_deposit(deposit, DepositStatus.CANCELLED):
                audit_deposit(
                    reload_deposit(deposit.pk), "cancelled", data={"reason": "contract_cancelled", "intent": intent.id}
                )
        return "cancelled"
    deposit_follow_intent(deposit=deposit, intent=intent)
    return f"intent {intent.status}"


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
        except (PaymentProviderUnavailable, PaymentRequestInvalid, PaymentsNotConfigured, DepositInProgress) as exc:
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
        ended = refund_if_contract_ended(deposit)
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
    if claim_live(deposit):
        return "intent being created by a request; left alone"
    if not intent_claim(deposit):
        return "claimed meanwhile; left alone"
    intent = intent_create(deposit)
    return f"intent {intent.id} created"
