"""factory_boy factories for producers, their mining sites and their member roster.

`ProducerFactory()` is a draft cooperative whose RUC is its organisation's; `ProducerFactory(individual=True)`
is a woman miner with a RUC starting 10 that embeds her DNI; `verified=True` makes it visible in the directory.
`SiteFactory(lon=..., lat=...)` is a Point in Huepetuhe unless told otherwise.
"""

from __future__ import annotations

import itertools
from typing import Any

import factory
from django.utils import timezone

from producers.models import LegalKind, MemberMiner, Producer, Site, Verification
from tests.factories import OrganizationFactory, make_ruc

_dni_serial = itertools.count(41000000)


def _ruc_for(producer: Any) -> str:
    """A woman miner gets a fresh RUC starting 10; an organisation keeps the RUC it was created with."""
    if producer.legal_kind == LegalKind.INDIVIDUAL:
        return make_ruc("10")
    return str(producer.organization.tax_id)


class ProducerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Producer

    class Params:
        individual = factory.Trait(legal_kind=LegalKind.INDIVIDUAL, legal_category="PMA")
        verified = factory.Trait(
            verification_status=Verification.VERIFIED, verified_at=factory.LazyFunction(timezone.now)
        )

    organization = factory.SubFactory(OrganizationFactory)
    legal_kind = LegalKind.COOPERATIVE
    legal_category = "REINFO"
    ruc = factory.LazyAttribute(_ruc_for)
    dni = factory.LazyAttribute(lambda o: o.ruc[2:10] if o.legal_kind == LegalKind.INDIVIDUAL else "")
    holder_sex = factory.LazyAttribute(lambda o: "female" if o.legal_kind == LegalKind.INDIVIDUAL else "")
    reinfo_code = factory.Sequence(lambda n: f"REINFO-MDD-2024-{n:04d}")
    district = "huepetuhe"
    contact_phone = "+51 982 000 111"
    description_es = "Mineras de oro aluvial sin mercurio."
    description_en = "Alluvial gold miners working without mercury."
    verification_status = Verification.DRAFT


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site

    class Params:
        lon = -70.5123
        lat = -12.9876
        approved = factory.Trait(status=Site.Status.APPROVED)
        rejected = factory.Trait(status=Site.Status.REJECTED, review_reason="Fuera del corredor minero.")

    producer = factory.SubFactory(ProducerFactory)
    name = factory.Sequence(lambda n: f"Playa Huepetuhe {n}")
    concession_code = factory.Sequence(lambda n: f"0102{n:05d}")
    district = "huepetuhe"
    geometry = factory.LazyAttribute(lambda o: {"type": "Point", "coordinates": [o.lon, o.lat]})
    latitude = factory.SelfAttribute("lat")
    longitude = factory.SelfAttribute("lon")
    status = Site.Status.PENDING


class MemberMinerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MemberMiner

    producer = factory.SubFactory(ProducerFactory)
    full_name = factory.Faker("name", locale="es_ES")
    dni = factory.LazyFunction(lambda: f"{next(_dni_serial):08d}")
    birth_year = 1982
    sex = "female"
    role = MemberMiner.Role.MEMBER
    active = True
