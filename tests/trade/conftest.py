from __future__ import annotations

import pytest

from tests.localstripe_server import localstripe, localstripe_webhooks, stripe_on_localstripe  # noqa: F401
from tests.trade.deposit_helpers import fake_stripe  # noqa: F401  (fixtures for the deposit tests)
from tests.trade.helpers import Trade, make_compliant_producer, make_listing, verify_kyc


@pytest.fixture
def trade(producer_admin, producer_member, buyer, buyer_member, coop) -> Trade:
    """coop compliant with a visible 500 g listing; the buyer's refiner KYC-verified."""
    producer, site = make_compliant_producer(coop)
    listing = make_listing(producer, site)
    verify_kyc(buyer.organization)
    return Trade(producer=producer, site=site, listing=listing)
