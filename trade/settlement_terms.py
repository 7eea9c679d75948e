"""The settlement part of a version of the terms (docs/settlement-terms.md): how it is settled (the fixing,
the payable shares, the provisional payment, the splitting limit and the umpire), the charges the buyer
deducts and the shipments that deliver it; and the certified floors an offer on a certified listing keeps.

The serializer checked each field's shape and bounds; the rules between fields, and against the contract and
its listing, are checked here, every one before anything is written, each refusal a 400 naming the field by
its dotted path in the body (`settlement.fixing_date`, `charges.0.amount.currency`, `shipments.1.lots`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from core import clock
from core.errors import BadRequest, field_error
from listings.models import Kind, Listing, ListingClaim
from prices.certified import PricedOffer, check_certified_floors, standard_premium_minor
from prices.models import CertificationTerms
from prices.selectors import CERTIFIED_CLAIMS
from provenance.models import Lot
from trade.models import (
    ChargeKind,
    Contract,
    ContractCharge,
    ContractShipment,
    ContractVersion,
    FixingRule,
    SettlementTerms,
)

# fixing rule -> the fields it needs; every other field of the fixing is refused under it.
FIXING_FIELDS: dict[str, tuple[str, ...]] = {
    FixingRule.ON_DATE: ("fixing_date",),
    FixingRule.AFTER_RECEIPT: (),
    FixingRule.AVERAGE: ("quotational_period_start", "quotational_period_days"),
}
_ALL_FIXING_FIELDS = ("fixing_date", "quotational_period_start", "quotational_period_days")
_AMOUNT_KINDS = (ChargeKind.PER_TROY_OUNCE_GROSS, ChargeKind.PER_LOT)
# The charges' currencies: the contract's own, or the LBMA price's.
LBMA_CURRENCY = "USD"


@dataclass
class Schedule:
    """The checked settlement parts of one version, ready to be written with it."""

    settlement: dict[str, Any] | None = None
    charges: list[dict[str, Any]] = field(default_factory=list)
    shipments: list[dict[str, Any]] = field(default_factory=list)  # each with its `lots` as Lot rows
    certification: CertificationTerms | None = None


def first_day(contract: Contract | None) -> dt.date:
    """The first day a fixing may fall on: the day (in Lima) the contract was created; today for its first
    version."""
    if contract is None:
        return clock.today_lima()
    return contract.created_at.astimezone(clock.LIMA).date()


def check_settlement(settlement: dict[str, Any], *, values: dict[str, Any], since: dt.date) -> dict[str, Any]:
    """The settlement terms' rules between fields; gives back the values to store."""
    checked = dict(settlement)
    rule = checked["fixing_rule"]
    for name in _ALL_FIXING_FIELDS:
        given = checked.get(name) is not None
        if name in FIXING_FIELDS[rule] and not given:
            raise field_error(
                f"settlement.{name}",
                "required_by_fixing_rule",
                _("The fixing rule %(rule)s needs this field.") % {"rule": rule},
            )
        if name not in FIXING_FIELDS[rule] and given:
            raise field_error(
                f"settlement.{name}",
                "not_for_fixing_rule",
                _("The fixing rule %(rule)s does not use this field: leave it out.") % {"rule": rule},
            )
    for name in ("fixing_date", "quotational_period_start"):
        day = checked.get(name)
        if day is not None and day < since:
            raise field_error(
                f"settlement.{name}",
                "fixing_before_contract",
                _("The gold cannot be priced on a day before the contract was started (%(date)s).")
                % {"date": since.isoformat()},
            )
    price = checked.pop("silver_price_per_fine_gram_minor", None)
    currency = checked.pop("silver_price_currency", None)
    where = "settlement.silver_price_per_fine_gram"
    if values["price_basis"] != "fixed":
        if price is not None:
            raise field_error(
                where,
                "lbma_reads_silver_price",
                _("A contract on the LBMA Gold Price pays silver at the LBMA Silver Price: leave this out."),
            )
    elif checked.get("silver_payable_bp", 0) > 0:
        if price is None:
            raise field_error(
                where, "required_by_silver_payable", _("A fixed-price contract that pays silver names its price.")
            )
        if currency != values["currency"]:
            raise field_error(where, "currency_mismatch", _("The silver price is in the currency of the gold price."))
    elif price is not None:
        raise field_error(where, "silver_not_paid", _("No silver is paid (0 %): leave its price out."))
    checked["silver_price_per_fine_gram_minor"] = price
    return checked


