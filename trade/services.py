"""Writes to trade: inquiries and their messages, contracts and the moves of their lifecycle.

Every move locks the contract row, checks the state, changes it with a compare-and-set update, writes one
audit event in the same transaction and notifies the other side (the e-mails leave after commit). Locks are
taken in one order everywhere: the inquiry (a message, starting a contract from it), the contract, its
deposit (cancelling), the listing (the reservation), then the audit chain.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Max, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organization, User
from audit.services import audit_record
from core import clock
from core.actor import Actor
from core.errors import Conflict, PermissionDenied, field_error
from diligence.selectors import buyer_under_review
from listings.models import Listing
from listings.models import Status as ListingStatus
from listings.selectors import listings_offered
from listings.services import listing_release, listing_reserve
from notifications.services import notify
from producers.models import Site
from trade import deliveries
from trade.deposits.cancel import deposit_lock_for_cancel, deposit_on_contract_cancel
from trade.models import (
    TRANSITIONS,
    Contract,
    ContractAcceptance,
    ContractState,
    ContractVersion,
    Inquiry,
    Side,
)
from trade.settlement_terms import (
    Schedule,
    certified_floors,
    check_charges,
    check_settlement,
    check_shipments,
    first_day,
    write_schedule,
)
from trade.snapshots import offer_snapshot
from trade.terms import TERM_FIELDS, fixed_value_minor, snapshot_digest, terms_hash


def _people_of(organization_id: Any) -> QuerySet[User]:
    return User.objects.filter(memberships__organization_id=organization_id, is_active=True)


def _other_side_id(obj: Inquiry | Contract, side: str) -> Any:
    return obj.producer_id if side == Side.BUYER else obj.buyer_id


def _party_side(actor: Actor, obj: Inquiry | Contract) -> str:
    """The side the actor acts for; reviewers, staff and everybody else are not parties (403)."""
    side = obj.side_of(actor.organization_id)
    if side is None:
        raise PermissionDenied(_("Only the two organisations trading here can do this."), code="not_party")
    return side


def _admin_side(actor: Actor, contract: Contract | Inquiry) -> str:
    side = _party_side(actor, contract)
    require_admin(actor)
    return side


def require_party(actor: Actor, obj: Inquiry | Contract) -> None:
    _party_side(actor, obj)


def require_admin(actor: Actor) -> None:
    if not actor.is_org_admin:
        raise PermissionDenied(
            _("Only an administrator of your organisation negotiates and signs contracts."), code="not_admin"
        )


def require_contract_admin(actor: Actor, contract: Contract) -> None:
    _admin_side(actor, contract)


def require_trader(actor: Actor) -> None:
    """Inquiries and contracts are started by a buyer or a producer organisation."""
    if actor.organization_kind not in ("buyer", "producer"):
        raise PermissionDenied(code="not_party")


def require_canceller(actor: Actor, contract: Contract) -> None:
    """Either side's admin cancels a contract; staff settle disputes and cancel for either side."""
    if not actor.is_staff:
        require_contract_admin(actor, contract)


def refuse_lapsed_buyer(buyer: Organization) -> None:
    """A buyer whose KYC verification lapsed (today in Lima) neither proposes nor signs until a reviewer
    verifies it again; it still reads everything it has."""
    lapsed_on = buyer.kyc_lapsed_on(clock.today_lima())
    if lapsed_on is not None:
        last_day = lapsed_on - dt.timedelta(days=1)
        raise Conflict(
            _(
                "The buyer's KYC lapsed on %(date)s: it cannot propose or sign contracts until a reviewer "
                "verifies it again. Upload renewed KYC documents and submit the KYC."
            )
            % {"date": lapsed_on.isoformat()},
            code="buyer_kyc_lapsed",
            extra={"lapsed_on": lapsed_on.isoformat(), "kyc_valid_until": last_day.isoformat()},
        )


def _subject(obj: Inquiry | Contract, actor: Actor) -> Organization:
    """The other party to the one acting: with the acting organisation as the event's actor organisation,
    both parties read the event in their own audit trail (journey 7). Staff acting for neither: the producer."""
    if actor.organization_id == obj.producer_id:
        return obj.buyer
    return obj.producer.organization


