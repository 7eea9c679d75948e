"""Reads of accounts data, already scoped to the caller: what they may not see does not exist (404)."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from accounts.models import Invitation, Membership, Organization, TokenDevice, User
from core import clock
from core.actor import Actor
from core.errors import NotFound


def memberships_of_user(*, user: User) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user).select_related("organization").order_by("created_at")


def user_with_memberships(*, user_id: Any) -> User:
    memberships = Membership.objects.select_related("organization").order_by("created_at")
    return User.objects.prefetch_related(Prefetch("memberships", queryset=memberships)).get(pk=user_id)


def organizations_for(*, actor: Actor) -> QuerySet[Organization]:
    """Reviewers and staff see every organisation; everybody else sees only the ones they belong to."""
    if actor.is_staff or actor.is_reviewer:
        return Organization.objects.all()
    return Organization.objects.filter(memberships__user=actor.user).distinct()


def organization_get(*, actor: Actor, organization_id: Any) -> Organization:
    organization = organizations_for(actor=actor).filter(pk=organization_id).first()
    if organization is None:
        raise NotFound()
    return organization


def buyer_get(*, actor: Actor, organization_id: Any) -> Organization:
    """A buyer organisation the caller may see (its KYC): any other organisation, or none, is 404."""
    organization = organization_get(actor=actor, organization_id=organization_id)
    if organization.kind != Organization.Kind.BUYER:
        raise NotFound()
    return organization


def members_of(*, organization: Organization) -> QuerySet[Membership]:
    return Membership.objects.filter(organization=organization).select_related("user").order_by("created_at")


def member_get(*, organization: Organization, membership_id: Any) -> Membership:
    membership = members_of(organization=organization).filter(pk=membership_id).first()
    if membership is None:
        raise NotFound()
    return membership


def invitations_for(*, actor: Actor) -> QuerySet[Invitation]:
    """The invitations an organisation sent. Staff see all."""
    invitations = Invitation.objects.select_related("organization", "invited_by")
    if actor.is_staff and actor.organization_id is None:
        return invitations
    return invitations.filter(invited_by_organization_id=actor.organization_id)


def organization_admins(*, organization_id: Any) -> QuerySet[User]:
    return User.objects.filter(memberships__organization_id=organization_id, memberships__role="admin", is_active=True)


def is_member(*, user: Any, organization_id: Any) -> bool:
    return Membership.objects.filter(user=user, organization_id=organization_id).exists()


def acting_organization(actor: Actor) -> Organization | None:
    """The organisation the request acts for, or None for staff acting for none."""
    return Organization.objects.filter(pk=actor.organization_id).first() if actor.organization_id else None


def tokens_of(*, user: User) -> QuerySet[TokenDevice]:
    """The user's tokens that still work (one row per device signed in), with each token's expiry."""
    live = Q(token__expiry__isnull=True) | Q(token__expiry__gt=clock.now())
    return TokenDevice.objects.filter(live, token__user=user).select_related("token")


def token_get(*, user: User, token_id: Any) -> TokenDevice:
    """One of the user's live tokens by its id; another person's, an expired or a revoked one is 404."""
    device = tokens_of(user=user).filter(pk=token_id).first()
    if device is None:
        raise NotFound()
    return device
