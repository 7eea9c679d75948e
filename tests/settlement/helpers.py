"""A signed contract to settle, and the records around it: settlement terms, shipments and statements are made
with the ORM (the lead's statement code issues the real ones); weighings, assays and payments through the API,
as the named actors."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from typing import Any

from django.utils import timezone

from core import clock
from settlement.models import Statement
from tests.trade.deposit_helpers import signed_contract
from tests.trade.helpers import ok
from trade.models import Contract, ContractShipment, SettlementTerms

CONTRACTS = "/api/v1/contracts/"
UMPIRE_LAB = "Alex Stewart International, Lima"


def today() -> str:
    return clock.today_lima().isoformat()


def days_from_today(days: int) -> str:
    return (clock.today_lima() + dt.timedelta(days=days)).isoformat()


def shipments_url(contract: Any, n: int | None = None) -> str:
    base = f"{CONTRACTS}{_id(contract)}/shipments/"
    return base if n is None else f"{base}{n}/"


def weighings_url(contract: Any, n: int = 1, party: str | None = None) -> str:
    return f"{shipments_url(contract, n)}weighings/" + (f"{party}/" if party else "")


def assays_url(contract: Any, n: int = 1, party: str | None = None) -> str:
    return f"{shipments_url(contract, n)}assays/" + (f"{party}/" if party else "")


def payments_url(contract: Any) -> str:
    return f"{CONTRACTS}{_id(contract)}/payments/"


def confirm_url(payment: Any) -> str:
    return f"/api/v1/payments/{_id(payment)}/confirm/"


def balance_url(contract: Any) -> str:
    return f"{CONTRACTS}{_id(contract)}/balance/"


def _id(obj: Any) -> str:
    if isinstance(obj, dict):
        return str(obj["id"])
    return str(getattr(obj, "pk", obj))


def signed(trade: Any, buyer: Any, producer_admin: Any, **terms: Any) -> Contract:
    """A contract the cooperative proposed and the buyer signed through the API: 300 g at 920 per mille, a fixed
    USD 98.00 per fine gram, one shipment."""
    return Contract.objects.select_related("signed_version").get(
        pk=signed_contract(trade, buyer, producer_admin, **terms)["id"]
    )


def with_terms(contract: Contract, *, splitting_limit: str = "0.5", **fields: Any) -> SettlementTerms:
    assert contract.signed_version is not None
    return SettlementTerms.objects.create(
        version=contract.signed_version,
        fixing_rule="after_receipt",
        gold_payable_bp=9950,
        splitting_limit=Decimal(splitting_limit),
        umpire_laboratory=UMPIRE_LAB,
        **fields,
    )


def with_shipments(contract: Contract, *quantities: str) -> list[ContractShipment]:
    """The signed version delivers in these shipments, numbered from 1."""
    version = contract.signed_version
    assert version is not None
    return [
        ContractShipment.objects.create(
            version=version,
            number=number,
            quantity_grams=Decimal(quantity),
            delivery_date=clock.today_lima() + dt.timedelta(days=30 * number),
            incoterm="FCA",
            incoterm_place="Puerto Maldonado",
        )
        for number, quantity in enumerate(quantities, start=1)
    ]


def issue_statement(
    contract: Contract, *, shipment: int = 1, kind: str = "provisional", amount_due: int = 0, net_value: int = 0
) -> Statement:
    """A statement as the lead's code would store it (the figures are the test's)."""
    document = {"shipment": shipment, "kind": kind, "amount_due_minor": amount_due, "net_value_minor": net_value}
    assert contract.signed_version is not None
    return Statement.objects.create(
        contract=contract,
        shipment=shipment,
        kind=kind,
        currency=contract.signed_version.currency,
        amount_due_minor=amount_due,
        net_value_minor=net_value,
        document=document,
        digest=hashlib.sha256(repr(sorted(document.items())).encode()).hexdigest(),
        issued_by=contract.created_by,
    )


def weigh(actor: Any, contract: Any, grams: str = "301.250", n: int = 1, status: int = 201, **body: Any) -> dict:
    return ok(
        actor.post(weighings_url(contract, n), {"gross_grams": grams, "weighed_on": today(), **body}, format="json"),
        status,
    )


def assay_body(party: str, au: str = "921.4", **overrides: Any) -> dict[str, Any]:
    body = {
        "party": party,
        "au_per_mille": au,
        "ag_per_mille": "61.2",
        "laboratory": UMPIRE_LAB if party == "umpire" else f"Laboratorio del {party}",
        "certificate_number": f"{party.upper()}-0412",
        "assayed_on": today(),
    }
    body.update(overrides)
    return body


def assay(
    actor: Any, contract: Any, party: str, au: str = "921.4", n: int = 1, status: int = 201, **overrides: Any
) -> dict:
    return ok(actor.post(assays_url(contract, n), assay_body(party, au, **overrides), format="json"), status)


def payment_body(**overrides: Any) -> dict[str, Any]:
    body = {
        "kind": "provisional",
        "shipment": 1,
        "amount": {"amount_minor": 2434320, "currency": "USD"},
        "paid_on": today(),
        "bank_reference": "UBS-CH-0114-7731",
        "note": "90 % on the declared weight and assay.",
    }
    body.update(overrides)
    return body


def pay(actor: Any, contract: Any, status: int = 201, **overrides: Any) -> dict:
    return ok(actor.post(payments_url(contract), payment_body(**overrides), format="json"), status)


def backdate_signature(contract: Contract, days: int) -> None:
    Contract.objects.filter(pk=contract.pk).update(signed_at=timezone.now() - dt.timedelta(days=days))
