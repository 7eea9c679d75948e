"""Every write to accounts: sign-up, login and logout, invitations, memberships, profiles.

Each function checks, writes, records one audit event in the same transaction and notifies after commit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from dataclasses import dataclass
from typing import Any, cast

from django.conf import settings
from django.contrib.auth import authenticate, login, logout, password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import Lower
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from knox.models import AuthToken

from accounts import devices
from accounts.auth import device_of
from accounts.models import Invitation, Membership, Organization, Role, TokenDevice, User
from accounts.selectors import acting_organization, organization_admins
from audit.services import audit_record
from core.actor import Actor
from core.errors import BadRequest, Conflict, NotAuthenticated, NotFound, PermissionDenied, field_error
from notifications.services import notify

logger = logging.getLogger(__name__)


def _email_taken(email: str) -> bool:
    return User.objects.annotate(email_ci=Lower("email")).filter(email_ci=email.lower()).exists()


# --- Sign-up and sessions -------------------------------------------------------------------------
@dataclass(frozen=True)
class SignupResult:
    user: User
    organization: Organization
    membership: Membership


@transaction.atomic
def buyer_signup(
    *,
    email: str,
    password: str,
    full_name: str,
    preferred_language: str,
    legal_name: str,
    country: str,
    tax_id: str,
    buyer_type: str,
    contact_phone: str = "",
    website: str = "",
) -> SignupResult:
    """A buyer organisation registers itself; its first user is its admin. KYC starts unverified."""
    email = email.strip().lower()
    if _email_taken(email):
        raise field_error("email", "email_taken", _("An account with this e-mail address already exists."))
    if tax_id and Organization.objects.filter(country=country, tax_id=tax_id).exists():
        raise field_error(
            "organization.tax_id", "tax_id_taken", _("An organisation with this tax id is already registered.")
        )
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                email=email, password=password, full_name=full_name, preferred_language=preferred_language
            )
            organization = Organization.objects.create(
                kind=Organization.Kind.BUYER,
                legal_name=legal_name,
                country=country,
                tax_id=tax_id,
                buyer_type=buyer_type,
                kyc_status=Organization.KycStatus.UNVERIFIED,
                contact_email=email,
                contact_phone=contact_phone,
                website=website,
            )
    except IntegrityError:  # the same e-mail or tax id registered a moment ago by a concurrent request
        raise Conflict(
            _("This e-mail address or tax id was registered at the same time."), code="signup_conflict"
        ) from None
    membership = Membership.objects.create(user=user, organization=organization, role=Role.ADMIN)
    audit_record(
        action="accounts.buyer.signed_up",
        actor=user,
        actor_organization=organization,
        target=organization,
        data={"email": email, "legal_name": legal_name, "country": country, "buyer_type": buyer_type},
    )
    notify(recipients=[user], kind="welcome", params={"organization": legal_name}, organization=organization)
    return SignupResult(user=user, organization=organization, membership=membership)


@dataclass(frozen=True)
class IssuedToken:
    instance: AuthToken
    device: TokenDevice
    token: str  # the secret: in this answer only, stored as a hash


def token_issue(*, user: User, device_name: str) -> IssuedToken:
    """Mint a knox token (hashed, expiring after `TOKEN_TTL_HOURS`) and its device row. Not a use case of its own:
    sign-in and refresh call it inside their audited transaction. Its `last_used_at` starts at its issue."""
    instance, token = AuthToken.objects.create(user=user, expiry=settings.REST_KNOX["TOKEN_TTL"])
    device = TokenDevice.objects.create(
        token=instance, device_name=device_name, created_at=instance.created, last_used_at=instance.created
    )
    return IssuedToken(instance=instance, device=device, token=token)


def auth_login(
    *, email: str, password: str, device_name: str | None = None, user_agent: str = "", request: Any = None
) -> IssuedToken:
    """Check the credentials and issue a hashed, expiring token for the device named (or read from the
    User-Agent). Failures are audited and look alike."""
    user = _credentials_checked(request=request, email=email, password=password)
    with transaction.atomic():
        evicted = _make_room_for_a_token(user)
        issued = token_issue(user=user, device_name=devices.device_name(device_name, user_agent))
        User.objects.filter(pk=user.pk).update(last_login=timezone.now())
        data: dict[str, Any] = {
            "token": issued.instance.token_key,
            "token_id": str(issued.device.pk),
            "device_name": issued.device.device_name,
        }
        if evicted:
            data["evicted"] = evicted
        audit_record(action="accounts.login.succeeded", actor=user, target=user, data=data)
    return issued


def _credentials_checked(*, request: Any, email: str, password: str) -> User:
    """The user these credentials name, or 401 `invalid_credentials` (audited; a wrong address and a wrong
    password look alike)."""
    user = authenticate(request, username=email.strip().lower(), password=password)
    if user is None:
        audit_record(action="accounts.login.failed", data={"email": email.strip().lower()[:254]})
        raise NotAuthenticated(_("The e-mail address or the password is not correct."), code="invalid_credentials")
    return cast(User, user)


def session_sign_in(*, request: Any, email: str, password: str) -> User:
    """The console's sign-in: the API's check and audit, then a session cookie instead of a token (Django's
    `login`, which gives the session a new key so that a key planted before the sign-in is worth nothing)."""
    user = _credentials_checked(request=request, email=email, password=password)
    with transaction.atomic():
        login(request, user)
        audit_record(action="accounts.login.succeeded", actor=user, target=user, data={"session": True})
    return user


@transaction.atomic
def session_sign_out(*, request: Any) -> None:
    user = request.user
    if user.is_authenticated:
        audit_record(action="accounts.logout", actor=user, target=user, data={"session": True})
    logout(request)


def _make_room_for_a_token(user: User) -> list[str | None]:
    """Under `TOKEN_LIMIT_PER_USER` (knox's setting, which only knox's own login view reads), a sign-in beyond the
    limit revokes the tokens used least recently rather than refusing: refusing would leave the person unable to
    sign in, and so to revoke anything, until a token expired. Returns the ids of the tokens revoked."""
    limit = cast(int | None, settings.REST_KNOX.get("TOKEN_LIMIT_PER_USER"))
    if not limit:
        return []
    by_use = AuthToken.objects.filter(user=user).order_by(F("device__last_used_at").desc(nulls_last=True), "-created")
    stale = list(by_use.values_list("digest", "device__id")[limit - 1 :])
    if stale:
        AuthToken.objects.filter(digest__in=[digest for digest, _id in stale]).delete()
    return [str(device_id) if device_id else None for _digest, device_id in stale]


def _token_data(token: AuthToken) -> dict[str, Any]:
    device = device_of(token)
    return {
        "token": token.token_key,
        "token_id": str(device.pk) if device is not None else None,
        "device_name": device.device_name if device is not None else "",
    }


@transaction.atomic
def auth_logout(*, user: User, token: AuthToken) -> None:
    data = _token_data(token)
    token.delete()
    audit_record(action="accounts.logout", actor=user, target=user, data=data)


@transaction.atomic
def auth_logout_all(*, user: User) -> int:
    _total, deleted = AuthToken.objects.filter(user=user).delete()
    count = deleted.get(AuthToken._meta.label, 0)
    audit_record(action="accounts.logout_all", actor=user, target=user, data={"tokens": count})
    return count


@transaction.atomic
def token_revoke(*, user: User, device: TokenDevice, current: AuthToken | None = None) -> None:
    """Revoke one of the owner's tokens (the row from `selectors.token_get`, already the owner's): it stops
    working at once. Revoking the token of the request itself is a logout. Revoked meanwhile: 404."""
    token_id = device.token_id
    _total, deleted = AuthToken.objects.filter(digest=token_id, user=user).delete()
    if not deleted.get(AuthToken._meta.label):
        raise NotFound()
    audit_record(
        action="accounts.token.revoked",
        actor=user,
        target=user,
        data={
            "token_id": str(device.pk),
            "device_name": device.device_name,
            "current": current is not None and current.digest == token_id,
        },
    )


@transaction.atomic
def token_refresh(*, user: User, token: AuthToken) -> IssuedToken:
    """Swap the request's token for a new one (a new secret, the full lifetime, the same device name), atomically:
    the old one stops working when the new one is committed. The old token's row is locked first, so of two
    refreshes of one token at once only one succeeds; the other, and a token that expired or was revoked
    meanwhile, is 401."""
    locked = (
        AuthToken.objects.select_for_update(of=("self",))
        .select_related("device")
        .filter(digest=token.digest, user=user)
        .first()
    )
    if locked is None or (locked.expiry is not None and locked.expiry <= timezone.now()):
        raise NotAuthenticated(
            _("This token is no longer valid: it was refreshed, revoked or has expired. Sign in again."),
            code="authentication_failed",
        )
    old = _token_data(locked)
    locked.delete()
    issued = token_issue(user=user, device_name=old["device_name"])
    audit_record(
        action="accounts.token.refreshed",
        actor=user,
        target=user,
        data={"token_id": str(issued.device.pk), "device_name": issued.device.device_name, "replaces": old["token_id"]},
    )
    return issued


@transaction.atomic
def user_update(*, user: User, full_name: str | None = None, preferred_language: str | None = None) -> User:
    changes = {}
    if full_name is not None and full_name != user.full_name:
        changes["full_name"] = full_name
    if preferred_language is not None and preferred_language != user.preferred_language:
        changes["preferred_language"] = preferred_language
    if changes:
        for field, value in changes.items():
            setattr(user, field, value)
        user.save(update_fields=list(changes))
        audit_record(action="accounts.user.updated", actor=user, target=user, data=changes)
    return user


# --- Organisations and memberships ----------------------------------------------------------------
ORGANIZATION_EDITABLE_FIELDS = ("contact_email", "contact_phone", "website")


@transaction.atomic
def organization_update(*, actor: Actor, organization: Organization, **fields: Any) -> Organization:
    if not (actor.is_staff or (actor.organization_id == organization.pk and actor.is_org_admin)):
        raise PermissionDenied(_("Only an administrator of this organisation can change it."), code="not_admin")
    changes = {k: v for k, v in fields.items() if k in ORGANIZATION_EDITABLE_FIELDS and getattr(organization, k) != v}
    if changes:
        for field, value in changes.items():
            setattr(organization, field, value)
        organization.save(update_fields=[*changes, "updated_at"])
        audit_record(
            action="accounts.organization.updated",
            actor=actor,
            subject_organization=organization,
            target=organization,
            data=changes,
        )
    return organization


def organization_kyc_set(
    *,
    organization: Organization,
    allowed_from: tuple[str, ...],
    to: str,
    verified_at: dt.datetime | None = None,
    valid_until: dt.date | None = None,
) -> bool:
    """Move a buyer's KYC status, compare-and-set: False when it was no longer in `allowed_from`. A
    verification also stores when it was made and the last day it counts (`valid_until`); other moves keep
    the last verification's dates.

    The decision (who may, on which evidence, for how long) and its audit event belong to compliance's
    `kyc_transition`, which calls this inside its transaction; the status is written only here."""
    changes: dict[str, object] = {"kyc_status": to, "updated_at": timezone.now()}
    if to == Organization.KycStatus.VERIFIED:
        if verified_at is None or valid_until is None:
            raise ValueError("a verification stores when it was made and until when it counts")
        changes.update(kyc_verified_at=verified_at, kyc_valid_until=valid_until)
    moved = Organization.objects.filter(
        pk=organization.pk, kind=Organization.Kind.BUYER, kyc_status__in=allowed_from
    ).update(**changes)
    if moved:
        for field, value in changes.items():
            setattr(organization, field, value)
    return bool(moved)


def organization_tax_id_set(*, organization: Organization, tax_id: str) -> None:
    """Set the tax id a producer profile's RUC gives its organisation (producers call this inside their
    audited transaction). Raises IntegrityError when another organisation of the country holds it."""
    Organization.objects.filter(pk=organization.pk).update(tax_id=tax_id, updated_at=timezone.now())
    organization.tax_id = tax_id


def require_admin_of(actor: Actor, organization: Organization) -> None:
    if actor.is_staff:
        return
    if actor.organization_id != organization.pk or not actor.is_org_admin:
        raise PermissionDenied(_("Only an administrator of this organisation can do this."), code="not_admin")


def _check_role_fits(role: str, organization: Organization) -> None:
    if role == Role.REVIEWER and organization.kind != Organization.Kind.NETWORK:
        raise field_error("role", "invalid_role", _("Only the network organisation has reviewers."))


def _lock_admins(organization: Organization) -> list[Membership]:
    """Lock the organisation's admin rows so two admins cannot demote each other at once."""
    return list(Membership.objects.select_for_update().filter(organization=organization, role=Role.ADMIN))


