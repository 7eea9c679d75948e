"""Two requests at once, on PostgreSQL with real threads: one bank reference recorded twice is one payment (the
other answer is the same payment, or 409 when its figures differ, never a 500); one weight recorded twice is one
weighing; a payment confirmed twice is confirmed once."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from audit.models import AuditEvent
from audit.verification import verify_chain
from settlement.models import Payment, Weighing
from tests.concurrency import postgres_only, run_at_once
from tests.settlement.helpers import confirm_url, payment_body, payments_url, today, weighings_url
from tests.trade.helpers import ok

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True)]


def same_caller(actor) -> APIClient:
    """A client of its own (threads must not share one) with the actor's token."""
    client = APIClient()
    client.credentials(**actor.client._credentials)
    return client


def events(action: str) -> int:
    return AuditEvent.objects.filter(action=action).count()


@pytest.mark.parametrize("attempt", range(5))
@pytest.mark.parametrize("figures", ["same", "different"])
def test_one_bank_reference_sent_twice_at_once_is_one_payment(contract, buyer, figures, attempt):
    clients = [same_caller(buyer), same_caller(buyer)]
    bodies = [payment_body(), payment_body()]
    if figures == "different":
        bodies[1]["amount"] = {"amount_minor": 1000, "currency": "USD"}

    responses = run_at_once(2, lambda i: clients[i].post(payments_url(contract), bodies[i], format="json"))

    statuses = sorted(getattr(r, "status_code", r) for r in responses)
    assert statuses == ([200, 201] if figures == "same" else [201, 409]), [getattr(r, "content", r) for r in responses]
    assert Payment.objects.filter(contract=contract).count() == 1
    assert events("settlement.payment.recorded") == 1
    if figures == "same":
        assert responses[0].json()["id"] == responses[1].json()["id"]
    else:
        conflict = next(r for r in responses if r.status_code == 409).json()
        assert conflict["code"] == "bank_reference_used"
        assert conflict["payment"] == str(Payment.objects.get().pk)
    assert verify_chain().ok


@pytest.mark.parametrize("attempt", range(3))
def test_one_weight_sent_twice_at_once_is_one_weighing(contract, producer_admin, attempt):
    clients = [same_caller(producer_admin), same_caller(producer_admin)]
    body = {"gross_grams": "301.250", "weighed_on": today()}

    responses = run_at_once(2, lambda i: clients[i].post(weighings_url(contract), body, format="json"))

    assert sorted(getattr(r, "status_code", r) for r in responses) == [200, 201]
    assert Weighing.objects.filter(contract=contract).count() == 1
    assert events("settlement.weighing.recorded") == 1


@pytest.mark.parametrize("attempt", range(3))
def test_a_payment_confirmed_twice_at_once_is_confirmed_once(contract, buyer, producer_admin, attempt):
    payment = ok(buyer.post(payments_url(contract), payment_body(), format="json"), 201)
    clients = [same_caller(producer_admin), same_caller(producer_admin)]

    responses = run_at_once(2, lambda i: clients[i].post(confirm_url(payment)))

    assert [getattr(r, "status_code", r) for r in responses] == [200, 200]
    assert events("settlement.payment.confirmed") == 1
    assert Payment.objects.get().confirmed_by_id == producer_admin.user.pk
