"""Trade's answers conform to the committed schema for each party and for the network, and notifications
speak the reader's language."""

from __future__ import annotations

import pytest

from tests.contract.test_response_shapes import assert_conforms
from tests.trade.helpers import CONTRACTS, INQUIRIES, ask, ok, start

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("who", ["buyer", "producer_admin", "reviewer", "staff"])
def test_inquiry_and_contract_responses_conform_for_every_reader(request, who, trade, buyer, producer_admin):
    inquiry = ask(buyer, trade.listing)
    signed = start(producer_admin, inquiry, trade.site, quantity_grams="100")
    ok(buyer.post(f"{CONTRACTS}{signed['id']}/accept/", {"version": 1}, format="json"))
    fixed = {
        "price_basis": "fixed",
        "price_per_fine_gram": {"amount_minor": 30000, "currency": "PEN"},
        "lbma_adjustment_percent": None,
        "deposit_percent": None,
        "deposit_amount": {"amount_minor": 50000, "currency": "PEN"},
    }
    start(buyer, inquiry, trade.site, **fixed)
    client = request.getfixturevalue(who)

    assert_conforms(ok(client.get(INQUIRIES)), "get", "/api/v1/inquiries/")
    if who != "reviewer":  # a thread is private to its two parties (and staff)
        assert_conforms(ok(client.get(f"{INQUIRIES}{inquiry['id']}/")), "get", "/api/v1/inquiries/{id}/")
        messages = ok(client.get(f"{INQUIRIES}{inquiry['id']}/messages/"))
        assert_conforms(messages, "get", "/api/v1/inquiries/{inquiry_pk}/messages/")
    contracts = ok(client.get(CONTRACTS))
    assert_conforms(contracts, "get", "/api/v1/contracts/")
    assert len(contracts["results"]) == 2
    for row in contracts["results"]:
        assert_conforms(ok(client.get(f"{CONTRACTS}{row['id']}/")), "get", "/api/v1/contracts/{id}/")


def test_the_cooperative_reads_its_trade_notifications_in_spanish(trade, buyer, client_for, producer_admin):
    inquiry = ask(buyer, trade.listing)
    start(buyer, inquiry, trade.site)
    spanish = client_for(producer_admin.user, producer_admin.organization, language="es")

    feed = ok(spanish.get("/api/v1/notifications/"))["results"]

    titles = [n["title"] for n in feed]
    assert "Helvetia Responsible Refining SA propuso condiciones de contrato" in titles
    assert "Nueva consulta de Helvetia Responsible Refining SA" in titles
    proposed = next(n for n in feed if n["kind"] == "contract_proposed")
    assert proposed["body"].startswith("Helvetia Responsible Refining SA propuso la versión 1 de las condiciones")
