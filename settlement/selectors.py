"""Reads of settlement, scoped to the caller as trade scopes contracts: the two parties' people, the network's
reviewers and staff read a contract's shipments, records, payments and balance; anybody else gets 404.

A contract's shipments are its signed version's `ContractShipment` rows, numbered 1..n; a signed version without
shipment rows delivers once, as its own quantity, date, place and lots say: shipment 1. A contract that is not
signed has no shipments yet.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _

from core.actor import Actor
from core.errors import NotFound
from provenance.models import Lot
from settlement.models import AssayResult, Party, Payment, Statement, Weighing
from trade.models import Contract, ContractShipment, SettlementTerms
from trade.selectors import party_scope


def contract_get(*, actor: Actor, contract_id: Any) -> Contract:
    """The contract as the caller may see it (404 otherwise), with what settlement reads of it."""
    contracts = Contract.objects.select_related("buyer", "producer__organization", "signed_version__settlement")
    scope = party_scope(actor)
    if scope is not None:
        contracts = contracts.filter(scope)
    found = contracts.filter(pk=contract_id).first()
    if found is None:
        raise NotFound()
    return found


def settlement_terms(contract: Contract) -> SettlementTerms | None:
    version = contract.signed_version
    if version is None:
        return None
    try:
        return version.settlement
    except SettlementTerms.DoesNotExist:
        return None


def contract_currency(contract: Contract) -> str:
    """The currency the contract is priced, settled and paid in: its signed version's (the latest version's
    while it is not signed)."""
    if contract.signed_version is not None:
        return contract.signed_version.currency
    latest = contract.versions.order_by("-number").first()
    return latest.currency if latest is not None else "USD"


# --- Shipments ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Shipment:
    number: int
    quantity_grams: Decimal
    delivery_date: dt.date
    incoterm: str
    incoterm_place: str
    lots: list[Lot] = field(default_factory=list)


def shipments_of(contract: Contract) -> list[Shipment]:
    """The signed version's shipments in number order (two queries), or [] while the contract is unsigned."""
    version = contract.signed_version
    if version is None:
        return []
    lots = Prefetch("lots", queryset=Lot.objects.order_by("code"))
    rows = list(ContractShipment.objects.filter(version=version).prefetch_related(lots).order_by("number"))
    if rows:
        return [
            Shipment(
                number=row.number,
                quantity_grams=row.quantity_grams,
                delivery_date=row.delivery_date,
                incoterm=row.incoterm,
                incoterm_place=row.incoterm_place,
                lots=list(row.lots.all()),
            )
            for row in rows
        ]
    return [
        Shipment(
            number=1,
            quantity_grams=version.quantity_grams,
            delivery_date=version.delivery_date,
            incoterm=version.incoterm,
            incoterm_place=version.incoterm_place,
            lots=list(version.lots.order_by("code")),
        )
    ]


def shipment_numbers(contract: Contract) -> list[int]:
    """The numbers of the contract's shipments (one query), [] while it is unsigned."""
    if contract.signed_version_id is None:
        return []
    numbers = list(
        ContractShipment.objects.filter(version_id=contract.signed_version_id)
        .order_by("number")
        .values_list("number", flat=True)
    )
    return numbers or [1]


def require_shipment(contract: Contract, number: int) -> None:
    """404 for a shipment the signed version does not have."""
    if number not in shipment_numbers(contract):
        raise NotFound(
            _("This contract has no shipment %(number)s.") % {"number": number},
            code="shipment_not_found",
        )


# --- The splitting limit and the umpire -----------------------------------------------------------------------
def assay_difference(assays: dict[str, AssayResult]) -> Decimal | None:
    """|seller's Au − buyer's Au| in per mille, once both are recorded."""
    seller, buyer = assays.get(Party.SELLER), assays.get(Party.BUYER)
    if seller is None or buyer is None:
        return None
    return abs(seller.au_per_mille - buyer.au_per_mille)


def umpire_needed(terms: SettlementTerms | None, assays: dict[str, AssayResult]) -> bool:
    """Both sides' assays are recorded and differ by more than the signed terms' splitting limit."""
    difference = assay_difference(assays)
    return terms is not None and difference is not None and difference > terms.splitting_limit


