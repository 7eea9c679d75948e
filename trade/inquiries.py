"""Inquiries: a buyer asks a producer about a listing (or the producer as a whole), both sides write in the
thread, either side closes it. Contracts start from an inquiry (`trade.services`)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.selectors import acting_organization
from audit.services import audit_record
from core.actor import Actor
from core.errors import Conflict, PermissionDenied, field_error
from listings.models import Listing, SourcingRequest
from listings.models import Status as ListingStatus
from listings.selectors import listings_offered
from notifications.services import notify
from producers.models import Producer, Verification
from trade.models import (
    Inquiry,
    InquiryMessage,
    Side,
)
from trade.services import _organization_of_side, _other_side_id, _party_side, _people_of, _subject


# --- Inquiries ------------------------------------------------------------------------------------
@transaction.atomic
def inquiry_create(
    *,
    actor: Actor,
    message: str,
    grams: Any,
    target_price_per_fine_gram_minor: int | None = None,
    currency: str = "USD",
    listing_id: Any = None,
    producer_id: Any = None,
    sourcing_request_id: Any = None,
) -> Inquiry:
    """A buyer asks about a visible listing or a verified producer; a producer answers an open sourcing
    request (and may point at one of its listings)."""
    listing: Listing | None = None
    sourcing_request: SourcingRequest | None = None
    if actor.organization_kind == "buyer":
        if sourcing_request_id is not None:
            raise field_error(
                "sourcing_request", "producers_only", _("Producers answer sourcing requests; buyers make them.")
            )
        if listing_id is not None:
            listing = listings_offered().filter(pk=listing_id).first()
            if listing is None:
                raise field_error("listing", "not_visible", _("This listing is not offered today."))
            if producer_id is not None and producer_id != listing.producer_id:
                raise field_error("producer", "not_the_listing_producer", _("This listing is another producer's."))
            producer = listing.producer
        elif producer_id is not None:
            found = Producer.objects.filter(pk=producer_id, verification_status=Verification.VERIFIED).first()
            if found is None:
                raise field_error("producer", "unknown_producer", _("No verified producer has this id."))
            producer = found
        else:
            raise field_error("listing", "listing_or_producer_required", _("Name the listing or the producer you ask."))
        buyer = acting_organization(actor)
        opened_by = Side.BUYER
    elif actor.organization_kind == "producer":
        own = Producer.objects.filter(pk=actor.organization_id).first()
        if own is None:
            raise PermissionDenied(_("Set up your producer profile first."), code="not_producer")
        producer = own
        if sourcing_request_id is None:
            raise field_error(
                "sourcing_request",
                "required_for_producers",
                _("Producers start an inquiry by answering a sourcing request."),
            )
        sourcing_request = SourcingRequest.objects.filter(
            pk=sourcing_request_id, state=SourcingRequest.State.OPEN
        ).first()
        if sourcing_request is None:
            raise field_error("sourcing_request", "not_open", _("This sourcing request is not open."))
        if listing_id is not None:
            listing = (
                Listing.objects.filter(pk=listing_id, producer=producer).exclude(status=ListingStatus.CLOSED).first()
            )
            if listing is None:
                raise field_error("listing", "not_your_listing", _("Name one of your own open listings."))
        buyer = sourcing_request.buyer
        opened_by = Side.PRODUCER
    else:
        raise PermissionDenied(_("Inquiries are between buyers and producers."), code="not_party")
    assert buyer is not None
    inquiry = Inquiry.objects.create(
        buyer=buyer,
        producer=producer,
        listing=listing,
        sourcing_request=sourcing_request,
        opened_by=opened_by,
        grams=grams,
        target_price_per_fine_gram_minor=target_price_per_fine_gram_minor,
        currency=currency,
        created_by=actor.user,
    )
    InquiryMessage.objects.create(inquiry=inquiry, author=actor.user, side=opened_by, body=message)
    audit_record(
        action="trade.inquiry.opened",
        actor=actor,
        subject_organization=_subject(inquiry, actor),
        target=inquiry,
        data={
            "buyer": str(buyer.pk),
            "listing": str(listing.pk) if listing else None,
            "sourcing_request": str(sourcing_request.pk) if sourcing_request else None,
            "grams": str(inquiry.grams),
        },
    )
    asker = buyer.legal_name if opened_by == Side.BUYER else producer.organization.legal_name
    notify(
        recipients=_people_of(_other_side_id(inquiry, opened_by)),
        kind="inquiry_received",
        params={"organization": asker, "grams": inquiry.grams},
        organization=producer.organization if opened_by == Side.BUYER else buyer,
        target=inquiry,
    )
    return inquiry


@transaction.atomic
def inquiry_post_message(*, actor: Actor, inquiry: Inquiry, body: str) -> InquiryMessage:
    side = _party_side(actor, inquiry)
    locked = Inquiry.objects.select_for_update().get(pk=inquiry.pk)
    if locked.state != Inquiry.State.OPEN:
        raise Conflict(_("This inquiry is closed: start a new one."), code="inquiry_closed")
    message = InquiryMessage.objects.create(inquiry=inquiry, author=actor.user, side=side, body=body)
    Inquiry.objects.filter(pk=inquiry.pk).update(updated_at=timezone.now())
    audit_record(
        action="trade.inquiry.message_posted",
        actor=actor,
        subject_organization=_subject(inquiry, actor),
        target=inquiry,
        data={"message": str(message.pk), "side": side},
    )
    other = Side.PRODUCER if side == Side.BUYER else Side.BUYER
    notify(
        recipients=_people_of(_other_side_id(inquiry, side)),
        kind="inquiry_message",
        params={"organization": _organization_of_side(inquiry, side).legal_name},
        organization=_organization_of_side(inquiry, other),
        target=inquiry,
    )
    return message


@transaction.atomic
def inquiry_close(*, actor: Actor, inquiry: Inquiry) -> Inquiry:
    """Either side closes the thread; closing a closed inquiry changes nothing."""
    side = _party_side(actor, inquiry)
    if inquiry.state == Inquiry.State.CLOSED:
        return inquiry
    if not Inquiry.objects.filter(pk=inquiry.pk, state=Inquiry.State.OPEN).update(
        state=Inquiry.State.CLOSED, closed_at=timezone.now(), updated_at=timezone.now()
    ):
        inquiry.refresh_from_db()
        return inquiry  # closed meanwhile by the other side: the same outcome
    inquiry.refresh_from_db()
    audit_record(
        action="trade.inquiry.closed",
        actor=actor,
        subject_organization=_subject(inquiry, actor),
        target=inquiry,
        data={"from": Inquiry.State.OPEN, "to": Inquiry.State.CLOSED, "side": side},
    )
    other = Side.PRODUCER if side == Side.BUYER else Side.BUYER
    notify(
        recipients=_people_of(_other_side_id(inquiry, side)),
        kind="inquiry_closed",
        params={"organization": _organization_of_side(inquiry, side).legal_name},
        organization=_organization_of_side(inquiry, other),
        target=inquiry,
    )
    return inquiry
