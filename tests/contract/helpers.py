"""States of the matrix's world that several contract tests need (the world itself is built in
test_permission_matrix.py)."""

from __future__ import annotations

from django.utils import timezone

from accounts.models import Organization, User
from compliance.models import Requirement
from compliance.standing import standings_refresh
from core import clock
from listings.models import Listing
from tests.contract.test_permission_matrix import World
from tests.factories import EvidenceFactory


def approve_every_requirement(organization: Organization, subjects: list[str], submitted_by: User) -> None:
    """An approved item, valid for 200 days, for every requirement of these subjects' policies."""
    today = clock.today_lima()
    requirements = Requirement.objects.filter(policies__subject__in=subjects).distinct()
    for requirement in requirements.prefetch_related("evidence_types"):
        EvidenceFactory(
            organization=organization,
            evidence_type=requirement.evidence_types.first(),
            issue_date=today,
            submitted_by=submitted_by,
            approved=True,
        )
    standings_refresh(organization_ids=[organization.pk])


def offer_the_listing(world: World) -> None:
    """coop compliant today and its listing published: buyers see it, ask about it and sign for it."""
    approve_every_requirement(world.coop, ["organization", "individual"], world.coop_admin)
    Listing.objects.filter(pk=world.listing.pk).update(status="published", published_at=timezone.now())


def verify_buyer(world: World) -> None:
    buyer_admin = world.actors["buyer_admin"].user
    assert buyer_admin is not None
    approve_every_requirement(world.buyer_org, ["buyer"], buyer_admin)
    Organization.objects.filter(pk=world.buyer_org.pk).update(kyc_status=Organization.KycStatus.VERIFIED)
