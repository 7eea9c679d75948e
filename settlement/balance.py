"""Where a contract's money stands (docs/settlement-records.md, "The balance"), in the contract's currency and
in integer minor units, per shipment and in total.

Owed, per shipment, by the statements issued: the final statement's net value once it is issued, else the
provisional statement's amount due, else nothing yet. Paid: the confirmed payments each way (a payment naming no
shipment counts for the contract as a whole), and the Stripe deposit once staff released it to the producer,
less what was refunded to the buyer. Unconfirmed payments and a deposit still held are shown apart and not
counted. Outstanding = owed − paid by the buyer − deposit applied + paid back by the producer: positive, the
buyer owes the producer; negative, the producer owes the buyer.

`balance_of` is the arithmetic alone, on plain values (the unit tests feed it); `contract_balance` reads the
rows (a fixed number of queries) and hands them to it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from settlement.models import Payment, Statement, StatementKind
from settlement.selectors import contract_currency, shipment_numbers
from trade.models import Contract, Deposit, DepositStatus, Side


@dataclass(frozen=True)
class StatementFigures:
    shipment: int
    kind: str  # provisional | final
    currency: str
    amount_due_minor: int
    net_value_minor: int
    id: Any = None


@dataclass(frozen=True)
class PaymentFigures:
    payer: str  # buyer | producer
    amount_minor: int
    currency: str
    confirmed: bool
    shipment: int | None = None


@dataclass(frozen=True)
class DepositFigures:
    status: str
    amount_minor: int
    refunded_minor: int
    currency: str


@dataclass
class Flows:
    """Payments one way and the other, confirmed and not."""

    paid_by_buyer_minor: int = 0
    paid_by_producer_minor: int = 0
    unconfirmed_by_buyer_minor: int = 0
    unconfirmed_by_producer_minor: int = 0

    def add(self, payment: PaymentFigures) -> None:
        by = "buyer" if payment.payer == Side.BUYER else "producer"
        name = f"paid_by_{by}_minor" if payment.confirmed else f"unconfirmed_by_{by}_minor"
        setattr(self, name, getattr(self, name) + payment.amount_minor)


@dataclass
class ShipmentBalance(Flows):
    number: int = 0
    owed_minor: int = 0
    owed_by: str | None = None  # the kind of statement that says what is owed, None before any is issued
    statement: Any = None

    @property
    def outstanding_minor(self) -> int:
        return self.owed_minor - self.paid_by_buyer_minor + self.paid_by_producer_minor


@dataclass
class DepositBalance:
    applied_minor: int = 0  # released to the producer, less refunds: counts as paid by the buyer
    held_minor: int = 0  # held by the platform, less refunds reserved: shown, not counted


@dataclass
class Balance:
    currency: str
    shipments: list[ShipmentBalance] = field(default_factory=list)
    unallocated: Flows = field(default_factory=Flows)  # payments that name no shipment
    deposit: DepositBalance = field(default_factory=DepositBalance)

    def _sum(self, name: str) -> int:
        return sum(getattr(row, name) for row in self.shipments) + getattr(self.unallocated, name, 0)

    @property
    def owed_minor(self) -> int:
        return sum(row.owed_minor for row in self.shipments)

    @property
    def paid_by_buyer_minor(self) -> int:
        return self._sum("paid_by_buyer_minor")

    @property
    def paid_by_producer_minor(self) -> int:
        return self._sum("paid_by_producer_minor")

    @property
    def unconfirmed_by_buyer_minor(self) -> int:
        return self._sum("unconfirmed_by_buyer_minor")

    @property
    def unconfirmed_by_producer_minor(self) -> int:
        return self._sum("unconfirmed_by_producer_minor")

    @property
    def outstanding_minor(self) -> int:
        return self.owed_minor - self.paid_by_buyer_minor - self.deposit.applied_minor + self.paid_by_producer_minor


class CurrencyMismatch(ValueError):
    """A row in another currency than the contract's: the balance cannot add it up."""


def _same_currency(currency: str, row: Any) -> None:
    if row.currency != currency:
        raise CurrencyMismatch(f"{type(row).__name__} in {row.currency}, the contract is in {currency}")


def balance_of(
    *,
    currency: str,
    shipments: Iterable[int],
    statements: Iterable[StatementFigures],
    payments: Iterable[PaymentFigures],
    deposits: Iterable[DepositFigures],
) -> Balance:
    """The balance from plain figures: integers in, integers out."""
    rows: dict[int, ShipmentBalance] = {number: ShipmentBalance(number=number) for number in shipments}
    chosen: dict[int, StatementFigures] = {}
    for statement in statements:
        _same_currency(currency, statement)
        rows.setdefault(statement.shipment, ShipmentBalance(number=statement.shipment))
        if statement.kind == StatementKind.FINAL or statement.shipment not in chosen:
            chosen[statement.shipment] = statement  # the final statement, once issued, says what is owed
    for number, statement in chosen.items():
        row = rows[number]
        final = statement.kind == StatementKind.FINAL
        row.owed_minor = statement.net_value_minor if final else statement.amount_due_minor
        row.owed_by, row.statement = statement.kind, statement.id
    balance = Balance(currency=currency)
    for payment in payments:
        _same_currency(currency, payment)
        if payment.shipment is None:
            balance.unallocated.add(payment)
        else:
            rows.setdefault(payment.shipment, ShipmentBalance(number=payment.shipment)).add(payment)
    for deposit in deposits:
        _same_currency(currency, deposit)
        left = deposit.amount_minor - deposit.refunded_minor
        if deposit.status == DepositStatus.RELEASED:
            balance.deposit.applied_minor += left
        elif deposit.status == DepositStatus.HELD:
            balance.deposit.held_minor += left
    balance.shipments = [rows[number] for number in sorted(rows)]
    return balance


def contract_balance(contract: Contract) -> Balance:
    """The contract's balance as it stands: four queries whatever the number of rows."""
    statements = [
        StatementFigures(
            shipment=row.shipment,
            kind=row.kind,
            currency=row.currency,
            amount_due_minor=row.amount_due_minor,
            net_value_minor=row.net_value_minor,
            id=row.pk,
        )
        for row in Statement.objects.filter(contract=contract).order_by("shipment", "issued_at")
    ]
    payments = [
        PaymentFigures(
            payer=row.payer,
            amount_minor=row.amount_minor,
            currency=row.currency,
            confirmed=row.confirmed_at is not None,
            shipment=row.shipment,
        )
        for row in Payment.objects.filter(contract=contract).order_by("recorded_at", "id")
    ]
    deposits = [
        DepositFigures(
            status=row.status, amount_minor=row.amount_minor, refunded_minor=row.refunded_minor, currency=row.currency
        )
        for row in Deposit.objects.filter(
            contract=contract, status__in=[DepositStatus.RELEASED, DepositStatus.HELD]
        ).order_by("created_at")
    ]
    return balance_of(
        currency=contract_currency(contract),
        shipments=shipment_numbers(contract),
        statements=statements,
        payments=payments,
        deposits=deposits,
    )
