"""A listing's price on the market (docs/pricing-offers.md).

- The rules of a price, the same for a draft and a re-price (`check_price`).
- The certified floors: a listing claiming Fairmined, Fairmined Ecological, Fairtrade or Fairtrade Ecological is
  checked against the standard's figures in force today when it goes to market (publish, release, resume) and
  at every re-price (`check_floors`, through `prices.certified`). A draft is not an offer: its edits are not.
- The versions of the price (`ListingPrice`): version 1 when the listing is first published, n+1 at each
  re-price. A draft's edits write none.
- Re-pricing a listing on the market (`listing_reprice`): published, paused or held.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from audit.services import audit_record
from core import clock
from core.actor import Actor
from core.errors import Conflict, field_error
from jobs.services import enqueue
from listings.models import PRICE_FIELDS, Listing, ListingPrice, Status
from listings.search_index import listings_changed
from listings.visibility import visible_listings
from prices.certified import PricedOffer, check_certified_floors
from prices.models import CertificationTerms
from producers.services import require_producer_admin

# A price per fine gram above this (ten million units of its currency) is a typing mistake; the bound also keeps
# the indicative price's integer arithmetic in SQL (listings/indicative.py) far from overflowing.
MAX_PRICE_PER_FINE_GRAM_MINOR = 10**9


def check_price(values: dict[str, Any]) -> None:
    """Refuse a price that does not match its basis, and clear the fields its basis does not use (in place)."""
    if values["price_basis"] == "fixed":
        price = values.get("price_per_fine_gram_minor")
        if not price:
            raise field_error(
                "price_per_fine_gram", "required_by_price_basis", _("A fixed price needs a price per fine gram.")
            )
        if price > MAX_PRICE_PER_FINE_GRAM_MINOR:
            raise field_error(
                "price_per_fine_gram",
                "above_maximum",
                _("A price per fine gram above %(max)s minor units is not accepted: check the amount.")
                % {"max": MAX_PRICE_PER_FINE_GRAM_MINOR},
            )
        values["lbma_adjustment_bp"] = None
    else:
        if values.get("lbma_adjustment_bp") is None:
            raise field_error(
                "lbma_adjustment_percent",
                "required_by_price_basis",
                _("An LBMA price needs its adjustment in percent."),
            )
        if values.get("currency", "USD") != "USD":
            raise field_error("currency", "lbma_in_usd", _("The LBMA Gold Price is in US dollars."))
        values["price_per_fine_gram_minor"] = None


def price_of(listing: Listing | ListingPrice) -> dict[str, Any]:
    return {field: getattr(listing, field) for field in PRICE_FIELDS}


def offer_of(price: dict[str, Any]) -> PricedOffer:
    return PricedOffer(**price)


def claims_of(listing: Listing) -> list[str]:
    return list(listing.claim_rows.values_list("claim_id", flat=True))


def check_floors(listing: Listing, price: dict[str, Any] | None = None) -> list[CertificationTerms]:
    """The certified floors of the standards `listing` claims, against the figures in force today, for its own
    price or `price`: a 400 (`below_certified_minimum`, `premium_below_standard`, with the figures compared) or
    a 409 (`no_fix_recorded`, `no_rate_recorded`) when the check cannot be made."""
    return check_certified_floors(
        claims=claims_of(listing), offer=offer_of(price or price_of(listing)), day=clock.today_lima()
    )


def record_first_version(*, listing: Listing, user: Any) -> ListingPrice | None:
    """Version 1, the price the listing goes to market at; None when the listing already has it."""
    if listing.prices.filter(number=1).exists():
        return None
    return ListingPrice.objects.create(listing=listing, number=1, created_by=user, **price_of(listing))


def _audit_price(price: dict[str, Any]) -> dict[str, Any]:
    return {field: value for field, value in price.items() if value is not None}


@transaction.atomic
def listing_reprice(
    *, actor: Actor, listing: Listing, reason: str = "", **fields: Any
) -> tuple[Listing, ListingPrice | None]:
    """Set a new price on a listing that is on the market (published, paused or held), as version n+1 of its
    price. The row is locked and its state and price read under the lock. The same price again changes nothing
    (no version, no audit event). Contracts already proposed keep the terms they were proposed with. A request
    that newly matches at the new price is told once (MatchNotified); one already told is not told again."""
    require_producer_admin(actor, listing.producer)
    listing = (
        Listing.objects.select_for_update(of=("self",)).select_related("producer__organization").get(pk=listing.pk)
    )
    if listing.status == Status.DRAFT:
        raise Conflict(_("A draft is not on the market yet: edit its price instead."), code="listing_not_repriceable")
    if listing.status == Status.CLOSED:
        raise Conflict(_("This listing is closed: draft a new one."), code="listing_not_repriceable")
    new = {field: fields[field] for field in PRICE_FIELDS}
    check_price(new)
    old = price_of(listing)
    if new == old:
        return listing, None
    check_floors(listing, new)
    # A listing on the market before versions were kept, or written outside the services, keeps its old price
    # as version 1 before the new one.
    record_first_version(listing=listing, user=listing.created_by)
    number = (listing.prices.aggregate(last=Max("number"))["last"] or 0) + 1
    version = ListingPrice.objects.create(listing=listing, number=number, reason=reason, created_by=actor.user, **new)
    for field, value in new.items():
        setattr(listing, field, value)
    listing.save(update_fields=[*PRICE_FIELDS, "updated_at"])
    listings_changed(listing_ids=[listing.pk])  # the indicative price search sorts by
    audit_record(
        action="listings.listing.repriced",
        actor=actor,
        subject_organization=listing.producer.organization,
        target=listing,
        data={"version": number, "from": _audit_price(old), "to": _audit_price(new)}
        | ({"reason": reason} if reason else {}),
    )
    if (
        listing.status == Status.PUBLISHED
        and visible_listings(Listing.objects.filter(pk=listing.pk), clock.today_lima()).exists()
    ):
        enqueue("listings.match_notices", args={"listing": str(listing.pk)})  # after commit, off the request
    return listing, version
