"""Writes to listings: drafting, the moves of the lifecycle through the publication gate, photos, and the
quantity that contracts take and give back. The gate itself (what keeps a listing from buyers) is read in
`listings.visibility`; sourcing requests are written in `listings.sourcing`."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.files.storage import storages
from django.db import transaction
from django.db.models import F, Value
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_record
from compliance.models import Claim
from core.actor import Actor
from core.errors import Conflict, field_error
from core.units import GramsField
from jobs.services import enqueue
from listings.lots import DERIVED_FROM_LOTS, attach, derived_from, let_go, offerable_lots
from listings.models import (
    TRANSITIONS,
    Kind,
    Listing,
    ListingClaim,
    ListingPhoto,
    Status,
)
from listings.photos import reencode, store_photo
from listings.pricing import check_floors, check_price, record_first_version
from listings.search_index import listings_changed
from listings.selectors import require_producer_member
from listings.visibility import obstacles, volume_excess
from producers.models import Producer, Site
from producers.services import require_independent_reviewer, require_producer_admin
from provenance.models import MERCURY_METHODS

EDITABLE = (
    "form",
    "quantity_grams",
    "min_order_grams",
    "monthly_capacity_grams",
    "fineness",
    "fineness_basis",
    "processing_methods",
    "price_basis",
    "currency",
    "price_per_fine_gram_minor",
    "lbma_adjustment_bp",
    "premium_per_kg_fine_minor",
    "premium_currency",
    "incoterm",
    "incoterm_place",
    "valid_from",
    "valid_until",
    "title_es",
    "title_en",
    "description_es",
    "description_en",
)


def _check(values: dict[str, Any], claims: list[str] | None) -> None:
    if values.get("kind", Kind.FORWARD) == Kind.FORWARD:
        if values.get("monthly_capacity_grams") is None:
            values["monthly_capacity_grams"] = values["quantity_grams"]  # all of it in any one month
        if values["monthly_capacity_grams"] > values["quantity_grams"]:
            raise field_error(
                "monthly_capacity_grams",
                "above_quantity",
                _("The monthly capacity is more than the whole quantity offered."),
            )
    if values["min_order_grams"] > values["quantity_grams"]:
        raise field_error("min_order_grams", "above_quantity", _("The minimum order is larger than the quantity."))
    if values["valid_until"] < values["valid_from"]:
        raise field_error("valid_until", "before_start", _("The validity window ends before it starts."))
    check_price(values)
    methods = set(values.get("processing_methods") or [])
    if claims and "mercury_free" in claims and methods & MERCURY_METHODS:
        raise field_error(
            "claims",
            "amalgamation_not_mercury_free",
            _("Gold amalgamated with mercury can never be called mercury-free."),
        )


def _sites(producer: Producer, site_ids: list[Any]) -> list[Site]:
    sites = list(Site.objects.filter(producer=producer, pk__in=site_ids))
    if len(sites) != len(set(site_ids)) or not sites:
        raise field_error("sites", "not_your_site", _("Name one or more of your own sites."))
    return sites


def _set_claims(listing: Listing, claims: list[str]) -> None:
    known = set(Claim.objects.filter(code__in=claims).values_list("code", flat=True))
    unknown = sorted(set(claims) - known)
    if unknown:
        raise field_error("claims", "unknown_claim", _("Unknown claims: %(codes)s.") % {"codes": ", ".join(unknown)})
    ListingClaim.objects.filter(listing=listing).exclude(claim_id__in=claims).delete()
    ListingClaim.objects.bulk_create(
        [ListingClaim(listing=listing, claim_id=code) for code in sorted(set(claims))], ignore_conflicts=True
    )


def _refuse_missing(values: dict[str, Any], names: tuple[str, ...], code: str, message: str) -> None:
    missing = [name for name in names if values.get(name) is None]
    if missing:
        raise field_error(missing[0], code, message)


FORWARD_REQUIRED = ("form", "quantity_grams", "min_order_grams", "fineness", "fineness_basis")


def _spot_values(
    producer: Producer, values: dict[str, Any], given: dict[str, Any], listing: Listing | None = None
) -> tuple[list[Any], list[Site]]:
    """A spot listing's lots, and its fields read from them (into `values`)."""
    sent = [name for name in DERIVED_FROM_LOTS if given.get(name) not in (None, [])]
    if sent:
        raise field_error(
            sent[0],
            "derived_from_lots",
            _("A spot listing takes this from its lots: leave out %(fields)s.") % {"fields": ", ".join(sent)},
        )
    lots = offerable_lots(producer=producer, lot_ids=given.get("lots") or [], listing=listing)
    derived, sites = derived_from(lots)
    values.update(derived)
    values["monthly_capacity_grams"] = None
    if values.get("min_order_grams") is None:
        values["min_order_grams"] = min(lot.gross_grams for lot in lots)  # one whole lot
    return lots, sites


