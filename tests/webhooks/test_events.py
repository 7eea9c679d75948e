"""Who receives what: each event type's receivers and thin payload, from the audit actions the code records."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from audit.services import audit_record
from jobs.registry import KINDS
from provenance.models import Lot
from tests.factories import (
    ContractFactory,
    DepositFactory,
    EvidenceFactory,
    InquiryFactory,
    ListingFactory,
    OrganizationFactory,
)
from trade.models import ContractLot
from webhooks.events import EVENT_TYPES
from webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from webhooks.services import DELIVER_MAX_ATTEMPTS, dispatch_events

pytestmark = pytest.mark.django_db


def subscribe(organization: Any) -> WebhookEndpoint:
    """An endpoint of `organization` on every type (its deliveries are not sent: on_commit does not run here)."""
    from tests.factories import member_of

    return WebhookEndpoint.objects.create(
        organization=organization,
        url="https://93.184.216.34/h",
        event_types=list(EVENT_TYPES),
        created_by=member_of(organization),
    )


def received() -> dict[Any, list[dict[str, Any]]]:
    dispatch_events()
    out: dict[Any, list[dict[str, Any]]] = {}
    for event in WebhookEvent.objects.order_by("audit_seq"):
        out.setdefault(event.organization_id, []).append(event.payload)
    return out


def test_an_evidence_decision_goes_to_its_organisation_without_the_reviewers_reason() -> None:
    evidence = EvidenceFactory(status="rejected")
    subscribe(evidence.organization)
    subscribe(OrganizationFactory())
    audit_record(
        action="compliance.evidence.reject",
        actor=None,
        subject_organization=evidence.organization,
        target=evidence,
        data={"type": "TAX_RUC", "reason": "The scan is illegible; the reviewer Ana saw it.", "valid_until": None},
    )

    got = received()

    assert list(got) == [evidence.organization_id]
    [payload] = got[evidence.organization_id]
    assert payload["type"] == "evidence.decided"
    assert payload["data"] == {
        "object": "evidence",
        "id": str(evidence.pk),
        "evidence_type": "TAX_RUC",
        "status": "rejected",
    }
    assert "illegible" not in json.dumps(payload)


@pytest.mark.parametrize(
    ("action", "before", "after", "expected"),
    [
        ("listings.listing.publish", "draft", "published", "listing.visible"),
        ("listings.listing.publish", "draft", "held", None),
        ("listings.listing.release", "held", "published", "listing.visible"),
        ("listings.listing.pause", "published", "paused", "listing.hidden"),
        ("listings.listing.resume", "paused", "published", "listing.visible"),
        ("listings.listing.withdraw", "published", "closed", "listing.hidden"),
        ("listings.listing.withdraw", "draft", "closed", None),
        ("listings.listing.sold_out", "published", "closed", "listing.hidden"),
        ("listings.listing.reopened", "closed", "published", "listing.visible"),
    ],
)
def test_a_listing_move_says_whether_it_is_offered(action: str, before: str, after: str, expected: str | None) -> None:
    listing = ListingFactory()
    subscribe(listing.producer.organization)
    audit_record(action=action, actor=None, target=listing, data={"from": before, "to": after})

    got = received().get(listing.producer_id, [])

    assert [payload["type"] for payload in got] == ([expected] if expected else [])
    if expected:
        assert got[0]["data"] == {"object": "listing", "id": str(listing.pk), "status": after}


def test_an_inquiry_message_goes_to_both_parties_without_its_text() -> None:
    inquiry = InquiryFactory()
    for organization in (inquiry.buyer, inquiry.producer.organization, OrganizationFactory()):
        subscribe(organization)
    audit_record(
        action="trade.inquiry.message_posted",
        actor=None,
        target=inquiry,
        data={"message": "6f1c0d1e-0000-4000-8000-000000000001", "side": "buyer"},
    )

    got = received()

    assert set(got) == {inquiry.buyer_id, inquiry.producer_id}
    for [payload] in got.values():
        assert payload["data"] == {
            "object": "inquiry",
            "id": str(inquiry.pk),
            "message": "6f1c0d1e-0000-4000-8000-000000000001",
            "side": "buyer",
        }


def test_a_proposal_and_a_deposit_go_to_both_parties() -> None:
    contract = ContractFactory()
    deposit = DepositFactory(contract=contract, amount_minor=1000, currency="USD", created_by=contract.created_by)
    for organization in (contract.buyer, contract.producer.organization, OrganizationFactory()):
        subscribe(organization)
    audit_record(
        action="trade.contract.proposed",
        actor=None,
        target=contract,
        data={"version": 2, "side": "producer", "quantity_grams": "10.000", "price_basis": "fixed"},
    )
    audit_record(
        action="trade.deposit.payment_held",
        actor=None,
        target=deposit,
        data={"deposit": str(deposit.pk), "contract": str(contract.pk), "from": "processing", "to": "held"},
    )
    audit_record(
        action="trade.deposit.released",
        actor=None,
        target=deposit,
        data={"deposit": str(deposit.pk), "contract": str(contract.pk)},
    )

    got = received()

    assert set(got) == {contract.buyer_id, contract.producer_id}
    for payloads in got.values():
        assert [payload["type"] for payload in payloads] == ["contract.proposed", "deposit.state", "deposit.state"]
        assert payloads[0]["data"]["version"] == 2
        assert "quantity_grams" not in payloads[0]["data"]
        assert [p["data"]["state"] for p in payloads[1:]] == ["held", "released"]
        assert payloads[1]["data"]["contract"] == str(contract.pk)


def test_a_custody_event_goes_to_the_producer_and_the_buyer_whose_contract_delivers_the_lot() -> None:
    contract = ContractFactory()
    other = ContractFactory()
    producer = contract.producer
    lot = Lot.objects.create(
        producer=producer,
        code="L-1",
        form="dore",
        gross_grams=Decimal("10"),
        declared_fineness=Decimal("900"),
        production_from=dt.date(2026, 1, 1),
        production_to=dt.date(2026, 1, 10),
        processing_methods=["borax_smelting"],
        recorded_by=contract.created_by,
    )
    ContractLot.objects.create(contract=contract, lot=lot, named_by=contract.created_by, named_at=timezone.now())
    for organization in (contract.buyer, producer.organization, other.buyer):
        subscribe(organization)
    audit_record(action="provenance.custody.sealed", actor=None, target=lot, data={"kind": "sealed", "seq": 1})

    got = received()

    assert set(got) == {producer.pk, contract.buyer_id}
    assert got[contract.buyer_id][0]["data"] == {
        "object": "lot",
        "id": str(lot.pk),
        "custody_kind": "sealed",
        "custody_seq": 1,
        "contracts": [str(contract.pk)],
    }


def test_an_endpoint_gets_only_what_happened_after_it_was_registered() -> None:
    evidence = EvidenceFactory(approved=True)
    audit_record(action="compliance.evidence.approve", actor=None, target=evidence, data={})
    subscribe(evidence.organization)

    assert received() == {}


def test_an_event_of_one_organisation_reaches_each_of_its_subscribed_endpoints_under_one_id() -> None:
    evidence = EvidenceFactory(approved=True)
    first, second = subscribe(evidence.organization), subscribe(evidence.organization)
    WebhookEndpoint.objects.filter(pk=second.pk).update(event_types=["contract.accepted"])
    third = subscribe(evidence.organization)
    audit_record(action="compliance.evidence.approve", actor=None, target=evidence, data={})

    dispatch_events()

    event = WebhookEvent.objects.get()
    assert set(WebhookDelivery.objects.values_list("endpoint", flat=True)) == {first.pk, third.pk}
    assert set(WebhookDelivery.objects.values_list("event", flat=True)) == {event.pk}


def test_the_retries_last_about_three_days() -> None:
    kind = KINDS["webhooks.deliver"]
    assert kind.max_attempts == DELIVER_MAX_ATTEMPTS
    ceilings = [
        min(kind.max_delay.total_seconds(), kind.first_delay.total_seconds() * 2 ** (attempt - 1))
        for attempt in range(1, DELIVER_MAX_ATTEMPTS)
    ]
    # Equal jitter: each wait is between half its ceiling and the ceiling.
    assert dt.timedelta(days=2) <= dt.timedelta(seconds=sum(ceilings) / 2)
    assert dt.timedelta(seconds=sum(ceilings)) <= dt.timedelta(days=4, hours=1)
    assert abs(dt.timedelta(seconds=0.75 * sum(ceilings)) - dt.timedelta(days=3)) < dt.timedelta(hours=1)


def test_beat_runs_the_dispatcher_and_the_command_does_the_same() -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["dispatch-webhooks"]
    assert entry["task"] == "webhooks.dispatch"
    assert entry["schedule"] == dt.timedelta(seconds=5)

    evidence = EvidenceFactory(approved=True)
    subscribe(evidence.organization)
    audit_record(action="compliance.evidence.approve", actor=None, target=evidence, data={})
    out = StringIO()
    call_command("dispatch_webhooks", stdout=out)

    assert "1 deliveries asked for" in out.getvalue()
    assert WebhookEvent.objects.count() == 1


def test_the_beat_task_is_registered() -> None:
    from webhooks.tasks import dispatch

    assert dispatch.name == "webhooks.dispatch"
    assert dispatch() == 0


def test_a_first_of_two_approvals_says_nothing_and_an_approval_names_what_it_superseded() -> None:
    evidence = EvidenceFactory(approved=True)
    subscribe(evidence.organization)
    audit_record(action="compliance.evidence.first_approval", actor=None, target=evidence, data={"reason": ""})
    audit_record(
        action="compliance.evidence.approve",
        actor=None,
        target=evidence,
        data={"reason": "", "superseded": ["0b9c1e2d-0000-4000-8000-000000000002"]},
    )

    [payload] = received()[evidence.organization_id]

    assert payload["data"]["status"] == "approved"
    assert payload["data"]["superseded"] == ["0b9c1e2d-0000-4000-8000-000000000002"]
