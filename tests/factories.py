"""factory_boy factories for the accounts models."""

from __future__ import annotations

import itertools

import factory
from django.utils import timezone

from accounts.models import Invitation, Membership, Organization, Role, User
from core.validators import ruc_check_digit

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
