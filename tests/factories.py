"""factory_boy factories: accounts, and the rows tests build below the API (listings, evidence, inquiries,
contracts and their versions, deposits). Producers, sites and member miners are in tests/producers/factories.py.

A row's person defaults to the first member of the organisation it belongs to (an admin is made when there is
none); a listing is a 100 g draft of doré at 920, an evidence item a submitted RUC record, a contract version the
producer's proposal of 100 g at LBMA PM minus 2 % with a 10 % deposit.
"""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from decimal import Decimal
from typing import Any

import factory
from django.utils import timezone

from accounts.models import Delegation, Invitation, Membership, Organization, Role, User
from compliance.models import Evidence, EvidenceType
from core import clock
from core.validators import ruc_check_digit
from listings.models import Listing
from listings.search_index import listings_changed
from trade.models import Contract, ContractVersion, Deposit, Inquiry

PASSWORD = "oro-limpio-2026"
_ruc_serial = itertools.count(1000000)


def make_ruc(prefix: str = "20") -> str:
    first_ten = f"{prefix}{next(_ruc_serial):08d}"
    return first_ten + str(ruc_check_digit(first_ten))


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.test")
    full_name = factory.Faker("name", locale="es_ES")
    preferred_language = "es"
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(self, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            self.save()


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    kind = Organization.Kind.PRODUCER
    legal_name = factory.Sequence(lambda n: f"Cooperativa Minera {n}")
    country = "PE"
    tax_id = factory.LazyFunction(make_ruc)


class BuyerOrganizationFactory(OrganizationFactory):
    kind = Organization.Kind.BUYER
    legal_name = factory.Sequence(lambda n: f"Refinería {n} SA")
    country = "CH"
    tax_id = factory.Sequence(lambda n: f"CHE-100.000.{n:03d}")
    buyer_type = Organization.BuyerType.REFINER
    kyc_status = Organization.KycStatus.UNVERIFIED
    # A verified buyer carries the validity its verification granted (a year from today here).
    kyc_valid_until = factory.LazyAttribute(
        lambda o: (
            clock.today_lima() + dt.timedelta(days=365) if o.kyc_status == Organization.KycStatus.VERIFIED else None
        )
    )


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)
    role = Role.MEMBER


class InvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invitation

    kind = Invitation.Kind.MEMBER
    email = factory.Sequence(lambda n: f"invitee{n}@example.test")
    role = Role.MEMBER
    token_hash = factory.Sequence(lambda n: f"{n:064x}")
    expires_at = factory.LazyFunction(lambda: timezone.now() + timezone.timedelta(days=7))


class SupportOrganizationFactory(OrganizationFactory):
    kind = Organization.Kind.SUPPORT
    legal_name = factory.Sequence(lambda n: f"Asociación de Apoyo {n}")
    tax_id = ""


class DelegationFactory(factory.django.DjangoModelFactory):
    """An active delegation of evidence and sites from `organization` (a producer) to `officer`, who is made a
    member of `support_organization` (a new support organisation unless given)."""

    class Meta:
        model = Delegation

    organization = factory.SubFactory(OrganizationFactory)
    support_organization = factory.SubFactory(SupportOrganizationFactory)
    officer = factory.LazyAttribute(
        lambda o: MembershipFactory(organization=o.support_organization, role=Role.MEMBER).user
    )
    scope_evidence = True
    scope_sites = True
    granted_by = factory.LazyAttribute(lambda o: member_of(o.organization))
    granted_at = factory.LazyFunction(timezone.now)


def member_of(organization: Organization) -> User:
    """The organisation's first member; an admin is made when it has none."""
    membership = organization.memberships.first() or MembershipFactory(organization=organization, role=Role.ADMIN)
    return membership.user


def _site_of(producer: Any) -> Any:
    from tests.producers.factories import SiteFactory

    return producer.sites.first() or SiteFactory(producer=producer, approved=True)