@transaction.atomic
def membership_change_role(*, actor: Actor, membership: Membership, role: str) -> Membership:
    organization = membership.organization
    require_admin_of(actor, organization)
    _check_role_fits(role, organization)
    if membership.role == role:
        return membership
    admins = _lock_admins(organization)
    if membership.role == Role.ADMIN and len(admins) <= 1:
        raise Conflict(_("An organisation must keep at least one administrator."), code="last_admin")
    previous = membership.role
    updated = Membership.objects.filter(pk=membership.pk, role=previous).update(role=role)
    if not updated:
        raise Conflict(_("The membership changed meanwhile; reload it and try again."), code="stale_membership")
    membership.role = role
    audit_record(
        action="accounts.membership.role_changed",
        actor=actor,
        subject_organization=organization,
        target=membership,
        data={"user": str(membership.user_id), "from": previous, "to": role},
    )
    notify(
        recipients=[membership.user],
        kind="membership_role_changed",
        params={"organization": organization.legal_name, "role": role},
        organization=organization,
        target=membership,
    )
    return membership


@transaction.atomic
def membership_remove(*, actor: Actor, membership: Membership) -> None:
    organization = membership.organization
    leaving_self = membership.user_id == actor.user.pk
    if not leaving_self:
        require_admin_of(actor, organization)
    if membership.role == Role.ADMIN and len(_lock_admins(organization)) <= 1:
        raise Conflict(_("An organisation must keep at least one administrator."), code="last_admin")
    membership_id, user = membership.pk, membership.user
    membership.delete()
    audit_record(
        action="accounts.membership.removed",
        actor=actor,
        subject_organization=organization,
        target=organization,
        data={"membership": str(membership_id), "user": str(user.pk), "role": membership.role, "self": leaving_self},
    )
    if not leaving_self:
        notify(
            recipients=[user],
            kind="membership_removed",
            params={"organization": organization.legal_name},
            organization=organization,
        )


