"""Two dispatchers at once, on PostgreSQL with real threads (two beats started by mistake, or a run that outlasts
its interval): they take turns on the cursor's row lock, so every audit event is read once and every webhook
event is written once, delivered once to a real receiver, even on the first run ever, when the cursor's row
does not exist yet and both create it."""

from __future__ import annotations

from typing import Any

import pytest

from audit.models import AuditEvent
from tests.concurrency import postgres_only, run_at_once
from tests.factories import ContractFactory, InquiryFactory
from tests.producers.factories import ProducerFactory
from tests.webhooks.receiver import receiver
from tests.webhooks.test_webhooks import register, sign
from webhooks.models import DeliveryState, DispatchCursor, WebhookDelivery, WebhookEvent
from webhooks.services import Dispatched, dispatch_events

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True)]

SIGNED = 6  # contracts signed, each an event for its buyer and one for its producer


def drain(batch: int) -> list[Dispatched]:
    """What one dispatcher does until it finds nothing new: small batches, so the two take many turns."""
    runs = []
    while (run := dispatch_events(batch=batch)).read:
        runs.append(run)
    return runs


@pytest.mark.parametrize("attempt", range(3))
def test_two_dispatchers_at_once_write_and_deliver_each_event_once(
    settings: Any, producer_admin: Any, buyer: Any, attempt: int
) -> None:
    settings.WEBHOOKS_ALLOW_HTTP = True
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True
    with receiver() as hooks:
        register(producer_admin, hooks.url, ["contract.accepted"])
        register(buyer, hooks.url, ["contract.accepted"])
        producer = ProducerFactory(organization=producer_admin.organization)
        for _ in range(SIGNED):
            sign(ContractFactory(inquiry=InquiryFactory(buyer=buyer.organization, producer=producer)))
        assert not DispatchCursor.objects.exists()
        last_seq = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first()
        unread = AuditEvent.objects.count()

        results = run_at_once(2, lambda _: drain(batch=2))

        assert not [r for r in results if isinstance(r, BaseException)], results
        runs = [run for dispatcher in results for run in dispatcher]
        assert sum(run.read for run in runs) == unread  # no audit event read by both, none skipped
        assert sum(run.deliveries for run in runs) == 2 * SIGNED
        assert DispatchCursor.objects.get().seq == last_seq
        events = WebhookEvent.objects.all()
        assert events.count() == 2 * SIGNED
        assert events.values("audit_seq", "organization").distinct().count() == 2 * SIGNED
        assert WebhookDelivery.objects.filter(state=DeliveryState.DELIVERED).count() == 2 * SIGNED
        assert len(hooks.requests) == 2 * SIGNED  # each delivered once: no second POST of any event
        assert sorted(hooks.accepted_ids) == sorted(str(pk) for pk in events.values_list("pk", flat=True))
