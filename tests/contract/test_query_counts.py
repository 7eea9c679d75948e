"""Every list endpoint runs the same number of queries whatever the number of rows (docs/architecture.md, conventions).

Each case lists with a few rows, adds ten more, lists again and compares. Every row has its own related
objects (another user, another organisation), so an N+1 on a relation shows as a difference.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from accounts.models import Organization, Role
from accounts.services import token_issue
from audit.services import audit_record
from compliance.models import Claim, Evidence, EvidenceBasis, EvidenceFile, EvidenceType, Requirement
from compliance.standing import standings_refresh
from core import clock
from core.uploads import CheckedFile, check_upload, store
from diligence.models import PackConsent, RedFlag, RedFlagAnswer, RedFlagAttachment
from jobs.models import Job, JobState
from listings.models import Listing, ListingClaim, ListingPrice, SourcingRequest
from listings.search_index import listings_changed
from marketplace.demo_files import make_test_pdf
from notifications.services import notify
from prices.models import CertificationTerms, ExchangeRate, MetalPrice
from producers.models import MemberMiner, Producer, Site, Verification
from provenance.models import AssayCertificate, CustodyEvent, Lot, LotSource
from tests.factories import (
    BuyerOrganizationFactory,
    DelegationFactory,
    InvitationFactory,
    ListingFactory,
    MembershipFactory,
    OrganizationFactory,
    make_ruc,
)
from trade.models import (
    Contract,
    ContractCharge,
    ContractShipment,
    ContractVersion,
    Inquiry,
    InquiryMessage,
    SettlementTerms,
)
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent

pytestmark = pytest.mark.django_db

FEW, MORE = 2, 12


_serial = itertools.count()


def add_organizations(coop: Organization, count: int) -> None:
    for _ in range(count):
        factory = BuyerOrganizationFactory if next(_serial) % 2 else OrganizationFactory
        MembershipFactory(organization=factory(), role=Role.ADMIN)


def add_members(coop: Organization, count: int) -> None:
    for _ in range(count):
        MembershipFactory(organization=coop, role=Role.MEMBER)


def add_invitations(coop: Organization, count: int) -> None:
    for _ in range(count):
        inviter = MembershipFactory(organization=coop, role=Role.ADMIN).user
        InvitationFactory(organization=coop, invited_by=inviter, invited_by_organization=coop)


def add_delegations(coop: Organization, count: int) -> None:
    """Delegations coop granted, each to an officer of another support organisation."""
    for _ in range(count):
        DelegationFactory(organization=coop)


def add_delegations_to(officer: Any) -> Callable[[Organization, int], None]:
    """Delegations from several producers to the same field officer."""

    def add(coop: Organization, count: int) -> None:
        for _ in range(count):
            DelegationFactory(officer=officer.user, support_organization=officer.organization)

    return add


def add_tokens_for(user: Any) -> Callable[[Organization, int], None]:
    """More devices signed in as the same person (each row has its own token to read the expiry from)."""

    def add(coop: Organization, count: int) -> None:
        for n in range(count):
            token_issue(user=user, device_name=f"Device {n}")

    return add


def add_notifications_for(recipient: Any) -> Callable[[Organization, int], None]:
    def add(coop: Organization, count: int) -> None:
        for _ in range(count):
            organization = OrganizationFactory()
            membership = MembershipFactory(organization=organization, role=Role.ADMIN)
            notify(
                recipients=[recipient],
                kind="membership_role_changed",
                params={"organization": organization.legal_name, "role": "Administrator"},
                organization=organization,
                target=membership,
            )

    return add


def add_audit_events(coop: Organization, count: int) -> None:
    """Events about coop, each done by another person acting for another organisation."""
    for _ in range(count):
        membership = MembershipFactory(organization=BuyerOrganizationFactory(), role=Role.ADMIN)
        audit_record(
            action="accounts.organization.updated",
            actor=membership.user,
            actor_organization=membership.organization,
            subject_organization=coop,
            target=coop,
            data={"website": f"https://example.test/{membership.pk}"},
        )


@functools.cache
def checked_pdf() -> CheckedFile:
    upload = SimpleUploadedFile("constancia.pdf", make_test_pdf("Constancia"), content_type="application/pdf")
    return check_upload(upload, max_bytes=settings.EVIDENCE_MAX_FILE_BYTES, max_pixels=settings.IMAGE_MAX_PIXELS)


_producer_serial = itertools.count()


def make_producer(organization: Organization, status: str = Verification.VERIFIED) -> Producer:
    """A producer; every other one is an individual woman miner, who falls under another policy."""
    individual = next(_producer_serial) % 2 == 0
    ruc = make_ruc("10" if individual else "20")
    return Producer.objects.create(
        organization=organization,
        legal_kind="individual" if individual else "cooperative",
        legal_category="PMA" if individual else "REINFO",
        ruc=ruc,
        dni=ruc[2:10] if individual else "",
        holder_sex="female" if individual else "",
        district="huepetuhe",
        verification_status=status,
        verified_at=timezone.now() if status == Verification.VERIFIED else None,
    )


def add_site(producer: Producer, status: str = Site.Status.APPROVED) -> Site:
    return Site.objects.create(
        producer=producer,
        name=f"Playa {next(_serial)}",
        concession_code=f"0102{next(_serial):05d}",
        district="inambari",
        geometry={"type": "Point", "coordinates": [-70.31, -13.05]},
        latitude=-13.05,
        longitude=-70.31,
        status=status,
    )


def add_member_miner(producer: Producer, sex: str = "female") -> MemberMiner:
    return MemberMiner.objects.create(
        producer=producer,
        full_name=f"Socia {next(_serial)}",
        dni=f"{40000000 + next(_serial)}",
        birth_year=1980,
        sex=sex,
    )


def add_evidence(organization: Organization, submitter: Any, site: Site | None = None, **fields: Any) -> Evidence:
    """A submitted item with two stored files; a site document (Ficha de ubicación) when a site is given."""
    evidence = Evidence.objects.create(
        organization=organization,
        evidence_type_id="SITE_GEO" if site else "TAX_RUC",
        site=site,
        document_number=f"DOC-{next(_serial)}",
        issue_date=clock.today_lima() - dt.timedelta(days=3),
        submitted_by=submitter,
        **fields,
    )
    checked = checked_pdf()
    for position in (1, 2):
        EvidenceFile.objects.create(
            evidence=evidence,
            position=position,
            file=store(checked, storage=storages["evidence"], prefix=str(organization.pk)),
            sha256=checked.sha256,
            size=checked.size,
            content_type=checked.content_type,
            original_name=checked.original_name,
        )
    return evidence


def coop_producer(coop: Organization) -> Producer:
    """coop's verified producer profile (so the public sees its approved sites), made on first use."""
    producer = Producer.objects.filter(pk=coop.pk).first()
    if producer is None:
        producer = Producer.objects.create(
            organization=coop,
            legal_kind="cooperative",
            legal_category="REINFO",
            ruc=make_ruc("20"),
            district="huepetuhe",
            verification_status=Verification.VERIFIED,
            verified_at=timezone.now(),
        )
    return producer