def check_charges(charges: list[dict[str, Any]], *, currency: str) -> list[dict[str, Any]]:
    """Each charge is an amount (per troy ounce of gross weight, per lot) in the contract's currency or in US
    dollars, or a percentage of the value: exactly what its kind takes."""
    checked = []
    for index, charge in enumerate(charges):
        where = f"charges.{index}"
        amount, percent = charge.get("amount_minor"), charge.get("percent_bp")
        if charge["kind"] in _AMOUNT_KINDS:
            if amount is None:
                raise field_error(f"{where}.amount", "required_by_charge_kind", _("This kind of charge is an amount."))
            if percent is not None:
                raise field_error(
                    f"{where}.percent", "not_for_charge_kind", _("This kind of charge is an amount: leave out percent.")
                )
            if charge["currency"] not in (currency, LBMA_CURRENCY):
                raise field_error(
                    f"{where}.amount.currency",
                    "charge_currency_not_in_contract",
                    _("A charge is in the contract's currency (%(currency)s) or in US dollars, the LBMA price's.")
                    % {"currency": currency},
                )
        else:
            if percent is None:
                raise field_error(
                    f"{where}.percent", "required_by_charge_kind", _("A charge on the value is a percentage.")
                )
            if amount is not None:
                raise field_error(
                    f"{where}.amount",
                    "not_for_charge_kind",
                    _("A charge on the value is a percentage: leave out amount."),
                )
        checked.append(
            {
                "label": charge["label"],
                "kind": charge["kind"],
                "amount_minor": amount if charge["kind"] in _AMOUNT_KINDS else None,
                "currency": charge["currency"] if charge["kind"] in _AMOUNT_KINDS else None,
                "percent_bp": percent if charge["kind"] not in _AMOUNT_KINDS else None,
            }
        )
    return checked


def _check_shipment_lots(
    shipments: list[dict[str, Any]], *, listing: Listing, terms_lots: list[Lot]
) -> list[list[Lot]]:
    """Each shipment's lots as rows: the producer's; on a spot listing, the version's lots, each in exactly
    one shipment; on a forward listing none (its lots are named once recorded)."""
    asked = [[str(lot_id) for lot_id in shipment.get("lots") or []] for shipment in shipments]
    for index, ids in enumerate(asked):
        if len(set(ids)) != len(ids):
            raise field_error(f"shipments.{index}.lots", "duplicate_lot", _("Name each lot once."))
    everything = {lot_id for ids in asked for lot_id in ids}
    found = {str(lot.pk): lot for lot in Lot.objects.filter(pk__in=everything, producer_id=listing.producer_id)}
    for index, ids in enumerate(asked):
        if any(lot_id not in found for lot_id in ids):
            raise field_error(
                f"shipments.{index}.lots", "lot_not_this_producer", _("Name lots of the producer of this listing.")
            )
    if listing.kind == Kind.FORWARD:
        for index, ids in enumerate(asked):
            if ids:
                raise field_error(
                    f"shipments.{index}.lots",
                    "forward_lots_come_later",
                    _("A forward sale names its lots once they are recorded: leave the shipments' lots out."),
                )
        return [[] for _shipment in shipments]
    sold = {str(lot.pk) for lot in terms_lots}
    seen: set[str] = set()
    for index, ids in enumerate(asked):
        where = f"shipments.{index}.lots"
        if not ids:
            raise field_error(where, "required_for_spot_listing", _("Name the lots this shipment delivers."))
        if any(lot_id not in sold for lot_id in ids):
            raise field_error(where, "lot_not_in_terms", _("A shipment delivers lots these terms sell (`lots`)."))
        if seen & set(ids):
            raise field_error(where, "lot_in_two_shipments", _("A lot is delivered by one shipment only."))
        seen |= set(ids)
    left = sorted(lot.code for lot in terms_lots if str(lot.pk) not in seen)
    if left:
        raise field_error(
            "shipments",
            "lot_in_no_shipment",
            _("Every lot these terms sell is delivered by a shipment; not: %(codes)s.") % {"codes": ", ".join(left)},
        )
    return [[found[lot_id] for lot_id in ids] for ids in asked]


