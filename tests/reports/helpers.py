"""Rows the impact report reads, made directly: final statements with the figures a test chooses (the report reads
the frozen document, never recomputes it), evidence approved (or revoked) at a chosen moment with its decision
row, and verification moves written by the producers' own service at a chosen moment (clock.now patched, as the
audit trail records them)."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from compliance.models import Evidence, EvidenceDecision
from core import clock
from core.actor import Actor
from prices.models import CertificationTerms
from producers import services as producer_services
from producers.models import Producer
from reports.impact import Month
from settlement.models import Statement
from tests.factories import ContractFactory, ContractVersionFactory, EvidenceFactory, InquiryFactory
from tests.producers.factories import ProducerFactory
from trade.models import Contract, SettlementTerms

REPORT = "/api/v1/reports/impact/"
CSV = "/api/v1/reports/impact.csv"
CHART = "/api/v1/reports/impact/chart.svg"


def this_month() -> Month:
    return Month.of(clock.today_lima())


def in_month(month: Month, day: int = 10, hour: int = 12) -> dt.datetime:
    """Noon (Lima) of a day of `month`, never after now."""
    moment = dt.datetime(month.year, month.number, day, hour, tzinfo=clock.LIMA)
    return max(month.start + dt.timedelta(seconds=1), min(moment, clock.now() - dt.timedelta(minutes=5)))


@contextlib.contextmanager
def at(moment: dt.datetime) -> Iterator[None]:
    """`clock.now()` is `moment` inside the block (what the audit trail stamps its events with)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(clock, "now", lambda: moment.astimezone(dt.UTC))  # as the database gives it back
        yield


def reviewer_actor(reviewer: Any) -> Actor:
    return Actor(
        user=reviewer.user, organization_id=reviewer.organization.pk, organization_kind="network", role="reviewer"
    )


def verified(reviewer: Any, when: dt.datetime, **fields: Any) -> Producer:
    """A producer the network verified at `when` (its move recorded then by the service, as the trail has it)."""
    producer = ProducerFactory(verification_status="submitted", **fields)
    with at(when):
        producer_services.producer_transition(actor=reviewer_actor(reviewer), producer=producer, move="verify")
    producer.refresh_from_db()
    return producer


def move(reviewer: Any, producer: Producer, verb: str, when: dt.datetime) -> None:
    with at(when):
        producer_services.producer_transition(
            actor=reviewer_actor(reviewer), producer=producer, move=verb, reason="Hallazgo de la visita de campo."
        )


def approved(
    producer: Producer,
    type_code: str,
    when: dt.datetime,
    *,
    valid_until: dt.date | None = None,
    attributes: dict[str, Any] | None = None,
    revoked: dt.datetime | None = None,
    superseded: dt.datetime | None = None,
) -> Evidence:
    """An item of the producer's approved at `when` (its decision row says so), perhaps revoked or superseded."""
    status = "revoked" if revoked else "superseded" if superseded else "approved"
    item = EvidenceFactory(
        organization=producer.organization,
        type_code=type_code,
        status=status,
        decided_at=revoked or when,
        valid_until=valid_until or dt.date(2099, 12, 31),
        attributes=attributes or {},
        superseded_at=superseded,
    )
    Evidence.objects.filter(pk=item.pk).update(created_at=when - dt.timedelta(hours=30))
    reviewer = item.submitted_by
    decisions = [(EvidenceDecision.Action.APPROVE, when)]
    if revoked:
        decisions.append((EvidenceDecision.Action.REVOKE, revoked))
    for action, moment in decisions:
        decision = EvidenceDecision.objects.create(
            evidence=item, reviewer=reviewer, action=action, valid_until=item.valid_until
        )
        EvidenceDecision.objects.filter(pk=decision.pk).update(decided_at=moment)
    return item


def snapshot(*claims: str) -> dict[str, Any]:
    """A signed version's compliance snapshot whose one origin site shows these claims backed by an item."""
    return {
        "policy": {"id": 1, "subject": "organisation", "version": 1},
        "sites": [
            {
                "site": "00000000-0000-0000-0000-000000000001",
                "requirements": [],
                "claims": [{"code": code, "rests_on": "evidence", "evidence": [f"item-{code}"]} for code in claims],
            }
        ],
        "evidence": [],
    }


def settled(
    producer: Producer,
    grams: str,
    when: dt.datetime,
    *,
    claims: tuple[str, ...] = (),
    premium_minor: int = 0,
    certified: bool = True,
    currency: str = "USD",
    rate: str | None = None,
    kind: str = "final",
) -> Statement:
    """A signed contract of the producer's settled by a statement issued at `when`: `grams` of fine gold, and a
    premium line when `premium_minor` (the terms certified Fairmined unless `certified` is False)."""
    contract = ContractFactory(inquiry=InquiryFactory(producer=producer))
    price = {} if currency == "USD" else {"price_basis": "fixed", "price_per_fine_gram_minor": 36000}
    version = ContractVersionFactory(
        contract=contract,
        compliance_snapshot=snapshot(*claims) if claims else {},
        currency=currency,
        **price,
        **({"lbma_adjustment_bp": None} if price else {}),
    )
    Contract.objects.filter(pk=contract.pk).update(
        state="completed", signed_version=version, signed_at=when - dt.timedelta(days=20), terms_hash="0" * 64
    )
    if premium_minor and certified:
        SettlementTerms.objects.create(
            version=version,
            fixing_rule="after_receipt",
            gold_payable_bp=9950,
            splitting_limit=Decimal("0.5"),
            umpire_laboratory="Alex Stewart International, Lima",
            certification=CertificationTerms.objects.filter(claim_id="fairmined").order_by("-valid_from").first(),
        )
    lines: list[dict[str, Any]] = [{"key": "fine_gold", "grams": grams, "rule": f"{grams} g"}]
    if premium_minor:
        lines.append(
            {"key": "premium", "amount": {"amount_minor": premium_minor, "currency": currency}, "sign": 1, "rule": ""}
        )
    prices = (
        {"rate": {"base": "USD", "quote": "PEN", "rate": rate, "date": "2026-01-02", "sample": True}} if rate else {}
    )
    document = {"kind": kind, "currency": currency, "lines": lines, "prices": prices}
    statement = Statement.objects.create(
        contract=contract,
        shipment=1,
        kind=kind,
        currency=currency,
        amount_due_minor=0,
        net_value_minor=0,
        document=document,
        digest=hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest(),
        issued_by=contract.created_by,
    )
    Statement.objects.filter(pk=statement.pk).update(issued_at=when)
    return statement


def column(body: dict[str, Any], month: Month) -> dict[str, Any]:
    return next(row for row in body["months"] if row["month"] == str(month))


def value(body: dict[str, Any], month: Month | None, figure: str) -> Any:
    row = body["total"] if month is None else column(body, month)
    return row[figure]["value"]


def reason(body: dict[str, Any], month: Month | None, figure: str) -> Any:
    row = body["total"] if month is None else column(body, month)
    return row[figure]["reason"]