@transaction.atomic
def listing_create(
    *,
    actor: Actor,
    producer: Producer,
    claims: list[str],
    kind: str = Kind.FORWARD,
    sites: list[Any] | None = None,
    lots: list[Any] | None = None,
    **fields: Any,
) -> Listing:
    """Draft a spot listing of recorded lots, or a forward listing of the named sites' future production."""
    require_producer_member(actor, producer)
    values = {k: v for k, v in fields.items() if k in EDITABLE}
    values["kind"] = kind
    chosen_lots: list[Any] = []
    if kind == Kind.SPOT:
        chosen_lots, chosen = _spot_values(producer, values, {**fields, "sites": sites, "lots": lots})
    else:
        if lots:
            raise field_error("lots", "lots_on_forward", _("A forward listing offers future production, not lots."))
        _refuse_missing(
            {**values, "sites": sites or None},
            ("sites", *FORWARD_REQUIRED),
            "required_for_forward",
            _("A forward listing needs this field."),
        )
        chosen = _sites(producer, sites or [])
    _check(values, claims)
    listing = Listing.objects.create(
        producer=producer, available_grams=values["quantity_grams"], created_by=actor.user, **values
    )
    listing.sites.set(chosen)
    if chosen_lots:
        attach(listing, chosen_lots)
    _set_claims(listing, claims)
    audit_record(
        action="listings.listing.created",
        actor=actor,
        subject_organization=producer.organization,
        target=listing,
        data={
            "kind": kind,
            "quantity_grams": str(listing.quantity_grams),
            "fineness": str(listing.fineness),
            "claims": claims,
        }
        | ({"lots": [lot.code for lot in chosen_lots]} if chosen_lots else {}),
    )
    return listing


def _locked(listing: Listing) -> Listing:
    """The listing read again with its row locked until the transaction ends (lock order: the listing row
    before the audit chain)."""
    return Listing.objects.select_for_update(of=("self",)).select_related("producer__organization").get(pk=listing.pk)


@transaction.atomic
def listing_update(
    *,
    actor: Actor,
    listing: Listing,
    sites: list[Any] | None = None,
    claims: list[str] | None = None,
    lots: list[Any] | None = None,
    **fields: Any,
) -> Listing:
    """Edit a draft. The row is locked and its state read again under the lock: a publish that commits while
    the edit runs either waits for it or makes it a 409, and only the edited columns are written, so an edit
    never puts back a state (or anything else) it did not change. A spot draft's fields follow its lots."""
    require_producer_member(actor, listing.producer)
    listing = _locked(listing)
    if listing.status != Status.DRAFT:
        raise Conflict(
            _("Only a draft can be edited: pause or withdraw the listing and draft a new one."),
            code="listing_not_draft",
        )
    if fields.pop("kind", listing.kind) != listing.kind:
        raise field_error("kind", "kind_fixed", _("A listing stays spot or forward: draft a new one instead."))
    chosen_lots: list[Any] | None = None
    if listing.kind == Kind.SPOT:
        derived: dict[str, Any] = {"min_order_grams": fields.get("min_order_grams", listing.min_order_grams)}
        current = list(listing.listing_lots.values_list("lot_id", flat=True))
        chosen_lots, chosen_sites = _spot_values(
            listing.producer, derived, {**fields, "sites": sites, "lots": current if lots is None else lots}, listing
        )
        derived.pop("monthly_capacity_grams")
        fields |= derived
        sites = [site.pk for site in chosen_sites] if lots is not None else None
    elif lots:
        raise field_error("lots", "lots_on_forward", _("A forward listing offers future production, not lots."))
    changes = {k: v for k, v in fields.items() if k in EDITABLE and getattr(listing, k) != v}
    if (
        listing.kind == Kind.FORWARD
        and "quantity_grams" in changes
        and "monthly_capacity_grams" not in fields
        and listing.monthly_capacity_grams == listing.quantity_grams
    ):
        changes["monthly_capacity_grams"] = changes["quantity_grams"]  # the default follows the quantity
    if not changes and sites is None and claims is None and lots is None:
        return listing
    merged = {field: changes.get(field, getattr(listing, field)) for field in EDITABLE} | {"kind": listing.kind}
    current_claims = list(listing.claim_rows.values_list("claim_id", flat=True)) if claims is None else claims
    _check(merged, current_claims)
    written = set(changes)
    for field in changes:
        setattr(listing, field, merged[field])
    if "quantity_grams" in changes:
        listing.available_grams = listing.quantity_grams
        written.add("available_grams")
    if "price_basis" in changes:
        listing.price_per_fine_gram_minor, listing.lbma_adjustment_bp = (
            merged["price_per_fine_gram_minor"],
            merged["lbma_adjustment_bp"],
        )
        written |= {"price_per_fine_gram_minor", "lbma_adjustment_bp"}
    if written:
        listing.save(update_fields=sorted(written | {"updated_at"}))  # updated_at: auto_now
    if sites is not None:
        listing.sites.set(_sites(listing.producer, sites))
    if lots is not None and chosen_lots is not None:
        attach(listing, chosen_lots)
    if claims is not None:
        _set_claims(listing, claims)
    audit_record(
        action="listings.listing.updated",
        actor=actor,
        subject_organization=listing.producer.organization,
        target=listing,
        data={k: str(v) for k, v in changes.items()}
        | ({"claims": claims} if claims is not None else {})
        | ({"lots": [lot.code for lot in chosen_lots]} if lots is not None and chosen_lots is not None else {}),
    )
    return listing