class ListingFactory(factory.django.DjangoModelFactory):
    """`ListingFactory(producer=..., sites=[site])`; `published=True` for a published one."""

    class Meta:
        model = Listing
        skip_postgeneration_save = True

    class Params:
        published = factory.Trait(status="published", published_at=factory.LazyFunction(timezone.now))

    producer = factory.SubFactory("tests.producers.factories.ProducerFactory")
    form = "dore"
    quantity_grams = Decimal("100")
    available_grams = factory.SelfAttribute("quantity_grams")
    monthly_capacity_grams = factory.SelfAttribute("quantity_grams")  # forward, all of it in any month
    min_order_grams = Decimal("10")
    fineness = Decimal("920")
    fineness_basis = "xrf"
    price_basis = "lbma_pm"
    lbma_adjustment_bp = -200
    incoterm = "FCA"
    incoterm_place = "Puerto Maldonado"
    valid_from = factory.LazyFunction(clock.today_lima)
    valid_until = factory.LazyAttribute(lambda o: o.valid_from + dt.timedelta(days=30))
    title_es = factory.Sequence(lambda n: f"Lote {n}")
    status = "draft"
    created_by = factory.LazyAttribute(lambda o: member_of(o.producer.organization))

    @factory.post_generation
    def sites(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create and extracted:
            self.sites.set(extracted)
        if create:  # what the services do when they write a listing: its search row (listings.search_index)
            listings_changed(listing_ids=[self.pk])


class EvidenceFactory(factory.django.DjangoModelFactory):
    """A row without files (compliance helpers store a real PDF when a test needs one): `type_code="SITE_GEO"` or
    `evidence_type=...` for another type, `approved=True` for an item approved today and valid for 200 days."""

    class Meta:
        model = Evidence

    class Params:
        type_code = "TAX_RUC"
        approved = factory.Trait(
            status="approved",
            decided_at=factory.LazyFunction(timezone.now),
            valid_until=factory.LazyFunction(lambda: clock.today_lima() + dt.timedelta(days=200)),
        )

    organization = factory.SubFactory(OrganizationFactory)
    evidence_type = factory.LazyAttribute(lambda o: EvidenceType.objects.get(pk=o.type_code))
    issue_date = factory.LazyFunction(lambda: clock.today_lima() - dt.timedelta(days=10))
    status = "submitted"
    submitted_by = factory.LazyAttribute(lambda o: member_of(o.organization))


class InquiryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Inquiry

    buyer = factory.SubFactory(BuyerOrganizationFactory)
    producer = factory.SubFactory("tests.producers.factories.ProducerFactory")
    listing = factory.SubFactory(ListingFactory, producer=factory.SelfAttribute("..producer"), published=True)
    opened_by = "buyer"
    grams = Decimal("100")
    created_by = factory.LazyAttribute(lambda o: member_of(o.buyer))


class ContractFactory(factory.django.DjangoModelFactory):
    """A negotiating contract from an inquiry, between the inquiry's two organisations."""

    class Meta:
        model = Contract

    inquiry = factory.SubFactory(InquiryFactory)
    buyer = factory.SelfAttribute("inquiry.buyer")
    producer = factory.SelfAttribute("inquiry.producer")
    listing = factory.SelfAttribute("inquiry.listing")
    created_by = factory.SelfAttribute("inquiry.created_by")


class ContractVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContractVersion

    contract = factory.SubFactory(ContractFactory)
    number = 1
    side = "producer"
    proposed_by_organization = factory.LazyAttribute(
        lambda o: o.contract.producer.organization if o.side == "producer" else o.contract.buyer
    )
    proposed_by = factory.LazyAttribute(lambda o: member_of(o.proposed_by_organization))
    quantity_grams = Decimal("100")
    fineness = Decimal("920")
    price_basis = "lbma_pm"
    lbma_adjustment_bp = -200
    incoterm = "FCA"
    incoterm_place = "Puerto Maldonado"
    delivery_date = factory.LazyFunction(lambda: clock.today_lima() + dt.timedelta(days=30))
    deposit_percent_bp = 1000
    origin_site = factory.LazyAttribute(lambda o: _site_of(o.contract.producer))


class DepositFactory(factory.django.DjangoModelFactory):
    """A deposit waiting for payment, with no PaymentIntent yet."""

    class Meta:
        model = Deposit

    id = factory.LazyFunction(uuid.uuid4)
    contract = factory.SubFactory(ContractFactory)
    amount_minor = 100000
    currency = "USD"
    idempotency_key = factory.LazyAttribute(lambda o: f"deposit:{o.id}:create")
    created_by = factory.LazyAttribute(lambda o: member_of(o.contract.buyer))
