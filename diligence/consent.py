"""The producer's consent to show its due-diligence pack to one buyer: the buyer's members ask, the producer's
admins grant, decline (with a reason) or later revoke it. Each write is atomic with one audit event.

A request needs a basis: an open inquiry or a contract that still ties the two organisations. Trade answers
which (the PACK_BASIS setting: diligence comes before trade). Without one the producer is not the buyer's
counterparty and answers 404, as the pack does. The basis is checked again at every read of the pack and at
the grant: a consent lapses with its basis, with no job to run.

Moves are compare-and-set on the consent's status (`CONSENT_TRANSITIONS`); repeating the move that led to the
current status changes nothing. A second request while one is pending or granted returns that one (the
database keeps one active request per buyer and producer).
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from accounts.models import Organization
from accounts.selectors import organization_admins
from audit.services import audit_record
from core import clock
from core.actor import Actor
from core.errors import Conflict, NotFound, PermissionDenied
from core.extensions import provider
from diligence.models import ACTIVE_CONSENT, CONSENT_TRANSITIONS, ConsentStatus, PackConsent
from notifications.services import notify
from producers.selectors import producer_get


def basis_of(buyer_id: Any, producer_id: Any) -> dict[str, Any] | None:
    """The inquiry or contract that lets this buyer read this producer's pack today, or None."""
    basis: dict[str, Any] | None = provider("PACK_BASIS")(buyer_id, producer_id)
    return basis


# --- Reads -------------------------------------------------------------------------------------------
def consents_for(*, actor: Actor) -> QuerySet[PackConsent]:
    """A buyer's members: its own requests; a producer's members: those addressed to it; reviewers and staff:
    all of them."""
    rows = PackConsent.objects.select_related("buyer", "producer", "requested_by", "decided_by")
    if actor.is_reviewer or actor.is_staff:
        return rows
    if actor.organization_kind == Organization.Kind.BUYER:
        return rows.filter(buyer_id=actor.organization_id)
    if actor.organization_kind == Organization.Kind.PRODUCER:
        return rows.filter(producer_id=actor.organization_id)
    return rows.none()


def consent_get(*, actor: Actor, consent_id: Any) -> PackConsent:
    consent = consents_for(actor=actor).filter(pk=consent_id).first()
    if consent is None:
        raise NotFound()
    return consent


def consent_in_force(*, buyer_id: Any, producer_id: Any) -> PackConsent | None:
    """The granted consent of this producer to this buyer, while its basis stands; else None."""
    consent = (
        PackConsent.objects.select_related("buyer", "producer")
        .filter(buyer_id=buyer_id, producer_id=producer_id, status=ConsentStatus.GRANTED)
        .first()
    )
    if consent is None or basis_of(buyer_id, producer_id) is None:
        return None
    return consent


# --- Writes ------------------------------------------------------------------------------------------
def _audit(action: str, actor: Actor, consent: PackConsent, **data: Any) -> None:
    audit_record(
        action=f"diligence.pack_consent.{action}",
        actor=actor,
        subject_organization=consent.producer,
        target=consent,
        data={"buyer": str(consent.buyer_id), "producer": str(consent.producer_id), "status": consent.status, **data},
    )


def require_buyer_member(actor: Actor) -> None:
    if actor.organization_kind != Organization.Kind.BUYER:
        raise PermissionDenied(_("Only a buyer's members ask for a producer's pack."), code="not_buyer_member")


def pack_request(*, actor: Actor, producer_id: Any) -> tuple[PackConsent, bool]:
    """Ask the producer for its pack. Returns (the request, whether it was created): a request already pending
    or granted is returned as it is. No open inquiry or contract with the producer: 404."""
    producer_get(actor=actor, producer_id=producer_id)  # a producer the caller may not see: 404 first
    require_buyer_member(actor)
    assert actor.organization_id is not None  # a buyer's member acts for it
    producer = Organization.objects.filter(pk=producer_id, kind=Organization.Kind.PRODUCER).first()
    basis = basis_of(actor.organization_id, producer_id) if producer is not None else None
    if producer is None or basis is None:
        raise NotFound()
    try:
        with transaction.atomic():
            active = (
                PackConsent.objects.select_for_update()
                .filter(buyer_id=actor.organization_id, producer_id=producer_id, status__in=ACTIVE_CONSENT)
                .first()
            )
            if active is not None:
                return active, False
            consent = PackConsent.objects.create(
                buyer_id=actor.organization_id,
                producer=producer,
                basis_kind=basis["kind"],
                basis_id=basis["id"],
                requested_by=actor.user,
                requested_at=clock.now(),
            )
            _audit("requested", actor, consent, basis={"kind": basis["kind"], "id": str(basis["id"])})
            notify(
                recipients=organization_admins(organization_id=producer.pk),
                kind="pack_requested",
                params={"buyer": consent.buyer.legal_name},
                organization=producer,
                target=consent,
            )
    except IntegrityError:  # a concurrent request won: return it
        active = PackConsent.objects.filter(
            buyer_id=actor.organization_id, producer_id=producer_id, status__in=ACTIVE_CONSENT
        ).first()
        if active is None:
            raise
        return active, False
    return active_or(consent), True


def active_or(consent: PackConsent) -> PackConsent:
    return PackConsent.objects.select_related("buyer", "producer", "requested_by", "decided_by").get(pk=consent.pk)


def require_producer_admin(actor: Actor, consent: PackConsent) -> None:
    """Only the producer's admins answer a request addressed to it (the caller already sees the request)."""
    if not (actor.organization_id == consent.producer_id and actor.is_org_admin):
        raise PermissionDenied(
            _("Only the producer's admins answer a request for its pack."), code="not_producer_admin"
        )


@transaction.atomic
def _move(*, actor: Actor, consent: PackConsent, move: str, reason: str = "") -> PackConsent:
    require_producer_admin(actor, consent)
    sources, target = CONSENT_TRANSITIONS[move]
    locked = PackConsent.objects.select_for_update().select_related("buyer", "producer").get(pk=consent.pk)
    if locked.status == target:
        return active_or(locked)  # the same move again: nothing changes
    if locked.status not in sources:
        raise Conflict(
            _("This request is %(status)s: it cannot be %(move)s.")
            % {"status": locked.get_status_display().lower(), "move": ConsentStatus(target).label.lower()},
            code="pack_consent_state",
        )
    if move == "grant" and basis_of(locked.buyer_id, locked.producer_id) is None:
        raise Conflict(
            _("The buyer no longer has an open inquiry or a contract with you: there is nothing to consent to."),
            code="pack_basis_closed",
        )
    PackConsent.objects.filter(pk=locked.pk, status=locked.status).update(
        status=target, decided_by=actor.user, decided_at=clock.now(), reason=reason
    )
    locked.refresh_from_db()
    _audit({"grant": "granted", "decline": "declined", "revoke": "revoked"}[move], actor, locked, reason=reason)
    notify(
        recipients=[locked.requested_by],
        kind="pack_answered",
        params={"producer": locked.producer.legal_name, "status": target},
        organization=locked.buyer,
        target=locked,
    )
    return active_or(locked)


def pack_grant(*, actor: Actor, consent: PackConsent) -> PackConsent:
    return _move(actor=actor, consent=consent, move="grant")


def pack_decline(*, actor: Actor, consent: PackConsent, reason: str) -> PackConsent:
    return _move(actor=actor, consent=consent, move="decline", reason=reason)


def pack_revoke(*, actor: Actor, consent: PackConsent, reason: str = "") -> PackConsent:
    return _move(actor=actor, consent=consent, move="revoke", reason=reason)
