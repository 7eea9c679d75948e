"""Demo producers, sites, rosters and evidence, made through the services so the audit trail is real.

- The Huepetuhe cooperative: verified, every requirement met, mercury_free and fairmined claims, and one
  item in each other state (submitted, in review, rejected, changes requested and its replacement, revoked).
- The Candelaria association: verified but missing a requirement (no OHS training record), and asked to
  complete its mercury-free process evidence.
- Rosa Quispe, an individual woman miner: verified and compliant, but her REINFO record lapses within a week.
- The Huepetuhe cooperative also has its owners declaration (OWNERS_DECL) approved.
- The Peruvian exporter: KYC verified by a reviewer (valid 12 months from the seed, by the KYC policy); the
  Swiss refiner: KYC not started.
Dates are relative to the day the seed runs, so the demo tells the same story whenever it is loaded.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Membership, Organization, User
from compliance import kyc
from compliance import services as compliance
from compliance.models import Evidence, EvidenceType
from core import clock
from core.actor import Actor
from core.uploads import CheckedFile, check_upload
from marketplace.demo_files import make_test_image, make_test_pdf
from producers import services as producers
from producers.models import MemberMiner, Producer, Site

HUEPETUHE = {
    "type": "Polygon",
    "coordinates": [[[-70.52, -12.99], [-70.50, -12.99], [-70.50, -12.97], [-70.52, -12.97], [-70.52, -12.99]]],
}
LABERINTO = {"type": "Point", "coordinates": [-69.59, -12.71]}
TAMBOPATA = {"type": "Point", "coordinates": [-69.35, -12.83]}

# The environmental instrument is the approved certification: an IGAFOM counts only until the formalization
# deadline in force (31 December 2025, D.S. 012-2025-EM, until a decree moves it), so it is no longer approved.
BASELINE = [
    "TAX_RUC",
    "REINFO",
    "MINING_RIGHT",
    "SITE_GEO",
    "ENV_CERT",
    "NO_CHILD_DECL",
    "OHS_TRAINING",
    "PPE_RECORD",
    "HG_DECL",
]
PHOTO_TYPES = {"PPE_RECORD", "HG_FREE_PROCESS", "CLOSURE_EVID"}


def actor_for(user: User, organization: Organization) -> Actor:
    membership = Membership.objects.get(user=user, organization=organization)
    return Actor(user=user, organization_id=organization.pk, organization_kind=organization.kind, role=membership.role)


def _file(code: str, n: int = 1) -> CheckedFile:
    if code in PHOTO_TYPES:
        content, name = make_test_image("JPEG", (480, 320)), f"{code.lower()}-{n}.jpg"
    else:
        content, name = make_test_pdf(f"{code} demo document {n}"), f"{code.lower()}-{n}.pdf"
    return check_upload(SimpleUploadedFile(name, content), max_bytes=10_000_000, max_pixels=40_000_000)


class DemoCompliance:
    def __init__(self, reviewer: Actor, second_reviewer: Actor) -> None:
        self.reviewer, self.second = reviewer, second_reviewer
        self.today = clock.today_lima()
        self.created = 0

    # --- producers ----------------------------------------------------------------------------------
    def producer(self, admin: Actor, organization: Organization, **profile: Any) -> Producer:
        existing = Producer.objects.filter(pk=organization.pk).first()
        if existing:
            return existing
        self.created += 1
        return producers.producer_create(actor=admin, **profile)

    def site(self, admin: Actor, producer: Producer, **fields: Any) -> Site:
        existing = Site.objects.filter(producer=producer, concession_code=fields["concession_code"]).first()
        if existing:
            return existing
        self.created += 1
        return producers.site_create(actor=admin, producer=producer, **fields)

    def roster(self, admin: Actor, producer: Producer, women: int, men: int, first_dni: int) -> None:
        if MemberMiner.objects.filter(producer=producer).exists():
            return
        for i in range(women + men):
            producers.member_miner_add(
                actor=admin,
                producer=producer,
                full_name=f"{'Socia' if i < women else 'Socio'} {i + 1}",
                dni=str(first_dni + i),
                birth_year=1970 + (i * 7) % 35,
                sex="female" if i < women else "male",
                role="pallaquera" if i % 6 == 0 else "member",
            )
        self.created += 1

    def verify(self, admin: Actor, producer: Producer, sites: list[Site]) -> None:
        if producer.verification_status == "verified":
            return
        producers.producer_transition(actor=admin, producer=producer, move="submit")
        producers.producer_transition(
            actor=self.reviewer,
            producer=producer,
            move="verify",
            reason="RUC activo y habido; sitio dentro del corredor minero.",
        )
        for site in sites:
            producers.site_review(actor=self.reviewer, site=site, move="approve")

    # --- evidence -----------------------------------------------------------------------------------
    def evidence(
        self,
        owner: Actor,
        code: str,
        *,
        number: str,
        issued_days_ago: int = 20,
        expiry_in_days: int | None = None,
        site: Site | None = None,
        outcome: str = "approve",
        reason: str = "",
        attributes: dict[str, Any] | None = None,
        supersedes: Evidence | None = None,
        production: list[dict[str, str]] | None = None,
    ) -> Evidence:
        assert owner.organization_id is not None
        existing = Evidence.objects.filter(
            organization_id=owner.organization_id, evidence_type_id=code, document_number=number
        ).first()
        if existing:
            return existing
        self.created += 1
        evidence_type = EvidenceType.objects.get(pk=code)
        expiry = self.today + dt.timedelta(days=expiry_in_days) if expiry_in_days is not None else None
        if evidence_type.validity == EvidenceType.Validity.DOCUMENT_EXPIRY and expiry is None:
            expiry = self.today + dt.timedelta(days=300)
        item = compliance.evidence_submit(
            actor=owner,
            evidence_type=evidence_type,
            files=[_file(code)],
            document_number=number,
            issue_date=self.today - dt.timedelta(days=issued_days_ago),
            expiry_date=expiry,
            site=site if evidence_type.site_specific else None,  # site-specific items name their site
            attributes=attributes or {},
            supersedes=supersedes,
            issuer=evidence_type.issuer[:200],
            production=production,
        )
        if outcome == "submit":
            return item
        item = compliance.evidence_claim(actor=self.reviewer, evidence=item)
        if outcome == "claim":
            return item
        if outcome in ("reject", "request_changes"):
            return compliance.evidence_refuse(actor=self.reviewer, evidence=item, move=outcome, reason=reason)
        item = compliance.evidence_approve(actor=self.reviewer, evidence=item, confirmed_production=production)
        if evidence_type.needs_second_review:
            item = compliance.evidence_claim(actor=self.second, evidence=item)
            item = compliance.evidence_approve(actor=self.second, evidence=item)
        if outcome == "revoke":
            item = compliance.evidence_revoke(actor=self.reviewer, evidence=item, reason=reason)
        return item

    def production(self, grams_a_month: str) -> list[dict[str, str]]:
        """The last six months (this one included), the same grams each."""
        month = self.today.replace(day=1)
        months = []
        for _ in range(6):
            months.append({"month": f"{month:%Y-%m}", "grams": grams_a_month})
            month = (month - dt.timedelta(days=1)).replace(day=1)
        return months[::-1]

    def baseline(
        self, owner: Actor, site: Site, prefix: str, skip: tuple[str, ...] = (), reinfo_issued_days_ago: int = 12
    ) -> None:
        for code in BASELINE:
            if code in skip:
                continue
            days = reinfo_issued_days_ago if code == "REINFO" else 12
            self.evidence(
                owner,
                code,
                number=f"{prefix}-{code}",
                site=site,
                issued_days_ago=days,
                expiry_in_days=400 if code == "MINING_RIGHT" else None,
            )


def seed_compliance(orgs: dict[str, Organization], users: dict[str, User]) -> int:
    network = orgs["network"]
    demo = DemoCompliance(
        actor_for(users["reviewer@demo.test"], network), actor_for(users["network-admin@demo.test"], network)
    )

    # The Huepetuhe cooperative: the journey's cooperative, fully compliant.
    coop_admin = actor_for(users["coop-admin@demo.test"], orgs["coop"])
    coop = demo.producer(
        coop_admin,
        orgs["coop"],
        legal_kind="cooperative",
        legal_category="REINFO",
        ruc=orgs["coop"].tax_id,
        reinfo_code="REINFO-MDD-2024-0173",
        district="huepetuhe",
        description_es="Cooperativa de 27 mineras y mineros, 23 de ellas mujeres, que trabajan oro "
        "aluvial con mesa vibratoria y fundición con bórax, sin mercurio.",
        description_en="A cooperative of 27 miners, 23 of them women, working alluvial gold with a "
        "shaking table and borax smelting, without mercury.",
    )
    coop_site = demo.site(
        coop_admin,
        coop,
        name="Playa Huepetuhe Alto",
        concession_code="010203405",
        district="huepetuhe",
        geometry=HUEPETUHE,
    )
    demo.roster(coop_admin, coop, women=23, men=4, first_dni=40100000)
    demo.verify(coop_admin, coop, [coop_site])
    demo.baseline(coop_admin, coop_site, "HUE")
    for code in ("ORG_SUNARP", "HG_FREE_PROCESS", "SITE_VISIT"):
        demo.evidence(coop_admin, code, number=f"HUE-{code}", site=coop_site)
    demo.evidence(coop_admin, "ORG_MEMBERS", number="HUE-ORG_MEMBERS", attributes={"women": 23, "men": 4})
    # Its owners as a reviewer confirmed them (not required by the policy yet): nobody holds 10 %, so the
    # declaration names the two members who control it, and a politically exposed relative.
    demo.evidence(
        coop_admin,
        "OWNERS_DECL",
        number="HUE-OWNERS-2026",
        attributes={
            "owners": [
                {
                    "name": "Socia 1",
                    "document_type": "DNI",
                    "document_number": "40100000",
                    "share_percent": "3.70",
                    "pep": False,
                },
                {
                    "name": "Socia 2",
                    "document_type": "DNI",
                    "document_number": "40100001",
                    "share_percent": "3.70",
                    "pep": False,
                },
            ],
            "peps": [
                {
                    "name": "Julio Huamán Ccori",
                    "position": "Regidor de la Municipalidad Distrital de Huepetuhe",
                    "relation": "Esposo de la socia 2",
                }
            ],
        },
    )
    demo.evidence(
        coop_admin, "CERT_FAIRMINED", number="FM-PE-0042", expiry_in_days=240, attributes={"ecological": False}
    )
    # One item in each other state.
    demo.evidence(coop_admin, "CRAFT_REPORT", number="HUE-CRAFT-2026", outcome="submit")
    demo.evidence(
        coop_admin,
        "PROD_DECL",
        number="HUE-PROD-2026-S2",
        site=coop_site,
        attributes={"fine_grams": "2500.000"},
        production=demo.production("2100.000"),
    )
    demo.evidence(coop_admin, "LOT_ASSAY", number="HUE-LOTE-17", outcome="claim")
    demo.evidence(
        coop_admin,
        "CERT_FAIRTRADE",
        number="FT-DRAFT",
        outcome="reject",
        reason="El certificado corresponde a otra organización: revise el FLO ID.",
    )
    blurry = demo.evidence(
        coop_admin,
        "CLOSURE_EVID",
        number="HUE-CIERRE-1",
        site=coop_site,
        outcome="request_changes",
        reason="Las fotos del área rehabilitada no tienen coordenadas: súbalas georreferenciadas.",
    )
    demo.evidence(
        coop_admin, "CLOSURE_EVID", number="HUE-CIERRE-2", site=coop_site, outcome="submit", supersedes=blurry
    )
    demo.evidence(
        coop_admin,
        "VIGENCIA_PAY",
        number="HUE-VIG-OLD",
        outcome="revoke",
        reason="El comprobante no corresponde a la concesión 010203405.",
    )

    # The Candelaria association: verified, but no OHS training record.
    assoc_admin = actor_for(users["candelaria-admin@demo.test"], orgs["association"])
    assoc = demo.producer(
        assoc_admin,
        orgs["association"],
        legal_kind="association",
        legal_category="PMA",
        ruc=orgs["association"].tax_id,
        reinfo_code="REINFO-MDD-2023-0911",
        district="laberinto",
        description_es="Asociación de pallaqueras y mineras artesanales de Laberinto.",
        description_en="An association of women ore sorters and artisanal miners in Laberinto.",
    )
    assoc_site = demo.site(
        assoc_admin,
        assoc,
        name="Quebrada Candelaria",
        concession_code="070809112",
        district="laberinto",
        geometry=LABERINTO,
    )
    demo.roster(assoc_admin, assoc, women=9, men=3, first_dni=40200000)
    demo.verify(assoc_admin, assoc, [assoc_site])
    demo.baseline(assoc_admin, assoc_site, "CAN", skip=("OHS_TRAINING",))
    demo.evidence(assoc_admin, "ORG_SUNARP", number="CAN-ORG_SUNARP")
    demo.evidence(assoc_admin, "ORG_MEMBERS", number="CAN-ORG_MEMBERS", attributes={"women": 9, "men": 3})
    demo.evidence(
        assoc_admin,
        "PROD_DECL",
        number="CAN-PROD-2026-S2",
        site=assoc_site,
        attributes={"fine_grams": "1200.000"},
        production=demo.production("220.000"),
    )
    demo.evidence(
        assoc_admin,
        "HG_FREE_PROCESS",
        number="CAN-HG-1",
        site=assoc_site,
        outcome="request_changes",
        reason="Falta la foto de la fundición con bórax y la factura de la canaleta.",
    )

    # Rosa Quispe: an individual woman miner whose REINFO record lapses within a week.
    miner_admin = actor_for(users["miner@demo.test"], orgs["miner"])
    miner = demo.producer(
        miner_admin,
        orgs["miner"],
        legal_kind="individual",
        legal_category="PMA",
        ruc=orgs["miner"].tax_id,
        dni=orgs["miner"].tax_id[2:10],
        holder_sex="female",
        reinfo_code="REINFO-MDD-2022-0458",
        district="tambopata",
        description_es="Minera artesanal de Tambopata; lavado con canaleta y centrífuga.",
        description_en="An artisanal woman miner in Tambopata; sluice and centrifuge.",
    )
    miner_site = demo.site(
        miner_admin, miner, name="Lote Rosa", concession_code="030405667", district="tambopata", geometry=TAMBOPATA
    )
    demo.verify(miner_admin, miner, [miner_site])
    demo.baseline(miner_admin, miner_site, "RQM", reinfo_issued_days_ago=25)
    demo.evidence(miner_admin, "ID_DNI", number="DNI-45278123", expiry_in_days=1500)
    demo.evidence(
        miner_admin,
        "PROD_DECL",
        number="RQM-PROD-2026-S2",
        site=miner_site,
        attributes={"fine_grams": "300.000"},
        production=demo.production("300.000"),
    )

    # The Peruvian exporter: KYC verified by a reviewer, through the same machinery.
    exporter_admin = actor_for(users["buyer2@demo.test"], orgs["exporter"])
    for code in ("KYC_COMPANY_REG", "KYC_UBO", "KYC_SANCTIONS", "KYC_DD_POLICY"):
        demo.evidence(exporter_admin, code, number=f"EXP-{code}", issued_days_ago=5)
    exporter = Organization.objects.get(pk=orgs["exporter"].pk)
    if exporter.kyc_status == "unverified":
        kyc.kyc_transition(actor=exporter_admin, organization=exporter, move="submit")
        kyc.kyc_transition(actor=demo.reviewer, organization=exporter, move="verify")
    return demo.created
