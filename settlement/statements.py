"""Statements of a signed contract's shipments: their inputs gathered from the records and the price table,
computed by `settlement.calculation`, and issued (frozen with their digest) by the buyer.

Which prices a statement reads (docs/settlement.md):
- the provisional statement: the latest fix on or before the day the seller declared the shipment, and the
  exchange rate of that day (or the latest before it);
- the final statement, by the terms' fixing rule: `on_date`, the fix of the named day or, when that day had
  none, the first fix after it; `after_receipt`, the first fix after the day the buyer weighed the shipment in;
  `average`, the mean of the fixes of the quotational period (half to even to 0.001 USD), once a fix after the
  period's last day is recorded (so the table is known to hold the whole period); and the exchange rate of
  the pricing day (or the latest before it).
A figure not recorded yet leaves the statement waiting, and says for what: it never guesses.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from audit.services import audit_record
from core.actor import Actor
from core.errors import Conflict, PermissionDenied
from core.money import Money
from notifications.services import notify
from prices import selectors as price_table
from prices.models import Benchmark, MetalPrice
from settlement import calculation
from settlement.common import SETTLING_STATES, people_of
from settlement.models import AssayResult, Statement, StatementKind, Weighing
from settlement.selectors import require_shipment, shipments_of
from trade.models import Contract, ContractState, ContractVersion, FixingRule, SettlementTerms, Side


def signed_terms(contract: Contract) -> tuple[ContractVersion, SettlementTerms]:
    """The signed version and its settlement terms; 409 when the contract is not settling or has none."""
    if contract.state not in SETTLING_STATES or contract.signed_version_id is None:
        raise Conflict(
            _("Only a signed contract is settled: this one is %(state)s.")
            % {"state": ContractState(contract.state).label},
            code="contract_not_settling",
        )
    version = ContractVersion.objects.select_related("settlement__certification").get(pk=contract.signed_version_id)
    terms = getattr(version, "settlement", None)
    if terms is None:
        raise Conflict(
            _("The signed terms of this contract say nothing of settlement: settle it outside the marketplace."),
            code="no_settlement_terms",
        )
    return version, terms


def _lots_of(contract: Contract, number: int) -> int:
    """How many lots a shipment delivers (a per-lot charge counts them): its own, the signed version's, or the
    lots named for a forward contract; one at least."""
    require_shipment(contract, number)
    shipment = next(row for row in shipments_of(contract) if row.number == number)
    lots = len(shipment.lots) or contract.lot_rows.filter(released=False).count()
    return max(lots, 1)


def _terms(version: ContractVersion, terms: SettlementTerms) -> calculation.Terms:
    certification = terms.certification
    return calculation.Terms(
        currency=version.currency,
        price_basis=version.price_basis,
        price_per_fine_gram_minor=version.price_per_fine_gram_minor,
        lbma_adjustment_bp=version.lbma_adjustment_bp,
        gold_payable_bp=terms.gold_payable_bp,
        gold_minimum_fineness=terms.gold_minimum_fineness,
        silver_payable_bp=terms.silver_payable_bp,
        silver_minimum_fineness=terms.silver_minimum_fineness,
        silver_price_per_fine_gram_minor=terms.silver_price_per_fine_gram_minor,
        premium_per_kg_fine_minor=version.premium_per_kg_fine_minor,
        premium_currency=version.premium_currency,
        provisional_bp=terms.provisional_bp,
        splitting_limit=terms.splitting_limit,
        within_limit_rule=terms.within_limit_rule,
        umpire_cost=terms.umpire_cost,
        charges=tuple(
            calculation.Charge(
                label=charge.label,
                kind=charge.kind,
                amount_minor=charge.amount_minor,
                currency=charge.currency,
                percent_bp=charge.percent_bp,
            )
            for charge in version.charges.order_by("position")
        ),
        minimum_price_bp=certification.minimum_price_bp if certification else None,
        certification=str(certification.claim_id) if certification else None,
    )


def _price(fix: MetalPrice | None) -> calculation.Price | None:
    if fix is None:
        return None
    return calculation.Price(fix.usd_per_troy_ounce, fix.benchmark, (fix.date.isoformat(),), fix.sample)


def _average(benchmark: str, first: dt.date, days: int) -> calculation.Price | None:
    last = first + dt.timedelta(days=days - 1)
    if price_table.first_fix_after(benchmark, last) is None:
        return None  # the period is not over, or the table is not filled through it yet
    fixes = price_table.fixes_between(benchmark, first, last)
    if not fixes:
        return None
    mean = sum((fix.usd_per_troy_ounce for fix in fixes), Decimal(0)) / len(fixes)
    return calculation.Price(
        mean.quantize(Decimal("0.001"), rounding=ROUND_HALF_EVEN),
        benchmark,
        tuple(fix.date.isoformat() for fix in fixes),
        any(fix.sample for fix in fixes),
    )


def _read_price(
    benchmark: str, kind: str, terms: SettlementTerms, *, dispatch: dt.date | None, receipt: dt.date | None
) -> tuple[calculation.Price | None, dt.date | None]:
    """The price a statement reads and the day it prices on (for the exchange rate), or (None, None)."""
    if kind == StatementKind.PROVISIONAL:
        fix = price_table.latest_fix(benchmark, on_or_before=dispatch) if dispatch else None
        return _price(fix), (fix.date if fix else None)
    if terms.fixing_rule == FixingRule.ON_DATE:
        assert terms.fixing_date is not None
        fix = price_table.fix_on(benchmark, terms.fixing_date)
        if fix is None and price_table.first_fix_after(benchmark, terms.fixing_date) is not None:
            fix = price_table.first_fix_after(benchmark, terms.fixing_date)  # the named day had no fix
        return _price(fix), (fix.date if fix else None)
    if terms.fixing_rule == FixingRule.AFTER_RECEIPT:
        fix = price_table.first_fix_after(benchmark, receipt) if receipt else None
        return _price(fix), (fix.date if fix else None)
    assert terms.quotational_period_start is not None
    assert terms.quotational_period_days is not None
    price = _average(benchmark, terms.quotational_period_start, terms.quotational_period_days)
    last = terms.quotational_period_start + dt.timedelta(days=terms.quotational_period_days - 1)
    return price, (last if price else None)


def _assay(row: AssayResult | None) -> calculation.Assay | None:
    if row is None:
        return None
    return calculation.Assay(row.au_per_mille, row.ag_per_mille, row.cost_minor)


def compute(contract: Contract, number: int, kind: str) -> calculation.Statement:
    """The statement as the records and the price table stand now; `calculation.Waiting` says what is missing."""
    version, terms = signed_terms(contract)
    lots = _lots_of(contract, number)
    weighings = {row.party: row for row in Weighing.objects.filter(contract=contract, shipment=number)}
    assays = {row.party: row for row in AssayResult.objects.filter(contract=contract, shipment=number)}
    calc_terms = _terms(version, terms)
    weighing = weighings.get("seller" if kind == StatementKind.PROVISIONAL else "buyer")
    missing: list[str] = []
    if weighing is None:
        missing.append("declared_weight" if kind == StatementKind.PROVISIONAL else "received_weight")
    dispatch = weighings["seller"].weighed_on if "seller" in weighings else None
    receipt = weighings["buyer"].weighed_on if "buyer" in weighings else None
    needs_gold_fix = version.price_basis != "fixed" or calc_terms.minimum_price_bp is not None
    gold, pricing_day = None, None
    if needs_gold_fix:
        gold, pricing_day = _read_price(
            price_table.gold_benchmark(version.price_basis), kind, terms, dispatch=dispatch, receipt=receipt
        )
    silver = None
    if version.price_basis != "fixed" and terms.silver_payable_bp:
        silver, silver_day = _read_price(Benchmark.SILVER, kind, terms, dispatch=dispatch, receipt=receipt)
        pricing_day = pricing_day or silver_day
    if pricing_day is None:
        pricing_day = (dispatch if kind == StatementKind.PROVISIONAL else receipt) or None
    rate = None
    currencies = {calc_terms.premium_currency if calc_terms.premium_per_kg_fine_minor else calc_terms.currency}
    currencies |= {charge.currency for charge in calc_terms.charges if charge.currency}
    if calc_terms.minimum_price_bp is not None and version.price_basis == "fixed":
        currencies.add("USD")  # the LBMA floor, in a contract priced in soles
    needs_rate = bool(currencies - {calc_terms.currency})  # a statement names only the rate it converts with
    if needs_rate and pricing_day is not None:
        row = price_table.latest_rate("USD", "PEN", on_or_before=pricing_day)
        if row is not None:
            rate = calculation.Rate(row.base, row.quote, row.rate, row.date.isoformat(), row.sample)
    provisional_paid = 0
    if kind == StatementKind.FINAL and terms.provisional_bp:
        provisional = Statement.objects.filter(
            contract=contract, shipment=number, kind=StatementKind.PROVISIONAL
        ).first()
        if provisional is None:
            missing.append("provisional_statement")
        else:
            provisional_paid = provisional.amount_due_minor
    if missing:
        raise calculation.Waiting(missing)
    assert weighing is not None
    inputs = calculation.Inputs(
        gross_grams=weighing.gross_grams,
        seller=_assay(assays.get("seller")),
        buyer=_assay(assays.get("buyer")),
        umpire=_assay(assays.get("umpire")),
        gold_price=gold,
        silver_price=silver,
        rate=rate,
        lots=lots,
        provisional_paid_minor=provisional_paid,
    )
    return calculation.compute(kind, calc_terms, inputs)


def canonical(document: dict[str, Any]) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def document_of(contract: Contract, number: int, computed: calculation.Statement) -> dict[str, Any]:
    """What an issued statement freezes: the statement and what it is of."""
    version = contract.signed_version
    assert version is not None
    return {
        "contract": str(contract.pk),
        "terms_hash": contract.terms_hash,
        "version": version.number,
        "shipment": number,
        "buyer": contract.buyer.legal_name,
        "producer": contract.producer.organization.legal_name,
    } | computed.as_dict()


@transaction.atomic
def statement_issue(*, actor: Actor, contract: Contract, shipment: int, kind: str) -> tuple[Statement, bool]:
    """The buyer's admin issues a shipment's statement: frozen with its digest, audited, the producer told.
    Issuing again answers the statement already issued (False: nothing new)."""
    if contract.side_of(actor.organization_id) != Side.BUYER or not actor.is_org_admin:
        raise PermissionDenied(_("The buyer's administrators issue the settlement statements."))
    contract = (
        Contract.objects.select_for_update(of=("self",))
        .select_related("buyer", "producer__organization")
        .get(pk=contract.pk)
    )
    existing = Statement.objects.filter(contract=contract, shipment=shipment, kind=kind).first()
    if existing is not None:
        return existing, False
    try:
        computed = compute(contract, shipment, kind)
    except calculation.Waiting as waiting:
        raise Conflict(
            _("This statement cannot be issued yet: it waits for %(missing)s.")
            % {"missing": ", ".join(waiting.missing)},
            code="statement_waiting",
            extra={"waiting_for": waiting.missing},
        ) from None
    document = document_of(contract, shipment, computed)
    digest = hashlib.sha256(canonical(document)).hexdigest()
    try:
        with transaction.atomic():
            statement = Statement.objects.create(
                contract=contract,
                shipment=shipment,
                kind=kind,
                currency=computed.currency,
                amount_due_minor=computed.amount_due_minor,
                net_value_minor=computed.net_value_minor,
                document=document,
                digest=digest,
                issued_by=actor.user,
            )
    except IntegrityError:  # issued at the same moment by another request: the same answer as a repeat
        return Statement.objects.get(contract=contract, shipment=shipment, kind=kind), False
    audit_record(
        action="settlement.statement.issued",
        actor=actor,
        subject_organization=contract.buyer,
        target=contract,
        data={
            "shipment": shipment,
            "kind": kind,
            "digest": digest,
            "amount_due_minor": computed.amount_due_minor,
            "net_value_minor": computed.net_value_minor,
            "currency": computed.currency,
        },
    )
    notify(
        recipients=people_of(contract.producer_id),
        kind="statement_issued",
        params={
            "organization": contract.buyer.legal_name,
            "kind": kind,  # provisional, final: the same word in both languages
            "shipment": shipment,
            "amount": Money(computed.amount_due_minor, computed.currency),
        },
        organization=contract.producer.organization,
        target=contract,
    )
    return statement, True