@transaction.atomic
def listing_move(*, actor: Actor, listing: Listing, move: str) -> Listing:
    if move == "release":
        require_independent_reviewer(actor, listing.producer_id)
    else:
        require_producer_admin(actor, listing.producer)
    # The gate is judged on the row as it is now and stays so until this move commits: an edit of the draft
    # (sites, window, claims) cannot slip in between the check and the move.
    listing = _locked(listing)
    allowed_from, target = TRANSITIONS[move]
    if listing.status == target and move != "withdraw":
        return listing
    if listing.status == Status.CLOSED and move == "withdraw":
        return listing
    if listing.status not in allowed_from:
        raise Conflict(
            _("This listing is %(status)s: it cannot be moved that way.") % {"status": Status(listing.status).label},
            code="invalid_transition",
        )
    if move in ("publish", "resume", "release"):
        # A held listing's volume is what `release` decides on: the other obstacles still stop it.
        found = [o for o in obstacles(listing) if o.code != "volume_red_flag"]
        if found:
            raise Conflict(
                _("This listing cannot be offered yet: see `missing`."),
                code="publication_refused",
                extra={"missing": [o.as_dict() for o in found]},
            )
        # A certified offer keeps its standard's floors from the day it goes to market (400 or 409 when not).
        check_floors(listing)
    excess = None
    if move == "publish" and listing.kind == Kind.FORWARD:
        # The producer's row serializes its publishes: two forward listings cannot both take the last grams.
        # FOR NO KEY UPDATE: rows that point at the producer (a new listing, an audit event) need not wait.
        producer_row = Producer.objects.select_for_update(no_key=True).filter(pk=listing.producer_id)
        list(producer_row.values_list("pk", flat=True))
        excess = volume_excess(listing)
    if excess is not None:
        target = Status.HELD  # a reviewer looks at the volume before buyers do
    updates: dict[str, Any] = {"status": target, "updated_at": timezone.now()}
    if target == Status.PUBLISHED and move in ("publish", "release"):
        updates["published_at"] = timezone.now()
    if move == "withdraw":
        updates["close_reason"] = "withdrawn"
    if not Listing.objects.filter(pk=listing.pk, status__in=allowed_from).update(**updates):
        raise Conflict(
            _("This listing is %(status)s: it cannot be moved that way.") % {"status": Status(listing.status).label},
            code="invalid_transition",
        )
    previous = listing.status
    listing.refresh_from_db()
    if move == "withdraw":
        let_go(listing)
    listings_changed(listing_ids=[listing.pk])  # its search row, in this transaction
    if move == "publish":
        record_first_version(listing=listing, user=actor.user)  # the price it first goes to market at
    if target == Status.PUBLISHED:
        enqueue("listings.match_notices", args={"listing": str(listing.pk)})  # after commit, off the request
    audit_record(
        action=f"listings.listing.{move}",
        actor=actor,
        subject_organization=listing.producer.organization,
        target=listing,
        data={"from": previous, "to": target} | ({"volume_red_flag": excess} if excess else {}),
    )
    return listing