# --- Invitations ----------------------------------------------------------------------------------
def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedInvitation:
    """An invitation and the one copy of its token (only its hash is stored), for the e-mail."""

    invitation: Invitation
    token: str
    language: str


def _send_invitation_email(*, invitation: Invitation, token: str, language: str) -> None:
    with translation.override(language):
        if invitation.kind in Invitation.CREATES:
            subject = _("Invitation to register %(name)s on Oro Responsable") % {"name": invitation.legal_name}
        else:
            subject = _("Invitation to join %(name)s on Oro Responsable") % {
                "name": invitation.organization.legal_name if invitation.organization else ""
            }
        body = _(
            "You have been invited to Oro Responsable, the marketplace for responsible gold from Madre de Dios.\n\n"
            "Accept the invitation here: %(link)s\n\n"
            "Your invitation code: %(token)s\n\n"
            "The invitation can be used once and expires on %(expires)s."
        ) % {
            "link": f"{settings.FRONTEND_URL}/invitations/accept?token={token}",
            "token": token,
            "expires": timezone.localtime(invitation.expires_at).strftime("%Y-%m-%d %H:%M %Z"),
        }
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [invitation.email])


def invitation_email_send(*, issued: IssuedInvitation) -> bool:
    """E-mail the invitation; call it once the invitation is committed. A mail server that fails is logged
    and answered False, never raised: the invitation stands, and `invitation_resend` issues a new token."""
    try:
        _send_invitation_email(invitation=issued.invitation, token=issued.token, language=issued.language)
    except Exception:  # SMTP refusals, timeouts, DNS: whatever the backend raises
        logger.exception("Could not e-mail invitation %s", issued.invitation.pk)
        return False
    return True


