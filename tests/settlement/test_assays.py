"""Assays: the seller's by the producer, the buyer's by the buyer, the umpire's by either once the two differ by
more than the signed splitting limit, from the laboratory the terms name; recorded once, corrected until a
statement rests on them."""

from __future__ import annotations

from decimal import Decimal

import pytest

from audit.models import AuditEvent
from notifications.models import Notification
from settlement.models import AssayResult
from tests.problems import assert_problem, field_errors
from tests.settlement.helpers import (
    UMPIRE_LAB,
    assay,
    assay_body,
    assays_url,
    days_from_today,
    issue_statement,
    shipments_url,
    with_terms,
)
from tests.trade.helpers import ok

pytestmark = pytest.mark.django_db


def rows() -> list[tuple]:
    return list(AssayResult.objects.order_by("party").values_list("party", "au_per_mille", "cost_minor"))


def test_each_side_records_its_assay_and_the_other_side_is_told(contract, producer_admin, buyer):
    seller = assay(producer_admin, contract, "seller", "921.4")
    mine = assay(buyer, contract, "buyer", "921.2")

    assert (seller["party"], seller["au_per_mille"], seller["ag_per_mille"], seller["cost"]) == (
        "seller",
        "921.4",
        "61.2",
        None,
    )
    assert mine["party"] == "buyer"
    event = AuditEvent.objects.get(action="settlement.assay.recorded", target_id=mine["id"])
    assert (event.data["au_per_mille"], event.subject_organization_id) == ("921.2", producer_admin.organization.pk)
    told = Notification.objects.get(
        kind="settlement_assay_recorded", target_id=mine["id"], recipient=producer_admin.user
    )
    assert "921.2" in told.params["au_per_mille"]


def test_a_side_records_only_its_own_partys_assay(contract, producer_admin, buyer):
    assert_problem(buyer.post(assays_url(contract), assay_body("seller"), format="json"), 403, "not_your_party")
    assert_problem(producer_admin.post(assays_url(contract), assay_body("buyer"), format="json"), 403, "not_your_party")
    assert rows() == []


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"au_per_mille": "1000.1"}, "au_per_mille", "max_value"),
        ({"au_per_mille": "-0.1"}, "au_per_mille", "min_value"),
        ({"ag_per_mille": "1200.0"}, "ag_per_mille", "max_value"),
        ({"au_per_mille": "921.45"}, "au_per_mille", "max_decimal_places"),
        ({"party": "refinery"}, "party", "invalid_choice"),
        ({"laboratory": ""}, "laboratory", "blank"),
        ({"assayed_on": None}, "assayed_on", "null"),
    ],
)
def test_bad_figures_are_refused_and_nothing_is_stored(contract, producer_admin, change, field, code):
    body = assay_body("seller") | change
    assert field_errors(producer_admin.post(assays_url(contract), body, format="json")) == {field: code}
    assert rows() == []


def test_an_assay_may_not_be_dated_in_the_future_nor_carry_a_fee_unless_the_umpires(contract, producer_admin):
    future = producer_admin.post(assays_url(contract), assay_body("seller", assayed_on=days_from_today(1)))
    fee = producer_admin.post(
        assays_url(contract),
        assay_body("seller", cost={"amount_minor": 100, "currency": "USD"}),
        format="json",
    )

    assert field_errors(future) == {"assayed_on": "in_the_future"}
    assert field_errors(fee) == {"cost": "umpire_only"}
    assert rows() == []


def test_the_same_figures_again_change_nothing_and_others_are_a_conflict(contract, producer_admin):
    first = assay(producer_admin, contract, "seller", "921.4")
    count = AuditEvent.objects.count()

    assert assay(producer_admin, contract, "seller", "921.4", status=200) == first
    body = assert_problem(
        producer_admin.post(assays_url(contract), assay_body("seller", "925.0"), format="json"), 409, "already_recorded"
    )

    assert (body["record"], body["recorded"]["au_per_mille"]) == (first["id"], "921.4")
    assert AuditEvent.objects.count() == count
    assert rows() == [("seller", Decimal("921.4"), None)]


# --- The umpire ---------------------------------------------------------------------------------------------------
def test_the_umpire_settles_assays_beyond_the_splitting_limit(contract, producer_admin, buyer):
    with_terms(contract, splitting_limit="0.5")
    assay(producer_admin, contract, "seller", "921.4")
    assay(buyer, contract, "buyer", "917.9")
    shipment = ok(buyer.get(shipments_url(contract, 1)))
    assert (shipment["assay_difference"], shipment["splitting_limit"], shipment["umpire_needed"]) == (
        "3.5",
        "0.5",
        True,
    )

    umpire = assay(producer_admin, contract, "umpire", "918.6", cost={"amount_minor": 35000, "currency": "USD"})

    assert (umpire["party"], umpire["cost"]) == ("umpire", {"amount_minor": 35000, "currency": "USD"})
    assert Notification.objects.filter(kind="settlement_assay_recorded", target_id=umpire["id"], recipient=buyer.user)
    shipment = ok(buyer.get(shipments_url(contract, 1)))
    assert [a["party"] for a in shipment["assays"]] == ["seller", "buyer", "umpire"]


