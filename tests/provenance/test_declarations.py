"""Production declarations: grams per site and month, confirmed by the reviewer who approves them, and what
the mass balance counts as declared."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from compliance.models import DeclaredProduction, Evidence
from core import clock
from tests.compliance.helpers import decide, ok, pdf_upload, upload
from tests.conftest import make_client
from tests.problems import assert_problem, field_errors
from tests.provenance.helpers import LOTS, approved_site, declare, last_month, lot_body, record_lot, ym

pytestmark = pytest.mark.django_db


def months_back(count: int) -> list[dt.date]:
    month, months = last_month(), []
    for _ in range(count):
        months.append(month)
        month = (month - dt.timedelta(days=1)).replace(day=1)
    return months


def declaration(producer_admin, site, production) -> object:
    return upload(
        producer_admin,
        "PROD_DECL",
        [pdf_upload("declaracion.pdf")],
        site=str(site.pk),
        production=json.dumps(production),
    )


@pytest.mark.parametrize(
    ("production", "field"),
    [
        ([], "production"),
        ([{"month": f"{m:%Y-%m}", "grams": "1.000"} for m in months_back(7)], "production"),
        ([{"month": "2026-13", "grams": "1.000"}], "production.0.month"),
        ([{"month": f"{clock.today_lima() + dt.timedelta(days=40):%Y-%m}", "grams": "1.000"}], "production.0.month"),
        ([{"month": ym(last_month()), "grams": "0.000"}], "production.0.grams"),
        ([{"month": ym(last_month()), "grams": "-5.000"}], "production.0.grams"),
        ([{"month": ym(last_month()), "grams": "1.0001"}], "production.0.grams"),
        ([{"month": ym(last_month()), "grams": 2100}], "production.0.grams"),
        ([{"month": ym(last_month()), "grams": "1.000"}] * 2, "production.1.month"),
    ],
    ids=["none", "seven months", "not a month", "future", "zero", "negative", "four decimals", "a number", "twice"],
)
def test_a_bad_declaration_is_refused(producer_admin, production, field):
    site = approved_site(producer_admin.organization)
    before = Evidence.objects.count()
    assert field in field_errors(declaration(producer_admin, site, production))
    assert Evidence.objects.count() == before


def test_a_declaration_needs_its_site_and_months_and_other_types_refuse_months(producer_admin):
    site = approved_site(producer_admin.organization)
    production = json.dumps([{"month": ym(last_month()), "grams": "10.000"}])
    assert "site" in field_errors(upload(producer_admin, "PROD_DECL", production=production))
    assert "production" in field_errors(upload(producer_admin, "PROD_DECL", site=str(site.pk)))
    assert "production" in field_errors(upload(producer_admin, "TAX_RUC", production=production))


def test_the_reviewer_confirms_exactly_the_declared_months_never_more(producer_admin, reviewer):
    site = approved_site(producer_admin.organization)
    april, march = months_back(2)
    production = [{"month": ym(april), "grams": "2100.000"}, {"month": ym(march), "grams": "900.000"}]
    item = ok(declaration(producer_admin, site, production), 201)
    ok(producer_admin.get(f"/api/v1/evidence/{item['id']}/"))
    approve = f"/api/v1/evidence/{item['id']}/approve/"
    ok(reviewer.post(f"/api/v1/evidence/{item['id']}/claim/"))
    spanish = make_client(reviewer.user, reviewer.organization, language="es")
    for body, code in [
        ({}, "required"),
        ({"confirmed_production": [{"month": ym(april), "grams": "2100.000"}]}, "months_differ"),
        (
            {"confirmed_production": [*production, {"month": f"{months_back(3)[2]:%Y-%m}", "grams": "1.000"}]},
            "months_differ",
        ),
        ({"confirmed_production": [{"month": ym(april), "grams": "2100.001"}, production[1]]}, "more_than_declared"),
    ]:
        problem = assert_problem(spanish.post(approve, body, format="json"), 400, "validation_error")
        assert problem["errors"][0]["code"] == code, problem
    assert Evidence.objects.get(pk=item["id"]).status == "in_review"
    confirmed = [{"month": ym(april), "grams": "2000.000"}, {"month": ym(march), "grams": "900.000"}]
    answer = ok(reviewer.post(approve, {"confirmed_production": confirmed}, format="json"))
    assert answer["production"] == [
        {"month": ym(march), "declared_grams": "900.000", "confirmed_grams": "900.000"},
        {"month": ym(april), "declared_grams": "2100.000", "confirmed_grams": "2000.000"},
    ]


def test_other_types_refuse_confirmed_production(producer_admin, reviewer):
    item = ok(upload(producer_admin, "TAX_RUC"), 201)
    response = decide(
        reviewer, item["id"], "approve", confirmed_production=[{"month": ym(last_month()), "grams": "1.000"}]
    )
    assert field_errors(response) == {"confirmed_production": "not_allowed"}


def test_what_the_balance_counts_as_declared(producer_admin, reviewer):
    """The latest approved item still approved for the site-month; another month's declaration keeps counting;
    a revoked one never counts; a lapsed validity still counts (the gold was produced)."""
    site = approved_site(producer_admin.organization)
    april, march = months_back(2)
    balance = f"/api/v1/producers/{site.producer_id}/mass-balance/"

    def declared() -> dict[str, str]:
        return {row["month"]: row["declared_grams"] for row in ok(producer_admin.get(balance))["rows"]}

    first = declare(producer_admin, reviewer, site, {ym(march): "900.000"})
    second = declare(producer_admin, reviewer, site, {ym(april): "2100.000"})
    assert declared() == {ym(march): "900.000", ym(april): "2100.000"}
    assert Evidence.objects.get(pk=first["id"]).status == "approved"  # another month: not superseded
    # A newer declaration of April replaces the first one's April.
    declare(producer_admin, reviewer, site, {ym(april): "2500.000"}, **{ym(april).replace("-", "_"): "2400.000"})
    assert declared() == {ym(march): "900.000", ym(april): "2400.000"}
    assert Evidence.objects.get(pk=second["id"]).status == "superseded"
    # Lapsed validity still counts; a revoked item does not.
    Evidence.objects.filter(pk=first["id"]).update(valid_until=clock.today_lima() - dt.timedelta(days=1))
    assert declared()[ym(march)] == "900.000"
    ok(reviewer.post(f"/api/v1/evidence/{first['id']}/revoke/", {"reason": "Cifras no sustentadas."}, format="json"))
    assert ym(march) not in declared()


def test_a_legacy_declaration_without_months_counts_for_nothing(producer_admin, reviewer):
    site = approved_site(producer_admin.organization)
    item = ok(declaration(producer_admin, site, [{"month": ym(last_month()), "grams": "500.000"}]), 201)
    DeclaredProduction.objects.filter(evidence_id=item["id"]).delete()  # as the data migration leaves old items
    ok(decide(reviewer, item["id"], "approve"))
    assert_problem(record_lot(producer_admin, lot_body(site, "1.000")), 409, "mass_balance_exceeded")
    assert ok(producer_admin.get(LOTS))["results"] == []


def test_the_data_migration_gives_old_declarations_their_site_when_there_is_one(producer_admin, other_producer):
    import importlib

    from django.apps import apps

    from compliance.models import EvidenceType
    from tests.compliance.helpers import make_evidence

    one_site = approved_site(producer_admin.organization)
    approved_site(other_producer.organization, name="A", code="011111111")
    approved_site(other_producer.organization, name="B", code="022222222")
    old = [
        make_evidence(organization, "PROD_DECL", submitted_by=client.user)
        for organization, client in (
            (producer_admin.organization, producer_admin),
            (other_producer.organization, other_producer),
        )
    ]
    EvidenceType.objects.filter(pk="PROD_DECL").update(site_specific=False, declares_production=False)

    migration = importlib.import_module("compliance.migrations.0006_production_declarations")
    migration.production_declarations_per_site(apps, None)

    assert [Evidence.objects.get(pk=item.pk).site_id for item in old] == [one_site.pk, None]
    assert EvidenceType.objects.filter(pk="PROD_DECL", site_specific=True, declares_production=True).exists()
    assert not DeclaredProduction.objects.exists()  # no months: they count for nothing in the balance
