"""Journey 5, as far as contracts go: from question to contract. The refiner asks about the cooperative's
Fairmined doré, the cooperative answers in the thread and proposes a contract, the refiner counter-proposes
June delivery, the cooperative accepts version 2 (300 g reserved, 200 g left on the listing), delivers, and
the refiner confirms. HTTP only, on the demo data. (The deposit part comes with the deposit app.)"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest
from django.core.management import call_command

from core import clock
from notifications.models import Notification
from tests.journeys.test_journey_4 import approve, ok, upload
from tests.listings.test_listings import login

pytestmark = pytest.mark.django_db


def next_date(month: int, day: int) -> dt.date:
    today = clock.today_lima()
    candidate = dt.date(today.year, month, day)
    return candidate if candidate > today else dt.date(today.year + 1, month, day)


def test_from_question_to_contract():
    call_command("seed_demo")
    refiner = login("buyer@demo.test", "en")
    cooperative = login("coop-admin@demo.test")
    reviewers = (login("reviewer@demo.test"), login("network-admin@demo.test"))
    refiner_id = ok(refiner.get("/api/v1/me/"))["memberships"][0]["organization"]["id"]

    # The refiner is KYC-verified (journey 4), and finds the listing.
    items = [upload(refiner, code)["id"] for code in ("KYC_COMPANY_REG", "KYC_UBO", "KYC_SANCTIONS", "KYC_DD_POLICY")]
    ok(refiner.post(f"/api/v1/organizations/{refiner_id}/kyc/submit/", {}, format="json"))
    for item in items:
        approve(reviewers, item)
    ok(reviewers[0].post(f"/api/v1/organizations/{refiner_id}/kyc/verify/", {}, format="json"))
    [listing] = ok(refiner.get("/api/v1/listings/?q=mercury-free doré&claims=fairmined"))["results"]
    assert listing["available_grams"] == "500.000"

    # The refiner asks: 300 g, delivery in May. The cooperative answers in the thread.
    may, june = next_date(5, 20), next_date(6, 15)
    if june < may:
        june = dt.date(may.year, 6, 15)
    inquiry = ok(
        refiner.post(
            "/api/v1/inquiries/",
            {
                "listing": listing["id"],
                "grams": "300.000",
                "message": f"Could you deliver 300 g in Puerto Maldonado on {may.isoformat()}?",
            },
            format="json",
        ),
        201,
    )
    open_ones = ok(cooperative.get("/api/v1/inquiries/?state=open&listing=" + listing["id"]))["results"]
    assert {i["buyer_name"] for i in open_ones} == {
        "Helvetia Responsible Refining SA",
        "Exportadora Andina de Metales S.A.C.",
    }
    assert open_ones[0]["id"] == inquiry["id"]  # newest first
    ok(
        cooperative.post(
            f"/api/v1/inquiries/{inquiry['id']}/messages/",
            {"body": "Sí, podemos entregar 300 g en mayo. Le enviamos la propuesta de contrato."},
            format="json",
        ),
        201,
    )
    thread = ok(refiner.get(f"/api/v1/inquiries/{inquiry['id']}/messages/"))["results"]
    assert [m["side"] for m in thread] == ["buyer", "producer"]

    # The cooperative proposes: 300 g, 920, LBMA PM − 2 % + the Fairmined premium, FCA Puerto Maldonado, 10 %.
    site = listing["sites"][0]
    terms = {
        "quantity_grams": "300.000",
        "fineness": "920.0",
        "price_basis": "lbma_pm",
        "lbma_adjustment_percent": "-2.00",
        "premium_per_kg_fine_minor": 400000,
        "incoterm": "FCA",
        "incoterm_place": "Puerto Maldonado",
        "delivery_date": may.isoformat(),
        "deposit_percent": "10.00",
        "payment_terms": "Saldo contra entrega.",
        "origin_site": site,
    }
    contract = ok(
        cooperative.post(
            "/api/v1/contracts/", {"inquiry": inquiry["id"], **terms}, format="json", HTTP_IDEMPOTENCY_KEY="j5-start"
        ),
        201,
    )
    assert (contract["state"], contract["latest_version"]["side"]) == ("negotiating", "producer")
    assert Notification.objects.filter(kind="contract_proposed", recipient__email="buyer@demo.test").exists()

    # The refiner counter-proposes delivery in June; accepting the stale version 1 is now refused.
    url = f"/api/v1/contracts/{contract['id']}/"
    countered = ok(refiner.post(url + "propose/", {**terms, "delivery_date": june.isoformat()}, format="json"), 201)
    assert [v["number"] for v in countered["versions"]] == [1, 2]
    stale = cooperative.post(url + "accept/", {"version": 1}, format="json")
    assert (stale.status_code, stale.json()["code"]) == (409, "contract_version_stale")

    # The cooperative accepts version 2: signed, 300 g reserved, 200 g left.
    signed = ok(cooperative.post(url + "accept/", {"version": 2}, format="json", HTTP_IDEMPOTENCY_KEY="j5-sign"))
    assert signed["state"] == "signed"
    assert signed["signed_version"] == 2
    assert signed["versions"][1]["delivery_date"] == june.isoformat()
    assert {a["side"] for a in signed["acceptances"]} == {"buyer", "producer"}
    assert ok(refiner.get(f"/api/v1/listings/{listing['id']}/"))["available_grams"] == "200.000"
    assert Notification.objects.filter(kind="contract_signed", recipient__email="buyer@demo.test").exists()
    # Anyone holding the canonical terms can check the hash: sorted keys, decimals as strings.
    document = {
        "contract": contract["id"],
        "version": 2,
        "proposed_by": "buyer",
        "listing": listing["id"],
        "buyer": {"id": refiner_id, "legal_name": "Helvetia Responsible Refining SA"},
        "producer": {"id": listing["producer"], "legal_name": listing["producer_name"]},
        "terms": {
            "quantity_grams": "300.000",
            "fineness": "920.0",
            "price_basis": "lbma_pm",
            "currency": "USD",
            "price_per_fine_gram_minor": None,
            "lbma_adjustment_bp": -200,
            "premium_per_kg_fine_minor": 400000,
            "incoterm": "FCA",
            "incoterm_place": "Puerto Maldonado",
            "delivery_date": june.isoformat(),
            "deposit_amount_minor": None,
            "deposit_percent_bp": 1000,
            "payment_terms": "Saldo contra entrega.",
            "origin_site": site,
        },
    }
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    assert signed["terms_hash"] == hashlib.sha256(canonical).hexdigest()

    # The cooperative delivers, the refiner confirms: completed.
    assert ok(cooperative.post(url + "mark-delivered/"))["state"] == "delivered"
    assert ok(refiner.post(url + "complete/"))["state"] == "completed"
    assert ok(refiner.get(f"/api/v1/listings/{listing['id']}/"))["available_grams"] == "200.000"
    trail = ok(cooperative.get("/api/v1/audit-events/?page_size=100"))["results"]
    moves = [event["action"] for event in trail if event["target_id"] == contract["id"]]
    assert sorted(moves) == sorted(
        [
            "trade.contract.proposed",
            "trade.contract.proposed",
            "trade.contract.signed",
            "trade.contract.mark_delivered",
            "trade.contract.complete",
        ]
    )
