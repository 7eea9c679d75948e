"""Seed the reviewers' common reasons for rejecting an item or asking for changes (`ReviewReason`), in Spanish and
English. The wording comes from the decisions the network's reviewers wrote most often in the demo and pilot
queue; staff reword, add and retire reasons in the admin (a new wording is a new row). Idempotent."""

from __future__ import annotations

import datetime as dt

from django.db import migrations

SOURCE = "Network review team, common reasons at the console's launch (December 2026)"
EFFECTIVE_FROM = dt.date(2026, 12, 1)

REASONS = [
    (
        "illegible",
        "request_changes",
        "El documento no se lee con claridad: súbalo escaneado o fotografiado con buena luz.",
        "The document cannot be read clearly: upload it scanned or photographed in good light.",
    ),
    (
        "incomplete",
        "request_changes",
        "Faltan páginas o partes del documento: súbalo completo.",
        "Pages or parts of the document are missing: upload all of it.",
    ),
    (
        "wrong_holder",
        "reject",
        "El documento corresponde a otra persona u organización.",
        "The document belongs to another person or organisation.",
    ),
    (
        "expired",
        "either",
        "El documento ya no está vigente: suba uno actual.",
        "The document is no longer valid: upload a current one.",
    ),
    (
        "data_mismatch",
        "request_changes",
        "Los datos ingresados (número, emisor o fechas) no coinciden con el documento.",
        "The details entered (number, issuer or dates) do not match the document.",
    ),
    (
        "wrong_type",
        "reject",
        "El documento no es del tipo indicado.",
        "The document is not of the type given.",
    ),
    (
        "no_coordinates",
        "either",
        "Las fotos no muestran fecha ni coordenadas: súbalas georreferenciadas.",
        "The photos show no date or coordinates: upload them geotagged.",
    ),
]


def seed(apps, schema_editor):  # type: ignore[no-untyped-def]
    ReviewReason = apps.get_model("compliance", "ReviewReason")
    for position, (code, move, text_es, text_en) in enumerate(REASONS, start=1):
        ReviewReason.objects.get_or_create(
            code=code,
            effective_from=EFFECTIVE_FROM,
            defaults={
                "move": move,
                "text_es": text_es,
                "text_en": text_en,
                "position": position,
                "source": SOURCE,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("compliance", "0014_review_reasons")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
