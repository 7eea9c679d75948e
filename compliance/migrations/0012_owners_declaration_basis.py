"""The owners declaration (OWNERS_DECL, migration 0011) says what it proves and which norms ask for it, as every
type of the catalogue does (migration 0008). Clause numbers are left empty and the national norm is marked to
confirm: nobody has checked them against the texts yet."""

from django.db import migrations

PROVES_EN = (
    "Who owns and controls the producer (beneficial owners with their share) and which politically exposed "
    "persons are related to it, as a reviewer confirmed"
)
PROVES_ES = (
    "Quiénes son los dueños y quién controla al productor (beneficiarios finales con su participación) y qué "
    "personas expuestas políticamente están relacionadas con él, confirmado por un revisor"
)
BASIS = [
    ("OECD Due Diligence Guidance, Supplement on Gold", "", False, "Know your supplier: owners and PEPs (step 2)"),
    ("LBMA Responsible Gold Guidance", "", False, "Supplier KYC, beneficial owners and PEPs"),
    ("D.L. 1372 (beneficiario final)", "", True, "Peru's beneficial-ownership rule"),
]


def seed(apps, schema_editor):
    EvidenceType = apps.get_model("compliance", "EvidenceType")
    EvidenceBasis = apps.get_model("compliance", "EvidenceBasis")
    if not EvidenceType.objects.filter(pk="OWNERS_DECL").exists():
        return
    EvidenceType.objects.filter(pk="OWNERS_DECL").update(proves_en=PROVES_EN, proves_es=PROVES_ES)
    EvidenceBasis.objects.filter(evidence_type_id="OWNERS_DECL").delete()
    for position, (citation, clause, to_confirm, note) in enumerate(BASIS, start=1):
        EvidenceBasis.objects.create(
            evidence_type_id="OWNERS_DECL",
            position=position,
            citation=citation,
            clause=clause,
            to_confirm=to_confirm,
            note=note,
        )


def unseed(apps, schema_editor):
    apps.get_model("compliance", "EvidenceBasis").objects.filter(evidence_type_id="OWNERS_DECL").delete()


class Migration(migrations.Migration):
    dependencies = [("compliance", "0011_seed_kyc_policy_and_owners")]

    operations = [migrations.RunPython(seed, unseed)]