@transaction.atomic
def invitation_create(
    *,
    actor: Actor,
    kind: str,
    email: str,
    role: str,
    legal_name: str = "",
    country: str = "PE",
    message: str = "",
) -> IssuedInvitation:
    """Producer and support organisations are invited by the network's reviewers; members by their
    organisation's admin.

    The caller e-mails the token with `invitation_email_send` after this has committed (the view does, with
    ATOMIC_REQUESTS off), so that it can tell the inviter whether the e-mail left."""
    email = email.strip().lower()
    acting = acting_organization(actor)
    if acting is None:
        raise PermissionDenied(_("Act for an organisation to send invitations."), code="organization_required")
    organization: Organization | None
    if kind == Invitation.Kind.PRODUCER_ORGANIZATION:
        if not actor.is_reviewer:
            raise PermissionDenied(
                _("Only the network's reviewers invite producer organisations."), code="not_reviewer"
            )
        if not legal_name.strip():
            raise field_error(
                "legal_name", "required_for_producer_invitation", _("Name the producer organisation to create.")
            )
        organization, role = None, Role.ADMIN
        pending = Invitation.objects.filter(kind=kind, email=email, legal_name=legal_name)
    elif kind == Invitation.Kind.SUPPORT_ORGANIZATION:
        # The network vouches for the support organisations whose officers producers may delegate to, as it
        # does for producers: a reviewer's invitation is its registration and its verification.
        if not actor.is_reviewer:
            raise PermissionDenied(_("Only the network's reviewers invite support organisations."), code="not_reviewer")
        if not legal_name.strip():
            raise field_error(
                "legal_name", "required_for_support_invitation", _("Name the support organisation to create.")
            )
        organization, role = None, Role.ADMIN
        pending = Invitation.objects.filter(kind=kind, email=email, legal_name=legal_name)
    else:
        if not actor.is_org_admin:
            raise PermissionDenied(_("Only an administrator can invite members."), code="not_admin")
        organization = acting
        _check_role_fits(role, organization)
        if Membership.objects.filter(organization=organization, user__email__iexact=email).exists():
            raise Conflict(_("This person is already a member of the organisation."), code="already_member")
        pending = Invitation.objects.filter(kind=kind, email=email, organization=organization)
    now = timezone.now()
    if pending.filter(accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now).exists():
        raise Conflict(
            _("An invitation to this address is still pending: revoke it before sending another."),
            code="invitation_pending",
        )
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        kind=kind,
        organization=organization,
        invited_by=actor.user,
        invited_by_organization=acting,
        email=email,
        role=role,
        legal_name=legal_name.strip(),
        country=country,
        message=message,
        token_hash=_hash_token(token),
        expires_at=now + settings.INVITATION_TTL,
    )
    audit_record(
        action="accounts.invitation.created",
        actor=actor,
        subject_organization=organization or acting,
        target=invitation,
        data={"kind": kind, "email": email, "role": role, "legal_name": invitation.legal_name},
    )
    return IssuedInvitation(
        invitation=invitation, token=token, language=translation.get_language() or settings.LANGUAGE_CODE
    )


