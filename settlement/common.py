"""What the settlement services share: which side the caller is and which party of a shipment that makes it,
the contract row locked, the states in which a contract is settled or paid, and who is told.

A contract's producer is the seller of its shipments and its buyer organisation the buyer; a payment's payer is
a side (`trade.models.Side`). Only an organisation admin of one of the two parties records or confirms anything:
reviewers and staff read, plain members read.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from accounts.models import Organization, User
from core import clock
from core.actor import Actor
from core.errors import Conflict, PermissionDenied, field_error
from notifications.services import notify
from settlement.models import Party
from trade.models import Contract, ContractState, Side

# Weighed, assayed and paid: a signed contract, and after it a delivered or completed one.
SETTLING_STATES = (ContractState.SIGNED, ContractState.DELIVERED, ContractState.COMPLETED)

PARTY_OF_SIDE: dict[str, str] = {Side.PRODUCER: Party.SELLER, Side.BUYER: Party.BUYER}
SIDE_OF_PARTY: dict[str, str] = {Party.SELLER: Side.PRODUCER, Party.BUYER: Side.BUYER}


def other_side(side: str) -> str:
    return Side.BUYER if side == Side.PRODUCER else Side.PRODUCER


def admin_side(actor: Actor, contract: Contract) -> str:
    """The side an admin of one of the two parties acts for; 403 for anybody else (reviewers and staff read
    and record nothing, plain members read)."""
    side = contract.side_of(actor.organization_id)
    if side is None:
        raise PermissionDenied(_("Only the two organisations of the contract record its settlement."), code="not_party")
    if not actor.is_org_admin:
        raise PermissionDenied(
            _("Only an administrator of your organisation records weighings, assays and payments."), code="not_admin"
        )
    return side


def require_own_party(side: str, party: str) -> None:
    """The seller's figures are the producer's to record, the buyer's the buyer's."""
    if party in SIDE_OF_PARTY and SIDE_OF_PARTY[party] != side:
        raise PermissionDenied(
            _("The %(party)s's figures are recorded by the %(party)s's administrators.")
            % {"party": Party(party).label.lower()},
            code="not_your_party",
        )


def lock_contract(contract: Contract) -> Contract:
    """The contract's row, locked until commit (only its row: see `trade.services._lock`), with what the
    services read of it."""
    return (
        Contract.objects.select_for_update(of=("self",))
        .select_related("buyer", "producer__organization", "signed_version")
        .get(pk=contract.pk)
    )


def require_settling(contract: Contract) -> None:
    if contract.state not in SETTLING_STATES or contract.signed_version_id is None:
        raise Conflict(
            _("This contract is %(state)s: weighings and assays are recorded for a signed contract.")
            % {"state": ContractState(contract.state).label.lower()},
            code="contract_not_settling",
            extra={"state": contract.state},
        )


def signed_on(contract: Contract) -> dt.date:
    assert contract.signed_at is not None
    return contract.signed_at.astimezone(clock.LIMA).date()


def check_day(field: str, day: dt.date, contract: Contract | None = None) -> None:
    """A day in the past or today (in Lima) and, when `contract` is given, not before it was signed."""
    if day > clock.today_lima():
        raise field_error(field, "in_the_future", _("This date is in the future."))
    if contract is not None and day < signed_on(contract):
        raise field_error(
            field,
            "before_signing",
            _("The contract was signed on %(date)s: this date is before it.") % {"date": signed_on(contract)},
        )


def organization_of_side(contract: Contract, side: str) -> Organization:
    return contract.buyer if side == Side.BUYER else contract.producer.organization


def people_of(organization_id: Any) -> QuerySet[User]:
    return User.objects.filter(memberships__organization_id=organization_id, is_active=True)


def tell(*, contract: Contract, side: str, kind: str, target: Any, params: dict[str, Any]) -> None:
    """Notify the people of `side` (their e-mails leave after commit)."""
    organization = organization_of_side(contract, side)
    notify(
        recipients=people_of(organization.pk),
        kind=kind,
        params={"buyer": contract.buyer.legal_name, "producer": contract.producer.organization.legal_name} | params,
        organization=organization,
        target=target,
    )
