"""The contract is cancelled: inside its transaction, the deposit is locked and its refund reserved or its
intent's cancelling scheduled."""

from __future__ import annotations

from django.db import transaction

from core.actor import Actor
from trade.deposits._shared import after_commit, audit_deposit, claim_live, move_deposit, reload_deposit
from trade.deposits.refunds import refund_reserve, refund_retry
from trade.deposits.stripe_sync import deposit_cancel_unpaid
from trade.models import (
    DEPOSIT_ACTIVE_STATES,
    Contract,
    Deposit,
    DepositRefund,
    DepositStatus,
)


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
            refund = refund_reserve(
                deposit=deposit, amount_minor=None, cause=DepositRefund.Cause.CONTRACT_CANCELLED, actor=actor
            )
            transaction.on_commit(lambda: after_commit(refund_retry, refund))
        return
    if deposit.provider_intent_id is None and not claim_live(deposit):
        if move_deposit(deposit, DepositStatus.CANCELLED):
            audit_deposit(reload_deposit(deposit.pk), "cancelled", actor=actor, data={"reason": "contract_cancelled"})
        return
    transaction.on_commit(lambda: after_commit(deposit_cancel_unpaid, deposit))