def add_producers(coop: Organization, count: int) -> None:
    """Verified producers, each its own organisation with an admin, a roster, a site and approved evidence."""
    for _ in range(count):
        admin = MembershipFactory(organization=OrganizationFactory(), role=Role.ADMIN)
        producer = make_producer(admin.organization)
        add_member_miner(producer, "female")
        add_member_miner(producer, "male")
        site = add_site(producer)
        add_evidence(
            admin.organization, admin.user, status="approved", valid_until=clock.today_lima() + dt.timedelta(days=20)
        )
        add_evidence(admin.organization, admin.user, site=site)


def add_sites(coop: Organization, count: int) -> None:
    producer = coop_producer(coop)
    for _ in range(count):
        add_site(producer)


def add_sites_of_other_producers(coop: Organization, count: int) -> None:
    for _ in range(count):
        admin = MembershipFactory(organization=OrganizationFactory(), role=Role.ADMIN)
        add_site(make_producer(admin.organization))


def add_roster(coop: Organization, count: int) -> None:
    producer = coop_producer(coop)
    for index in range(count):
        add_member_miner(producer, "female" if index % 3 else "male")


def add_queue(coop: Organization, count: int) -> None:
    """Evidence of other organisations, each submitted by its own admin; every other one about a site."""
    for index in range(count):
        admin = MembershipFactory(organization=OrganizationFactory(), role=Role.ADMIN)
        site = add_site(make_producer(admin.organization), Site.Status.PENDING) if index % 2 else None
        add_evidence(admin.organization, admin.user, site=site)


def add_own_evidence(coop: Organization, count: int) -> None:
    """coop's evidence, each submitted by another of its admins; every other one about another of its sites."""
    producer = coop_producer(coop)
    for index in range(count):
        submitter = MembershipFactory(organization=coop, role=Role.ADMIN).user
        add_evidence(coop, submitter, site=add_site(producer) if index % 2 else None)


