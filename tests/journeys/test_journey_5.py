"""Journey 5: from question to contract to deposit. The refiner asks about the cooperative's Fairmined doré,
the cooperative answers in the thread and proposes a contract, the refiner counter-proposes June delivery,
the cooperative accepts version 2 (300 g reserved, 200 g left on the listing). The refiner pays the deposit
by card at localstripe; the webhook localstripe signs and delivers marks it held and both sides are told.
The cooperative delivers, the refiner confirms, and staff record the deposit's release with the payout
reference. HTTP only, on the demo data.

The price is the LBMA PM fix, whose value is known only on the day of the fix, so the API refuses a
percentage deposit on it (409 `deposit_value_unknown`): the refiner's counter-proposal states the 10 % as
the fixed amount both sides work it out to at the day's indicative price, as the README says to."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time

import pytest
from django.core.management import call_command

from core import clock
from notifications.models import Notification
from tests.journeys.test_journey_4 import approve, ok, upload
from tests.listings.test_listings import login
from tests.trade.deposit_helpers import reseed_catalogue

pytestmark = pytest.mark.django_db(transaction=True)  # localstripe's webhook reaches the live server

DELIVERY_TIMEOUT_SECONDS = 8
TEN_PERCENT_MINOR = 2_750_00  # 10 % of 300 g at 920 per mille at an indicative USD 99.64 per fine gram


def next_date(month: int, day: int) -> dt.date:
    today = clock.today_lima()
    candidate = dt.date(today.year, month, day)
    return candidate if candidate > today else dt.date(today.year + 1, month, day)


def test_from_question_to_contract_to_deposit(localstripe_webhooks):
    reseed_catalogue()  # a transactional test starts from a flushed database
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
    # The 10 % under an LBMA price, as the fixed amount both sides work it out to.
    deposit_terms = {"deposit_percent": None, "deposit_amount": {"amount_minor": TEN_PERCENT_MINOR, "currency": "USD"}}
    countered = ok(
        refiner.post(url + "propose/", {**terms, "delivery_date": june.isoformat(), **deposit_terms}, format="json"),
        201,
    )
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
            "deposit_amount_minor": TEN_PERCENT_MINOR,
            "deposit_percent_bp": None,
            "payment_terms": "Saldo contra entrega.",
            "origin_site": site,
        },
    }
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    assert signed["terms_hash"] == hashlib.sha256(canonical).hexdigest()

    # The refiner pays the deposit by card; localstripe's signed webhook marks it held; both sides are told.
    deposit = ok(refiner.post(url + "deposit/", HTTP_IDEMPOTENCY_KEY="j5-deposit"), 201)
    assert deposit["amount"] == {"amount_minor": TEN_PERCENT_MINOR, "currency": "USD"}
    assert localstripe_webhooks.pay(deposit["payment_intent"], "pm_card_visa")["status"] == "succeeded"
    deadline = time.monotonic() + DELIVERY_TIMEOUT_SECONDS
    while ok(cooperative.get(url + "deposit/"))["status"] != "held":
        assert time.monotonic() < deadline, "the webhook did not mark the deposit held"
        time.sleep(0.1)
    told = set(Notification.objects.filter(kind="deposit_paid").values_list("recipient__email", flat=True))
    assert {"buyer@demo.test", "coop-admin@demo.test"} <= told

    # The cooperative delivers, the refiner confirms: completed.
    assert ok(cooperative.post(url + "mark-delivered/"))["state"] == "delivered"
    assert ok(refiner.post(url + "complete/"))["state"] == "completed"

    # Staff record the deposit's release to the cooperative's bank account, with the payout reference.
    staff = login("staff@demo.test")
    released = ok(
        staff.post(f"/api/v1/deposits/{deposit['id']}/release/", {"payout_reference": "BCP 0077812"}, format="json")
    )
    assert (released["status"], released["payout_reference"]) == ("released", "BCP 0077812")
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