@transaction.atomic
def invitation_resend(*, actor: Actor, invitation: Invitation) -> IssuedInvitation:
    """Issue a new token (the old one stops working) and a new expiry, for an invitation whose e-mail was
    lost or never sent. The inviting organisation's admins, the network's reviewers and staff may."""
    if not (
        actor.is_staff
        or actor.is_reviewer
        or (actor.is_org_admin and actor.organization_id == invitation.invited_by_organization_id)
    ):
        raise PermissionDenied(_("Only an administrator can resend invitations."), code="not_admin")
    token = secrets.token_urlsafe(32)
    expires_at = timezone.now() + settings.INVITATION_TTL
    reissued = Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True).update(
        token_hash=_hash_token(token), expires_at=expires_at
    )
    if not reissued:
        invitation.refresh_from_db()
        if invitation.revoked_at is not None:
            raise Conflict(_("This invitation was revoked."), code="invitation_revoked")
        raise Conflict(_("This invitation was already used."), code="invitation_already_used")
    invitation.refresh_from_db()
    audit_record(
        action="accounts.invitation.resent",
        actor=actor,
        subject_organization=invitation.organization or invitation.invited_by_organization,
        target=invitation,
        data={"email": invitation.email, "expires_at": expires_at},
    )
    return IssuedInvitation(
        invitation=invitation, token=token, language=translation.get_language() or settings.LANGUAGE_CODE
    )


