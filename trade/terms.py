"""The terms of a contract version: their value where it can be known, and the canonical document that is
hashed at signing.

The canonical document is JSON with sorted keys, no insignificant whitespace, UTF-8, grams and fineness as
decimal strings with their fixed places, money and basis points as integers, dates in ISO 8601. It names the
contract, the version, both parties and every term (with a spot sale's lots, by id and code), so the hash
pins who agreed to what; and the compliance snapshot taken when the version was proposed (the evidence
behind the offer, `trade.snapshots`), so it also pins what the gold's compliance rested on. A document
without lots or without a snapshot leaves the key out and hashes exactly as it did before those existed.

Settlement (docs/settlement-terms.md) adds, only where a version has them: `premium_currency` among the terms
(when the version has settlement terms or its premium is not in US dollars), `settlement`, `charges` and
`shipments` (each shipment's lots by id and code) among the terms, and beside them the certified standard's
figures that applied (`certification`). A version without them hashes exactly as before.
"""

from __future__ import annotations

import hashlib
import json
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import ObjectDoesNotExist

from core import clock
from core.money import MINOR_UNIT_EXPONENT
from core.units import fine_grams
from prices.models import CertificationTerms
from prices.selectors import latest_rate
from trade.models import Contract, ContractVersion, SettlementTerms

TERM_FIELDS = (
    "quantity_grams",
    "fineness",
    "price_basis",
    "currency",
    "price_per_fine_gram_minor",
    "lbma_adjustment_bp",
    "premium_per_kg_fine_minor",
    "premium_currency",
    "incoterm",
    "incoterm_place",
    "delivery_date",
    "deposit_amount_minor",
    "deposit_percent_bp",
    "payment_terms",
    "origin_site",
)


def _converted(amount_minor: Decimal, source: str, target: str) -> Decimal | None:
    """An exact amount of `source` minor units in `target` minor units at the latest recorded USD/PEN rate
    (not rounded: the caller rounds the sum once); None when no rate is recorded."""
    if source == target:
        return amount_minor
    rate = latest_rate("USD", "PEN", on_or_before=clock.today_lima())
    if rate is None or {source, target} != {rate.base, rate.quote}:
        return None
    major = amount_minor.scaleb(-MINOR_UNIT_EXPONENT[source])
    converted = major * rate.rate if source == rate.base else major / rate.rate
    return converted.scaleb(MINOR_UNIT_EXPONENT[target])


def fixed_value_minor(terms: dict[str, Any]) -> int | None:
    """What the gold costs under a fixed price, in minor units of the contract's currency: fine grams ×
    price per fine gram, plus the premium per kilogram of fine gold, which is in its own currency
    (`premium_currency`, US dollars when not given). A premium in the other currency is converted at the
    latest recorded USD/PEN rate; when no rate is recorded the value is given without the premium, which is
    never more than the true value, so a deposit ceiling read from it is only stricter. Rounded half up once,
    at the end. None under an LBMA basis, whose value is known only on the day of the fix."""
    if terms["price_basis"] != "fixed" or terms.get("price_per_fine_gram_minor") is None:
        return None
    fine = fine_grams(Decimal(terms["quantity_grams"]), Decimal(terms["fineness"]))
    value = fine * terms["price_per_fine_gram_minor"]
    premium = fine * Decimal(terms.get("premium_per_kg_fine_minor") or 0) / Decimal(1000)
    if premium:
        currency = terms.get("currency") or "USD"
        converted = _converted(premium, terms.get("premium_currency") or "USD", currency)
        if converted is not None:
            value += converted
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def settlement_of(version: ContractVersion) -> SettlementTerms | None:
    """The version's settlement terms, or None (read from the cache a `select_related` filled, if any)."""
    try:
        return version.settlement
    except ObjectDoesNotExist:
        return None


def _settlement_document(settlement: SettlementTerms) -> dict[str, Any]:
    return {
        "fixing_rule": settlement.fixing_rule,
        "fixing_date": settlement.fixing_date.isoformat() if settlement.fixing_date else None,
        "quotational_period_start": (
            settlement.quotational_period_start.isoformat() if settlement.quotational_period_start else None
        ),
        "quotational_period_days": settlement.quotational_period_days,
        "gold_payable_bp": settlement.gold_payable_bp,
        "gold_minimum_fineness": str(settlement.gold_minimum_fineness),
        "silver_payable_bp": settlement.silver_payable_bp,
        "silver_minimum_fineness": str(settlement.silver_minimum_fineness),
        "silver_price_per_fine_gram_minor": settlement.silver_price_per_fine_gram_minor,
        "provisional_bp": settlement.provisional_bp,
        "splitting_limit": str(settlement.splitting_limit),
        "within_limit_rule": settlement.within_limit_rule,
        "umpire_laboratory": settlement.umpire_laboratory,
        "umpire_cost": settlement.umpire_cost,
    }


