"""Requests for a pack sent at once (PostgreSQL): one request is stored and audited, every caller gets it."""

from __future__ import annotations

import pytest

from audit.models import AuditEvent
from core.actor import Actor
from diligence.consent import pack_request
from diligence.models import PackConsent
from tests.concurrency import run_at_once
from tests.trade.deposit_helpers import reseed_catalogue
from tests.trade.helpers import ask

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def catalogue():
    """Transactional tests empty every table when they end, the catalogue that migrations seeded included."""
    reseed_catalogue()


def test_requests_at_once_store_one_request(catalogue, trade, buyer, buyer_member):
    ask(buyer, trade.listing)
    users = [buyer.user, buyer_member.user] * 2
    organization_id = buyer.organization.pk

    def work(i: int):
        actor = Actor(user=users[i], organization_id=organization_id, organization_kind="buyer", role="member")
        return pack_request(actor=actor, producer_id=trade.producer.pk)

    results = run_at_once(4, work)

    assert not [r for r in results if isinstance(r, Exception)], results
    assert len({consent.pk for consent, _created in results}) == 1
    assert sorted(created for _consent, created in results) == [False, False, False, True]
    assert PackConsent.objects.count() == 1
    assert AuditEvent.objects.filter(action="diligence.pack_consent.requested").count() == 1
