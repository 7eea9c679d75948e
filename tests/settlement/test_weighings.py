"""Weighings: each side records its gross weight of a shipment once (the seller's at dispatch, the buyer's on
receipt); the same figures again change nothing, other figures are a conflict, and a correction is allowed
until a statement rests on the weighing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from notifications.models import Notification
from settlement.models import Weighing
from tests.problems import assert_problem, field_errors
from tests.settlement.helpers import (
    backdate_signature,
    days_from_today,
    issue_statement,
    today,
    weigh,
    weighings_url,
    with_shipments,
)
from tests.trade.deposit_helpers import FIXED_PRICE
from tests.trade.helpers import ask, ok, start
from trade.models import Contract

pytestmark = pytest.mark.django_db


def rows() -> list[tuple]:
    return list(Weighing.objects.order_by("party").values_list("shipment", "party", "gross_grams", "weighed_on"))


def events(action: str) -> int:
    return AuditEvent.objects.filter(action=action).count()


def test_each_side_records_its_own_weight_and_the_other_side_is_told(contract, producer_admin, buyer):
    seller = weigh(producer_admin, contract, "301.250")
    received = weigh(buyer, contract, "300.980")

    assert (seller["party"], seller["gross_grams"], seller["shipment"]) == ("seller", "301.250", 1)
    assert (received["party"], received["gross_grams"]) == ("buyer", "300.980")
    event = AuditEvent.objects.get(action="settlement.weighing.recorded", target_id=seller["id"])
    assert event.data["party"] == "seller"
    assert event.data["gross_grams"] == "301.250"
    assert event.subject_organization_id == buyer.organization.pk  # the other party reads it in its trail
    told = Notification.objects.filter(kind="settlement_weighing_recorded")
    assert {n.recipient_id for n in told.filter(target_id=seller["id"])} >= {buyer.user.pk}
    assert producer_admin.user.pk not in {n.recipient_id for n in told.filter(target_id=seller["id"])}


def test_the_same_figures_again_answer_the_record_and_record_nothing(contract, producer_admin):
    first = weigh(producer_admin, contract, "301.250")
    before = (rows(), events("settlement.weighing.recorded"), Notification.objects.count())

    again = weigh(producer_admin, contract, "301.250", status=200)

    assert again == first
    assert (rows(), events("settlement.weighing.recorded"), Notification.objects.count()) == before


def test_other_figures_for_a_recorded_party_are_a_conflict_naming_the_record(contract, producer_admin):
    first = weigh(producer_admin, contract, "301.250")
    before = rows()

    body = assert_problem(
        producer_admin.post(weighings_url(contract), {"gross_grams": "310.000", "weighed_on": today()}, format="json"),
        409,
        "already_recorded",
    )

    assert body["record"] == first["id"]
    assert body["recorded"] == {"gross_grams": "301.250", "weighed_on": today()}
    assert rows() == before


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"gross_grams": "0.000"}, "gross_grams", "min_value"),
        ({"gross_grams": "-1.000"}, "gross_grams", "min_value"),
        ({"gross_grams": 301.25}, "gross_grams", "invalid"),
        ({"weighed_on": "tomorrow"}, "weighed_on", "invalid"),
    ],
)
def test_bad_figures_are_refused_and_nothing_is_stored(contract, producer_admin, body, field, code):
    sent = {"gross_grams": "301.250", "weighed_on": today(), **body}

    assert field_errors(producer_admin.post(weighings_url(contract), sent, format="json")) == {field: code}
    assert rows() == []
    assert events("settlement.weighing.recorded") == 0


def test_a_day_in_the_future_or_before_the_signature_is_refused(contract, producer_admin):
    future = producer_admin.post(weighings_url(contract), {"gross_grams": "1.000", "weighed_on": days_from_today(1)})
    before = producer_admin.post(weighings_url(contract), {"gross_grams": "1.000", "weighed_on": days_from_today(-1)})

    assert field_errors(future) == {"weighed_on": "in_the_future"}
    assert field_errors(before) == {"weighed_on": "before_signing"}
    backdate_signature(contract, 3)
    ok(producer_admin.post(weighings_url(contract), {"gross_grams": "1.000", "weighed_on": days_from_today(-2)}), 201)


def test_a_shipment_the_signed_version_does_not_have_is_404(contract, producer_admin):
    assert_problem(
        producer_admin.post(weighings_url(contract, 2), {"gross_grams": "1.000", "weighed_on": today()}, format="json"),
        404,
        "shipment_not_found",
    )
    with_shipments(contract, "150.000", "150.000")
    assert weigh(producer_admin, contract, "150.100", n=2)["shipment"] == 2
    assert_problem(producer_admin.post(weighings_url(contract, 3), {}, format="json"), 404, "shipment_not_found")
    assert [(shipment, party, grams) for shipment, party, grams, _day in rows()] == [(2, "seller", Decimal("150.100"))]


@pytest.mark.parametrize("move", ["cancel", "unsigned"])
def test_only_a_signed_delivered_or_completed_contract_is_weighed(trade, contract, producer_admin, buyer, move):
    if move == "cancel":
        ok(buyer.post(f"/api/v1/contracts/{contract.pk}/cancel/", {"reason": "Ya no."}, format="json"))
    else:
        proposed = start(producer_admin, ask(buyer, trade.listing), trade.site, **FIXED_PRICE, quantity_grams="100.000")
        contract = Contract.objects.get(pk=proposed["id"])

    body = assert_problem(
        producer_admin.post(weighings_url(contract), {"gross_grams": "1.000", "weighed_on": today()}, format="json"),
        409,
        "contract_not_settling",
    )

    assert body["state"] == ("cancelled" if move == "cancel" else "negotiating")
    assert rows() == []


def test_a_delivered_contract_is_still_weighed(contract, producer_admin):
    Contract.objects.filter(pk=contract.pk).update(state="delivered", delivered_at=timezone.now())

    weigh(producer_admin, contract)


def test_members_read_but_do_not_record_and_reviewers_and_staff_neither(
    contract, producer_member, buyer_member, reviewer, staff
):
    body = {"gross_grams": "1.000", "weighed_on": today()}
    for member in (producer_member, buyer_member):
        assert_problem(member.post(weighings_url(contract), body, format="json"), 403, "not_admin")
    for outsider in (reviewer, staff):
        assert_problem(outsider.post(weighings_url(contract), body, format="json"), 403, "not_party")
    assert rows() == []


def test_another_organisation_gets_404(contract, other_buyer, other_producer):
    for intruder in (other_buyer, other_producer):
        assert_problem(
            intruder.post(weighings_url(contract), {"gross_grams": "1.000", "weighed_on": today()}, format="json"),
            404,
            "not_found",
        )
    assert rows() == []


# --- Corrections ----------------------------------------------------------------------------------------------
def test_a_party_corrects_its_weight_until_a_statement_rests_on_it(contract, producer_admin, buyer):
    first = weigh(producer_admin, contract, "301.250")

    corrected = ok(
        producer_admin.put(
            weighings_url(contract, party="seller"), {"gross_grams": "301.205", "weighed_on": today()}, format="json"
        )
    )

    assert (corrected["id"], corrected["gross_grams"]) == (first["id"], "301.205")
    event = AuditEvent.objects.get(action="settlement.weighing.corrected")
    assert (event.data["from"]["gross_grams"], event.data["gross_grams"]) == ("301.250", "301.205")
    assert Notification.objects.filter(kind="settlement_record_corrected", recipient=buyer.user).count() == 1

    issue_statement(contract, kind="provisional", amount_due=2434320, net_value=2704800)
    body = assert_problem(
        producer_admin.put(
            weighings_url(contract, party="seller"), {"gross_grams": "300.000", "weighed_on": today()}, format="json"
        ),
        409,
        "statement_issued",
    )
    assert body["statement_kind"] == "provisional"
    assert rows()[0][2] == Decimal("301.205")


def test_a_provisional_statement_leaves_the_received_weight_open_and_a_final_one_closes_it(
    contract, producer_admin, buyer
):
    weigh(buyer, contract, "300.980")
    issue_statement(contract, kind="provisional", amount_due=1, net_value=1)

    ok(buyer.put(weighings_url(contract, party="buyer"), {"gross_grams": "300.990", "weighed_on": today()}))
    issue_statement(contract, kind="final", amount_due=1, net_value=1)
    assert_problem(
        buyer.put(weighings_url(contract, party="buyer"), {"gross_grams": "300.000", "weighed_on": today()}),
        409,
        "statement_issued",
    )


def test_a_correction_is_the_partys_own_and_of_a_recorded_weight(contract, producer_admin, buyer):
    body = {"gross_grams": "300.000", "weighed_on": today()}
    assert_problem(buyer.put(weighings_url(contract, party="seller"), body, format="json"), 403, "not_your_party")
    assert_problem(
        producer_admin.put(weighings_url(contract, party="seller"), body, format="json"), 404, "not_recorded"
    )
    weigh(producer_admin, contract, "301.250")

    same = ok(producer_admin.put(weighings_url(contract, party="seller"), {**body, "gross_grams": "301.250"}))

    assert same["gross_grams"] == "301.250"
    assert events("settlement.weighing.corrected") == 0
    assert producer_admin.put(weighings_url(contract, party="umpire"), body, format="json").status_code == 404
