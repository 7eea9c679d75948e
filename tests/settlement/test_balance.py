"""The balance: what the issued statements say is owed, less what was paid and confirmed each way, less the
deposit released to the producer. Pure arithmetic first (`balance_of`, on plain figures), then through the API."""

from __future__ import annotations

import pytest
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from settlement.balance import (
    CurrencyMismatch,
    DepositFigures,
    PaymentFigures,
    StatementFigures,
    balance_of,
    contract_balance,
)
from tests.problems import assert_problem
from tests.settlement.helpers import balance_url, confirm_url, issue_statement, pay, with_shipments
from tests.trade.helpers import ok
from trade.models import Contract, Deposit

USD = "USD"


def statement(shipment: int, kind: str, due: int, net: int, currency: str = USD) -> StatementFigures:
    return StatementFigures(shipment=shipment, kind=kind, currency=currency, amount_due_minor=due, net_value_minor=net)


def paid(payer: str, amount: int, confirmed: bool = True, shipment: int | None = 1, currency: str = USD):
    return PaymentFigures(payer=payer, amount_minor=amount, currency=currency, confirmed=confirmed, shipment=shipment)


def deposit(status: str, amount: int, refunded: int = 0, currency: str = USD) -> DepositFigures:
    return DepositFigures(status=status, amount_minor=amount, refunded_minor=refunded, currency=currency)


def balance(shipments=(1,), statements=(), payments=(), deposits=(), currency=USD):
    return balance_of(
        currency=currency, shipments=shipments, statements=statements, payments=payments, deposits=deposits
    )


# --- The arithmetic, case by case -----------------------------------------------------------------------------------
# (statements, payments, deposits) -> (owed, paid by the buyer, paid by the producer, deposit applied, outstanding)
CASES = {
    "nothing issued, nothing paid": ((), (), (), (0, 0, 0, 0, 0)),
    "a payment before any statement: the producer owes it back until one is issued": (
        (),
        (paid("buyer", 1000),),
        (),
        (0, 1000, 0, 0, -1000),
    ),
    "the provisional statement's amount due": (
        (statement(1, "provisional", 9000, 10000),),
        (),
        (),
        (9000, 0, 0, 0, 9000),
    ),
    "the provisional paid in full": (
        (statement(1, "provisional", 9000, 10000),),
        (paid("buyer", 9000),),
        (),
        (9000, 9000, 0, 0, 0),
    ),
    "the final statement's net value replaces the provisional's amount due": (
        (statement(1, "provisional", 9000, 10000), statement(1, "final", 1200, 10200)),
        (paid("buyer", 9000),),
        (),
        (10200, 9000, 0, 0, 1200),
    ),
    "a final statement below the provisional payment: the producer owes the difference": (
        (statement(1, "provisional", 9000, 10000), statement(1, "final", -500, 8500)),
        (paid("buyer", 9000),),
        (),
        (8500, 9000, 0, 0, -500),
    ),
    "the producer pays the difference back": (
        (statement(1, "provisional", 9000, 10000), statement(1, "final", -500, 8500)),
        (paid("buyer", 9000), paid("producer", 500)),
        (),
        (8500, 9000, 500, 0, 0),
    ),
    "unconfirmed payments count for nothing": (
        (statement(1, "provisional", 9000, 10000),),
        (paid("buyer", 9000, confirmed=False), paid("producer", 300, confirmed=False)),
        (),
        (9000, 0, 0, 0, 9000),
    ),
    "a released deposit counts as paid by the buyer, less its refunds": (
        (statement(1, "final", 0, 10000),),
        (paid("buyer", 8000),),
        (deposit("released", 1500, refunded=500),),
        (10000, 8000, 0, 1000, 1000),
    ),
    "a held deposit is shown, not counted; the others neither": (
        (statement(1, "final", 0, 10000),),
        (),
        (deposit("held", 1500), deposit("refunded", 700, 700), deposit("failed", 900), deposit("cancelled", 900)),
        (10000, 0, 0, 0, 10000),
    ),
    "a payment naming no shipment counts for the contract": (
        (statement(1, "final", 0, 10000),),
        (paid("buyer", 4000, shipment=None), paid("buyer", 6000)),
        (),
        (10000, 10000, 0, 0, 0),
    ),
}


@pytest.mark.parametrize(("statements", "payments", "deposits", "expected"), CASES.values(), ids=CASES.keys())
def test_the_balance_case_by_case(statements, payments, deposits, expected):
    result = balance(statements=statements, payments=payments, deposits=deposits)

    assert (
        result.owed_minor,
        result.paid_by_buyer_minor,
        result.paid_by_producer_minor,
        result.deposit.applied_minor,
        result.outstanding_minor,
    ) == expected


