"""Demo lots: the cooperative's L-0412 from last month (480 g of doré, fire-assayed, sealed, carried and
received at the refinery at 479.2 g) and the association's sponge lot with an XRF reading only. The
production declarations they draw on are seeded with the evidence (`demo_compliance.py`)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import Organization, User
from core import clock
from core.uploads import CheckedFile, check_upload
from marketplace.demo_compliance import actor_for
from marketplace.demo_files import make_test_pdf
from producers.models import Site
from provenance import services
from provenance.models import Lot


def _certificate(name: str) -> CheckedFile:
    upload = SimpleUploadedFile(name, make_test_pdf(f"Certificado de ensayo {name}"))
    return check_upload(upload, max_bytes=10_000_000, max_pixels=40_000_000)


def seed_provenance(orgs: dict[str, Organization], users: dict[str, User]) -> int:
    created = 0
    month = (clock.today_lima().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    coop_admin = actor_for(users["coop-admin@demo.test"], orgs["coop"])
    if not Lot.objects.filter(producer_id=orgs["coop"].pk, code="L-0412").exists():
        site = Site.objects.filter(producer_id=orgs["coop"].pk).order_by("created_at").first()
        assert site is not None
        lot = services.lot_record(
            actor=coop_admin,
            code="L-0412",
            form="dore",
            gross_grams=Decimal("480.000"),
            declared_fineness=Decimal("920.0"),
            production_from=month,
            production_to=month + dt.timedelta(days=14),
            processing_methods=["shaking_table", "borax_smelting"],
            sources=[{"site": site.pk, "grams": Decimal("480.000")}],
            seal_number="004417",
            place="Planta de beneficio, Huepetuhe",
        )
        services.assay_add(
            actor=coop_admin,
            lot=lot,
            laboratory="Laboratorio Regional de Madre de Dios",
            method="fire_assay",
            au_per_mille=Decimal("921.4"),
            ag_per_mille=Decimal("61.2"),
            certificate_number="LRMD-2026-0412",
            assayed_on=month + dt.timedelta(days=20),
            file=_certificate("LRMD-2026-0412.pdf"),
        )
        now = timezone.now()
        # Sealed at the plant and offered (demo_listings.py): the carrier and the refinery's receipt come
        # once a buyer signs for it.
        services.custody_record(
            actor=coop_admin,
            lot=lot,
            kind="sealed",
            occurred_at=now,
            place="Planta de beneficio, Huepetuhe",
            seal_number="004417",
        )
        created += 3
    assoc_admin = actor_for(users["candelaria-admin@demo.test"], orgs["association"])
    if not Lot.objects.filter(producer_id=orgs["association"].pk, code="CAN-07").exists():
        site = Site.objects.filter(producer_id=orgs["association"].pk).order_by("created_at").first()
        assert site is not None
        lot = services.lot_record(
            actor=assoc_admin,
            code="CAN-07",
            form="sponge",
            gross_grams=Decimal("150.000"),
            declared_fineness=Decimal("880.0"),
            production_from=month,
            production_to=month + dt.timedelta(days=27),
            processing_methods=["sluice", "centrifuge"],
            sources=[{"site": site.pk, "grams": Decimal("150.000")}],
        )
        services.assay_add(
            actor=assoc_admin,
            lot=lot,
            laboratory="Planta de la asociación",
            method="xrf",
            au_per_mille=Decimal("884.0"),
            ag_per_mille=Decimal("90.5"),
            certificate_number="XRF-CAN-07",
            assayed_on=month + dt.timedelta(days=28),
            file=_certificate("XRF-CAN-07.pdf"),
        )
        created += 2
    return created
