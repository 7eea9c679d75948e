"""Seed the first KYC policy (a buyer's verification counts 12 months) and the producers' declaration of
beneficial owners and politically exposed persons (OWNERS_DECL), with the requirement it serves.

The requirement is in no policy yet: a policy version that required it would make every producer without an
approved declaration non-compliant on its first day. It is in the catalogue, producers can upload it and
reviewers confirm it, and a future policy version can require it. Idempotent, like 0002."""

from __future__ import annotations

import datetime as dt

from django.db import migrations

KYC_POLICY = {
    "effective_from": dt.date(2025, 1, 1),
    "validity_months": 12,
    "reminder_days": [],  # the thresholds of evidence reminders
    "source": "Network KYC policy at launch: buyers' due diligence is reviewed every year",
    "notes": "A verification counts until the same day twelve months later; buyers' admins are reminded 60, 30 "
    "and 7 days before, and on the day it lapses.",
}

OWNERS_TYPE = {
    "code": "OWNERS_DECL",
    "name_en": "Beneficial owners and politically exposed persons declaration",
    "name_es": "Declaración de beneficiarios finales y personas expuestas políticamente",
    "area": "organisation",
    "subject": "producer",
    "issuer": "producer",
    "validity": "days",
    "validity_days": 365,
    "declares_owners": True,
    "reviewer_checks_en": "every natural person owning or controlling 10% or more is named with an identity document "
    "that matches; shares add up to at most 100%; politically exposed owners flagged and related PEPs declared; "
    "signed by the legal representative",
    "reviewer_checks_es": "figura toda persona natural que posee o controla el 10 % o más, con un documento de "
    "identidad que coincide; las participaciones suman como máximo el 100 %; los beneficiarios que son PEP están "
    "marcados y se declaran los PEP vinculados; firmada por el representante legal",
}

OWNERS_REQUIREMENT = {
    "code": "BENEFICIAL_OWNERS",
    "name_en": "Beneficial owners and politically exposed persons",
    "name_es": "Beneficiarios finales y personas expuestas políticamente",
    "area": "organisation",
    "what_to_do_en": "Upload the declaration of your beneficial owners (each person's name, identity document and "
    "share) and of politically exposed persons among them or related to them, signed by your legal representative.",
    "what_to_do_es": "Suba la declaración de sus beneficiarios finales (nombre, documento de identidad y "
    "participación de cada persona) y de las personas expuestas políticamente entre ellos o vinculadas a ellos, "
    "firmada por su representante legal.",
}


def seed(apps, schema_editor):
    KycPolicy = apps.get_model("compliance", "KycPolicy")
    EvidenceType = apps.get_model("compliance", "EvidenceType")
    Requirement = apps.get_model("compliance", "Requirement")

    KycPolicy.objects.update_or_create(
        effective_from=KYC_POLICY["effective_from"],
        defaults={k: v for k, v in KYC_POLICY.items() if k != "effective_from"},
    )
    fields = {k: v for k, v in OWNERS_TYPE.items() if k != "code"}
    evidence_type, _ = EvidenceType.objects.update_or_create(code=OWNERS_TYPE["code"], defaults=fields)
    requirement, _ = Requirement.objects.update_or_create(
        code=OWNERS_REQUIREMENT["code"], defaults={k: v for k, v in OWNERS_REQUIREMENT.items() if k != "code"}
    )
    requirement.evidence_types.set([evidence_type])


def unseed(apps, schema_editor):
    apps.get_model("compliance", "Requirement").objects.filter(code=OWNERS_REQUIREMENT["code"]).delete()
    # Evidence points at its type with PROTECT: a database holding declarations refuses to lose the type.
    apps.get_model("compliance", "EvidenceType").objects.filter(code=OWNERS_TYPE["code"]).delete()
    apps.get_model("compliance", "KycPolicy").objects.filter(effective_from=KYC_POLICY["effective_from"]).delete()


class Migration(migrations.Migration):
    dependencies = [("compliance", "0007_kyc_policy_and_owners")]

    operations = [migrations.RunPython(seed, unseed)]
