"""Bank payments: the paying side's admin records a transfer (once per bank reference), the receiving side's
admin confirms it arrived; only signed, delivered or completed contracts are paid."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEvent
from notifications.models import Notification
from settlement.models import Payment
from tests.problems import assert_problem, field_errors
from tests.settlement.helpers import (
    backdate_signature,
    confirm_url,
    days_from_today,
    pay,
    payment_body,
    payments_url,
    with_shipments,
)
from tests.trade.deposit_helpers import FIXED_PRICE
from tests.trade.helpers import ask, ok, start
from trade.models import Contract

pytestmark = pytest.mark.django_db


def stored() -> list[tuple]:
    return list(
        Payment.objects.order_by("recorded_at").values_list(
            "payer", "kind", "shipment", "amount_minor", "currency", "paid_on", "bank_reference", "confirmed_at"
        )
    )


def events(action: str) -> int:
    return AuditEvent.objects.filter(action=action).count()


def test_the_buyer_records_a_payment_and_the_producer_is_asked_to_confirm_it(contract, buyer, producer_admin):
    payment = pay(buyer, contract)

    assert (payment["payer"], payment["kind"], payment["shipment"]) == ("buyer", "provisional", 1)
    assert payment["amount"] == {"amount_minor": 2434320, "currency": "USD"}
    assert (payment["confirmed"], payment["confirmed_by"], payment["confirmed_at"]) == (False, None, None)
    event = AuditEvent.objects.get(action="settlement.payment.recorded")
    assert (event.target_id, event.data["bank_reference"], event.data["amount_minor"]) == (
        payment["id"],
        "UBS-CH-0114-7731",
        2434320,
    )
    assert event.subject_organization_id == producer_admin.organization.pk
    told = Notification.objects.get(kind="settlement_payment_recorded", recipient=producer_admin.user)
    assert told.params["reference"] == "UBS-CH-0114-7731"
    assert not Notification.objects.filter(kind="settlement_payment_recorded", recipient=buyer.user).exists()


def test_the_same_transfer_recorded_again_is_the_same_payment(contract, buyer):
    first = pay(buyer, contract)
    before = (stored(), events("settlement.payment.recorded"), Notification.objects.count())

    again = pay(buyer, contract, status=200, note="Reenviado", kind="other")  # kind and note do not identify it

    assert again == first
    assert (stored(), events("settlement.payment.recorded"), Notification.objects.count()) == before


@pytest.mark.parametrize(
    "change",
    [
        {"amount": {"amount_minor": 2434321, "currency": "USD"}},
        {"paid_on": days_from_today(-1)},
    ],
)
def test_the_same_reference_with_other_figures_names_the_payment_that_has_it(contract, buyer, change):
    backdate_signature(contract, 5)
    first = pay(buyer, contract)
    before = stored()

    body = assert_problem(
        buyer.post(payments_url(contract), payment_body(**change), format="json"), 409, "bank_reference_used"
    )

    assert body["payment"] == first["id"]
    assert body["recorded"] == {"amount_minor": 2434320, "currency": "USD", "paid_on": first["paid_on"]}
    assert stored() == before


def test_a_reference_is_the_payers_own(contract, buyer, producer_admin):
    pay(buyer, contract)

    back = pay(producer_admin, contract, kind="other", amount={"amount_minor": 35000, "currency": "USD"})

    assert back["payer"] == "producer"
    assert [row[0] for row in stored()] == ["buyer", "producer"]


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"amount": {"amount_minor": 1000, "currency": "PEN"}}, "amount", "currency_mismatch"),
        ({"amount": {"amount_minor": 0, "currency": "USD"}}, "amount", "not_positive"),
        ({"amount": {"amount_minor": -5, "currency": "USD"}}, "amount.amount_minor", "min_value"),
        ({"amount": {"amount_minor": 10.5, "currency": "USD"}}, "amount.amount_minor", "invalid"),
        ({"paid_on": days_from_today(1)}, "paid_on", "in_the_future"),
        ({"shipment": 2}, "shipment", "unknown_shipment"),
        ({"shipment": 0}, "shipment", "min_value"),
        ({"kind": "deposit"}, "kind", "invalid_choice"),
        ({"bank_reference": ""}, "bank_reference", "blank"),
        ({"bank_reference": "   "}, "bank_reference", "blank"),
        ({"bank_reference": "x" * 81}, "bank_reference", "max_length"),
    ],
)
def test_bad_payments_are_refused_and_nothing_is_stored(contract, buyer, change, field, code):
    response = buyer.post(payments_url(contract), payment_body(**change), format="json")

    assert field_errors(response) == {field: code}
    assert stored() == []
    assert events("settlement.payment.recorded") == 0


def test_a_payment_for_the_contract_as_a_whole_or_for_any_of_its_shipments(contract, buyer):
    with_shipments(contract, "100.000", "200.000")

    pay(buyer, contract, shipment=None, bank_reference="A")
    pay(buyer, contract, shipment=2, bank_reference="B")

    assert [row[2] for row in stored()] == [None, 2]


@pytest.mark.parametrize("state", ["cancelled", "negotiating", "declined", "withdrawn"])
def test_no_payment_on_a_contract_that_is_not_signed(trade, contract, buyer, producer_admin, state):
    if state == "cancelled":
        ok(buyer.post(f"/api/v1/contracts/{contract.pk}/cancel/", {"reason": "Ya no."}, format="json"))
    else:
        proposed = start(producer_admin, ask(buyer, trade.listing), trade.site, **FIXED_PRICE, quantity_grams="50.000")
        contract = Contract.objects.get(pk=proposed["id"])
        if state != "negotiating":
            actor, move = (buyer, "decline") if state == "declined" else (producer_admin, "withdraw")
            ok(actor.post(f"/api/v1/contracts/{contract.pk}/{move}/", {}, format="json"))

    body = assert_problem(
        buyer.post(payments_url(contract), payment_body(), format="json"), 409, "contract_not_payable"
    )

    assert body["state"] == state
    assert stored() == []


@pytest.mark.parametrize("state", ["delivered", "completed"])
def test_a_delivered_or_completed_contract_is_paid(contract, buyer, state):
    Contract.objects.filter(pk=contract.pk).update(state=state)

    pay(buyer, contract)


def test_members_reviewers_and_staff_record_no_payment(contract, buyer_member, producer_member, reviewer, staff):
    for member in (buyer_member, producer_member):
        assert_problem(member.post(payments_url(contract), payment_body(), format="json"), 403, "not_admin")
    for outsider in (reviewer, staff):
        assert_problem(outsider.post(payments_url(contract), payment_body(), format="json"), 403, "not_party")
    assert stored() == []


def test_another_organisation_neither_reads_nor_records_nor_confirms(contract, buyer, other_buyer, other_producer):
    payment = pay(buyer, contract)
    for intruder in (other_buyer, other_producer):
        assert_problem(intruder.get(payments_url(contract)), 404, "not_found")
        assert_problem(intruder.post(payments_url(contract), payment_body(), format="json"), 404, "not_found")
        assert_problem(intruder.post(confirm_url(payment)), 404, "not_found")
    assert len(stored()) == 1
    assert stored()[0][-1] is None


# --- Confirmation -----------------------------------------------------------------------------------------------
def test_the_receiving_side_confirms_once_and_the_payer_is_told(contract, buyer, producer_admin):
    payment = pay(buyer, contract)

    confirmed = ok(producer_admin.post(confirm_url(payment)))
    again = ok(producer_admin.post(confirm_url(payment)))

    assert (confirmed["confirmed"], confirmed["confirmed_by"]) == (True, str(producer_admin.user.pk))
    assert again == confirmed
    assert events("settlement.payment.confirmed") == 1
    event = AuditEvent.objects.get(action="settlement.payment.confirmed")
    assert (event.target_id, event.subject_organization_id) == (payment["id"], buyer.organization.pk)
    assert Notification.objects.filter(kind="settlement_payment_confirmed", recipient=buyer.user).count() == 1


def test_the_payer_cannot_confirm_its_own_transfer(contract, buyer, producer_admin):
    payment = pay(buyer, contract)
    back = pay(producer_admin, contract, bank_reference="BCP-0042", kind="other")

    assert_problem(buyer.post(confirm_url(payment)), 403, "payer_cannot_confirm")
    assert_problem(producer_admin.post(confirm_url(back)), 403, "payer_cannot_confirm")
    assert ok(buyer.post(confirm_url(back)))["confirmed"] is True
    assert [row[-1] is None for row in stored()] == [True, False]


def test_members_reviewers_and_staff_confirm_nothing(contract, buyer, producer_member, reviewer, staff):
    payment = pay(buyer, contract)

    assert_problem(producer_member.post(confirm_url(payment)), 403, "not_admin")
    for outsider in (reviewer, staff):
        assert_problem(outsider.post(confirm_url(payment)), 403, "not_party")
    assert stored()[0][-1] is None
    assert events("settlement.payment.confirmed") == 0


# --- The list ---------------------------------------------------------------------------------------------------
def test_both_parties_reviewers_and_staff_read_the_payments_oldest_transfer_first(
    contract, buyer, producer_admin, buyer_member, producer_member, reviewer, staff
):
    backdate_signature(contract, 5)
    later = pay(buyer, contract, bank_reference="B", paid_on=days_from_today(-1))
    earlier = pay(buyer, contract, bank_reference="A", paid_on=days_from_today(-3))
    ok(producer_admin.post(confirm_url(later)))

    for reader in (buyer, producer_admin, buyer_member, producer_member, reviewer, staff):
        listed = ok(reader.get(payments_url(contract)))
        assert [p["id"] for p in listed] == [earlier["id"], later["id"]]
        assert [p["confirmed"] for p in listed] == [False, True]


def test_the_list_runs_the_same_queries_for_2_and_12_payments(contract, buyer, producer_admin):
    def measure() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            listed = ok(producer_admin.get(payments_url(contract)))
        return len(queries.captured_queries), len(listed)

    for n in range(2):
        ok(producer_admin.post(confirm_url(pay(buyer, contract, bank_reference=f"R-{n}"))))
    few = measure()
    for n in range(2, 12):
        pay(buyer if n % 2 else producer_admin, contract, bank_reference=f"R-{n}")
    more = measure()

    assert (few[1], more[1]) == (2, 12)
    assert more[0] == few[0]
