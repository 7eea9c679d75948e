"""States of the matrix's world that several contract tests need (the world itself is built in
test_permission_matrix.py)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from accounts.models import Organization, User
from compliance.models import Requirement
from compliance.standing import standings_refresh
from core import clock
from listings.models import Listing
from listings.search_index import listings_changed
from producers.models import Site
from tests.contract.test_permission_matrix import World
from tests.factories import EvidenceFactory


def approve_every_requirement(organization: Organization, subjects: list[str], submitted_by: User) -> None:
    """An approved item, valid for 200 days, for every requirement of these subjects' policies (for a type
    granted per site, one item naming each of the organisation's sites). The member register counts more
    women than men, so the women-led claim holds too."""
    today = clock.today_lima()
    requirements = Requirement.objects.filter(policies__subject__in=subjects).distinct()
    sites = list(Site.objects.filter(producer_id=organization.pk))
    for requirement in requirements.prefetch_related("evidence_types"):
        evidence_type = requirement.evidence_types.first()
        for site in sites if evidence_type.site_specific else [None]:
            EvidenceFactory(
                organization=organization,
                evidence_type=evidence_type,
                site=site,
                issue_date=today,
                submitted_by=submitted_by,
                approved=True,
                attributes={"women": 3, "men": 1} if evidence_type.code == "ORG_MEMBERS" else {},
            )
    standings_refresh(organization_ids=[organization.pk])


def offer_the_listing(world: World) -> None:
    """coop compliant today and its listing published: buyers see it, ask about it and sign for it."""
    approve_every_requirement(world.coop, ["organization", "individual"], world.coop_admin)
    Listing.objects.filter(pk=world.listing.pk).update(status="published", published_at=timezone.now())
    listings_changed(listing_ids=[world.listing.pk])  # what the publishing service does: its search row


def verify_buyer(world: World) -> None:
    buyer_admin = world.actors["buyer_admin"].user
    assert buyer_admin is not None
    approve_every_requirement(world.buyer_org, ["buyer"], buyer_admin)
    Organization.objects.filter(pk=world.buyer_org.pk).update(
        kyc_status=Organization.KycStatus.VERIFIED,
        kyc_verified_at=timezone.now(),
        kyc_valid_until=clock.today_lima() + dt.timedelta(days=365),
    )
