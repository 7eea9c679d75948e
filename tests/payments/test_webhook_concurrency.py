"""One event delivered several times at once (Stripe retries while a slow first delivery still runs)."""

from __future__ import annotations

import pytest
from django.test import Client

from payments.models import ProviderEvent
from tests.concurrency import postgres_only, run_at_once
from tests.payments.conftest import WEBHOOK_PATH, sign, stripe_event

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("attempt", range(3))
def test_one_event_delivered_four_times_at_once_is_recorded_and_handled_once(
    attempt, webhook_secret, recorded_events, settings
):
    settings.PAYMENTS_EVENT_HANDLER = "tests.payments.handlers.record_slowly"
    body = stripe_event(event_id=f"evt_1Race{attempt}", object_id="pi_3Race")
    signature = sign(body)

    def deliver(_i):
        return Client().post(WEBHOOK_PATH, data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature)

    responses = run_at_once(4, deliver)

    assert [getattr(r, "status_code", r) for r in responses] == [200, 200, 200, 200]
    assert sorted(r.json()["outcome"] for r in responses) == ["duplicate", "duplicate", "duplicate", "processed"]
    assert ProviderEvent.objects.filter(event_id=f"evt_1Race{attempt}").count() == 1
    assert [event.event_id for event in recorded_events] == [f"evt_1Race{attempt}"]
    assert ProviderEvent.objects.get().outcome == ProviderEvent.Outcome.PROCESSED