def test_per_shipment_and_in_total():
    result = balance(
        shipments=(1, 2, 3),
        statements=(
            statement(1, "provisional", 9000, 10000),
            statement(1, "final", 900, 9900),
            statement(2, "provisional", 4500, 5000),
        ),
        payments=(
            paid("buyer", 9000, shipment=1),
            paid("buyer", 4500, shipment=2),
            paid("buyer", 100, confirmed=False, shipment=2),
            paid("producer", 50, shipment=None),
            paid("buyer", 25, confirmed=False, shipment=None),
        ),
        deposits=(deposit("held", 2000),),
    )

    rows = {row.number: row for row in result.shipments}
    assert [(n, r.owed_minor, r.owed_by, r.outstanding_minor) for n, r in rows.items()] == [
        (1, 9900, "final", 900),
        (2, 4500, "provisional", 0),
        (3, 0, None, 0),
    ]
    assert rows[2].unconfirmed_by_buyer_minor == 100
    assert (result.unallocated.paid_by_producer_minor, result.unallocated.unconfirmed_by_buyer_minor) == (50, 25)
    assert (result.owed_minor, result.paid_by_buyer_minor, result.paid_by_producer_minor) == (14400, 13500, 50)
    assert (result.unconfirmed_by_buyer_minor, result.deposit.held_minor) == (125, 2000)
    assert result.outstanding_minor == 14400 - 13500 + 50 == 950


def test_a_statement_or_payment_of_a_shipment_not_listed_still_counts():
    result = balance(shipments=(), statements=(statement(2, "provisional", 10, 10),), payments=(paid("buyer", 4),))

    assert [row.number for row in result.shipments] == [1, 2]
    assert result.outstanding_minor == 6


@pytest.mark.parametrize(
    "row",
    [
        {"statements": (statement(1, "final", 0, 1, currency="PEN"),)},
        {"payments": (paid("buyer", 1, currency="PEN"),)},
        {"deposits": (deposit("released", 1, currency="PEN"),)},
    ],
)
def test_a_row_in_another_currency_is_refused_rather_than_added(row):
    with pytest.raises(CurrencyMismatch):
        balance(**row)


