import pytest

from accounts.models import Role
from tests.conftest import _member
from tests.trade.helpers import Trade, make_compliant_producer, make_listing, verify_kyc


@pytest.fixture
def trade(producer_admin, producer_member, buyer, buyer_member, coop) -> Trade:
    """coop compliant with a visible 500 g listing; the buyer's refiner KYC-verified."""
    producer, site = make_compliant_producer(coop)
    listing = make_listing(producer, site)
    verify_kyc(buyer.organization)
    return Trade(producer=producer, site=site, listing=listing)


@pytest.fixture
def second_reviewer(network):
    return _member(network, Role.REVIEWER, "second-reviewer@example.test")