def _organization_of_side(obj: Inquiry | Contract, side: str) -> Organization:
    return obj.buyer if side == Side.BUYER else obj.producer.organization


# --- Contracts ------------------------------------------------------------------------------------
def _check_terms(terms: dict[str, Any], listing: Listing, contract: Contract | None = None) -> dict[str, Any]:
    """Business rules of one version of the terms (the serializer checked the shapes): the price matches
    its basis as on listings, the site is an approved one of the listing's producer, one deposit that is not
    more than the gold is worth, a delivery date ahead; the settlement terms, charges and shipments
    (`trade.settlement_terms`); then no more gold than is left (409 `quantity_unavailable`, checked once the
    fields are valid); last, the floors of a certified standard the listing claims. `contract` is None for
    the first version."""
    values: dict[str, Any] = {field: terms.get(field) for field in TERM_FIELDS}
    if values["price_basis"] == "fixed":
        if not values.get("price_per_fine_gram_minor"):
            raise field_error(
                "price_per_fine_gram", "required_by_price_basis", _("A fixed price needs a price per fine gram.")
            )
        values["lbma_adjustment_bp"] = None
    else:
        if values.get("lbma_adjustment_bp") is None:
            raise field_error(
                "lbma_adjustment_percent",
                "required_by_price_basis",
                _("An LBMA price needs its adjustment in percent."),
            )
        if (values.get("currency") or "USD") != "USD":
            raise field_error("price_per_fine_gram", "lbma_in_usd", _("The LBMA Gold Price is in US dollars."))
        values["price_per_fine_gram_minor"] = None
        values["currency"] = "USD"
    values["currency"] = values.get("currency") or "USD"
    values["premium_per_kg_fine_minor"] = values.get("premium_per_kg_fine_minor") or 0
    values["premium_currency"] = values.get("premium_currency") or "USD"
    values["payment_terms"] = values.get("payment_terms") or ""
    if values["delivery_date"] < clock.today_lima():
        raise field_error("delivery_date", "in_the_past", _("The delivery date has passed."))
    amount, percent = values.get("deposit_amount_minor"), values.get("deposit_percent_bp")
    if (amount is None) == (percent is None):
        raise field_error(
            "deposit_percent", "one_deposit", _("Give the deposit as an amount or as a percentage, one of them.")
        )
    if amount is not None:
        if terms.get("deposit_currency", values["currency"]) != values["currency"]:
            raise field_error(
                "deposit_amount", "currency_mismatch", _("The deposit is paid in the currency of the price.")
            )
        value = fixed_value_minor(values)
        if value is not None and amount > value:
            raise field_error(
                "deposit_amount", "above_contract_value", _("The deposit is more than the gold is worth.")
            )
    schedule = Schedule()
    if terms.get("settlement") is not None:
        schedule.settlement = check_settlement(terms["settlement"], values=values, since=first_day(contract))
    schedule.charges = check_charges(terms.get("charges") or [], currency=values["currency"])
    site = Site.objects.filter(
        pk=values["origin_site"], producer_id=listing.producer_id, status=Site.Status.APPROVED
    ).first()
    if site is None:
        raise field_error(
            "origin_site", "not_an_approved_site", _("Name an approved site of the producer of this listing.")
        )
    values["origin_site"] = site
    if values["quantity_grams"] > listing.available_grams:
        # The same condition as signing more than is left (listing_reserve): the same 409, whatever the move.
        raise Conflict(
            _("Only %(grams)s g are left on this listing.") % {"grams": listing.available_grams},
            code="quantity_unavailable",
        )
    values["lots"] = deliveries.terms_lots(
        listing=listing, lot_ids=terms.get("lots"), quantity=values["quantity_grams"], fineness=values["fineness"]
    )
    schedule.shipments = check_shipments(
        terms.get("shipments") or [], listing=listing, values=values, terms_lots=values["lots"]
    )
    deliveries.check_monthly_capacity(
        listing=listing, quantity=values["quantity_grams"], delivery_date=values["delivery_date"]
    )
    certification = certified_floors(listing=listing, values=values)
    if schedule.settlement is not None:
        schedule.certification = certification  # kept with the settlement terms, inside the hashed terms
    values["schedule"] = schedule
    return values