# --- The arithmetic, over many cases ----------------------------------------------------------------------------
amounts = st.integers(min_value=1, max_value=10**12)
shipment_numbers = st.integers(min_value=1, max_value=4)
statements_st = st.dictionaries(
    st.tuples(shipment_numbers, st.sampled_from(["provisional", "final"])),
    st.tuples(st.integers(min_value=-(10**11), max_value=10**12), st.integers(min_value=0, max_value=10**12)),
    max_size=8,
)
payments_st = st.lists(
    st.builds(
        paid,
        payer=st.sampled_from(["buyer", "producer"]),
        amount=amounts,
        confirmed=st.booleans(),
        shipment=st.one_of(st.none(), shipment_numbers),
    ),
    max_size=12,
)
deposits_st = st.lists(
    st.tuples(st.sampled_from(["held", "released", "refunded", "failed"]), amounts, st.integers(0, 100)).map(
        lambda t: deposit(t[0], t[1], refunded=t[1] * t[2] // 100)
    ),
    max_size=3,
)


@settings(max_examples=300, deadline=None)
@given(statements=statements_st, payments=payments_st, deposits=deposits_st, order=st.randoms())
def test_the_balance_holds_whatever_the_figures(statements, payments, deposits, order):
    issued = [statement(n, kind, due, net) for (n, kind), (due, net) in statements.items()]
    result = balance(shipments=(1, 2), statements=issued, payments=payments, deposits=deposits)

    # Owed: per shipment the final statement's net value, else the provisional's amount due.
    expected_owed = 0
    for number in {n for n, _kind in statements}:
        final, provisional = statements.get((number, "final")), statements.get((number, "provisional"))
        expected_owed += final[1] if final else provisional[0]
    confirmed = [p for p in payments if p.confirmed]
    by_buyer = sum(p.amount_minor for p in confirmed if p.payer == "buyer")
    by_producer = sum(p.amount_minor for p in confirmed if p.payer == "producer")
    applied = sum(d.amount_minor - d.refunded_minor for d in deposits if d.status == "released")
    assert result.owed_minor == expected_owed
    assert (result.paid_by_buyer_minor, result.paid_by_producer_minor) == (by_buyer, by_producer)
    assert result.deposit.applied_minor == applied
    assert result.outstanding_minor == expected_owed - by_buyer - applied + by_producer
    assert all(isinstance(v, int) for v in (result.owed_minor, result.outstanding_minor))
    # The shipments add up to the total, with the payments that name none.
    assert (
        sum(row.outstanding_minor for row in result.shipments)
        - result.unallocated.paid_by_buyer_minor
        + (result.unallocated.paid_by_producer_minor)
        - applied
        == result.outstanding_minor
    )
    # Unconfirmed payments are shown and never counted; the order of the rows changes nothing.
    unconfirmed = sum(p.amount_minor for p in payments if not p.confirmed)
    assert result.unconfirmed_by_buyer_minor + result.unconfirmed_by_producer_minor == unconfirmed
    shuffled = list(payments)
    order.shuffle(shuffled)
    again = balance(shipments=(1, 2), statements=list(reversed(issued)), payments=shuffled, deposits=deposits)
    assert again.outstanding_minor == result.outstanding_minor
    assert [(r.number, r.owed_minor, r.outstanding_minor) for r in again.shipments] == [
        (r.number, r.owed_minor, r.outstanding_minor) for r in result.shipments
    ]


# --- Through the API ---------------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_the_balance_of_a_contract_as_both_parties_read_it(
    contract, buyer, producer_admin, buyer_member, producer_member, reviewer, staff
):
    with_shipments(contract, "150.000", "150.000")
    first_final = issue_statement(contract, shipment=1, kind="final", amount_due=120000, net_value=1352400)
    issue_statement(contract, shipment=1, kind="provisional", amount_due=1217160, net_value=1352400)
    issue_statement(contract, shipment=2, kind="provisional", amount_due=1217160, net_value=1352400)
    ok(
        producer_admin.post(
            confirm_url(
                pay(
                    buyer,
                    contract,
                    shipment=1,
                    bank_reference="P1",
                    amount={"amount_minor": 1217160, "currency": "USD"},
                )
            )
        )
    )
    pay(buyer, contract, shipment=2, bank_reference="P2", amount={"amount_minor": 1217160, "currency": "USD"})
    Deposit.objects.create(
        contract=contract,
        amount_minor=270480,
        currency="USD",
        status="released",
        refunded_minor=0,
        idempotency_key=f"deposit:{contract.pk}:create",
        payout_reference="BCP-0077812",
        released_at=timezone.now(),
        created_by=buyer.user,
    )

    answers = [
        ok(reader.get(balance_url(contract)))
        for reader in (buyer, producer_admin, buyer_member, producer_member, reviewer, staff)
    ]

    assert all(answer == answers[0] for answer in answers)
    body = answers[0]
    assert (body["contract"], body["currency"]) == (str(contract.pk), "USD")
    assert body["shipments"] == [
        {
            "number": 1,
            "owed_minor": 1352400,
            "owed_by": "final",
            "statement": str(first_final.pk),
            "paid_by_buyer_minor": 1217160,
            "paid_by_producer_minor": 0,
            "unconfirmed_by_buyer_minor": 0,
            "unconfirmed_by_producer_minor": 0,
            "outstanding_minor": 135240,
        },
        {
            "number": 2,
            "owed_minor": 1217160,
            "owed_by": "provisional",
            "statement": body["shipments"][1]["statement"],
            "paid_by_buyer_minor": 0,
            "paid_by_producer_minor": 0,
            "unconfirmed_by_buyer_minor": 1217160,
            "unconfirmed_by_producer_minor": 0,
            "outstanding_minor": 1217160,
        },
    ]
    assert body["deposit"] == {"applied_minor": 270480, "held_minor": 0}
    assert body["total"] == {
        "owed_minor": 2569560,
        "paid_by_buyer_minor": 1217160,
        "paid_by_producer_minor": 0,
        "unconfirmed_by_buyer_minor": 1217160,
        "unconfirmed_by_producer_minor": 0,
        "deposit_applied_minor": 270480,
        "outstanding_minor": 2569560 - 1217160 - 270480,
    }


@pytest.mark.django_db
def test_a_contract_not_signed_yet_owes_nothing(contract):
    Contract.objects.filter(pk=contract.pk).update(
        state="negotiating", signed_version=None, signed_at=None, terms_hash=""
    )
    contract.refresh_from_db()

    result = contract_balance(contract)

    assert (result.currency, result.shipments, result.outstanding_minor) == ("USD", [], 0)


@pytest.mark.django_db
def test_another_organisation_reads_no_balance(contract, other_buyer, other_producer):
    for intruder in (other_buyer, other_producer):
        assert_problem(intruder.get(balance_url(contract)), 404, "not_found")
