"""Reads of deposits, scoped to the caller with the same rule as contracts."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from core.actor import Actor
from core.errors import NotFound, PermissionDenied
from trade.models import DEPOSIT_ACTIVE_STATES, Contract, Deposit
from trade.selectors import party_scope


def deposits_for(*, actor: Actor) -> QuerySet[Deposit]:
    """The deposits of the actor's contracts (as buyer or producer); reviewers and staff read them all."""
    deposits = Deposit.objects.select_related("contract__buyer", "contract__producer__organization").prefetch_related(
        "refunds"
    )
    scope = party_scope(actor, via="contract__")
    return deposits if scope is None else deposits.filter(scope)


def deposit_get(*, actor: Actor, deposit_id: Any) -> Deposit:
    found = deposits_for(actor=actor).filter(pk=deposit_id).first()
    if found is None:
        raise NotFound()
    return found


def deposit_get_for_staff(*, actor: Actor, deposit_id: Any) -> Deposit:
    """A deposit staff move (refund, release): another organisation's is 404, as everywhere; the two parties
    and reviewers, who may read it, get 403."""
    deposit = deposit_get(actor=actor, deposit_id=deposit_id)
    if not actor.is_staff:
        raise PermissionDenied(code="not_staff")
    return deposit


def deposit_of_contract(*, actor: Actor, contract: Contract) -> Deposit:
    """The contract's current deposit: the active one, else the latest. 404 when it has none."""
    deposits = deposits_for(actor=actor).filter(contract=contract)
    found = deposits.filter(status__in=DEPOSIT_ACTIVE_STATES).first() or deposits.order_by("-created_at").first()
    if found is None:
        raise NotFound(_("This contract has no deposit."), code="deposit_not_found")
    return found
