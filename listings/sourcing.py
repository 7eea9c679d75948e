"""Writes to sourcing requests, a buyer's standing need: saving and closing one, and telling its buyer when a
newly offered listing matches it. Reads (the requests a caller sees, their ranked matches) are in
`listings.selectors`."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.selectors import acting_organization, organization_admins
from audit.services import audit_record
from compliance.models import Claim
from core.actor import Actor
from core.errors import PermissionDenied, field_error
from listings.matching import matches_listing
from listings.models import Listing, MatchNotified, SourcingRequest
from notifications.services import notify


def notify_matching_requests(listing: Listing) -> None:
    """Tell each buyer whose open request this listing, newly offered or re-priced, matches: once per (request,
    listing), whatever publishes, resumes or re-prices it again (MatchNotified)."""
    candidates = (
        SourcingRequest.objects.filter(state=SourcingRequest.State.OPEN, min_fineness__lte=listing.fineness)
        .exclude(notified__listing=listing)  # told already: never again
        .select_related("buyer")
    )
    for request in candidates:
        if not matches_listing(listing, request):
            continue
        _notified, created = MatchNotified.objects.get_or_create(sourcing_request=request, listing=listing)
        if created:
            notify(
                recipients=organization_admins(organization_id=request.buyer_id),
                kind="sourcing_match",
                params={
                    "request": request.title,
                    "listing": listing.title_en or listing.title_es,
                    "producer": listing.producer.organization.legal_name,
                },
                organization=request.buyer,
                target=listing,
            )


SOURCING_FIELDS = (
    "title",
    "grams",
    "min_fineness",
    "forms",
    "claims",
    "max_price_per_fine_gram_minor",
    "currency",
    "incoterm",
    "delivery_from",
    "delivery_until",
    "notes",
)


@transaction.atomic
def sourcing_request_create(*, actor: Actor, **fields: Any) -> SourcingRequest:
    buyer = acting_organization(actor)
    if buyer is None or buyer.kind != "buyer":
        raise PermissionDenied(_("Sourcing requests are made by buyer organisations."), code="not_buyer")
    values = {k: v for k, v in fields.items() if k in SOURCING_FIELDS}
    if values["delivery_until"] < values["delivery_from"]:
        raise field_error("delivery_until", "before_start", _("The delivery window ends before it starts."))
    unknown = sorted(set(values.get("claims") or []) - set(Claim.objects.values_list("code", flat=True)))
    if unknown:
        raise field_error("claims", "unknown_claim", _("Unknown claims: %(codes)s.") % {"codes": ", ".join(unknown)})
    request = SourcingRequest.objects.create(buyer=buyer, created_by=actor.user, **values)
    audit_record(
        action="listings.sourcing_request.created",
        actor=actor,
        target=request,
        data={"grams": str(request.grams), "min_fineness": str(request.min_fineness), "claims": request.claims},
    )
    return request


@transaction.atomic
def sourcing_request_close(*, actor: Actor, request: SourcingRequest) -> SourcingRequest:
    if actor.organization_id != request.buyer_id and not actor.is_staff:
        raise PermissionDenied(_("Only the buyer who made this request can close it."), code="not_owner")
    if request.state == SourcingRequest.State.CLOSED:
        return request
    closed = SourcingRequest.objects.filter(pk=request.pk, state=SourcingRequest.State.OPEN).update(
        state=SourcingRequest.State.CLOSED
    )
    request.refresh_from_db()
    if not closed:
        return request  # closed meanwhile by another request of the buyer's: that one recorded it
    audit_record(
        action="listings.sourcing_request.closed",
        actor=actor,
        subject_organization=request.buyer,
        target=request,
        data={},
    )
    return request