def check_shipments(
    shipments: list[dict[str, Any]], *, listing: Listing, values: dict[str, Any], terms_lots: list[Lot]
) -> list[dict[str, Any]]:
    """Shipments deliver the version's quantity between them, none on a day past, with their lots."""
    if not shipments:
        return []
    today = clock.today_lima()
    for index, shipment in enumerate(shipments):
        if shipment["delivery_date"] < today:
            raise field_error(f"shipments.{index}.delivery_date", "in_the_past", _("The delivery date has passed."))
    total = sum((Decimal(shipment["quantity_grams"]) for shipment in shipments), Decimal("0.000"))
    if total != values["quantity_grams"]:
        raise field_error(
            "shipments",
            "shipments_do_not_add_up",
            _("The shipments deliver %(total)s g between them; the terms sell %(quantity)s g.")
            % {"total": f"{total:.3f}", "quantity": f"{values['quantity_grams']:.3f}"},
        )
    lots = _check_shipment_lots(shipments, listing=listing, terms_lots=terms_lots)
    return [
        {
            "quantity_grams": shipment["quantity_grams"],
            "delivery_date": shipment["delivery_date"],
            "incoterm": shipment["incoterm"],
            "incoterm_place": shipment["incoterm_place"],
            "lots": shipment_lots,
        }
        for shipment, shipment_lots in zip(shipments, lots, strict=True)
    ]


# The field names `prices.certified` gives its refusals, and the names of those fields in a contract's terms.
_FLOOR_FIELDS = {"premium_per_kg_fine": "premium_per_kg_fine_minor"}


def certified_floors(*, listing: Listing, values: dict[str, Any]) -> CertificationTerms | None:
    """Refuse terms below the minimum price or premium of a certified standard the listing claims (400 with
    the figures compared; 409 `no_fix_recorded` or `no_rate_recorded` when a figure the check needs is not
    recorded), with the figures in force today. Gives back the standard's row that applied, the one with the
    highest premium when the listing claims two."""
    claims = set(ListingClaim.objects.filter(listing=listing).values_list("claim_id", flat=True))
    if not claims & set(CERTIFIED_CLAIMS):
        return None
    today = clock.today_lima()
    offer = PricedOffer(
        price_basis=values["price_basis"],
        currency=values["currency"],
        price_per_fine_gram_minor=values["price_per_fine_gram_minor"],
        lbma_adjustment_bp=values["lbma_adjustment_bp"],
        premium_per_kg_fine_minor=values["premium_per_kg_fine_minor"],
        premium_currency=values["premium_currency"],
    )
    try:
        applied = check_certified_floors(claims=claims, offer=offer, day=today)
    except BadRequest as refusal:
        for error in refusal.errors or []:
            error["field"] = _FLOOR_FIELDS.get(error["field"], error["field"])
        raise
    if not applied:
        return None
    return max(
        applied,
        key=lambda terms: (standard_premium_minor(terms, currency=offer.premium_currency, day=today), terms.claim_id),
    )


def write_schedule(*, version: ContractVersion, schedule: Schedule) -> None:
    """The settlement rows of a version just created (none when the terms have none)."""
    if schedule.settlement is not None:
        SettlementTerms.objects.create(version=version, certification=schedule.certification, **schedule.settlement)
    ContractCharge.objects.bulk_create(
        ContractCharge(version=version, position=position, **charge)
        for position, charge in enumerate(schedule.charges, start=1)
    )
    for number, shipment in enumerate(schedule.shipments, start=1):
        values = dict(shipment)
        lots = values.pop("lots")
        row = ContractShipment.objects.create(version=version, number=number, **values)
        row.lots.set(lots)
