"""Staff release a held deposit to the producer (a bank transfer outside Stripe)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.actor import Actor
from core.errors import Conflict, PermissionDenied
from trade.deposits._shared import audit_deposit, money_text, move_deposit, notify_parties, reload_deposit
from trade.models import (
    ContractState,
    Deposit,
    DepositRefund,
    DepositStatus,
    Side,
)

RELEASABLE_CONTRACT_STATES = (ContractState.DELIVERED, ContractState.COMPLETED)


# --- Release ----------------------------------------------------------------------------------------
@transaction.atomic
def deposit_release(*, actor: Actor, deposit: Deposit, payout_reference: str) -> Deposit:
    """Staff record that the held deposit was paid out to the producer (a bank transfer outside Stripe), once
    the gold was delivered. Releasing again with the same reference changes nothing."""
    if not actor.is_staff:
        raise PermissionDenied(_("Staff release deposits."), code="not_staff")
    locked = Deposit.objects.select_for_update(of=("self",)).select_related("contract").get(pk=deposit.pk)
    if locked.status == DepositStatus.RELEASED and locked.payout_reference == payout_reference:
        return reload_deposit(locked.pk)
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
    if not move_deposit(
        locked, DepositStatus.RELEASED, payout_reference=payout_reference, released_by=actor.user, released_at=now
    ):
        raise Conflict(_("The deposit changed meanwhile: read it again."), code="deposit_changed")
    deposit = reload_deposit(locked.pk)
    audit_deposit(
        deposit,
        "released",
        actor=actor,
        data={"payout_reference": payout_reference, "amount_minor": deposit.refundable_minor},
    )
    notify_parties(
        deposit,
        "deposit_released",
        sides=(Side.PRODUCER,),
        paid_out=money_text(deposit.refundable_minor, deposit.currency),
        reference=payout_reference,
    )
    return deposit
