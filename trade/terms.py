"""The terms of a contract version: their value where it can be known, and the canonical document that is
hashed at signing.

The canonical document is JSON with sorted keys, no insignificant whitespace, UTF-8, grams and fineness as
decimal strings with their fixed places, money and basis points as integers, dates in ISO 8601. It names the
contract, the version, both parties and every term (with a spot sale's lots, by id and code), so the hash
pins who agreed to what; and the compliance snapshot taken when the version was proposed (the evidence
behind the offer, `trade.snapshots`), so it also pins what the gold's compliance rested on. A document
without lots or without a snapshot leaves the key out and hashes exactly as it did before those existed.
"""

from __future__ import annotations

import hashlib
import json
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from core.units import fine_grams
from trade.models import Contract, ContractVersion

TERM_FIELDS = (
    "quantity_grams",
    "fineness",
    "price_basis",
    "currency",
    "price_per_fine_gram_minor",
    "lbma_adjustment_bp",
    "premium_per_kg_fine_minor",
    "incoterm",
    "incoterm_place",
    "delivery_date",
    "deposit_amount_minor",
    "deposit_percent_bp",
    "payment_terms",
    "origin_site",
)


def fixed_value_minor(terms: dict[str, Any]) -> int | None:
    """What the gold costs under a fixed price, in minor units of the contract's currency: fine grams ×
    price per fine gram, plus the premium per kilogram of fine gold (in USD, so only when the price is).
    None under an LBMA basis, whose value is known only on the day of the fix."""
    if terms["price_basis"] != "fixed" or terms.get("price_per_fine_gram_minor") is None:
        return None
    fine = fine_grams(Decimal(terms["quantity_grams"]), Decimal(terms["fineness"]))
    value = fine * terms["price_per_fine_gram_minor"]
    if terms.get("currency", "USD") == "USD":
        value += fine * Decimal(terms.get("premium_per_kg_fine_minor") or 0) / Decimal(1000)
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


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