def _add_version(
    *, actor: Actor, contract: Contract, side: str, number: int, values: dict[str, Any]
) -> ContractVersion:
    lots = values.pop("lots", [])
    schedule: Schedule = values.pop("schedule", None) or Schedule()
    # What the offer's compliance rests on today, kept with the terms and hashed with them.
    snapshot = offer_snapshot(listing=contract.listing, lots=lots, today=clock.today_lima())
    version = ContractVersion.objects.create(
        contract=contract,
        number=number,
        side=side,
        proposed_by=actor.user,
        proposed_by_organization=_organization_of_side(contract, side),
        compliance_snapshot=snapshot,
        **values,
    )
    version.lots.set(lots)
    write_schedule(version=version, schedule=schedule)
    audit_record(
        action="trade.contract.proposed",
        actor=actor,
        subject_organization=_subject(contract, actor),
        target=contract,
        data={
            "version": number,
            "side": side,
            "quantity_grams": str(version.quantity_grams),
            "price_basis": version.price_basis,
            "delivery_date": version.delivery_date.isoformat(),
            # Proposing is the proposing side's acceptance: the snapshot it accepted.
            "compliance_snapshot_digest": snapshot_digest(snapshot),
        }
        | ({"lots": [lot.code for lot in lots]} if lots else {})
        | ({"shipments": len(schedule.shipments)} if schedule.shipments else {})
        | ({"certification": schedule.certification.claim_id} if schedule.certification else {}),
    )
    other = Side.PRODUCER if side == Side.BUYER else Side.BUYER
    notify(
        recipients=_people_of(_other_side_id(contract, side)),
        kind="contract_proposed",
        params={"organization": _organization_of_side(contract, side).legal_name, "version": number},
        organization=_organization_of_side(contract, other),
        target=contract,
    )
    return version


@transaction.atomic
def contract_start(*, actor: Actor, inquiry: Inquiry, listing_id: Any = None, **terms: Any) -> Contract:
    """Either side's admin turns an open inquiry into a contract, proposing its first version."""
    side = _admin_side(actor, inquiry)
    # Decide on the inquiry as it is now, not on the copy the caller read: a close that lands between that
    # read and our insert must either wait for this contract (and come after it) or be seen here (409).
    # Only the inquiry's row: see `_lock`.
    inquiry = Inquiry.objects.select_for_update(of=("self",)).select_related("listing").get(pk=inquiry.pk)
    if inquiry.state != Inquiry.State.OPEN:
        raise Conflict(_("This inquiry is closed: start a new one."), code="inquiry_closed")
    if side == Side.BUYER:
        refuse_lapsed_buyer(Organization.objects.get(pk=inquiry.buyer_id))
    listing = inquiry.listing
    if listing_id is not None:
        listing = Listing.objects.filter(pk=listing_id, producer_id=inquiry.producer_id).first()
        if listing is None:
            raise field_error("listing", "not_this_producer", _("Name a listing of the producer of this inquiry."))
    if listing is None:
        raise field_error("listing", "inquiry_has_no_listing", _("Name the listing the gold comes from."))
    if listing.status == ListingStatus.CLOSED:
        raise Conflict(_("This listing is closed."), code="listing_closed")
    values = _check_terms(terms, listing)
    contract = Contract.objects.create(
        inquiry=inquiry,
        buyer_id=inquiry.buyer_id,
        producer_id=inquiry.producer_id,
        listing=listing,
        created_by=actor.user,
    )
    _add_version(actor=actor, contract=contract, side=side, number=1, values=values)
    return contract


def _lock(contract: Contract) -> Contract:
    # Only the contract's row: locking the joined organisations too would hold every audit event and notification
    # that points at them (a foreign key takes a share lock) until this commits, and deadlock with the deposit
    # webhook, which holds the deposit's row while it writes those.
    return (
        Contract.objects.select_for_update(of=("self",))
        .select_related("buyer", "producer__organization")
        .get(pk=contract.pk)
    )


def _latest(contract: Contract) -> ContractVersion:
    version = contract.versions.order_by("-number").first()
    assert version is not None  # a contract is created with its first version
    return version


def _invalid(contract: Contract) -> Conflict:
    return Conflict(
        _("This contract is %(state)s: it cannot be moved that way.") % {"state": ContractState(contract.state).label},
        code="invalid_transition",
    )


