"""The data migration seeds the catalogue of docs/domain.md: evidence types, requirements, policy v1, claims."""

from __future__ import annotations

import importlib

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from compliance.models import Claim, EvidenceType, Policy, Requirement

pytestmark = pytest.mark.django_db

SEED_MODULE = "compliance.migrations.0002_seed_catalogue"

# The evidence catalogue (docs/domain.md), code -> Spanish name, copied here so the test does not trust the migration.
TABLE_ES = {
    "ID_DNI": "Documento Nacional de Identidad",
    "TAX_RUC": "Ficha RUC",
    "REINFO": "Constancia de inscripción en el REINFO",
    "START_AUTH": "Autorización de inicio de actividades de explotación",
    "MINING_RIGHT": "Título de concesión / contrato de explotación",
    "VIGENCIA_PAY": "Constancia de pago del derecho de vigencia",
    "PPM_PMA": "Constancia de PPM / PMA",
    "SITE_GEO": "Ficha de ubicación georreferenciada",
    "ANP_COMPAT": "Opinión de compatibilidad SERNANP",
    "IGAFOM": "IGAFOM (cargo o resolución)",
    "ENV_CERT": "Certificación ambiental aprobada",
    "CLOSURE_EVID": "Evidencia de cierre y rehabilitación",
    "ORG_SUNARP": "Partida registral y vigencia de poder",
    "ORG_MEMBERS": "Padrón de socios y trabajadores",
    "GRIEVANCE": "Mecanismo de quejas",
    "NO_CHILD_DECL": "Declaración jurada de no trabajo infantil",
    "OHS_PROG": "Programa de seguridad y salud ocupacional",
    "OHS_TRAINING": "Registro de capacitaciones en SSO",
    "PPE_RECORD": "Registro de entrega de EPP",
    "HG_DECL": "Declaración jurada sobre uso de mercurio",
    "HG_FREE_PROCESS": "Evidencia de proceso sin mercurio",
    "SITE_VISIT": "Informe de verificación de campo",
    "PROD_DECL": "Declaración semestral de producción",
    "CRAFT_REPORT": "Reporte CRAFT",
    "CERT_FAIRMINED": "Certificado Fairmined",
    "CERT_FAIRTRADE": "Certificado Fairtrade",
    "LOT_ASSAY": "Certificado de ensayo del lote",
    "LOT_ORIGIN": "Declaración de origen del lote",
    "OWNERS_DECL": "Declaración de beneficiarios finales y personas expuestas políticamente",  # migration 0009
}
BUYER_TYPES = {"KYC_COMPANY_REG", "KYC_UBO", "KYC_SANCTIONS", "KYC_DD_POLICY"}


def codes(queryset) -> set[str]:  # type: ignore[no-untyped-def]
    return set(queryset.values_list("code", flat=True))


def counts() -> dict[str, int]:
    return {
        "types": EvidenceType.objects.count(),
        "requirements": Requirement.objects.count(),
        "requirement_types": Requirement.evidence_types.through.objects.count(),
        "policies": Policy.objects.count(),
        "policy_requirements": Policy.requirements.through.objects.count(),
        "claims": Claim.objects.count(),
        "claim_requirements": Claim.requirements.through.objects.count(),
        "claim_implies": Claim.implies.through.objects.count(),
    }


def test_counts_of_evidence_types_by_subject() -> None:
    assert EvidenceType.objects.filter(subject=EvidenceType.Subject.PRODUCER).count() == 29
    assert codes(EvidenceType.objects.filter(subject=EvidenceType.Subject.BUYER)) == BUYER_TYPES
    assert set(EvidenceType.objects.filter(subject="buyer").values_list("area", flat=True)) == {"kyc"}


def test_every_code_of_the_table_is_present_with_its_spanish_name() -> None:
    seeded = dict(EvidenceType.objects.filter(subject="producer").values_list("code", "name_es"))
    assert seeded == TABLE_ES


def test_every_type_has_both_languages_and_reviewer_checks() -> None:
    fields = ("name_en", "name_es", "reviewer_checks_en", "reviewer_checks_es")
    empty = [(t.code, field) for t in EvidenceType.objects.all() for field in fields if not getattr(t, field)]
    assert empty == []
    untranslated = [t.code for t in EvidenceType.objects.all() if t.reviewer_checks_en == t.reviewer_checks_es]
    assert untranslated == []


def test_formalization_accepts_reinfo_or_start_authorisation() -> None:
    assert codes(Requirement.objects.get(code="FORMALIZATION").evidence_types.all()) == {"REINFO", "START_AUTH"}
    assert codes(Requirement.objects.get(code="ENVIRONMENTAL_INSTRUMENT").evidence_types.all()) == {
        "IGAFOM",
        "ENV_CERT",
    }


def test_every_requirement_has_instructions_in_both_languages() -> None:
    fields = ("name_en", "name_es", "what_to_do_en", "what_to_do_es")
    empty = [(r.code, field) for r in Requirement.objects.all() for field in fields if not getattr(r, field)]
    assert empty == []
    assert Requirement.objects.count() == 22  # BENEFICIAL_OWNERS (0009) is in no policy yet


