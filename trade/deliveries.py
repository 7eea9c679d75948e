"""The lots a contract delivers (docs/provenance.md, "Contracts deliver lots").

A contract on a spot listing names, in its terms, the listing's lots it sells: they are part of what both
sides sign (the terms hash covers them), and the contract's fine gold cannot exceed theirs. A contract on a
forward listing sells production to come: its lots are named by the producer once they are recorded, from
the contract's origin site, and the producer can mark it delivered only when the named lots hold at least
the fine gold sold. Each forward sale also fits the listing's monthly capacity, month by month of delivery.

A lot is delivered by one contract at most: `ContractLot` has a unique index on the lot among the rows not
released, so two contracts signed at once on one lot cannot both take it. A cancelled contract lets its lots
go.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Prefetch, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_record
from core.actor import Actor
from core.errors import Conflict, field_error
from core.units import fine_grams
from listings.models import Kind, Listing, ListingLot
from provenance.models import AssayCertificate, Lot, LotSource
from trade.models import Contract, ContractLot, ContractState, ContractVersion

LIVE_STATES = (ContractState.SIGNED, ContractState.DELIVERED, ContractState.COMPLETED)


def _grams(value: Decimal) -> str:
    return f"{value:.3f}"


def _with_assays(lots: Any) -> Any:
    return lots.prefetch_related(
        Prefetch("assays", queryset=AssayCertificate.objects.order_by("position")),
        Prefetch("sources", queryset=LotSource.objects.order_by("id")),
    ).order_by("code")


def fine_of(lots: Sequence[Lot]) -> Decimal:
    return sum((lot.fine_grams for lot in lots), Decimal("0.000"))


def _taken(lots: Sequence[Lot], contract: Contract | None = None) -> None:
    rows = ContractLot.objects.filter(lot__in=lots, released=False).select_related("lot")
    if contract is not None:
        rows = rows.exclude(contract=contract)
    row = rows.order_by("lot__code").first()
    if row is not None:
        raise Conflict(
            _("Lot %(code)s is sold under another contract.") % {"code": row.lot.code},
            code="lot_under_contract",
            extra={"lot": str(row.lot_id), "lot_code": row.lot.code},
        )


def terms_lots(*, listing: Listing, lot_ids: Sequence[Any] | None, quantity: Decimal, fineness: Decimal) -> list[Lot]:
    """The lots of one version of the terms, checked against the listing they come from."""
    if listing.kind == Kind.FORWARD:
        if lot_ids:
            raise field_error(
                "lots",
                "forward_lots_come_later",
                _("A forward sale names its lots once they are recorded: leave `lots` out."),
            )
        return []
    if not lot_ids:
        raise field_error("lots", "required_for_spot_listing", _("Name the lots of the listing this contract sells."))
    if len({str(lot_id) for lot_id in lot_ids}) != len(lot_ids):
        raise field_error("lots", "duplicate_lot", _("Name each lot once."))
    offered = ListingLot.objects.filter(listing=listing, live=True, lot_id__in=lot_ids).values("lot_id")
    lots = list(_with_assays(Lot.objects.filter(pk__in=offered)))
    if len(lots) != len(lot_ids):
        raise field_error("lots", "not_in_listing", _("Name lots this listing offers."))
    _taken(lots)
    sold, held = fine_grams(quantity, fineness), fine_of(lots)
    if sold > held:
        raise Conflict(
            _("These lots hold %(held)s g of fine gold; the terms sell %(sold)s g.")
            % {"held": _grams(held), "sold": _grams(sold)},
            code="lots_fine_grams_short",
            extra={"lots_fine_grams": _grams(held), "contract_fine_grams": _grams(sold)},
        )
    return lots


def check_monthly_capacity(
    *, listing: Listing, quantity: Decimal, delivery_date: Any, contract: Contract | None = None
) -> None:
    """A forward sale fits what is left of the listing's monthly capacity in its delivery month (the listing's
    other live contracts delivering that month counted)."""
    if listing.kind != Kind.FORWARD or listing.monthly_capacity_grams is None:
        return
    month = delivery_date.replace(day=1)
    others = Contract.objects.filter(
        listing=listing,
        state__in=LIVE_STATES,
        signed_version__delivery_date__year=month.year,
        signed_version__delivery_date__month=month.month,
    )
    if contract is not None:
        others = others.exclude(pk=contract.pk)
    committed = others.aggregate(total=Sum("signed_version__quantity_grams"))["total"] or Decimal("0.000")
    committed = Decimal(committed).quantize(Decimal("0.001"))
    if committed + quantity > listing.monthly_capacity_grams:
        left = max(listing.monthly_capacity_grams - committed, Decimal("0.000"))
        raise Conflict(
            _(
                "%(month)s: this listing delivers %(capacity)s g a month, %(committed)s g are sold already, "
                "%(left)s g left."
            )
            % {
                "month": f"{month:%Y-%m}",
                "capacity": _grams(listing.monthly_capacity_grams),
                "committed": _grams(committed),
                "left": _grams(left),
            },
            code="forward_capacity_exceeded",
            extra={
                "month": f"{month:%Y-%m}",
                "monthly_capacity_grams": _grams(listing.monthly_capacity_grams),
                "committed_grams": _grams(committed),
                "requested_grams": _grams(quantity),
                "left_grams": _grams(left),
            },
        )


def _write_rows(*, actor: Actor, contract: Contract, lots: Sequence[Lot]) -> None:
    now = timezone.now()
    try:
        with transaction.atomic():
            ContractLot.objects.bulk_create(
                ContractLot(contract=contract, lot=lot, named_by=actor.user, named_at=now) for lot in lots
            )
    except IntegrityError:
        _taken(lots, contract)  # names the lot another contract took meanwhile
        raise Conflict(_("One of these lots is sold under another contract."), code="lot_under_contract") from None


def on_signing(*, actor: Actor, contract: Contract, version: ContractVersion) -> None:
    """Under the listing's row lock (taken by the reservation): the forward capacity is judged again, and the
    signed version's lots become the contract's."""
    check_monthly_capacity(
        listing=contract.listing,
        quantity=version.quantity_grams,
        delivery_date=version.delivery_date,
        contract=contract,
    )
    lots = list(version.lots.order_by("code"))
    if lots:
        _taken(lots, contract)
        _write_rows(actor=actor, contract=contract, lots=lots)


def on_cancel(contract: Contract) -> list[str]:
    """A cancelled contract's lots may be sold again; the codes of those it let go."""
    rows = ContractLot.objects.filter(contract=contract, released=False)
    codes = list(rows.order_by("lot__code").values_list("lot__code", flat=True))
    rows.update(released=True)
    return codes


