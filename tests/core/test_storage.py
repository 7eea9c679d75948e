"""Grams and fineness reach the database as integers, so SQLite's REAL never touches them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection, models

from core.units import FinenessField, GramsField


class _Probe(models.Model):
    weight = GramsField()
    purity = FinenessField()

    class Meta:
        app_label = "core"
        managed = False

    def __str__(self) -> str:
        return f"{self.weight} g at {self.purity}"


@pytest.fixture
def probe_table(django_db_blocker, db):
    with connection.schema_editor() as editor:
        editor.create_model(_Probe)
    yield
    with connection.schema_editor() as editor:
        editor.delete_model(_Probe)


@pytest.mark.django_db(transaction=True)
def test_grams_and_fineness_round_trip_exactly(probe_table):
    _Probe.objects.create(weight=Decimal("0.001"), purity=Decimal("999.9"))
    _Probe.objects.create(weight="123456789.123", purity="920.0")

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT weight, purity FROM {_Probe._meta.db_table} ORDER BY weight")
        raw = cursor.fetchall()
    values = list(_Probe.objects.order_by("weight").values_list("weight", "purity"))

    assert raw == [(1, 9999), (123456789123, 9200)]
    assert values == [(Decimal("0.001"), Decimal("999.9")), (Decimal("123456789.123"), Decimal("920.0"))]
    assert _Probe.objects.filter(weight__gte=Decimal("1000")).count() == 1