def test_either_sides_admin_records_the_umpires_assay(contract, producer_admin, buyer):
    with_terms(contract)
    assay(producer_admin, contract, "seller", "921.4")
    assay(buyer, contract, "buyer", "917.9")

    assert assay(buyer, contract, "umpire", "918.6")["recorded_by"] == str(buyer.user.pk)


@pytest.mark.parametrize(
    ("seller", "buyer_au", "why"),
    [("921.4", "920.9", "within"), ("921.4", "921.4", "equal"), ("921.4", None, "one missing")],
)
def test_no_umpire_within_the_splitting_limit_or_before_both_assays(
    contract, producer_admin, buyer, seller, buyer_au, why
):
    with_terms(contract, splitting_limit="0.5")
    assay(producer_admin, contract, "seller", seller)
    if buyer_au is not None:
        assay(buyer, contract, "buyer", buyer_au)

    body = assert_problem(
        buyer.post(assays_url(contract), assay_body("umpire", "918.6"), format="json"), 409, "umpire_not_needed"
    )

    assert body["splitting_limit"] == "0.5"
    assert [party for party, _au, _cost in rows()] == (["buyer", "seller"] if buyer_au else ["seller"])


def test_no_umpire_without_settlement_terms(contract, producer_admin, buyer):
    assay(producer_admin, contract, "seller", "921.4")
    assay(buyer, contract, "buyer", "910.0")

    assert_problem(buyer.post(assays_url(contract), assay_body("umpire"), format="json"), 409, "umpire_not_needed")
    assert ok(buyer.get(shipments_url(contract, 1)))["umpire_needed"] is False


def test_the_umpire_must_be_the_laboratory_the_terms_name_and_bill_in_the_contracts_currency(
    contract, producer_admin, buyer
):
    with_terms(contract)
    assay(producer_admin, contract, "seller", "921.4")
    assay(buyer, contract, "buyer", "917.9")

    other_lab = buyer.post(assays_url(contract), assay_body("umpire", laboratory="SGS del Perú"), format="json")
    soles = buyer.post(
        assays_url(contract), assay_body("umpire", cost={"amount_minor": 1000, "currency": "PEN"}), format="json"
    )
    spaced = assay(buyer, contract, "umpire", laboratory=f"  {UMPIRE_LAB.upper()} ")

    assert field_errors(other_lab) == {"laboratory": "not_the_umpire_laboratory"}
    assert UMPIRE_LAB in assert_problem(other_lab, 400, "validation_error")["errors"][0]["message"]
    assert field_errors(soles) == {"cost": "currency_mismatch"}
    assert spaced["party"] == "umpire"  # the same laboratory, written with other spaces and capitals


# --- Corrections --------------------------------------------------------------------------------------------------
def correction(party: str = "seller", **overrides):
    body = assay_body(party, **overrides)
    body.pop("party")
    return body


def test_an_assay_is_corrected_until_a_statement_rests_on_it(contract, producer_admin, buyer):
    assay(producer_admin, contract, "seller", "921.4")

    fixed = ok(producer_admin.put(assays_url(contract, party="seller"), correction(certificate_number="LR-0412-B")))

    assert fixed["certificate_number"] == "LR-0412-B"
    assert AuditEvent.objects.filter(action="settlement.assay.corrected").count() == 1
    assert Notification.objects.filter(kind="settlement_record_corrected", recipient=buyer.user).count() == 1
    issue_statement(contract, kind="provisional", amount_due=1, net_value=1)
    assert_problem(
        producer_admin.put(assays_url(contract, party="seller"), correction(au_per_mille="919.0"), format="json"),
        409,
        "statement_issued",
    )
    assert rows() == [("seller", Decimal("921.4"), None)]


def test_the_buyers_assay_stays_open_after_the_provisional_statement(contract, producer_admin, buyer):
    assay(buyer, contract, "buyer", "921.2")
    issue_statement(contract, kind="provisional", amount_due=1, net_value=1)

    assert ok(buyer.put(assays_url(contract, party="buyer"), correction("buyer", au_per_mille="921.1")))["au_per_mille"]


def test_the_umpires_assay_is_corrected_by_either_side(contract, producer_admin, buyer):
    with_terms(contract)
    assay(producer_admin, contract, "seller", "921.4")
    assay(buyer, contract, "buyer", "917.9")
    assay(buyer, contract, "umpire", "918.6")

    fixed = ok(producer_admin.put(assays_url(contract, party="umpire"), correction("umpire", au_per_mille="918.7")))
    assert fixed["au_per_mille"] == "918.7"
    assert_problem(
        producer_admin.put(assays_url(contract, party="umpire"), correction("umpire", laboratory="SGS"), format="json"),
        400,
        "validation_error",
    )
    assert_problem(buyer.put(assays_url(contract, party="seller"), correction(), format="json"), 403, "not_your_party")
    issue_statement(contract, kind="final", amount_due=1, net_value=1)
    assert_problem(
        buyer.put(assays_url(contract, party="umpire"), correction("umpire", au_per_mille="918.0"), format="json"),
        409,
        "statement_issued",
    )


def test_correcting_an_assay_not_recorded_is_404(contract, producer_admin):
    assert_problem(
        producer_admin.put(assays_url(contract, party="seller"), correction(), format="json"), 404, "not_recorded"
    )