def _listing(producer: Producer, site: Site, status: str, **fields: Any) -> Listing:
    listing = ListingFactory(producer=producer, sites=[site], title_es="Doré sin mercurio", status=status, **fields)
    ListingClaim.objects.create(listing=listing, claim_id="women_led")
    listings_changed(listing_ids=[listing.pk])  # what the services do: its search row, with the claim
    return listing


def add_visible_listings(coop: Organization, count: int) -> None:
    """Published listings of compliant, verified producers (individuals and organisations): each its own
    organisation, every requirement of both policies met by an approved item (the member register counting
    more women than men, which backs the women-led claim as the woman miner's identity does), an approved site
    (the items of site-specific types name it)."""
    policy = (
        Requirement.objects.filter(policies__subject__in=["organization", "individual"])
        .distinct()
        .prefetch_related("evidence_types")
    )
    for _ in range(count):
        admin = MembershipFactory(organization=OrganizationFactory(), role=Role.ADMIN)
        producer = make_producer(admin.organization)
        add_member_miner(producer, "female")
        site = add_site(producer)
        Evidence.objects.bulk_create(
            Evidence(
                organization=admin.organization,
                evidence_type=evidence_type,
                site=site if evidence_type.site_specific else None,
                issue_date=clock.today_lima(),
                submitted_by=admin.user,
                status="approved",
                valid_until=clock.today_lima() + dt.timedelta(days=200),
                attributes={"women": 1, "men": 0} if evidence_type.code == "ORG_MEMBERS" else {},
            )
            for requirement in policy
            for evidence_type in [requirement.evidence_types.first()]
        )
        standings_refresh(organization_ids=[admin.organization.pk])  # what the approving service does
        _listing(producer, site, "published")


def add_own_listings(coop: Organization, count: int) -> None:
    producer = coop_producer(coop)
    for _ in range(count):
        _listing(producer, add_site(producer), "draft")


def coop_listing(coop: Organization) -> Listing:
    """coop's published listing, made on first use."""
    producer = coop_producer(coop)
    listing = Listing.objects.filter(producer=producer).first()
    if listing is None:
        listing = _listing(producer, add_site(producer), "published")
    return listing


def add_jobs(coop: Organization, count: int) -> None:
    """Jobs of the queue, failed and done."""
    for number in range(count):
        Job.objects.create(
            name="jobs.prune",
            state=JobState.FAILED if number % 2 else JobState.DONE,
            max_attempts=3,
            run_after=timezone.now(),
        )


def coop_webhook_endpoint(coop: Organization) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.filter(organization=coop).first()
    if endpoint is None:
        endpoint = WebhookEndpoint.objects.create(
            organization=coop,
            url="https://93.184.216.34/hooks",
            event_types=["contract.accepted"],
            created_by=MembershipFactory(organization=coop, role=Role.ADMIN).user,
        )
    return endpoint


def add_webhook_endpoints(coop: Organization, count: int) -> None:
    admin = MembershipFactory(organization=coop, role=Role.ADMIN).user
    for number in range(count):
        WebhookEndpoint.objects.create(
            organization=coop, url=f"https://93.184.216.34/{number}", event_types=["deposit.state"], created_by=admin
        )


def add_webhook_deliveries(coop: Organization, count: int) -> None:
    """Deliveries to coop's endpoint, each with two attempts."""
    endpoint = coop_webhook_endpoint(coop)
    for number in range(count):
        event = WebhookEvent.objects.create(
            type="contract.accepted",
            organization=coop,
            payload={"id": str(number)},
            audit_seq=10_000 + WebhookEvent.objects.count(),
        )
        delivery = WebhookDelivery.objects.create(event=event, endpoint=endpoint)
        for status in (500, 200):
            WebhookAttempt.objects.create(delivery=delivery, at=timezone.now(), status_code=status, latency_ms=5)


def add_price_versions(coop: Organization, count: int) -> None:
    """Versions of the price of coop's listing, each written by another admin of coop."""
    listing = coop_listing(coop)
    last = ListingPrice.objects.filter(listing=listing).count()
    for number in range(last + 1, last + count + 1):
        admin = MembershipFactory(organization=coop, role=Role.ADMIN).user
        ListingPrice.objects.create(
            listing=listing,
            number=number,
            price_basis="fixed",
            price_per_fine_gram_minor=8000 + number,
            premium_currency="PEN" if number % 2 else "USD",
            created_by=admin,
        )


def add_sourcing_requests(coop: Organization, count: int) -> None:
    """Open requests, each of its own buyer organisation."""
    today = clock.today_lima()
    for _ in range(count):
        buyer = MembershipFactory(organization=BuyerOrganizationFactory(), role=Role.ADMIN)
        SourcingRequest.objects.create(
            buyer=buyer.organization,
            created_by=buyer.user,
            title="1 kg",
            grams=Decimal("1000"),
            min_fineness=Decimal("900"),
            delivery_from=today,
            delivery_until=today + dt.timedelta(days=30),
        )