@transaction.atomic
def contract_propose(*, actor: Actor, contract: Contract, **terms: Any) -> ContractVersion:
    side = _admin_side(actor, contract)
    contract = _lock(contract)
    if contract.state != ContractState.NEGOTIATING:
        raise _invalid(contract)
    if side == Side.BUYER:
        refuse_lapsed_buyer(contract.buyer)
    values = _check_terms(terms, contract.listing, contract)
    number = (contract.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    Contract.objects.filter(pk=contract.pk, state=ContractState.NEGOTIATING).update(updated_at=timezone.now())
    return _add_version(actor=actor, contract=contract, side=side, number=number, values=values)


def _record_move(*, actor: Actor, contract: Contract, move: str, previous: str, data: dict[str, Any]) -> None:
    audit_record(
        action=f"trade.contract.{move}",
        actor=actor,
        subject_organization=_subject(contract, actor),
        target=contract,
        data={"from": previous, "to": contract.state, **data},
    )


def _notify_move(*, actor: Actor, contract: Contract, kind: str, params: dict[str, Any] | None = None) -> None:
    """Tell the people of the side(s) that did not make the move (both sides when staff made it)."""
    side = contract.side_of(actor.organization_id)
    for recipient_side in (Side.BUYER, Side.PRODUCER):
        if recipient_side == side:
            continue
        organization = _organization_of_side(contract, recipient_side)
        notify(
            recipients=_people_of(organization.pk),
            kind=kind,
            params={"buyer": contract.buyer.legal_name, "producer": contract.producer.organization.legal_name}
            | (params or {}),
            organization=organization,
            target=contract,
        )


@transaction.atomic
def contract_accept(*, actor: Actor, contract: Contract, version: int) -> Contract:
    """Signing: the side that did not propose the latest version accepts it, by number. The buyer's KYC must
    count today (verified and not lapsed, or renewing while the last verification still counts), the listing
    offered today, and the quantity still there: it is reserved on the listing in this transaction. The
    canonical terms are hashed and both acceptances stored."""
    side = _admin_side(actor, contract)
    contract = _lock(contract)
    signed = contract.signed_version
    if contract.state == ContractState.SIGNED and signed is not None and signed.number == version:
        return contract  # accepted already: the same answer
    if contract.state != ContractState.NEGOTIATING:
        raise _invalid(contract)
    latest = _latest(contract)
    if version != latest.number:
        raise Conflict(
            _("Version %(asked)d is not the latest: version %(latest)d is. Read it before accepting.")
            % {"asked": version, "latest": latest.number},
            code="contract_version_stale",
            extra={"latest_version": latest.number},
        )
    if latest.side == side:
        raise Conflict(_("Your side proposed this version: the other side accepts it."), code="contract_own_proposal")
    buyer = Organization.objects.get(pk=contract.buyer_id)
    refuse_lapsed_buyer(buyer)
    if not buyer.kyc_cleared(clock.today_lima()):
        raise Conflict(
            _("The buyer's KYC is not verified: a contract can be signed once a reviewer verifies it."),
            code="buyer_kyc_not_verified",
        )
    if buyer_under_review(contract.buyer_id):
        # An open high-severity red flag against the buyer: no gold is sold to it until two reviewers close it.
        # The answer says neither the category nor the facts (a sanctions match is not tipped off).
        raise Conflict(
            _("The network is reviewing the buyer: a contract can be signed once the review is over."),
            code="buyer_under_review",
        )
    if not listings_offered().filter(pk=contract.listing_id).exists():
        raise Conflict(
            _("The listing is not offered today, so the contract cannot be signed."), code="listing_not_visible"
        )
    if not Site.objects.filter(pk=latest.origin_site_id, status=Site.Status.APPROVED).exists():
        raise Conflict(_("The origin site is no longer approved."), code="site_not_approved")
    listing_reserve(actor=actor, listing=contract.listing, grams=latest.quantity_grams)
    deliveries.on_signing(actor=actor, contract=contract, version=latest)
    now = timezone.now()
    digest = terms_hash(contract, latest)
    allowed_from, target = TRANSITIONS["accept"]
    if not Contract.objects.filter(pk=contract.pk, state__in=allowed_from).update(
        state=target, signed_version=latest, terms_hash=digest, signed_at=now, updated_at=now
    ):
        raise _invalid(contract)
    proposer_organization = _organization_of_side(contract, latest.side)
    ContractAcceptance.objects.bulk_create(
        [
            ContractAcceptance(
                contract=contract,
                version=latest,
                side=latest.side,
                organization=proposer_organization,
                user_id=latest.proposed_by_id,
                accepted_at=latest.created_at,
            ),
            ContractAcceptance(
                contract=contract,
                version=latest,
                side=side,
                organization=_organization_of_side(contract, side),
                user=actor.user,
                accepted_at=now,
            ),
        ]
    )
    previous = contract.state
    contract.refresh_from_db()
    _record_move(
        actor=actor,
        contract=contract,
        move="signed",
        previous=previous,
        data={
            "version": latest.number,
            "terms_hash": digest,
            "compliance_snapshot_digest": snapshot_digest(latest.compliance_snapshot),
            "quantity_grams": str(latest.quantity_grams),
        },
    )
    _notify_move(actor=actor, contract=contract, kind="contract_signed", params={"version": latest.number})
    return contract


@transaction.atomic
def contract_move(*, actor: Actor, contract: Contract, move: str, reason: str = "") -> Contract:
    """decline, withdraw (negotiating), cancel, mark_delivered (signed), complete (delivered)."""
    if move == "cancel" and actor.is_staff and contract.side_of(actor.organization_id) is None:
        side = None  # staff settle disputes: they cancel for either side
    else:
        side = _admin_side(actor, contract)
    if move == "mark_delivered" and side == Side.BUYER:
        raise PermissionDenied(_("The producer marks the gold delivered."), code="not_producer_side")
    if move == "complete" and side == Side.PRODUCER:
        raise PermissionDenied(_("The buyer confirms the delivery."), code="not_buyer_side")
    contract = _lock(contract)
    allowed_from, target = TRANSITIONS[move]
    if contract.state == target:
        return contract
    if contract.state not in allowed_from:
        raise _invalid(contract)
    data: dict[str, Any] = {}
    if move in ("decline", "withdraw"):
        latest = _latest(contract)
        if move == "decline" and latest.side == side:
            raise Conflict(
                _("Your side proposed the latest version: withdraw it instead."), code="contract_own_proposal"
            )
        if move == "withdraw" and latest.side != side:
            raise Conflict(
                _("The other side proposed the latest version: decline it instead."),
                code="contract_not_your_proposal",
            )
        data["version"] = latest.number
    deposit = deposit_lock_for_cancel(contract=contract) if move == "cancel" else None
    if move == "mark_delivered":
        deliveries.require_cover(contract)
    now = timezone.now()
    stamp = {"mark_delivered": "delivered_at", "complete": "completed_at"}.get(move, "ended_at")
    if not Contract.objects.filter(pk=contract.pk, state__in=allowed_from).update(
        state=target, updated_at=now, **{stamp: now}
    ):
        raise _invalid(contract)
    if move == "cancel":
        assert contract.signed_version is not None
        grams = contract.signed_version.quantity_grams
        listing_release(actor=actor, listing=contract.listing, grams=grams)
        deposit_on_contract_cancel(actor=actor, deposit=deposit)
        data |= {"released_grams": str(grams), "reason": reason}
        released_lots = deliveries.on_cancel(contract)
        if released_lots:
            data["released_lots"] = released_lots
    previous = contract.state
    contract.refresh_from_db()
    _record_move(actor=actor, contract=contract, move=move, previous=previous, data=data)
    _notify_move(actor=actor, contract=contract, kind=f"contract_{target}", params={"reason": reason})
    return contract


def require_lots_namer(actor: Actor, contract: Contract) -> None:
    if _admin_side(actor, contract) != Side.PRODUCER:
        raise PermissionDenied(_("The producer names the lots it delivers."), code="not_producer_side")


def contract_lots_name(*, actor: Actor, contract: Contract, lots: list[Any]) -> list[Any]:
    """The producer's admin names the recorded lots that deliver a signed forward contract."""
    require_lots_namer(actor, contract)
    return deliveries.contract_name_lots(actor=actor, contract=contract, lot_ids=lots)
