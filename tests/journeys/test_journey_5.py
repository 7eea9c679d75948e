"""Journey 5: from question to contract to deposit. The refiner asks about the cooperative's Fairmined doré,
the cooperative answers in the thread and proposes a contract, the refiner counter-proposes June delivery,
the cooperative accepts version 2 (300 g reserved, 200 g left on the listing). The refiner pays the deposit
by card at localstripe; the webhook localstripe signs and delivers marks it held and both sides are told.
The cooperative delivers, the refiner confirms, and staff record the deposit's release with the payout
reference. HTTP only, on the demo data. The steps are in `steps.py` (`question_to_contract_to_deposit`)."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from tests.journeys.steps import Parties, kyc_verified, login, ok, question_to_contract_to_deposit
from tests.trade.deposit_helpers import reseed_catalogue

pytestmark = pytest.mark.django_db(transaction=True)  # localstripe's webhook reaches the live server


def test_from_question_to_contract_to_deposit(localstripe_webhooks):
    reseed_catalogue()  # a transactional test starts from a flushed database
    call_command("seed_demo")
    refiner = login("buyer@demo.test", language="en")
    reviewers = (login("reviewer@demo.test"), login("network-admin@demo.test"))
    refiner_id = ok(refiner.get("/api/v1/me/"))["memberships"][0]["organization"]["id"]

    # The refiner is KYC-verified (journey 4), and finds the listing.
    kyc_verified(refiner, refiner_id, reviewers)
    [listing] = ok(refiner.get("/api/v1/listings/?q=mercury-free doré&claims=fairmined"))["results"]

    parties = Parties(
        refiner=refiner,
        refiner_id=refiner_id,
        refiner_email="buyer@demo.test",
        refiner_name="Helvetia Responsible Refining SA",
        cooperative=login("coop-admin@demo.test"),
        cooperative_email="coop-admin@demo.test",
        staff=login("staff@demo.test"),
    )
    question_to_contract_to_deposit(
        parties, listing, localstripe_webhooks, other_open_inquiries_from=["Exportadora Andina de Metales S.A.C."]
    )