def delivered_lots(contract: Contract) -> list[Lot]:
    return list(_with_assays(Lot.objects.filter(contract_rows__contract=contract, contract_rows__released=False)))


def require_cover(contract: Contract) -> None:
    """Marking a contract delivered needs its lots named, holding at least the fine gold it sold."""
    version = contract.signed_version
    assert version is not None  # signed
    sold, held = fine_grams(version.quantity_grams, version.fineness), fine_of(delivered_lots(contract))
    if held < sold:
        raise Conflict(
            _("The lots named for this contract hold %(held)s g of fine gold; it sold %(sold)s g. Name its lots first.")
            % {"held": _grams(held), "sold": _grams(sold)},
            code="lots_do_not_cover",
            extra={"lots_fine_grams": _grams(held), "contract_fine_grams": _grams(sold)},
        )


@transaction.atomic
def contract_name_lots(*, actor: Actor, contract: Contract, lot_ids: Sequence[Any]) -> list[Lot]:
    """The producer names recorded lots that deliver a signed forward contract: its own, from the contract's
    origin site, not offered in a listing, not sold under another contract."""
    contract = (
        Contract.objects.select_for_update(of=("self",)).select_related("listing", "signed_version").get(pk=contract.pk)
    )
    if contract.listing.kind != Kind.FORWARD:
        raise Conflict(_("A spot contract delivers the lots of its signed terms."), code="lots_fixed_by_terms")
    if contract.state != ContractState.SIGNED:
        raise Conflict(_("Lots are named for a signed contract, before it is delivered."), code="contract_not_signed")
    version = contract.signed_version
    assert version is not None
    if len({str(lot_id) for lot_id in lot_ids}) != len(lot_ids):
        raise field_error("lots", "duplicate_lot", _("Name each lot once."))
    lots = list(_with_assays(Lot.objects.filter(producer_id=contract.producer_id, pk__in=lot_ids)))
    if len(lots) != len(lot_ids):
        raise field_error("lots", "not_your_lot", _("Name lots the producer has recorded."))
    for lot in lots:
        if not any(source.site_id == version.origin_site_id for source in lot.sources.all()):
            raise field_error(
                "lots",
                "lot_not_from_origin_site",
                _("Lot %(code)s did not come from the contract's origin site.") % {"code": lot.code},
            )
    listed = ListingLot.objects.filter(lot__in=lots, live=True).select_related("lot").order_by("lot__code").first()
    if listed is not None:
        raise Conflict(
            _("Lot %(code)s is offered in a listing: withdraw it there first.") % {"code": listed.lot.code},
            code="lot_already_listed",
            extra={"lot": str(listed.lot_id), "lot_code": listed.lot.code},
        )
    # Naming a lot this contract already delivers again changes nothing (a retried request gets the same
    # answer); only the new ones are written and audited.
    named = set(ContractLot.objects.filter(contract=contract, released=False).values_list("lot_id", flat=True))
    new = [lot for lot in lots if lot.pk not in named]
    if new:
        _taken(new, contract)
        _write_rows(actor=actor, contract=contract, lots=new)
        audit_record(
            action="trade.contract.lots_named",
            actor=actor,
            target=contract,
            data={"lots": [lot.code for lot in new], "fine_grams": _grams(fine_of(new))},
        )
    return delivered_lots(contract)
