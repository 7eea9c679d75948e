"""Signing the last grams at once, on PostgreSQL with real threads: eight KYC-verified buyers accept, at the
same moment, contracts for more gold than the listing has left. What is reserved never exceeds what was
left, what is left never goes below zero, exactly as many contracts as fit are signed and the rest are 409."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from accounts.models import Organization
from audit.models import AuditEvent
from audit.verification import verify_chain
from listings.models import Listing
from tests.concurrency import postgres_only, run_at_once
from tests.conftest import make_client
from tests.factories import (
    BuyerOrganizationFactory,
    ContractFactory,
    ContractVersionFactory,
    InquiryFactory,
    MembershipFactory,
    OrganizationFactory,
)
from tests.trade.deposit_helpers import reseed_catalogue
from tests.trade.helpers import CONTRACTS, INQUIRIES, ask, make_compliant_producer, make_listing, terms
from trade import services
from trade.models import Contract, ContractAcceptance, Inquiry

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True)]

BUYERS = 8
EACH = Decimal("100")
LEFT = Decimal("250")  # room for two contracts of 100 g, not three


def same_caller(actor):
    """A client of its own (threads must not share one) with the actor's token."""
    client = APIClient()
    client.credentials(**actor.client._credentials)
    return client


@pytest.fixture
def catalogue():
    """Transactional tests empty every table when they end, the catalogue that migrations seeded included."""
    reseed_catalogue()


def buyers_with_a_proposal(count, listing, producer, site, president):
    """`count` KYC-verified buyers, each with a contract whose only version (100 g) the cooperative proposed:
    each buyer's admin can sign by accepting version 1."""
    contracts, clients = [], []
    for _ in range(count):
        buyer = MembershipFactory(
            organization=BuyerOrganizationFactory(kyc_status=Organization.KycStatus.VERIFIED), role="admin"
        )
        inquiry = InquiryFactory(buyer=buyer.organization, producer=producer, listing=listing, grams=EACH)
        contract = ContractFactory(inquiry=inquiry, created_by=president.user)
        ContractVersionFactory(contract=contract, proposed_by=president.user, quantity_grams=EACH, origin_site=site)
        contracts.append(contract)
        clients.append(make_client(buyer.user, buyer.organization))
    return contracts, clients


@pytest.mark.parametrize("attempt", range(20))
def test_eight_buyers_signing_the_last_grams_at_once_never_oversell(attempt, catalogue):
    coop = OrganizationFactory()
    president = MembershipFactory(organization=coop, role="admin")
    producer, site = make_compliant_producer(coop)
    listing = make_listing(producer, site, grams="1000")
    Listing.objects.filter(pk=listing.pk).update(available_grams=LEFT)  # 750 g already under contract
    contracts, clients = buyers_with_a_proposal(BUYERS, listing, producer, site, president)

    def accept(i):
        return clients[i].post(f"/api/v1/contracts/{contracts[i].pk}/accept/", {"version": 1}, format="json")

    responses = run_at_once(BUYERS, accept)

    assert not [r for r in responses if isinstance(r, Exception)], responses
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200, 200] + [409] * (BUYERS - 2), [r.content[:200] for r in responses]
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"quantity_unavailable"}
    listing.refresh_from_db()
    signed = Contract.objects.filter(listing=listing, state="signed")
    reserved = sum((c.signed_version.quantity_grams for c in signed.select_related("signed_version")), Decimal(0))
    assert signed.count() == 2
    assert reserved == 2 * EACH <= LEFT
    assert listing.available_grams == LEFT - reserved >= 0
    assert Contract.objects.filter(listing=listing, state="negotiating").count() == BUYERS - 2
    assert ContractAcceptance.objects.count() == 4
    assert AuditEvent.objects.filter(action="trade.contract.signed").count() == 2
    assert verify_chain().ok


@pytest.mark.parametrize("attempt", range(3))
def test_the_grams_that_sell_out_a_listing_are_signed_once_and_close_it_once(attempt, catalogue):
    coop = OrganizationFactory()
    president = MembershipFactory(organization=coop, role="admin")
    producer, site = make_compliant_producer(coop)
    listing = make_listing(producer, site, grams="100")
    contracts, clients = buyers_with_a_proposal(4, listing, producer, site, president)

    responses = run_at_once(
        4, lambda i: clients[i].post(f"/api/v1/contracts/{contracts[i].pk}/accept/", {"version": 1}, format="json")
    )

    assert sorted(r.status_code for r in responses) == [200, 409, 409, 409], responses
    # A loser that read the listing after the winner committed finds it closed (not visible) rather than short.
    assert {r.json()["code"] for r in responses if r.status_code == 409} <= {
        "quantity_unavailable",
        "listing_not_visible",
    }
    listing.refresh_from_db()
    assert (listing.available_grams, listing.status, listing.close_reason) == (0, "closed", "sold_out")
    assert AuditEvent.objects.filter(action="listings.listing.sold_out", target_id=str(listing.pk)).count() == 1


@pytest.mark.postgres
@pytest.mark.parametrize("attempt", range(3))
def test_a_contract_started_while_the_other_side_closes_the_inquiry_never_follows_the_close(
    attempt, catalogue, trade, buyer, producer_admin, monkeypatch
):
    """The cooperative starts a contract from the inquiry while the buyer closes it. The start holds (through
    a hook on its terms check) until the close is done or 2 s passed. The start must decide on the inquiry as
    it is, not on the copy it read first: either it comes first and the close after it, or it is refused."""
    inquiry = ask(buyer, trade.listing)
    checked, closed = threading.Event(), threading.Event()
    check_terms = services._check_terms

    def held_after_the_check(*arguments, **keywords):
        values = check_terms(*arguments, **keywords)
        checked.set()
        closed.wait(timeout=2)
        return values

    monkeypatch.setattr(services, "_check_terms", held_after_the_check)
    starter, closer = same_caller(producer_admin), same_caller(buyer)

    def act(i):
        if i == 0:
            return starter.post(CONTRACTS, {"inquiry": inquiry["id"], **terms(trade.site)}, format="json")
        assert checked.wait(timeout=10)
        try:
            return closer.post(f"{INQUIRIES}{inquiry['id']}/close/")
        finally:
            closed.set()

    started, closing = run_at_once(2, act)

    assert closing.status_code == 200, closing.content[:300]
    assert Inquiry.objects.get(pk=inquiry["id"]).state == "closed"
    assert started.status_code in (201, 409), started.content[:300]
    if started.status_code == 409:
        assert started.json()["code"] == "inquiry_closed"
        assert not Contract.objects.exists()
    else:
        proposed = AuditEvent.objects.get(action="trade.contract.proposed")
        closed_event = AuditEvent.objects.get(action="trade.inquiry.closed")
        assert proposed.seq < closed_event.seq, "a contract was started on an inquiry already closed"
