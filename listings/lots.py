"""Spot listings offer recorded lots: what they offer (quantity, fineness, form, methods, sites) is read from
the lots, never typed in again. A lot is in at most one live listing: the partial unique index on
`ListingLot(lot) WHERE live` says so under any concurrency, and a withdrawn listing lets its lots go.

Which lots are under a signed contract is trade's to say (after listings in the layer order): the function
the `LOTS_UNDER_CONTRACT` setting names answers it.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_DOWN, Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.utils.translation import gettext as _

from core.errors import Conflict, field_error
from core.extensions import provider
from listings.models import FinenessBasis, Listing, ListingLot
from producers.models import Producer, Site
from provenance.models import AssayCertificate, AssayMethod, CustodyEvent, CustodyKind, Lot, LotSource

MAX_LOTS = 20
# What a spot listing takes from its lots: sending any of them is refused rather than silently overwritten.
DERIVED_FROM_LOTS = ("sites", "form", "quantity_grams", "fineness", "fineness_basis", "processing_methods")
TENTH = Decimal("0.1")


def lots_under_contract(lot_ids: Sequence[Any]) -> set[Any]:
    return set(provider("LOTS_UNDER_CONTRACT")(lot_ids))


def _conflict(code: str, message: str, lot: Lot) -> Conflict:
    return Conflict(message % {"code": lot.code}, code=code, extra={"lot": str(lot.pk), "lot_code": lot.code})


def offerable_lots(*, producer: Producer, lot_ids: Sequence[Any], listing: Listing | None = None) -> list[Lot]:
    """The producer's own lots, each free to offer: not live in another listing, not under a signed contract,
    not received by a buyer already, all of one form."""
    if not lot_ids:
        raise field_error("lots", "required_for_spot", _("A spot listing offers one or more of your recorded lots."))
    if len(set(map(str, lot_ids))) != len(lot_ids):
        raise field_error("lots", "duplicate_lot", _("Name each lot once."))
    lots = list(
        Lot.objects.filter(producer=producer, pk__in=lot_ids)
        .prefetch_related(
            Prefetch("assays", queryset=AssayCertificate.objects.order_by("position")),
            Prefetch("sources", queryset=LotSource.objects.select_related("site").order_by("id")),
        )
        .order_by("code")
    )
    if len(lots) != len(lot_ids):
        raise field_error("lots", "not_your_lot", _("Name lots you have recorded yourself."))
    listed = ListingLot.objects.filter(lot__in=lots, live=True)
    if listing is not None:
        listed = listed.exclude(listing=listing)
    taken = set(listed.values_list("lot_id", flat=True))
    contracted = lots_under_contract([lot.pk for lot in lots])
    received = set(
        CustodyEvent.objects.filter(lot__in=lots, kind=CustodyKind.RECEIVED_BY_BUYER).values_list("lot_id", flat=True)
    )
    for lot in lots:
        if lot.pk in taken:
            raise _conflict("lot_already_listed", _("Lot %(code)s is already offered in another listing."), lot)
        if lot.pk in contracted:
            raise _conflict("lot_under_contract", _("Lot %(code)s is sold under a signed contract."), lot)
        if lot.pk in received:
            raise _conflict("lot_delivered", _("Lot %(code)s has been received by its buyer already."), lot)
    if len({lot.form for lot in lots}) > 1:
        raise field_error("lots", "lots_mixed_forms", _("The lots of one listing are all of one form."))
    return lots


def derived_from(lots: Sequence[Lot]) -> tuple[dict[str, Any], list[Site]]:
    """The listing's fields read from its lots: the form they share, their gross grams added up, the fineness
    weighted by weight (rounded down to a tenth of a per mille: never finer than the gold is), a laboratory
    basis only when every lot has a fire assay, the methods of any of them, and every site they came from."""
    gross = sum((lot.gross_grams for lot in lots), Decimal(0))
    weighted = sum((lot.gross_grams * lot.fineness_in_force() for lot in lots), Decimal(0))
    assayed = all(any(a.method == AssayMethod.FIRE_ASSAY for a in lot.assays.all()) for lot in lots)
    sites: dict[Any, Site] = {}
    for lot in lots:
        for source in lot.sources.all():
            sites.setdefault(source.site_id, source.site)
    values = {
        "form": lots[0].form,
        "quantity_grams": gross,
        "fineness": (weighted / gross).quantize(TENTH, rounding=ROUND_DOWN),
        "fineness_basis": FinenessBasis.LAB_ASSAY if assayed else FinenessBasis.FIELD_ESTIMATE,
        "processing_methods": sorted({method for lot in lots for method in lot.processing_methods}),
    }
    return values, sorted(sites.values(), key=lambda site: str(site.pk))


def attach(listing: Listing, lots: Sequence[Lot]) -> None:
    """Make `lots` the listing's (replacing a draft's earlier ones). Two listings taking one lot at once: the
    second meets the unique index and gets the same 409 as if it had come later."""
    try:
        with transaction.atomic():
            ListingLot.objects.filter(listing=listing).delete()
            ListingLot.objects.bulk_create(ListingLot(listing=listing, lot=lot) for lot in lots)
    except IntegrityError:
        message = _("One of these lots is already offered in another listing.")
        raise Conflict(message, code="lot_already_listed") from None


def let_go(listing: Listing) -> None:
    """A withdrawn listing no longer holds its lots: they may be offered again (unless sold: see above)."""
    ListingLot.objects.filter(listing=listing, live=True).update(live=False)
