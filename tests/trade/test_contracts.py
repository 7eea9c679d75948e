"""Contracts: versions of the terms go back and forth, the other side accepts the latest by number, signing
reserves the quantity; every move allowed, refused (409) or repeated (no-op)."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from audit.models import AuditEvent
from core import clock
from listings.models import Listing
from notifications.models import Notification
from producers.models import Producer, Site
from tests.factories import OrganizationFactory
from tests.problems import assert_problem, field_errors
from tests.provenance.helpers import deliver_lot
from tests.trade.helpers import (
    CONTRACTS,
    ask,
    make_approved_site,
    ok,
    start,
    terms,
)
from trade.models import Contract, ContractAcceptance, ContractVersion
from trade.terms import canonical_bytes

pytestmark = pytest.mark.django_db


def url(contract, move=""):
    return f"{CONTRACTS}{contract['id']}/" + (f"{move}/" if move else "")


def available(listing) -> Decimal:
    return Listing.objects.get(pk=listing.pk).available_grams


def table(contract):
    """Everything a refused request must leave as it was."""
    return (
        list(Contract.objects.filter(pk=contract["id"]).values()),
        list(ContractVersion.objects.filter(contract_id=contract["id"]).values()),
        ContractAcceptance.objects.count(),
        list(Listing.objects.values("pk", "available_grams", "status")),
    )


@pytest.fixture
def proposed(trade, buyer, producer_admin):
    """The buyer asked; the cooperative proposed version 1."""
    return start(producer_admin, ask(buyer, trade.listing), trade.site)


def test_from_inquiry_to_signed_contract_with_a_counter_proposal(trade, buyer, producer_admin):
    contract = start(producer_admin, ask(buyer, trade.listing), trade.site)
    assert contract["state"] == "negotiating"
    assert contract["latest_version"]["number"] == 1
    assert contract["latest_version"]["deposit_percent"] == "10.00"
    assert contract["latest_version"]["lbma_adjustment_percent"] == "-2.00"
    assert Notification.objects.filter(kind="contract_proposed", recipient=buyer.user).count() == 1

    june = dt.date(clock.today_lima().year + 1, 6, 15).isoformat()
    countered = ok(buyer.post(url(contract, "propose"), terms(trade.site, delivery_date=june), format="json"), 201)
    assert [v["number"] for v in countered["versions"]] == [1, 2]
    assert countered["versions"][1]["side"] == "buyer"
    assert available(trade.listing) == Decimal("500")  # negotiating reserves nothing

    signed = ok(producer_admin.post(url(contract, "accept"), {"version": 2}, format="json"))

    assert signed["state"] == "signed"
    assert signed["signed_version"] == 2
    assert available(trade.listing) == Decimal("200")
    stored = Contract.objects.get(pk=contract["id"])
    version = stored.versions.get(number=2)
    assert signed["terms_hash"] == hashlib.sha256(canonical_bytes(stored, version)).hexdigest()
    assert b'"quantity_grams":"300.000"' in canonical_bytes(stored, version)
    assert {(a["side"], a["user"]) for a in signed["acceptances"]} == {
        ("buyer", str(buyer.user.pk)),
        ("producer", str(producer_admin.user.pk)),
    }
    assert AuditEvent.objects.filter(action="trade.contract.signed", target_id=contract["id"]).count() == 1
    assert Notification.objects.filter(kind="contract_signed", recipient=buyer.user).count() == 1


def test_accepting_your_own_proposal_is_refused(trade, proposed, producer_admin):
    before = table(proposed)

    assert_problem(
        producer_admin.post(url(proposed, "accept"), {"version": 1}, format="json"), 409, "contract_own_proposal"
    )

    assert table(proposed) == before


def test_accepting_a_stale_version_is_refused(trade, proposed, buyer, producer_admin):
    ok(producer_admin.post(url(proposed, "propose"), terms(trade.site, quantity_grams="250"), format="json"), 201)
    before = table(proposed)

    body = assert_problem(
        buyer.post(url(proposed, "accept"), {"version": 1}, format="json"), 409, "contract_version_stale"
    )

    assert body["latest_version"] == 2
    assert table(proposed) == before
    assert ok(buyer.post(url(proposed, "accept"), {"version": 2}, format="json"))["state"] == "signed"
    assert available(trade.listing) == Decimal("250")


def test_plain_members_read_but_neither_propose_nor_accept(trade, proposed, buyer_member, producer_member):
    before = table(proposed)

    assert ok(buyer_member.get(url(proposed)))["id"] == proposed["id"]
    assert_problem(buyer_member.post(url(proposed, "accept"), {"version": 1}, format="json"), 403, "not_admin")
    assert_problem(producer_member.post(url(proposed, "propose"), terms(trade.site), format="json"), 403, "not_admin")
    assert_problem(buyer_member.post(url(proposed, "decline")), 403, "not_admin")

    assert table(proposed) == before


def test_signing_needs_a_kyc_verified_buyer(trade, proposed, buyer):
    # Submitted for the first time: never verified, so nothing counts yet.
    type(buyer.organization).objects.filter(pk=buyer.organization.pk).update(
        kyc_status="submitted", kyc_verified_at=None, kyc_valid_until=None
    )
    before = table(proposed)

    assert_problem(buyer.post(url(proposed, "accept"), {"version": 1}, format="json"), 409, "buyer_kyc_not_verified")

    assert table(proposed) == before


def test_signing_needs_the_listing_offered_today(trade, proposed, buyer):
    Listing.objects.filter(pk=trade.listing.pk).update(status="paused")
    before = table(proposed)

    assert_problem(buyer.post(url(proposed, "accept"), {"version": 1}, format="json"), 409, "listing_not_visible")

    assert table(proposed) == before


def test_signing_more_than_is_left_is_refused(trade, proposed, buyer, producer_admin):
    second = start(producer_admin, ask(buyer, trade.listing), trade.site)
    ok(buyer.post(url(second, "accept"), {"version": 1}, format="json"))  # 300 of 500 taken
    before = table(proposed)

    assert_problem(buyer.post(url(proposed, "accept"), {"version": 1}, format="json"), 409, "quantity_unavailable")

    assert table(proposed) == before
    assert available(trade.listing) == Decimal("200")
    # Proposing more than is left is the same conflict, with the same code, before anything is signed.
    response = producer_admin.post(url(proposed, "propose"), terms(trade.site, quantity_grams="200.001"), format="json")
    assert assert_problem(response, 409, "quantity_unavailable")["detail"] == "Only 200.000 g are left on this listing."
    assert table(proposed) == before


def test_the_last_grams_close_the_listing_and_cancelling_offers_them_again(trade, buyer, producer_admin, staff):
    contract = start(producer_admin, ask(buyer, trade.listing), trade.site, quantity_grams="500")
    ok(buyer.post(url(contract, "accept"), {"version": 1}, format="json"))

    listing = Listing.objects.get(pk=trade.listing.pk)
    assert (listing.available_grams, listing.status, listing.close_reason) == (0, "closed", "sold_out")
    assert AuditEvent.objects.filter(action="listings.listing.sold_out", target_id=str(listing.pk)).count() == 1

    cancelled = ok(buyer.post(url(contract, "cancel"), {"reason": "El transporte no llegó."}, format="json"))

    assert cancelled["state"] == "cancelled"
    listing.refresh_from_db()
    assert (listing.available_grams, listing.status, listing.close_reason) == (Decimal("500"), "published", "")
    told = Notification.objects.get(kind="contract_cancelled", recipient=producer_admin.user)
    assert "El transporte no llegó." in told.params["reason"]
    # Cancelling again changes nothing; staff cancelling too.
    ok(staff.post(url(contract, "cancel"), {}, format="json"))
    assert available(trade.listing) == Decimal("500")
    assert AuditEvent.objects.filter(action="trade.contract.cancel", target_id=contract["id"]).count() == 1


def test_a_withdrawn_listing_stays_closed_when_grams_come_back(trade, buyer, producer_admin):
    contract = start(producer_admin, ask(buyer, trade.listing), trade.site)
    ok(buyer.post(url(contract, "accept"), {"version": 1}, format="json"))
    ok(producer_admin.post(f"/api/v1/listings/{trade.listing.pk}/withdraw/"))

    ok(producer_admin.post(url(contract, "cancel"), {}, format="json"))

    listing = Listing.objects.get(pk=trade.listing.pk)
    assert (listing.available_grams, listing.status, listing.close_reason) == (Decimal("500"), "closed", "withdrawn")


def test_decline_is_the_receiving_sides_and_withdraw_the_proposing_sides(trade, buyer, producer_admin):
    declined = start(producer_admin, ask(buyer, trade.listing), trade.site)
    assert_problem(producer_admin.post(url(declined, "decline")), 409, "contract_own_proposal")
    assert_problem(buyer.post(url(declined, "withdraw")), 409, "contract_not_your_proposal")

    assert ok(buyer.post(url(declined, "decline")))["state"] == "declined"
    assert ok(buyer.post(url(declined, "decline")))["state"] == "declined"  # repeated: no-op
    assert AuditEvent.objects.filter(action="trade.contract.decline", target_id=declined["id"]).count() == 1
    assert_problem(buyer.post(url(declined, "withdraw")), 409, "invalid_transition")
    assert_problem(buyer.post(url(declined, "accept"), {"version": 1}, format="json"), 409, "invalid_transition")
    assert_problem(
        producer_admin.post(url(declined, "propose"), terms(trade.site), format="json"), 409, "invalid_transition"
    )

    withdrawn = start(producer_admin, ask(buyer, trade.listing), trade.site)
    assert ok(producer_admin.post(url(withdrawn, "withdraw")))["state"] == "withdrawn"
    assert ok(producer_admin.post(url(withdrawn, "withdraw")))["state"] == "withdrawn"
    assert Notification.objects.filter(kind="contract_withdrawn", recipient=buyer.user).count() == 1
    assert available(trade.listing) == Decimal("500")


def test_delivery_is_the_producers_and_completion_the_buyers(trade, buyer, producer_admin):
    contract = start(producer_admin, ask(buyer, trade.listing), trade.site)
    assert_problem(producer_admin.post(url(contract, "mark-delivered")), 409, "invalid_transition")
    assert_problem(buyer.post(url(contract, "cancel"), {}, format="json"), 409, "invalid_transition")
    ok(buyer.post(url(contract, "accept"), {"version": 1}, format="json"))
    ok(buyer.post(url(contract, "accept"), {"version": 1}, format="json"))  # repeated: the same answer
    assert ContractAcceptance.objects.count() == 2
    assert available(trade.listing) == Decimal("200")

    assert_problem(buyer.post(url(contract, "mark-delivered")), 403, "not_producer_side")
    assert_problem(buyer.post(url(contract, "complete")), 409, "invalid_transition")
    # A forward sale is delivered by recorded lots holding its fine gold: named first, then marked delivered.
    refused = assert_problem(producer_admin.post(url(contract, "mark-delivered")), 409, "lots_do_not_cover")
    assert (refused["lots_fine_grams"], refused["contract_fine_grams"]) == ("0.000", "276.000")
    deliver_lot(producer_admin, contract, trade.site)
    assert ok(producer_admin.post(url(contract, "mark-delivered")))["state"] == "delivered"
    assert ok(producer_admin.post(url(contract, "mark-delivered")))["state"] == "delivered"
    assert_problem(producer_admin.post(url(contract, "complete")), 403, "not_buyer_side")
    assert_problem(producer_admin.post(url(contract, "cancel"), {}, format="json"), 409, "invalid_transition")

    completed = ok(buyer.post(url(contract, "complete")))
    assert completed["state"] == "completed"
    assert ok(buyer.post(url(contract, "complete")))["state"] == "completed"
    assert completed["delivered_at"] is not None
    assert completed["completed_at"] is not None
    actions = list(AuditEvent.objects.filter(target_id=contract["id"]).values_list("action", flat=True))
    assert actions == [
        "trade.contract.proposed",
        "trade.contract.signed",
        "trade.contract.lots_named",
        "trade.contract.mark_delivered",
        "trade.contract.complete",
    ]
    assert available(trade.listing) == Decimal("200")  # delivered gold stays sold


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"quantity_grams": "-1"}, "quantity_grams", "min_value"),
        ({"quantity_grams": "9999999999"}, "quantity_grams", "max_value"),
        ({"fineness": "1000.1"}, "fineness", "max_value"),
        ({"fineness": "0"}, "fineness", "min_value"),
        ({"incoterm": "FOB"}, "incoterm", "invalid_choice"),
        ({"price_basis": "fixed", "lbma_adjustment_percent": None}, "price_per_fine_gram", "required_by_price_basis"),
        (
            {"price_basis": "fixed", "price_per_fine_gram": {"amount_minor": 9800, "currency": "EUR"}},
            "price_per_fine_gram.currency",
            "invalid_choice",
        ),
        ({"price_per_fine_gram": {"amount_minor": 30000, "currency": "PEN"}}, "price_per_fine_gram", "lbma_in_usd"),
        ({"lbma_adjustment_percent": "-60"}, "lbma_adjustment_percent", "min_value"),
        ({"deposit_percent": "100.01"}, "deposit_percent", "max_value"),
        ({"deposit_percent": None}, "deposit_percent", "one_deposit"),
        ({"deposit_amount": {"amount_minor": 100, "currency": "USD"}}, "deposit_percent", "one_deposit"),
        (
            {
                "price_basis": "fixed",
                "price_per_fine_gram": {"amount_minor": 9800, "currency": "USD"},
                "lbma_adjustment_percent": None,
                "premium_per_kg_fine_minor": 0,
                "deposit_percent": None,
                "deposit_amount": {"amount_minor": 2704921, "currency": "USD"},  # 276 fine g × 98.00 = 27,048.00
            },
            "deposit_amount",
            "above_contract_value",
        ),
        ({"delivery_date": "2020-01-01"}, "delivery_date", "in_the_past"),
        ({"delivery_date": "31/05/2027"}, "delivery_date", "invalid"),
    ],
)
def test_bad_terms_are_refused_and_nothing_is_stored(trade, buyer, producer_admin, change, field, code):
    inquiry = ask(buyer, trade.listing)

    response = producer_admin.post(CONTRACTS, {"inquiry": inquiry["id"], **terms(trade.site, **change)}, format="json")

    assert field_errors(response) == {field: code}
    assert Contract.objects.count() == ContractVersion.objects.count() == 0


def test_drafting_more_than_is_left_is_the_conflict_signing_it_would_be(trade, buyer, producer_admin):
    inquiry = ask(buyer, trade.listing)

    response = producer_admin.post(
        CONTRACTS, {"inquiry": inquiry["id"], **terms(trade.site, quantity_grams="600")}, format="json"
    )

    assert assert_problem(response, 409, "quantity_unavailable")["detail"] == "Only 500.000 g are left on this listing."
    assert Contract.objects.count() == ContractVersion.objects.count() == 0
    # A field error in the same terms is answered first: the body is read before the state is checked.
    bad_date = terms(trade.site, quantity_grams="600", delivery_date="2020-01-01")
    response = producer_admin.post(CONTRACTS, {"inquiry": inquiry["id"], **bad_date}, format="json")
    assert field_errors(response) == {"delivery_date": "in_the_past"}


def test_a_deposit_up_to_the_contract_value_is_accepted(trade, buyer, producer_admin):
    fixed = {
        "price_basis": "fixed",
        "price_per_fine_gram": {"amount_minor": 9800, "currency": "USD"},
        "lbma_adjustment_percent": None,
        "premium_per_kg_fine_minor": 0,
        "deposit_percent": None,
        "deposit_amount": {"amount_minor": 2704800, "currency": "USD"},
    }

    contract = start(producer_admin, ask(buyer, trade.listing), trade.site, **fixed)

    assert contract["latest_version"]["deposit_amount"] == {"amount_minor": 2704800, "currency": "USD"}
    assert contract["latest_version"]["deposit_percent"] is None


def test_the_origin_site_must_be_an_approved_site_of_the_listings_producer(trade, buyer, producer_admin):
    inquiry = ask(buyer, trade.listing)
    others = Producer.objects.create(
        organization=OrganizationFactory(), legal_kind="cooperative", legal_category="REINFO", ruc="20100070970"
    )
    for site in (make_approved_site(others), make_approved_site(trade.producer, status=Site.Status.PENDING)):
        response = producer_admin.post(CONTRACTS, {"inquiry": inquiry["id"], **terms(site)}, format="json")
        assert field_errors(response) == {"origin_site": "not_an_approved_site"}
    assert Contract.objects.count() == 0


def test_contracts_start_only_from_an_open_inquiry_of_your_own(
    trade, buyer, producer_admin, other_buyer, other_producer
):
    inquiry = ask(buyer, trade.listing)
    for intruder in (other_buyer, other_producer):
        response = intruder.post(CONTRACTS, {"inquiry": inquiry["id"], **terms(trade.site)}, format="json")
        assert_problem(response, 404, "not_found")
    ok(buyer.post(f"/api/v1/inquiries/{inquiry['id']}/close/"))
    response = producer_admin.post(CONTRACTS, {"inquiry": inquiry["id"], **terms(trade.site)}, format="json")
    assert_problem(response, 409, "inquiry_closed")
    assert Contract.objects.count() == 0


def test_the_schema_documents_the_404_of_an_inquiry_not_yours():
    """Found by schemathesis: starting a contract from an unknown inquiry answered an undocumented 404."""
    schema = yaml.safe_load((Path(__file__).resolve().parents[2] / "openapi" / "schema.yaml").read_text())

    assert "404" in schema["paths"][CONTRACTS]["post"]["responses"]


def test_another_organisations_contract_is_404_and_nothing_changes(trade, proposed, other_buyer, other_producer):
    before = table(proposed)
    for intruder in (other_buyer, other_producer):
        assert_problem(intruder.get(url(proposed)), 404, "not_found")
        assert_problem(intruder.post(url(proposed, "accept"), {"version": 1}, format="json"), 404, "not_found")
        assert_problem(intruder.post(url(proposed, "propose"), terms(trade.site), format="json"), 404, "not_found")
        assert_problem(intruder.post(url(proposed, "decline")), 404, "not_found")
        assert ok(intruder.get(CONTRACTS))["results"] == []
    assert table(proposed) == before


def test_reviewers_read_every_contract_and_move_none(trade, proposed, reviewer, staff):
    assert ok(reviewer.get(url(proposed)))["id"] == proposed["id"]
    assert [c["id"] for c in ok(staff.get(CONTRACTS))["results"]] == [proposed["id"]]
    before = table(proposed)

    assert_problem(reviewer.post(url(proposed, "accept"), {"version": 1}, format="json"), 403, "not_party")
    assert_problem(staff.post(url(proposed, "accept"), {"version": 1}, format="json"), 403, "not_party")
    assert_problem(reviewer.post(url(proposed, "cancel"), {}, format="json"), 403, "not_party")

    assert table(proposed) == before


def test_the_list_filters_by_state(trade, buyer, producer_admin):
    signed = start(producer_admin, ask(buyer, trade.listing), trade.site, quantity_grams="100")
    ok(buyer.post(url(signed, "accept"), {"version": 1}, format="json"))
    negotiating = start(producer_admin, ask(buyer, trade.listing), trade.site, quantity_grams="100")

    assert [c["id"] for c in ok(buyer.get(f"{CONTRACTS}?state=signed"))["results"]] == [signed["id"]]
    rows = ok(producer_admin.get(f"{CONTRACTS}?state=negotiating"))["results"]
    assert [c["id"] for c in rows] == [negotiating["id"]]
    assert len(ok(buyer.get(f"{CONTRACTS}?state=signed&state=negotiating"))["results"]) == 2


def test_idempotency_key_replays_the_start_and_the_acceptance(trade, buyer, producer_admin):
    inquiry = ask(buyer, trade.listing)
    body = {"inquiry": inquiry["id"], **terms(trade.site)}

    first = producer_admin.post(CONTRACTS, body, format="json", HTTP_IDEMPOTENCY_KEY="start-1")
    again = producer_admin.post(CONTRACTS, body, format="json", HTTP_IDEMPOTENCY_KEY="start-1")
    other = producer_admin.post(
        CONTRACTS, {**body, "quantity_grams": "200"}, format="json", HTTP_IDEMPOTENCY_KEY="start-1"
    )

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert_problem(other, 422, "idempotency_key_reused")
    assert Contract.objects.count() == 1

    contract = first.json()
    signed = buyer.post(url(contract, "accept"), {"version": 1}, format="json", HTTP_IDEMPOTENCY_KEY="sign-1")
    replay = buyer.post(url(contract, "accept"), {"version": 1}, format="json", HTTP_IDEMPOTENCY_KEY="sign-1")

    assert signed.status_code == replay.status_code == 200
    assert replay.json() == signed.json()
    assert replay["Idempotent-Replayed"] == "true"
    assert available(trade.listing) == Decimal("200")
    assert AuditEvent.objects.filter(action="trade.contract.signed").count() == 1


def test_staff_read_trade_in_the_admin_and_edit_nothing(trade, proposed, staff, client):
    client.force_login(staff.user)

    assert client.get("/admin/trade/contract/").status_code == 200
    page = client.get(f"/admin/trade/contract/{proposed['id']}/change/")
    assert page.status_code == 200
    assert "Puerto Maldonado" in page.content.decode()
    assert client.get(f"/admin/trade/inquiry/{proposed['inquiry']}/change/").status_code == 200
    before = table(proposed)
    assert client.post(f"/admin/trade/contract/{proposed['id']}/change/", {"state": "signed"}).status_code == 403
    assert client.get("/admin/trade/contract/add/").status_code == 403
    assert table(proposed) == before