@transaction.atomic
def invitation_revoke(*, actor: Actor, invitation: Invitation) -> Invitation:
    if invitation.revoked_at is not None:
        return invitation
    if not (actor.is_org_admin or actor.is_reviewer or actor.is_staff):
        raise PermissionDenied(_("Only an administrator can revoke invitations."), code="not_admin")
    now = timezone.now()
    updated = Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True).update(
        revoked_at=now
    )
    if not updated:
        raise Conflict(_("This invitation was already accepted."), code="invitation_already_used")
    invitation.revoked_at = now
    audit_record(
        action="accounts.invitation.revoked",
        actor=actor,
        subject_organization=invitation.organization or invitation.invited_by_organization,
        target=invitation,
        data={"email": invitation.email},
    )
    return invitation


@dataclass(frozen=True)
class AcceptResult:
    user: User
    membership: Membership
    created_user: bool


def _refuse_unusable(invitation: Invitation | None) -> None:
    if invitation is None:
        raise BadRequest(_("This invitation token is not valid."), code="invitation_invalid")
    if invitation.accepted_at is not None:
        raise Conflict(_("This invitation was already used."), code="invitation_already_used")
    if invitation.revoked_at is not None:
        raise Conflict(_("This invitation was revoked."), code="invitation_revoked")
    if invitation.expires_at <= timezone.now():
        raise Conflict(_("This invitation has expired: ask for a new one."), code="invitation_expired")


@transaction.atomic
def invitation_accept(
    *, token: str, password: str, full_name: str = "", preferred_language: str = "es"
) -> AcceptResult:
    """Use an invitation once: create the account (or confirm an existing one by its password) and join."""
    invitation = Invitation.objects.select_related("organization").filter(token_hash=_hash_token(token)).first()
    _refuse_unusable(invitation)
    assert invitation is not None
    now = timezone.now()
    claimed = Invitation.objects.filter(
        pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now
    ).update(accepted_at=now)
    if not claimed:  # used, revoked or expired by a concurrent request
        invitation.refresh_from_db()
        _refuse_unusable(invitation)
    user = User.objects.filter(email__iexact=invitation.email).first()
    created_user = user is None
    if user is None:
        if not full_name.strip():
            raise field_error("full_name", "required_for_new_account", _("Tell us your full name."))
        try:
            password_validation.validate_password(password, User(email=invitation.email, full_name=full_name))
        except DjangoValidationError as exc:
            raise field_error("password", "weak_password", " ".join(exc.messages)) from None
        user = User.objects.create_user(
            email=invitation.email,
            password=password,
            full_name=full_name.strip(),
            preferred_language=preferred_language,
        )
    elif not user.check_password(password):
        raise field_error(
            "password", "wrong_password", _("This e-mail address already has an account: enter its password.")
        )
    organization = invitation.organization
    if invitation.kind in Invitation.CREATES:
        organization = Organization.objects.create(
            kind=Invitation.CREATES[invitation.kind],
            legal_name=invitation.legal_name,
            country=invitation.country or "PE",
            contact_email=invitation.email,
        )
    assert organization is not None
    if Membership.objects.filter(user=user, organization=organization).exists():
        raise Conflict(_("You are already a member of this organisation."), code="already_member")
    membership = Membership.objects.create(user=user, organization=organization, role=invitation.role)
    Invitation.objects.filter(pk=invitation.pk).update(accepted_by=user)
    audit_record(
        action="accounts.invitation.accepted",
        actor=user,
        actor_organization=organization,
        target=invitation,
        data={
            "email": invitation.email,
            "kind": invitation.kind,
            "organization": str(organization.pk),
            "membership": str(membership.pk),
            "role": invitation.role,
            "created_user": created_user,
        },
    )
    recipients = [invitation.invited_by, *organization_admins(organization_id=organization.pk).exclude(pk=user.pk)]
    notify(
        recipients=recipients,
        kind="invitation_accepted",
        params={
            "email": invitation.email,
            "organization": organization.legal_name,
            "role": invitation.role,
        },
        organization=organization,
        target=membership,
    )
    return AcceptResult(user=user, membership=membership, created_user=created_user)