MAX_PHOTOS = 8


def listing_add_photos(*, actor: Actor, listing: Listing, files: list[Any]) -> list[ListingPhoto]:
    """Re-encode and store the photos, then record them; stored files are removed if recording fails."""
    require_producer_member(actor, listing.producer)
    if listing.status == Status.CLOSED:
        raise Conflict(_("A closed listing takes no more photos."), code="listing_closed")
    encoded = [reencode(checked) for checked in files]
    names = [store_photo(content, listing.pk) for content, _width, _height in encoded]
    try:
        with transaction.atomic():
            if _locked(listing).status == Status.CLOSED:
                raise Conflict(_("A closed listing takes no more photos."), code="listing_closed")
            start = listing.photos.count()
            if start + len(names) > MAX_PHOTOS:
                raise field_error(
                    "files", "too_many_photos", _("A listing has at most %(n)d photos.") % {"n": MAX_PHOTOS}
                )
            photos = ListingPhoto.objects.bulk_create(
                ListingPhoto(
                    listing=listing, position=start + index, file=name, width=width, height=height, size=len(content)
                )
                for index, (name, (content, width, height)) in enumerate(zip(names, encoded, strict=True), start=1)
            )
            listings_changed(listing_ids=[listing.pk])  # the photos its search row shows
            audit_record(
                action="listings.listing.photos_added",
                actor=actor,
                subject_organization=listing.producer.organization,
                target=listing,
                data={"count": len(photos)},
            )
    except BaseException:
        for name in names:
            storages["default"].delete(name)
        raise
    return photos


# --- Quantity under contract ----------------------------------------------------------------------
def listing_reserve(*, actor: Actor, listing: Listing, grams: Decimal) -> Listing:
    """Take `grams` off what is left, in the caller's transaction, with one conditional update: whatever runs
    at once, what is left never goes below zero (and the database's check constraint says so too). The last
    grams close the listing as sold out. Lock order: the listing row before the audit chain."""
    taken = Listing.objects.filter(pk=listing.pk, available_grams__gte=grams).update(
        available_grams=F("available_grams") - Value(grams, output_field=GramsField()), updated_at=timezone.now()
    )
    if not taken:
        raise Conflict(_("Less gold is left on this listing than the contract needs."), code="quantity_unavailable")
    listing.refresh_from_db()
    listings_changed(listing_ids=[listing.pk])  # what is left, or sold out
    if listing.available_grams == 0 and listing.status != Status.CLOSED:
        Listing.objects.filter(pk=listing.pk, available_grams=0).exclude(status=Status.CLOSED).update(
            status=Status.CLOSED, close_reason="sold_out", updated_at=timezone.now()
        )
        previous = listing.status
        listing.refresh_from_db()
        audit_record(
            action="listings.listing.sold_out",
            actor=actor,
            subject_organization=listing.producer.organization,
            target=listing,
            data={"from": previous, "to": Status.CLOSED},
        )
    return listing


def listing_release(*, actor: Actor, listing: Listing, grams: Decimal) -> Listing:
    """Give `grams` back (a signed contract was cancelled). A listing that the contracts had sold out is
    offered again: it was closed by the sale, not by its producer; one its producer withdrew stays closed."""
    Listing.objects.filter(pk=listing.pk).update(
        available_grams=F("available_grams") + Value(grams, output_field=GramsField()), updated_at=timezone.now()
    )
    reopened = Listing.objects.filter(pk=listing.pk, status=Status.CLOSED, close_reason="sold_out").update(
        status=Status.PUBLISHED, close_reason="", updated_at=timezone.now()
    )
    listing.refresh_from_db()
    listings_changed(listing_ids=[listing.pk])
    if reopened:
        audit_record(
            action="listings.listing.reopened",
            actor=actor,
            subject_organization=listing.producer.organization,
            target=listing,
            data={"from": Status.CLOSED, "to": Status.PUBLISHED, "released_grams": str(grams)},
        )
    return listing