# --- What a statement was computed from ------------------------------------------------------------------------
# A provisional statement is computed on the seller's declared weight and assay; a final statement on the
# received weight and the settling assay (the two sides' and, beyond the splitting limit, the umpire's), after
# the provisional: it rests on every record of its shipment.
STATEMENT_USES: dict[str, frozenset[tuple[str, str]]] = {
    "provisional": frozenset({("weighing", Party.SELLER), ("assay", Party.SELLER)}),
    "final": frozenset(
        {("weighing", Party.SELLER), ("weighing", Party.BUYER)}
        | {("assay", party) for party in (Party.SELLER, Party.BUYER, Party.UMPIRE)}
    ),
}


def statement_using(contract: Contract, shipment: int, record: str, party: str) -> Statement | None:
    """The issued statement of the shipment that uses this record, if any."""
    kinds = [kind for kind, uses in STATEMENT_USES.items() if (record, party) in uses]
    return Statement.objects.filter(contract=contract, shipment=shipment, kind__in=kinds).order_by("issued_at").first()


# --- The shipments as the API shows them ------------------------------------------------------------------------
@dataclass
class ShipmentRecords:
    shipment: Shipment
    weighings: list[Weighing]
    assays: list[AssayResult]
    statements: list[Statement]
    terms: SettlementTerms | None

    @property
    def number(self) -> int:
        return self.shipment.number

    @property
    def assays_by_party(self) -> dict[str, AssayResult]:
        return {assay.party: assay for assay in self.assays}

    @property
    def assay_difference(self) -> Decimal | None:
        return assay_difference(self.assays_by_party)

    @property
    def umpire_needed(self) -> bool:
        return umpire_needed(self.terms, self.assays_by_party)


def _by_shipment(rows: QuerySet[Any]) -> dict[int, list[Any]]:
    grouped: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        grouped[row.shipment].append(row)
    return grouped


def shipment_records(contract: Contract, number: int | None = None) -> list[ShipmentRecords]:
    """Each shipment (or only `number`) with its weighings, assays and statements: a fixed number of queries
    whatever the number of shipments and records."""
    shipments = [s for s in shipments_of(contract) if number is None or s.number == number]
    if not shipments:
        return []
    numbers = [s.number for s in shipments]
    weighings = _by_shipment(
        Weighing.objects.filter(contract=contract, shipment__in=numbers).select_related("recorded_by")
    )
    assays = _by_shipment(
        AssayResult.objects.filter(contract=contract, shipment__in=numbers).select_related("recorded_by")
    )
    statements = _by_shipment(Statement.objects.filter(contract=contract, shipment__in=numbers).order_by("issued_at"))
    terms = settlement_terms(contract)
    party_order: dict[str, int] = {Party.SELLER: 0, Party.BUYER: 1, Party.UMPIRE: 2}
    return [
        ShipmentRecords(
            shipment=s,
            weighings=sorted(weighings.get(s.number, []), key=lambda w: party_order[w.party]),
            assays=sorted(assays.get(s.number, []), key=lambda a: party_order[a.party]),
            statements=statements.get(s.number, []),
            terms=terms,
        )
        for s in shipments
    ]


def shipment_get(contract: Contract, number: int) -> ShipmentRecords:
    found = shipment_records(contract, number)
    if not found:
        raise NotFound(_("This contract has no shipment %(number)s.") % {"number": number}, code="shipment_not_found")
    return found[0]


# --- Payments ---------------------------------------------------------------------------------------------------
def payments_of(contract: Contract) -> QuerySet[Payment]:
    """The contract's recorded payments, oldest transfer first."""
    return (
        Payment.objects.filter(contract=contract)
        .select_related("recorded_by", "confirmed_by")
        .order_by("paid_on", "recorded_at", "id")
    )


def payment_get(*, actor: Actor, payment_id: Any) -> Payment:
    """A payment as the caller may see it: on a contract of the caller's organisation (reviewers and staff:
    any); 404 otherwise."""
    payments = Payment.objects.select_related(
        "contract__buyer", "contract__producer__organization", "recorded_by", "confirmed_by"
    )
    scope = party_scope(actor, via="contract__")
    if scope is not None:
        payments = payments.filter(scope)
    found = payments.filter(pk=payment_id).first()
    if found is None:
        raise NotFound()
    return found
