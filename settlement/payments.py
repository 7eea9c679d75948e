"""Bank payments between the two parties of a contract (docs/settlement-records.md). Nothing here moves money:
the paying side's admin records a transfer it made (the buyer paying the producer, or the producer paying
back), and the receiving side's admin confirms that the money arrived. Only confirmed payments count toward
the balance.

A transfer is known by its payer's bank reference, once per contract: recording the same reference again with
the same amount, currency and date answers the stored payment and records nothing (a retried request);
other figures are 409 `bank_reference_used`, naming the payment that has it. The contract's row is locked while
the reference is judged, so two requests with one reference are judged one after the other (the unique
constraint backs it).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_record
from core.actor import Actor
from core.errors import Conflict, PermissionDenied, field_error
from core.money import Money
from settlement.common import (
    SETTLING_STATES,
    admin_side,
    check_day,
    lock_contract,
    organization_of_side,
    other_side,
    tell,
)
from settlement.models import Payment, PaymentKind
from settlement.selectors import contract_currency, shipment_numbers
from trade.models import Contract, ContractState


def _figures(payment: Payment) -> dict[str, Any]:
    return {
        "amount_minor": payment.amount_minor,
        "currency": payment.currency,
        "paid_on": payment.paid_on.isoformat(),
    }


def _amount(payment: Payment) -> str:
    return str(Money(payment.amount_minor, payment.currency))


def _require_payable(contract: Contract) -> None:
    if contract.state not in SETTLING_STATES or contract.signed_version_id is None:
        raise Conflict(
            _("This contract is %(state)s: payments are recorded on a signed contract.")
            % {"state": ContractState(contract.state).label.lower()},
            code="contract_not_payable",
            extra={"state": contract.state},
        )


def _check(contract: Contract, *, kind: str, shipment: int | None, amount: Money, paid_on: dt.date) -> None:
    if kind not in PaymentKind.values:
        raise field_error("kind", "invalid_choice", _("A payment is provisional, final or other."))
    currency = contract_currency(contract)
    if amount.currency != currency:
        raise field_error(
            "amount",
            "currency_mismatch",
            _("The contract is paid in %(currency)s.") % {"currency": currency},
        )
    if amount.amount_minor <= 0:
        raise field_error("amount", "not_positive", _("A payment is more than 0."))
    check_day("paid_on", paid_on)
    if shipment is not None and shipment not in shipment_numbers(contract):
        raise field_error(
            "shipment", "unknown_shipment", _("This contract has no shipment %(number)s.") % {"number": shipment}
        )


def _bank_reference_used(existing: Payment) -> Conflict:
    return Conflict(
        _(
            "Your side recorded a payment with this bank reference already, for %(amount)s paid on %(date)s. "
            "A transfer is recorded once."
        )
        % {"amount": _amount(existing), "date": existing.paid_on.isoformat()},
        code="bank_reference_used",
        extra={"payment": str(existing.pk), "recorded": _figures(existing)},
    )


def _same(existing: Payment, amount: Money, paid_on: dt.date) -> bool:
    return (
        existing.amount_minor == amount.amount_minor
        and existing.currency == amount.currency
        and existing.paid_on == paid_on
    )


@transaction.atomic
def payment_record(
    *,
    actor: Actor,
    contract: Contract,
    kind: str,
    shipment: int | None,
    amount: Money,
    paid_on: dt.date,
    bank_reference: str,
    note: str = "",
) -> tuple[Payment, bool]:
    """The paying side's admin records a transfer it made to the other side. (payment, created)."""
    payer = admin_side(actor, contract)
    contract = lock_contract(contract)
    _require_payable(contract)
    _check(contract, kind=kind, shipment=shipment, amount=amount, paid_on=paid_on)
    bank_reference = bank_reference.strip()
    if not bank_reference:
        raise field_error("bank_reference", "blank", _("Give the bank's reference of the transfer."))
    existing = Payment.objects.filter(contract=contract, payer=payer, bank_reference=bank_reference).first()
    if existing is None:
        try:
            with transaction.atomic():
                payment = Payment.objects.create(
                    contract=contract,
                    shipment=shipment,
                    kind=kind,
                    payer=payer,
                    amount_minor=amount.amount_minor,
                    currency=amount.currency,
                    paid_on=paid_on,
                    bank_reference=bank_reference,
                    note=note,
                    recorded_by=actor.user,
                )
        except IntegrityError:  # recorded meanwhile (the lock makes this a backstop): judge what is stored
            existing = Payment.objects.get(contract=contract, payer=payer, bank_reference=bank_reference)
        else:
            receiver = other_side(payer)
            audit_record(
                action="settlement.payment.recorded",
                actor=actor,
                subject_organization=organization_of_side(contract, receiver),
                target=payment,
                data={
                    "contract": str(contract.pk),
                    "shipment": shipment,
                    "kind": kind,
                    "payer": payer,
                    "bank_reference": bank_reference,
                }
                | _figures(payment),
            )
            tell(
                contract=contract,
                side=receiver,
                kind="settlement_payment_recorded",
                target=payment,
                params={
                    "organization": organization_of_side(contract, payer).legal_name,
                    "amount": _amount(payment),
                    "reference": bank_reference,
                },
            )
            return payment, True
    if _same(existing, amount, paid_on):
        return existing, False
    raise _bank_reference_used(existing)


def require_confirmer(actor: Actor, payment: Payment) -> str:
    """An admin of the receiving side; the payer cannot confirm its own transfer (403)."""
    side = admin_side(actor, payment.contract)
    if side == payment.payer:
        raise PermissionDenied(
            _("The side that receives the money confirms it arrived, not the side that paid."),
            code="payer_cannot_confirm",
        )
    return side


@transaction.atomic
def payment_confirm(*, actor: Actor, payment: Payment) -> Payment:
    """The receiving side's admin confirms the transfer arrived (confirming it again changes nothing)."""
    side = require_confirmer(actor, payment)
    contract = payment.contract
    now = timezone.now()
    if not Payment.objects.filter(pk=payment.pk, confirmed_at__isnull=True).update(
        confirmed_by=actor.user, confirmed_at=now
    ):
        payment.refresh_from_db()
        return payment  # confirmed already (by this request's twin or an earlier one): the same answer
    payment.refresh_from_db()
    audit_record(
        action="settlement.payment.confirmed",
        actor=actor,
        subject_organization=organization_of_side(contract, payment.payer),
        target=payment,
        data={
            "contract": str(contract.pk),
            "payer": payment.payer,
            "bank_reference": payment.bank_reference,
        }
        | _figures(payment),
    )
    tell(
        contract=contract,
        side=payment.payer,
        kind="settlement_payment_confirmed",
        target=payment,
        params={
            "organization": organization_of_side(contract, side).legal_name,
            "amount": _amount(payment),
            "reference": payment.bank_reference,
        },
    )
    return payment
