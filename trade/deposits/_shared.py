"""What the deposit modules share: the audit row, the notifications, the compare-and-set move."""

from __future__ import annotations

import logging
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import User
from audit.services import audit_record
from core.actor import Actor
from notifications.services import notify
from trade.models import (
    DEPOSIT_TRANSITIONS,
    Deposit,
    Side,
)

logger = logging.getLogger(__name__)


# A request that claimed the creation of an intent this long ago and stored nothing died: another may
# create it (with the same idempotency key, so Stripe answers with the same intent). Longer than the
# gateway's timeout with its retries.
INTENT_CLAIM_LEASE = timedelta(seconds=60)


# --- Helpers ----------------------------------------------------------------------------------------
def people_of(organization_id: Any) -> QuerySet[User]:
    return User.objects.filter(memberships__organization_id=organization_id, is_active=True)


def money_text(amount_minor: int, currency: str) -> str:
    return f"{Decimal(amount_minor) / 100:.2f} {currency}"


def notify_parties(
    deposit: Deposit, kind: str, *, sides: tuple[str, ...] = (Side.BUYER, Side.PRODUCER), **params: Any
) -> None:
    contract = deposit.contract
    for side in sides:
        organization = contract.buyer if side == Side.BUYER else contract.producer.organization
        notify(
            recipients=people_of(organization.pk),
            kind=kind,
            params={
                "buyer": contract.buyer.legal_name,
                "producer": contract.producer.organization.legal_name,
                "amount": money_text(deposit.amount_minor, deposit.currency),
            }
            | params,
            organization=organization,
            target=contract,
        )


def audit_deposit(deposit: Deposit, action: str, *, actor: Actor | None = None, data: dict[str, Any]) -> None:
    audit_record(
        action=f"trade.deposit.{action}",
        actor=actor,
        subject_organization=deposit.contract.producer.organization,
        target=deposit,
        data={"deposit": str(deposit.pk), "contract": str(deposit.contract_id), **data},
    )


def reload_deposit(deposit_id: Any) -> Deposit:
    return Deposit.objects.select_related("contract__buyer", "contract__producer__organization").get(pk=deposit_id)


def move_deposit(deposit: Deposit, target: str, **changes: Any) -> bool:
    """Compare-and-set: move to `target` from the states the table allows; False when nothing moved."""
    now = timezone.now()
    return (
        Deposit.objects.filter(pk=deposit.pk, status__in=DEPOSIT_TRANSITIONS[target]).update(
            status=target, updated_at=now, **changes
        )
        == 1
    )


def claim_live(deposit: Deposit) -> bool:
    return deposit.intent_claimed_at is not None and deposit.intent_claimed_at >= timezone.now() - INTENT_CLAIM_LEASE


def after_commit(function: Any, obj: Any) -> None:
    """Stripe calls after a commit: a failure is logged and left for reconcile_deposits, never raised into a
    response whose change is already committed."""
    try:
        function(obj)
    except Exception:
        logger.exception("Deposit follow-up %s failed for %s; reconcile_deposits retries it", function.__name__, obj.pk)