def _inquiry(buyer: Organization, producer: Producer, listing: Listing | None, asker: Any) -> Inquiry:
    inquiry = Inquiry.objects.create(
        buyer=buyer, producer=producer, listing=listing, opened_by="buyer", grams=Decimal("100"), created_by=asker
    )
    InquiryMessage.objects.create(inquiry=inquiry, author=asker, side="buyer", body="¿Hay oro?")
    return inquiry


def add_inquiries_for(buyer: Organization) -> Callable[[Organization, int], None]:
    """Inquiries of `buyer`, each to its own producer, about that producer's listing, by another person."""

    def add(coop: Organization, count: int) -> None:
        for _ in range(count):
            admin = MembershipFactory(organization=OrganizationFactory(), role=Role.ADMIN)
            producer = make_producer(admin.organization)
            asker = MembershipFactory(organization=buyer, role=Role.MEMBER).user
            _inquiry(buyer, producer, _listing(producer, add_site(producer), "published"), asker)

    return add


def add_lot(producer: Producer, site: Site) -> Lot:
    """A lot from `site` recorded by a new member of its producer, with a fire assay and a custody event by
    another new member: every row has its own people."""
    recorder = MembershipFactory(organization=producer.organization, role=Role.MEMBER).user
    sealer = MembershipFactory(organization=producer.organization, role=Role.MEMBER).user
    month = (clock.today_lima().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    lot = Lot.objects.create(
        producer=producer,
        code=f"L-{next(_serial)}",
        form="dore",
        gross_grams=Decimal("100"),
        declared_fineness=Decimal("920"),
        production_from=month,
        production_to=month,
        processing_methods=["shaking_table"],
        recorded_by=recorder,
    )
    LotSource.objects.create(lot=lot, site=site, month=month, grams=Decimal("100"))
    for seq, kind, user in ((1, "recorded", recorder), (2, "sealed", sealer)):
        CustodyEvent.objects.create(
            lot=lot, seq=seq, kind=kind, occurred_at=timezone.now(), organization_id=producer.pk, user=user
        )
    AssayCertificate.objects.create(
        lot=lot,
        position=1,
        laboratory="Laboratorio Regional",
        method="fire_assay",
        au_per_mille=Decimal("921.4"),
        ag_per_mille=Decimal("61.2"),
        certificate_number=f"LR-{lot.code}",
        assayed_on=month,
        recorded_by=sealer,
    )
    return lot


def add_own_lots(coop: Organization, count: int) -> None:
    producer = coop_producer(coop)
    for _ in range(count):
        add_lot(producer, add_site(producer))


def add_others_lots(coop: Organization, count: int) -> None:
    for _ in range(count):
        admin = MembershipFactory(organization=OrganizationFactory(), role=Role.ADMIN)
        producer = make_producer(admin.organization)
        add_lot(producer, add_site(producer))


def add_counterparties_lots(buyer: Organization) -> Callable[[Organization, int], None]:
    """Lots of producers `buyer` has an inquiry with, each its own producer."""

    def add(coop: Organization, count: int) -> None:
        for _ in range(count):
            admin = MembershipFactory(organization=OrganizationFactory(), role=Role.ADMIN)
            producer = make_producer(admin.organization)
            site = add_site(producer)
            asker = MembershipFactory(organization=buyer, role=Role.MEMBER).user
            _inquiry(buyer, producer, _listing(producer, site, "published"), asker)
            add_lot(producer, site)

    return add


def add_sites_seen_by(buyer: Organization) -> Callable[[Organization, int], None]:
    """coop's sites, listed by a buyer with an inquiry with coop (who sees their exact geometry)."""

    def add(coop: Organization, count: int) -> None:
        producer = coop_producer(coop)
        if not Inquiry.objects.filter(buyer=buyer, producer=producer).exists():
            asker = MembershipFactory(organization=buyer, role=Role.MEMBER).user
            _inquiry(buyer, producer, _listing(producer, add_site(producer), "published"), asker)
        for _ in range(count):
            add_site(producer)

    return add


def coop_inquiry(coop: Organization) -> Inquiry:
    """An inquiry to coop from its own buyer organisation, made on first use."""
    inquiry = Inquiry.objects.filter(producer_id=coop.pk).first()
    if inquiry is None:
        buyer = MembershipFactory(organization=BuyerOrganizationFactory(), role=Role.ADMIN)
        inquiry = _inquiry(buyer.organization, coop_producer(coop), None, buyer.user)
    return inquiry


def add_messages(coop: Organization, count: int) -> None:
    """Messages in coop's inquiry, each by another member of coop."""
    inquiry = coop_inquiry(coop)
    for _ in range(count):
        author = MembershipFactory(organization=coop, role=Role.MEMBER).user
        InquiryMessage.objects.create(inquiry=inquiry, author=author, side="producer", body="Sí, hay.")


def add_contracts(coop: Organization, count: int) -> None:
    """Contracts of coop, each with another buyer, with two versions proposed by different people; each
    version with its settlement terms (under a certified standard's figures), a charge and two shipments,
    one of them with a lot."""
    producer = coop_producer(coop)
    site = add_site(producer)
    if not coop.memberships.exists():
        MembershipFactory(organization=coop, role=Role.ADMIN)
    listing = _listing(producer, site, "published")
    for _ in range(count):
        buyer = MembershipFactory(organization=BuyerOrganizationFactory(), role=Role.ADMIN)
        inquiry = _inquiry(buyer.organization, producer, listing, buyer.user)
        contract = Contract.objects.create(
            inquiry=inquiry, buyer=buyer.organization, producer=producer, listing=listing, created_by=buyer.user
        )
        for number, (side, person, organization) in enumerate(
            [
                ("buyer", buyer.user, buyer.organization),
                ("producer", MembershipFactory(organization=coop, role=Role.ADMIN).user, coop),
            ],
            start=1,
        ):
            version = ContractVersion.objects.create(
                contract=contract,
                number=number,
                side=side,
                proposed_by=person,
                proposed_by_organization=organization,
                quantity_grams=Decimal("50"),
                fineness=Decimal("920"),
                price_basis="fixed",
                price_per_fine_gram_minor=9800,
                incoterm="FCA",
                incoterm_place="Puerto Maldonado",
                delivery_date=clock.today_lima() + dt.timedelta(days=30),
                deposit_amount_minor=10000,
                origin_site=site,
            )
            add_settlement_parts(version, producer, site)


def add_settlement_parts(version: ContractVersion, producer: Producer, site: Site) -> None:
    SettlementTerms.objects.create(
        version=version,
        fixing_rule="after_receipt",
        gold_payable_bp=9950,
        splitting_limit=Decimal("0.5"),
        umpire_laboratory="SGS del Perú",
        certification=CertificationTerms.objects.filter(claim_id="fairmined").first(),
    )
    ContractCharge.objects.create(
        version=version, position=1, label="Refining", kind="per_lot", amount_minor=12000, currency="USD"
    )
    for number in (1, 2):
        shipment = ContractShipment.objects.create(
            version=version,
            number=number,
            quantity_grams=Decimal("25"),
            delivery_date=version.delivery_date,
            incoterm="FCA",
            incoterm_place="Puerto Maldonado",
        )
        if number == 1:
            shipment.lots.set([add_lot(producer, site)])


def add_evidence_types(coop: Organization, count: int) -> None:
    """Types of evidence, each with a norm that asks for it and a requirement that backs a claim."""
    claim = Claim.objects.get(code="craft")
    for _ in range(count):
        n = next(_serial)
        evidence_type = EvidenceType.objects.create(
            code=f"TEST_TYPE_{n}",
            name_es="Tipo",
            name_en="Type",
            area="ohs",
            validity="deadline",
            deadline_code="formalization",
        )
        EvidenceBasis.objects.create(evidence_type=evidence_type, citation="Ley 29783")
        requirement = Requirement.objects.create(code=f"TEST_REQ_{n}", name_es="R", name_en="R", area="ohs")
        requirement.evidence_types.add(evidence_type)
        claim.requirements.add(requirement)


def _flag(organization: Organization, site: Site | None) -> None:
    """A flag against the organisation (or its site) by another reviewer, answered by another member, with a
    file of each side."""
    network = Organization.objects.filter(kind=Organization.Kind.NETWORK).first()
    network = network or OrganizationFactory(kind=Organization.Kind.NETWORK, tax_id="")
    reviewer = MembershipFactory(organization=network, role=Role.REVIEWER)
    member = MembershipFactory(organization=organization, role=Role.MEMBER).user
    flag = RedFlag.objects.create(
        subject_kind="site" if site else ("producer" if organization.kind == "producer" else "buyer"),
        organization=organization,
        site=site,
        category_id="protected_area",
        severity="medium",
        facts="Overlaps the reserve.",
        opened_by=reviewer.user,
    )
    answer = RedFlagAnswer.objects.create(flag=flag, text="We stopped.", answered_by=member)
    checked = checked_pdf()
    for position, (side, by, of) in enumerate([("network", reviewer.user, None), ("producer", member, answer)], 1):
        RedFlagAttachment.objects.create(
            flag=flag,
            position=position,
            answer=of,
            side=side,
            file=store(checked, storage=storages["evidence"], prefix="red-flags"),
            sha256=checked.sha256,
            size=checked.size,
            content_type=checked.content_type,
            original_name=checked.original_name,
            uploaded_by=by,
        )


def add_own_flags(coop: Organization, count: int) -> None:
    producer = coop_producer(coop)
    for index in range(count):
        _flag(coop, add_site(producer) if index % 2 else None)


def add_others_flags(coop: Organization, count: int) -> None:
    for index in range(count):
        organization = (BuyerOrganizationFactory if index % 3 == 0 else OrganizationFactory)()
        site = add_site(make_producer(organization)) if index % 3 == 1 else None
        _flag(organization, site)


def _pack_request(buyer: Organization, producer: Organization, status: str) -> None:
    """A request of `buyer` for `producer`'s pack, by another member, decided by another admin."""
    asker = MembershipFactory(organization=buyer, role=Role.MEMBER).user
    admin = MembershipFactory(organization=producer, role=Role.ADMIN).user
    PackConsent.objects.create(
        buyer=buyer,
        producer=producer,
        status=status,
        basis_kind="inquiry",
        basis_id=uuid.uuid4(),
        requested_by=asker,
        requested_at=timezone.now(),
        decided_by=admin if status != "requested" else None,
        decided_at=timezone.now() if status != "requested" else None,
    )


def add_pack_requests_to(coop: Organization, count: int) -> None:
    """Requests addressed to coop, from other buyers, some decided."""
    for index in range(count):
        _pack_request(BuyerOrganizationFactory(), coop, ("requested", "granted", "declined")[index % 3])


def add_pack_requests_of(buyer: Organization) -> Callable[[Organization, int], None]:
    def add(coop: Organization, count: int) -> None:
        for index in range(count):
            _pack_request(buyer, make_producer(OrganizationFactory()).organization, ("requested", "revoked")[index % 2])

    return add


_price_day = itertools.count(1)


def add_fixes(coop: Organization, count: int) -> None:
    """Fixes of days gone by, each second row the correction of the first (the list shows the row each replaces
    and is replaced by)."""
    old = None
    for index in range(count):
        if old is None:
            day = clock.today_lima() - dt.timedelta(days=next(_price_day))
            old = MetalPrice.objects.create(
                benchmark="lbma_gold_pm", date=day, usd_per_troy_ounce_milli=4_000_000 + index, source="LBMA"
            )
            continue
        MetalPrice.objects.filter(pk=old.pk).update(current=False)
        MetalPrice.objects.create(
            benchmark="lbma_gold_pm",
            date=old.date,
            usd_per_troy_ounce_milli=4_000_500 + index,
            source="LBMA",
            replaces=old,
            correction_reason="Slip.",
        )
        old = None


def add_rates(coop: Organization, count: int) -> None:
    for index in range(count):
        day = clock.today_lima() - dt.timedelta(days=next(_price_day))
        ExchangeRate.objects.create(date=day, rate_micro=3_450_000 + index, source="SBS")


def add_certification_terms(coop: Organization, count: int) -> None:
    claims = ("fairmined", "fairmined_ecological", "fairtrade", "fairtrade_ecological")
    for index in range(count):
        CertificationTerms.objects.create(
            claim_id=claims[index % 4],
            valid_from=clock.today_lima() + dt.timedelta(days=next(_price_day)),
            minimum_price_bp=9500,
            premium_rule="per_kg_fine",
            premium_per_kg_fine_minor=400_000 + index,
            premium_currency="USD",
            source="A revision of the standard",
            source_date=clock.today_lima(),
        )


@dataclass(frozen=True)
class ListCase:
    path: str  # the schema's path template
    role: str  # the fixture of the actor that lists
    add_rows: Callable[[Any, Organization], Callable[[Organization, int], None]]  # (actor, coop) → adder
    query: str = ""
    id_of: Callable[[Any, Organization], Any] | None = None  # (actor, coop) → the {id}; coop's listing if None

    def url(self, coop: Organization, actor: Any = None) -> str:
        ids = {"organization_pk": coop.pk, "producer_pk": coop.pk}
        if "{inquiry_pk}" in self.path:
            ids["inquiry_pk"] = coop_inquiry(coop).pk
        if "{id}" in self.path:
            ids["id"] = self.id_of(actor, coop) if self.id_of else coop_listing(coop).pk
        return self.path.format(**ids) + self.query


def own_sourcing_request(actor: Any, coop: Organization) -> Any:
    """A request of the actor's buyer organisation that every visible listing of `add_visible_listings` matches."""
    today = clock.today_lima()
    return SourcingRequest.objects.create(
        buyer=actor.organization,
        created_by=actor.user,
        title="1 kg",
        grams=Decimal("1000"),
        min_fineness=Decimal("900"),
        claims=["women_led"],
        incoterm="FCA",
        max_price_per_fine_gram_minor=9000,
        delivery_from=today,
        delivery_until=today + dt.timedelta(days=30),
    ).pk


LIST_CASES = [
    ListCase("/api/v1/organizations/", "reviewer", lambda actor, coop: add_organizations),
    ListCase("/api/v1/organizations/", "staff", lambda actor, coop: add_organizations),
    ListCase("/api/v1/organizations/{organization_pk}/members/", "producer_admin", lambda actor, coop: add_members),
    ListCase("/api/v1/invitations/", "producer_admin", lambda actor, coop: add_invitations),
    ListCase("/api/v1/delegations/", "producer_admin", lambda actor, coop: add_delegations),
    ListCase("/api/v1/delegations/", "officer", lambda actor, coop: add_delegations_to(actor)),
    ListCase("/api/v1/auth/tokens/", "buyer_member", lambda actor, coop: add_tokens_for(actor.user)),
    ListCase("/api/v1/notifications/", "producer_member", lambda actor, coop: add_notifications_for(actor.user)),
    ListCase("/api/v1/audit-events/", "reviewer", lambda actor, coop: add_audit_events),
    ListCase("/api/v1/audit-events/", "staff", lambda actor, coop: add_audit_events),
    ListCase("/api/v1/audit-events/", "producer_admin", lambda actor, coop: add_audit_events),
    ListCase("/api/v1/producers/", "anon", lambda actor, coop: add_producers),
    ListCase("/api/v1/producers/", "reviewer", lambda actor, coop: add_producers),
    ListCase("/api/v1/producers/{producer_pk}/sites/", "producer_admin", lambda actor, coop: add_sites),
    ListCase("/api/v1/producers/{producer_pk}/sites/", "anon", lambda actor, coop: add_sites),
    ListCase("/api/v1/producers/{producer_pk}/members/", "producer_admin", lambda actor, coop: add_roster),
    ListCase("/api/v1/sites/", "reviewer", lambda actor, coop: add_sites_of_other_producers),
    ListCase("/api/v1/evidence-types/", "anon", lambda actor, coop: add_evidence_types, "?page_size=100"),
    ListCase("/api/v1/evidence/", "reviewer", lambda actor, coop: add_queue),
    ListCase("/api/v1/evidence/", "producer_admin", lambda actor, coop: add_own_evidence),
    ListCase("/api/v1/listings/", "anon", lambda actor, coop: add_visible_listings),
    ListCase("/api/v1/sourcing-requests/", "producer_admin", lambda actor, coop: add_sourcing_requests),
    ListCase(
        "/api/v1/sourcing-requests/{id}/matches/",
        "buyer",
        lambda actor, coop: add_visible_listings,
        id_of=own_sourcing_request,
    ),
    ListCase("/api/v1/listings/", "producer_admin", lambda actor, coop: add_own_listings, "?mine=true"),
    ListCase("/api/v1/listings/{id}/prices/", "producer_admin", lambda actor, coop: add_price_versions),
    ListCase("/api/v1/inquiries/", "buyer", lambda actor, coop: add_inquiries_for(actor.organization)),
    ListCase("/api/v1/inquiries/{inquiry_pk}/messages/", "producer_member", lambda actor, coop: add_messages),
    ListCase("/api/v1/contracts/", "producer_admin", lambda actor, coop: add_contracts),
    ListCase("/api/v1/contracts/", "staff", lambda actor, coop: add_contracts),
    ListCase("/api/v1/lots/", "producer_admin", lambda actor, coop: add_own_lots),
    ListCase("/api/v1/lots/", "reviewer", lambda actor, coop: add_others_lots),
    ListCase("/api/v1/lots/", "buyer", lambda actor, coop: add_counterparties_lots(actor.organization)),
    ListCase("/api/v1/red-flags/", "reviewer", lambda actor, coop: add_others_flags),
    ListCase("/api/v1/red-flags/", "producer_member", lambda actor, coop: add_own_flags),
    ListCase("/api/v1/pack-requests/", "producer_admin", lambda actor, coop: add_pack_requests_to),
    ListCase("/api/v1/pack-requests/", "buyer", lambda actor, coop: add_pack_requests_of(actor.organization)),
    ListCase(
        "/api/v1/producers/{producer_pk}/sites/", "buyer", lambda actor, coop: add_sites_seen_by(actor.organization)
    ),
    ListCase("/api/v1/prices/fixes/", "anon", lambda actor, coop: add_fixes, "?include_replaced=true&page_size=100"),
    ListCase("/api/v1/prices/rates/", "anon", lambda actor, coop: add_rates, "?page_size=100"),
    ListCase(
        "/api/v1/prices/certification-terms/", "anon", lambda actor, coop: add_certification_terms, "?page_size=100"
    ),
    ListCase("/api/v1/jobs/", "staff", lambda actor, coop: add_jobs, "?page_size=100"),
    ListCase("/api/v1/webhook-endpoints/", "producer_admin", lambda actor, coop: add_webhook_endpoints),
    ListCase("/api/v1/webhook-endpoints/", "staff", lambda actor, coop: add_webhook_endpoints),
    ListCase(
        "/api/v1/webhook-endpoints/{id}/deliveries/",
        "producer_admin",
        lambda actor, coop: add_webhook_deliveries,
        id_of=lambda actor, coop: coop_webhook_endpoint(coop).pk,
    ),
]


@functools.cache
def paginated_list_paths() -> frozenset[str]:
    """GET operations whose success body is a paginated list, from the generated schema."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    paths = set()
    for path, operations in schema["paths"].items():
        get = operations.get("get")
        if get is None:
            continue
        body = get["responses"].get("200", {}).get("content", {}).get("application/json", {})
        if body.get("schema", {}).get("$ref", "").startswith("#/components/schemas/Paginated"):
            paths.add(path)
    return frozenset(paths)


def measure(actor: Any, url: str, rows_key: str = "results") -> tuple[int, int]:
    """(queries run, rows returned) for one GET."""
    with CaptureQueriesContext(connection) as queries:
        response = actor.get(url)
    assert response.status_code == 200, response.content
    return len(queries.captured_queries), len(response.json()[rows_key])


def test_every_list_endpoint_has_a_query_count_case():
    assert {case.path for case in LIST_CASES} == paginated_list_paths()


@pytest.mark.parametrize("case", LIST_CASES, ids=[f"{case.path} as {case.role}" for case in LIST_CASES])
def test_a_list_runs_the_same_queries_for_2_and_12_rows(case, request, coop):
    actor = request.getfixturevalue(case.role)
    add_rows = case.add_rows(actor, coop)
    url = case.url(coop, actor)
    add_rows(coop, FEW)
    few_queries, few_rows = measure(actor, url)

    add_rows(coop, MORE - FEW)
    more_queries, more_rows = measure(actor, url)

    assert few_rows >= FEW
    assert more_rows == few_rows + MORE - FEW
    assert more_queries == few_queries, (
        f"{few_rows} rows: {few_queries} queries, {more_rows} rows: {more_queries} queries"
    )


def test_me_runs_the_same_queries_for_1_and_4_memberships(producer_admin):
    one_queries, one_membership = measure(producer_admin, "/api/v1/me/", rows_key="memberships")

    for factory in (OrganizationFactory, BuyerOrganizationFactory, OrganizationFactory):
        MembershipFactory(user=producer_admin.user, organization=factory(), role=Role.MEMBER)
    four_queries, four_memberships = measure(producer_admin, "/api/v1/me/", rows_key="memberships")

    assert (one_membership, four_memberships) == (1, 4)
    assert four_queries == one_queries


def test_the_requirement_catalogue_runs_the_same_queries_for_more_requirements(anon):
    """The catalogue is not paginated (it is short and public), so it is measured here, over its whole length."""

    def measure_catalogue() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            response = anon.get("/api/v1/requirements/")
        assert response.status_code == 200, response.content
        return len(queries.captured_queries), len(response.json())

    seeded_queries, seeded_rows = measure_catalogue()

    for index in range(3):
        requirement = Requirement.objects.create(
            code=f"TEST_REQUIREMENT_{index}", name_es="Requisito de prueba", name_en="Test requirement", area="ohs"
        )
        for kind in ("A", "B"):
            requirement.evidence_types.add(
                EvidenceType.objects.create(
                    code=f"TEST_TYPE_{index}_{kind}",
                    name_es="Tipo de prueba",
                    name_en="Test type",
                    area="ohs",
                    validity=EvidenceType.Validity.NO_EXPIRY,
                )
            )
    more_queries, more_rows = measure_catalogue()

    assert more_rows == seeded_rows + 3
    assert more_queries == seeded_queries