def _certification_document(terms: CertificationTerms) -> dict[str, Any]:
    return {
        "claim": str(terms.claim_id),
        "valid_from": terms.valid_from.isoformat(),
        "minimum_price_bp": terms.minimum_price_bp,
        "premium_rule": terms.premium_rule,
        "premium_per_kg_fine_minor": terms.premium_per_kg_fine_minor,
        "premium_currency": terms.premium_currency,
        "premium_percent_bp": terms.premium_percent_bp,
        "source": terms.source,
    }


def _settlement_parts(version: ContractVersion) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The settlement's parts of the terms (only those the version has) and the certification, if any."""
    parts: dict[str, Any] = {}
    settlement = settlement_of(version)
    if settlement is not None or version.premium_currency != "USD":
        parts["premium_currency"] = version.premium_currency
    if settlement is not None:
        parts["settlement"] = _settlement_document(settlement)
    charges = [
        {
            "position": charge.position,
            "label": charge.label,
            "kind": charge.kind,
            "amount_minor": charge.amount_minor,
            "currency": charge.currency,
            "percent_bp": charge.percent_bp,
        }
        for charge in version.charges.all()
    ]
    if charges:
        parts["charges"] = sorted(charges, key=lambda charge: charge["position"])
    shipments = [
        {
            "number": shipment.number,
            "quantity_grams": str(shipment.quantity_grams),
            "delivery_date": shipment.delivery_date.isoformat(),
            "incoterm": shipment.incoterm,
            "incoterm_place": shipment.incoterm_place,
            "lots": sorted(({"id": str(lot.pk), "code": lot.code} for lot in shipment.lots.all()), key=_lot_key),
        }
        for shipment in version.shipments.all()
    ]
    if shipments:
        parts["shipments"] = sorted(shipments, key=lambda shipment: shipment["number"])
    certification = None
    if settlement is not None and settlement.certification is not None:
        certification = _certification_document(settlement.certification)
    return parts, certification


def _lot_key(lot: dict[str, str]) -> tuple[str, str]:
    return (lot["code"], lot["id"])


def canonical_document(contract: Contract, version: ContractVersion) -> dict[str, Any]:
    terms: dict[str, Any] = {
        "quantity_grams": str(version.quantity_grams),
        "fineness": str(version.fineness),
        "price_basis": version.price_basis,
        "currency": version.currency,
        "price_per_fine_gram_minor": version.price_per_fine_gram_minor,
        "lbma_adjustment_bp": version.lbma_adjustment_bp,
        "premium_per_kg_fine_minor": version.premium_per_kg_fine_minor,
        "incoterm": version.incoterm,
        "incoterm_place": version.incoterm_place,
        "delivery_date": version.delivery_date.isoformat(),
        "deposit_amount_minor": version.deposit_amount_minor,
        "deposit_percent_bp": version.deposit_percent_bp,
        "payment_terms": version.payment_terms,
        "origin_site": str(version.origin_site_id),
    }
    lots = [{"id": str(lot.pk), "code": lot.code} for lot in version.lots.order_by("code", "id")]
    if lots:  # spot sales name their lots; documents without lots hash as they always did
        terms["lots"] = lots
    settlement_parts, certification = _settlement_parts(version)
    terms.update(settlement_parts)  # none for a version without settlement terms: it hashes as it always did
    document: dict[str, Any] = {
        "contract": str(contract.pk),
        "version": version.number,
        "proposed_by": version.side,
        "listing": str(contract.listing_id),
        "buyer": {"id": str(contract.buyer_id), "legal_name": contract.buyer.legal_name},
        "producer": {"id": str(contract.producer_id), "legal_name": contract.producer.organization.legal_name},
        "terms": terms,
    }
    if version.compliance_snapshot:  # versions proposed before snapshots hash as they always did
        document["compliance_snapshot"] = version.compliance_snapshot
    if certification is not None:  # the certified standard's figures the offer was checked against
        document["certification"] = certification
    return document


def _canonical_json(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def canonical_bytes(contract: Contract, version: ContractVersion) -> bytes:
    return _canonical_json(canonical_document(contract, version))


def snapshot_digest(snapshot: dict[str, Any]) -> str | None:
    """The SHA-256 of the canonical JSON of a compliance snapshot (the same serialisation as the terms);
    None for a version proposed before snapshots were taken."""
    return hashlib.sha256(_canonical_json(snapshot)).hexdigest() if snapshot else None


def terms_hash(contract: Contract, version: ContractVersion) -> str:
    return hashlib.sha256(canonical_bytes(contract, version)).hexdigest()
