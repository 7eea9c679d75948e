"""POST /api/v1/payments/stripe/webhook/: signed events are recorded once and handed to the handler once."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest
from django.utils import timezone

from payments.gateway import WebhookEvent
from payments.models import ProviderEvent
from tests.payments.conftest import WEBHOOK_PATH, sign, stripe_event
from tests.problems import assert_problem

pytestmark = pytest.mark.django_db


def test_a_signed_event_is_recorded_and_answered_200(deliver):
    body = stripe_event("payment_intent.succeeded", event_id="evt_1Deposit", object_id="pi_3Deposit1")

    response = deliver(body)

    assert response.status_code == 200
    assert response.json() == {"event_id": "evt_1Deposit", "outcome": "ignored"}
    event = ProviderEvent.objects.get()
    assert (event.provider, event.event_id, event.type) == ("stripe", "evt_1Deposit", "payment_intent.succeeded")
    assert (event.object_id, event.object_type) == ("pi_3Deposit1", "payment_intent")
    assert event.payload == json.loads(body)
    assert event.outcome == ProviderEvent.Outcome.IGNORED
    assert event.processed_at is not None


def test_a_replayed_event_is_a_no_op(deliver, recorded_events):
    body = stripe_event(event_id="evt_1Twice")
    deliver(body)

    again = deliver(body)

    assert again.status_code == 200
    assert again.json() == {"event_id": "evt_1Twice", "outcome": "duplicate"}
    assert ProviderEvent.objects.count() == 1
    assert len(recorded_events) == 1


def test_the_handler_receives_the_event_summary(deliver, recorded_events):
    response = deliver(stripe_event("charge.refunded", event_id="evt_1Refund", object_id="ch_3Charge"))

    assert response.json()["outcome"] == "processed"
    assert recorded_events == [
        WebhookEvent(event_id="evt_1Refund", type="charge.refunded", object_id="ch_3Charge", object_type="charge")
    ]
    event = ProviderEvent.objects.get()
    assert (event.outcome, event.attempts) == (ProviderEvent.Outcome.PROCESSED, 1)


def test_an_unknown_but_genuine_event_type_is_accepted(deliver, recorded_events):
    response = deliver(stripe_event("issuing_card.shipped", event_id="evt_1Unknown", object_id="ic_1"))

    assert response.status_code == 200
    assert ProviderEvent.objects.get().type == "issuing_card.shipped"


@pytest.mark.parametrize(
    "signature",
    [
        pytest.param(None, id="missing header"),
        pytest.param("", id="empty header"),
        pytest.param("not a signature", id="garbage"),
        pytest.param("t=1,v0=abc", id="no v1 scheme"),
        pytest.param("wrong secret", id="signed with another secret"),
        pytest.param("old", id="signed 301 seconds ago"),
    ],
)
def test_a_bad_signature_is_400_and_nothing_is_stored(deliver, signature, recorded_events):
    body = stripe_event()
    if signature == "wrong secret":
        signature = sign(body, secret="whsec_someone_else")
    elif signature == "old":
        signature = sign(body, timestamp=int(time.time()) - 301)

    response = deliver(body, signature=signature)

    assert_problem(response, 400, "webhook_signature_invalid")
    assert ProviderEvent.objects.count() == 0
    assert recorded_events == []


def test_a_timestamp_inside_the_tolerance_is_accepted(deliver):
    body = stripe_event()

    response = deliver(body, signature=sign(body, timestamp=int(time.time()) - 280))

    assert response.status_code == 200


def test_a_body_changed_after_signing_is_refused(deliver):
    body = stripe_event(object_id="pi_3Deposit1")
    signature = sign(body)

    response = deliver(body.replace(b"125000", b"1"), signature=signature)

    assert_problem(response, 400, "webhook_signature_invalid")
    assert ProviderEvent.objects.count() == 0


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b'{"id": "evt_1", "type": ', id="malformed JSON"),
        pytest.param(b"\xff\xfe not utf-8", id="not UTF-8"),
        pytest.param(b'["evt_1"]', id="a JSON array"),
        pytest.param(b'{"id": "evt_1", "object": "event"}', id="no type"),
        pytest.param(b'{"id": "evt_1", "type": "charge.refunded", "data": {}}', id="no data object"),
    ],
)
def test_a_signed_body_that_is_no_event_is_400_and_nothing_is_stored(deliver, body):
    response = deliver(body)

    assert_problem(response, 400, "webhook_payload_invalid")
    assert ProviderEvent.objects.count() == 0


def test_without_a_signing_secret_the_webhook_answers_503_so_stripe_retries(deliver, settings):
    settings.STRIPE_WEBHOOK_SECRET = ""

    response = deliver(stripe_event())

    assert_problem(response, 503, "payments_not_configured")
    assert ProviderEvent.objects.count() == 0


def test_a_token_is_neither_needed_nor_read(deliver):
    response = deliver(stripe_event(), HTTP_AUTHORIZATION="Token not-a-real-token")

    assert response.status_code == 200


def test_stripe_is_not_throttled(deliver, anon, rates):
    rates(anon="2/min")
    assert [anon.get("/api/v1/listings/").status_code for _ in range(3)] == [200, 200, 429]  # the rate holds

    statuses = [deliver(stripe_event()).status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 200]
    assert ProviderEvent.objects.count() == 4


def test_a_failing_handler_answers_500_and_the_next_delivery_runs_it_again(deliver, settings, recorded_events):
    body = stripe_event(event_id="evt_1Flaky", object_id="pi_3Flaky")
    settings.PAYMENTS_EVENT_HANDLER = "tests.payments.handlers.fail"

    first = deliver(body)

    assert_problem(first, 500, "webhook_processing_failed")
    event = ProviderEvent.objects.get()
    assert event.outcome == ProviderEvent.Outcome.FAILED
    assert "pi_3Flaky could not be updated" in event.last_error
    assert event.processed_at is None

    settings.PAYMENTS_EVENT_HANDLER = "tests.payments.handlers.record"
    second = deliver(body)

    assert second.json() == {"event_id": "evt_1Flaky", "outcome": "processed"}
    event.refresh_from_db()
    assert (event.outcome, event.attempts, event.last_error) == (ProviderEvent.Outcome.PROCESSED, 2, "")
    assert [call.event_id for call in recorded_events] == ["evt_1Flaky"]
    assert ProviderEvent.objects.count() == 1


def test_an_event_being_handled_elsewhere_is_left_alone(deliver, recorded_events):
    body = stripe_event(event_id="evt_1Busy")
    deliver(body)
    ProviderEvent.objects.update(outcome=ProviderEvent.Outcome.PROCESSING, claimed_at=timezone.now())

    response = deliver(body)

    assert response.json()["outcome"] == "duplicate"
    assert len(recorded_events) == 1


def test_an_abandoned_attempt_is_taken_over_after_its_lease(deliver, recorded_events):
    body = stripe_event(event_id="evt_1Abandoned")
    deliver(body)
    ProviderEvent.objects.update(
        outcome=ProviderEvent.Outcome.PROCESSING, claimed_at=timezone.now() - dt.timedelta(minutes=6)
    )

    response = deliver(body)

    assert response.json()["outcome"] == "processed"
    assert len(recorded_events) == 2


def test_the_endpoint_is_in_the_schema_as_anonymous(client):
    schema = client.get("/api/schema/?format=json").json()

    operation = schema["paths"][WEBHOOK_PATH]["post"]

    assert operation["security"] == [{}]
    assert {"200", "400", "500", "503"} <= set(operation["responses"])


def test_staff_read_events_in_the_admin_but_change_nothing(deliver, admin_client):
    deliver(stripe_event(event_id="evt_1Admin"))
    event = ProviderEvent.objects.get()

    listing = admin_client.get("/admin/payments/providerevent/")
    detail = admin_client.get(f"/admin/payments/providerevent/{event.pk}/change/")
    delete = admin_client.post(f"/admin/payments/providerevent/{event.pk}/delete/", {"post": "yes"})
    add = admin_client.get("/admin/payments/providerevent/add/")

    assert listing.status_code == 200
    assert b"evt_1Admin" in listing.content
    assert detail.status_code == 200
    assert (delete.status_code, add.status_code) == (403, 403)
    assert ProviderEvent.objects.filter(event_id="evt_1Admin").exists()