def test_individual_policy_has_identity_and_organisation_policy_the_legal_entity() -> None:
    individual = codes(Policy.objects.get(subject="individual", version=1).requirements.all())
    organization = codes(Policy.objects.get(subject="organization", version=1).requirements.all())
    assert "IDENTITY" in individual
    assert "LEGAL_ENTITY" not in individual
    assert "MEMBER_REGISTER" not in individual
    assert {"LEGAL_ENTITY", "MEMBER_REGISTER"} <= organization
    assert "IDENTITY" not in organization
    core = {
        "TAX_RUC",
        "FORMALIZATION",
        "MINING_RIGHT",
        "SITE_GEO",
        "ENVIRONMENTAL_INSTRUMENT",
        "NO_CHILD_LABOUR",
        "OHS_TRAINING",
        "PPE",
        "MERCURY_DECLARATION",
    }
    assert individual == core | {"IDENTITY"}
    assert organization == core | {"LEGAL_ENTITY", "MEMBER_REGISTER"}


def test_buyer_policy_is_the_four_kyc_requirements() -> None:
    buyer = Policy.objects.get(subject="buyer", version=1)
    assert codes(buyer.requirements.all()) == {"KYC_COMPANY", "KYC_OWNERS", "KYC_SANCTIONS", "KYC_DUE_DILIGENCE"}
    assert str(buyer.effective_from) == "2025-01-01"
    assert "7" in buyer.notes


@pytest.mark.parametrize(
    ("code", "validity", "days"),
    [
        ("TAX_RUC", "days", 30),
        ("VIGENCIA_PAY", "calendar_year", None),
        ("START_AUTH", "no_expiry", None),
        ("CERT_FAIRMINED", "document_expiry", None),
        ("SITE_GEO", "until_changed", None),
        ("PROD_DECL", "days", 183),
        ("PPM_PMA", "days", 730),
        ("IGAFOM", "deadline", None),  # the formalization deadline in force (migration 0008)
        ("LOT_ASSAY", "per_lot", None),
        ("KYC_SANCTIONS", "days", 90),
        ("KYC_DD_POLICY", "days", 730),
    ],
)
def test_validity_mapping(code: str, validity: str, days: int | None) -> None:
    evidence_type = EvidenceType.objects.get(code=code)
    assert (evidence_type.validity, evidence_type.validity_days) == (validity, days)


def test_site_specific_and_second_review_flags() -> None:
    # Granted for one site: the title, the environmental instrument (IGAFOM or certification, migration 0005),
    # the closure plan, protected-area compatibility... The REINFO registration is the miner's, for every site.
    assert codes(EvidenceType.objects.filter(site_specific=True)) == {
        "SITE_GEO",
        "MINING_RIGHT",
        "IGAFOM",
        "ENV_CERT",
        "ANP_COMPAT",
        "CLOSURE_EVID",
        "SITE_VISIT",
        "HG_FREE_PROCESS",
        "PROD_DECL",  # since compliance/0005: a declaration is per site and month
    }
    assert codes(EvidenceType.objects.filter(declares_production=True)) == {"PROD_DECL"}
    assert not EvidenceType.objects.get(code="REINFO").site_specific
    assert codes(EvidenceType.objects.filter(needs_second_review=True)) == {"SITE_GEO", "SITE_VISIT", "CERT_FAIRMINED"}


def test_claims_and_their_requirements() -> None:
    assert codes(Claim.objects.all()) == {
        "mercury_free",
        "fairmined",
        "fairmined_ecological",
        "fairtrade",
        "fairtrade_ecological",  # compliance 0013
        "craft",
        "women_led",
    }
    mercury_free = Claim.objects.get(code="mercury_free")
    assert (mercury_free.name_en, mercury_free.name_es) == ("Mercury-free", "Libre de mercurio")
    assert mercury_free.assurance == Claim.Assurance.REVIEWER_VERIFIED
    assert codes(mercury_free.requirements.all()) == {"MERCURY_FREE_PROCESS", "FIELD_VERIFICATION"}
    ecological = Claim.objects.get(code="fairmined_ecological")
    assert ecological.rule == Claim.Rule.ECOLOGICAL_FLAG
    assert codes(ecological.requirements.all()) == {"FAIRMINED"}
    women_led = Claim.objects.get(code="women_led")
    assert women_led.rule == Claim.Rule.WOMEN_LED
    assert sorted(women_led.requirements.values_list("code", flat=True)) == ["IDENTITY", "MEMBER_REGISTER"]
    assert Claim.objects.get(code="craft").assurance == Claim.Assurance.SELF_DECLARED


def test_fairmined_ecological_implies_mercury_free() -> None:
    assert codes(Claim.objects.get(code="fairmined_ecological").implies.all()) == {"mercury_free"}
    assert not Claim.objects.get(code="mercury_free").implies.exists()  # not symmetrical


def historical_apps():  # type: ignore[no-untyped-def]
    """The models as the migrations see them (no custom `save()`), as when a migration runs again."""
    return MigrationLoader(connection).project_state().apps


def test_running_the_seed_again_changes_no_counts() -> None:
    before = counts()
    migration = importlib.import_module(SEED_MODULE)
    migration.seed_catalogue(historical_apps(), None)
    importlib.import_module("compliance.migrations.0008_seed_basis_deadlines").seed(historical_apps(), None)
    assert counts() == before


def test_running_the_seed_again_restores_edited_rows_without_duplicating() -> None:
    EvidenceType.objects.filter(code="TAX_RUC").update(validity_days=7, name_es="cambiado")
    migration = importlib.import_module(SEED_MODULE)
    migration.seed_catalogue(historical_apps(), None)
    tax = EvidenceType.objects.get(code="TAX_RUC")
    assert (tax.validity_days, tax.name_es) == (30, "Ficha RUC")
