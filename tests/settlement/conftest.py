from __future__ import annotations

import pytest

from tests.settlement.helpers import signed
from tests.trade.helpers import Trade, make_compliant_producer, make_listing, verify_kyc


@pytest.fixture
def trade(producer_admin, producer_member, buyer, buyer_member, coop) -> Trade:
    """coop compliant with a visible 500 g listing; the buyer's refiner KYC-verified."""
    producer, site = make_compliant_producer(coop)
    listing = make_listing(producer, site)
    verify_kyc(buyer.organization)
    return Trade(producer=producer, site=site, listing=listing)


@pytest.fixture
def contract(trade, buyer, producer_admin):
    """Signed today between coop and the buyer's refiner, in USD, delivering once (shipment 1)."""
    return signed(trade, buyer, producer_admin)
