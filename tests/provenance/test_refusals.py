"""Every bad input of a lot, an assay or a custody event is refused with a problem, in English and in Spanish,
and changes nothing: no lot, source, assay, custody event, stored file or audit event."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from core import clock
from provenance.models import AssayCertificate, CustodyEvent, Lot, LotSource
from tests.compliance.helpers import ok, pdf_upload, raw_upload, stored_files
from tests.conftest import ActorClient, make_client
from tests.problems import assert_problem
from tests.provenance.helpers import LOTS, approved_site, custody, declare_row, last_month, lot_body, record_lot

pytestmark = pytest.mark.django_db


def counts() -> tuple[int, ...]:
    return (
        Lot.objects.count(),
        LotSource.objects.count(),
        AssayCertificate.objects.count(),
        CustodyEvent.objects.count(),
        AuditEvent.objects.count(),
        len(stored_files()),
    )


@pytest.fixture
def site(producer_admin):
    site = approved_site(producer_admin.organization)
    declare_row(site, last_month(), "2100.000")
    return site


@pytest.fixture
def lot(producer_admin, site) -> dict:
    return ok(record_lot(producer_admin, lot_body(site, "480.000", seal_number="004417")), 201)


def both_languages(producer_admin: ActorClient) -> list[ActorClient]:
    return [producer_admin, make_client(producer_admin.user, producer_admin.organization, language="es")]


def month_after(month: dt.date) -> dt.date:
    return (month + dt.timedelta(days=32)).replace(day=1)


# (name, body change, status, code, field, the Spanish detail or field message contains)
def other_producers_site(producer_admin: ActorClient, site: Any) -> dict:
    from tests.factories import OrganizationFactory

    other = approved_site(OrganizationFactory(), name="Ajena", code="099999999")
    return {"sources": [{"site": str(other.pk), "grams": "480.000"}]}


LOT_CASES: list[tuple[str, Callable[[Any], dict], int, str, str | None, str]] = [
    ("zero grams", lambda site: {"gross_grams": "0.000"}, 400, "validation_error", "gross_grams", ""),
    ("negative grams", lambda site: {"gross_grams": "-480.000"}, 400, "validation_error", "gross_grams", ""),
    (
        "negative source grams",
        lambda site: {"sources": [{"site": str(site.pk), "grams": "-1.000"}]},
        400,
        "validation_error",
        "sources.0.grams",
        "",
    ),
    (
        "fineness over 1000",
        lambda site: {"declared_fineness": "1000.1"},
        400,
        "validation_error",
        "declared_fineness",
        "",
    ),
    ("fineness of zero", lambda site: {"declared_fineness": "0.0"}, 400, "validation_error", "declared_fineness", ""),
    (
        "fineness with two decimals",
        lambda site: {"declared_fineness": "920.15"},
        400,
        "validation_error",
        "declared_fineness",
        "",
    ),
    (
        "a window in the future",
        lambda site: {
            "production_from": clock.today_lima().isoformat(),
            "production_to": (clock.today_lima() + dt.timedelta(days=1)).isoformat(),
        },
        400,
        "validation_error",
        "production_to",
        "futuro",
    ),
    (
        "a window that ends before it starts",
        lambda site: {
            "production_from": (last_month() + dt.timedelta(days=10)).isoformat(),
            "production_to": last_month().isoformat(),
        },
        400,
        "validation_error",
        "production_to",
        "antes de empezar",
    ),
    (
        "sources that do not add up",
        lambda site: {"sources": [{"site": str(site.pk), "grams": "479.999"}]},
        400,
        "sources_do_not_add_up",
        None,
        "suman 479.999 g, pero el lote pesa 480.000 g",
    ),
    (
        "a month outside the window",
        lambda site: {
            "sources": [{"site": str(site.pk), "grams": "480.000", "month": f"{month_after(last_month()):%Y-%m}"}]
        },
        400,
        "validation_error",
        "sources.0.month",
        "fuera del periodo",
    ),
    (
        "no processing method",
        lambda site: {"processing_methods": []},
        400,
        "validation_error",
        "processing_methods",
        "",
    ),
    ("an unknown form", lambda site: {"form": "ingot"}, 400, "validation_error", "form", ""),
    ("no sources", lambda site: {"sources": []}, 400, "validation_error", "sources", ""),
]


@pytest.mark.parametrize(
    ("name", "change", "status", "code", "field", "spanish"), LOT_CASES, ids=[c[0] for c in LOT_CASES]
)
def test_a_bad_lot_is_refused_in_both_languages_and_changes_nothing(
    producer_admin, site, name, change, status, code, field, spanish
):
    before = counts()
    for client in both_languages(producer_admin):
        body = assert_problem(record_lot(client, lot_body(site, "480.000", **change(site))), status, code, field=field)
        said = body["detail"] + " ".join(error["message"] for error in body.get("errors", []))
        if client is not producer_admin and spanish:
            assert spanish in said, said
    assert counts() == before


def test_a_site_of_another_producer_is_refused(producer_admin, site):
    before = counts()
    for client in both_languages(producer_admin):
        body = lot_body(site, "480.000", **other_producers_site(producer_admin, site))
        problem = assert_problem(record_lot(client, body), 400, "validation_error", field="sources.0.site")
        assert problem["errors"][0]["code"] == "not_your_site"
    assert counts()[:5] == before[:5]


def test_the_same_code_twice_is_409(producer_admin, lot, site):
    before = counts()
    assert_problem(record_lot(producer_admin, lot_body(site, "1.000")), 409, "lot_code_taken")
    assert counts() == before


def test_an_assay_file_that_is_not_a_pdf_or_image_is_refused(producer_admin, lot):
    before = counts()
    for client in both_languages(producer_admin):
        body = {
            "laboratory": "Laboratorio Regional",
            "method": "fire_assay",
            "au_per_mille": "921.4",
            "ag_per_mille": "61.2",
            "certificate_number": "LR-1",
            "assayed_on": last_month().isoformat(),
            "file": raw_upload("certificado.pdf", b"<html><body>no</body></html>"),
        }
        problem = assert_problem(
            client.post(f"{LOTS}{lot['id']}/assays/", body, format="multipart"), 400, "unsupported_file_type"
        )
        if client is not producer_admin:
            assert "no es un archivo PDF" in problem["detail"]
    assert counts() == before


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"au_per_mille": "1000.1"}, "au_per_mille"),
        ({"au_per_mille": "921.45"}, "au_per_mille"),
        ({"method": "guesswork"}, "method"),
        ({"assayed_on": (clock.today_lima() + dt.timedelta(days=1)).isoformat()}, "assayed_on"),
    ],
    ids=["over 1000", "two decimals", "unknown method", "in the future"],
)
def test_a_bad_assay_is_refused(producer_admin, lot, change, field):
    before = counts()
    body = {
        "laboratory": "Laboratorio Regional",
        "method": "fire_assay",
        "au_per_mille": "921.4",
        "ag_per_mille": "61.2",
        "certificate_number": "LR-1",
        "assayed_on": last_month().isoformat(),
        "file": pdf_upload("ensayo.pdf"),
        **change,
    }
    assert_problem(
        producer_admin.post(f"{LOTS}{lot['id']}/assays/", body, format="multipart"),
        400,
        "validation_error",
        field=field,
    )
    assert counts() == before


def test_an_xrf_reading_never_sets_the_fineness(producer_admin, lot):
    body = {
        "laboratory": "Planta",
        "method": "xrf",
        "au_per_mille": "990.0",
        "ag_per_mille": "5.0",
        "certificate_number": "XRF-1",
        "assayed_on": last_month().isoformat(),
        "file": pdf_upload("xrf.pdf"),
    }
    answer = ok(producer_admin.post(f"{LOTS}{lot['id']}/assays/", body, format="multipart"), 201)
    assert (answer["fineness"], answer["fine_grams"]) == ("920.0", "441.600")


def test_custody_out_of_order_is_409_in_both_languages_and_changes_nothing(producer_admin, lot):
    before = counts()
    for client in both_languages(producer_admin):
        problem = assert_problem(
            custody(client, lot["id"], "received_by_buyer", weight_grams="479.000"), 409, "custody_out_of_order"
        )
        assert problem["last_kind"] == "recorded"
        if client is not producer_admin:
            assert "no puede venir después" in problem["detail"]
    assert_problem(custody(producer_admin, lot["id"], "exported"), 409, "custody_out_of_order")
    assert counts() == before


def test_a_repeated_or_backward_event_is_409(producer_admin, lot):
    ok(custody(producer_admin, lot["id"], "sealed", seal_number="004417"), 201)
    before = counts()
    assert_problem(custody(producer_admin, lot["id"], "sealed", seal_number="004417"), 409, "custody_out_of_order")
    earlier = custody(producer_admin, lot["id"], "handed_to_carrier", minutes_ago=600)
    assert_problem(earlier, 409, "custody_out_of_order")
    assert counts() == before


def test_an_event_in_the_future_is_400(producer_admin, lot):
    before = counts()
    at = (timezone.now() + dt.timedelta(hours=2)).isoformat()
    response = producer_admin.post(
        f"{LOTS}{lot['id']}/custody-events/",
        {"kind": "sealed", "occurred_at": at, "seal_number": "004417"},
        format="json",
    )
    assert_problem(response, 400, "validation_error", field="occurred_at")
    assert counts() == before


def test_a_growing_weight_is_400_with_the_figures_in_both_languages(producer_admin, lot):
    ok(custody(producer_admin, lot["id"], "sealed", seal_number="004417"), 201)
    ok(custody(producer_admin, lot["id"], "handed_to_carrier"), 201)
    before = counts()
    for client in both_languages(producer_admin):
        problem = assert_problem(
            custody(client, lot["id"], "received_by_buyer", weight_grams="480.001"), 400, "custody_weight_grows"
        )
        assert (problem["weight_grams"], problem["last_weight_grams"]) == ("480.001", "480.000")
        if client is not producer_admin:
            assert "no puede pesar 480.001 g" in problem["detail"]
    assert counts() == before


def test_sealing_needs_the_lots_seal_and_receipt_needs_a_weight(producer_admin, lot):
    before = counts()
    assert_problem(custody(producer_admin, lot["id"], "sealed"), 400, "validation_error", field="seal_number")
    wrong = custody(producer_admin, lot["id"], "sealed", seal_number="999999")
    assert_problem(wrong, 400, "validation_error", field="seal_number")
    ok(custody(producer_admin, lot["id"], "sealed", seal_number="004417"), 201)
    ok(custody(producer_admin, lot["id"], "handed_to_carrier"), 201)
    after_two = counts()
    assert_problem(
        custody(producer_admin, lot["id"], "received_by_buyer"), 400, "validation_error", field="weight_grams"
    )
    assert counts() == after_two
    assert after_two[3] == before[3] + 2


def test_exported_may_come_between_carrier_and_receipt(producer_admin, lot):
    for kind in ("sealed", "handed_to_carrier", "exported"):
        ok(custody(producer_admin, lot["id"], kind, seal_number="004417" if kind == "sealed" else ""), 201)
    answer = ok(custody(producer_admin, lot["id"], "received_by_buyer", weight_grams="479.200"), 201)
    assert [e["kind"] for e in answer["custody"]][-2:] == ["exported", "received_by_buyer"]


@pytest.mark.parametrize("month", ["0000-04", "2026-13", "2026-4", ""])
def test_a_month_filter_that_is_no_month_is_400_never_a_server_error(producer_admin, site, month):
    """Found by Schemathesis: year 0 matched the old pattern and the date could not be built."""
    assert_problem(producer_admin.client.get(LOTS, {"month": month}), 400, "validation_error")
    balance = f"/api/v1/producers/{producer_admin.organization.pk}/mass-balance/"
    assert_problem(producer_admin.client.get(balance, {"from": month}), 400, "validation_error")


def test_a_json_custody_event_takes_no_document_and_ignores_one(producer_admin, lot):
    """A document comes with the multipart form; in JSON the key is unknown and ignored, as other unknown keys."""
    response = producer_admin.client.post(
        f"{LOTS}{lot['id']}/custody-events/",
        {"kind": "sealed", "seal_number": "004417", "occurred_at": timezone.now().isoformat(), "document": "x"},
        format="json",
    )

    assert ok(response, 201)["custody"][-1]["kind"] == "sealed"
