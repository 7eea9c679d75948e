"""The report as a CSV file and as an SVG chart: the same figures as the JSON answer, safe to open."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest

from reports.api.views import report_csv, safe_cell
from tests.producers.factories import ProducerFactory
from tests.reports.helpers import CHART, CSV, REPORT, in_month, settled, this_month

pytestmark = pytest.mark.django_db

M0 = this_month()
M1, M2 = M0.plus(-1), M0.plus(-2)
PERIOD = f"?from={M2}&to={M0}"
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def traded():
    """M1: three producers, two of them mercury-free; M2: one producer alone (withheld); M0: three producers of a
    gram each (withheld beside the total, so that it does not give M2 away: the lighter of M1 and M0)."""
    a, b, c = (ProducerFactory() for _ in range(3))
    for producer in (ProducerFactory() for _ in range(3)):
        settled(producer, "1.000", in_month(M0))
    settled(a, "40.000", in_month(M1), claims=("mercury_free",), premium_minor=16000)
    settled(b, "25.500", in_month(M1), claims=("mercury_free",), premium_minor=10200)
    settled(c, "10.250", in_month(M1), premium_minor=4100)
    settled(ProducerFactory(), "7.000", in_month(M2))


def _rows(response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8"))))


def test_the_csv_has_a_header_a_row_a_month_and_the_total(anon, traded):
    response = anon.get(CSV + PERIOD)

    rows = _rows(response)
    assert response["Content-Disposition"] == f'attachment; filename="impact-report-{M2}-{M0}.csv"'
    assert response["Cache-Control"] == "public, max-age=300"
    assert [row["month"] for row in rows] == [str(M2), str(M1), str(M0), "total"]
    header = response.content.decode().splitlines()[0].split(",")
    assert header[:5] == ["month", "complete", "min_group_size", "fine_gold_grams", "fine_gold_grams_reason"]
    assert "certified_premiums_usd" in header
    assert "women_members_reason" in header


def test_the_csv_says_what_the_json_says(anon, traded):
    body = anon.get(REPORT + PERIOD).json()
    rows = _rows(anon.get(CSV + PERIOD))

    for row, month in zip(rows, [*body["months"], {"month": "total", **body["total"]}], strict=True):
        assert row["month"] == month["month"]
        assert row["complete"] == ("true" if month["complete"] else "false")
        assert row["min_group_size"] == str(month["min_group_size"])
        for name, figure in month.items():
            if not isinstance(figure, dict):
                continue
            column = "certified_premiums_usd" if name == "certified_premiums" else name
            shown = figure["value"]
            if name == "certified_premiums" and shown is not None:
                shown = f"{Decimal(shown['amount_minor']) / 100:.2f}"
            assert row[column] == ("" if shown is None else str(shown)), (month["month"], name)
            assert row[f"{name}_reason"] == (figure["reason"] or ""), (month["month"], name)
    by_month = {row["month"]: row for row in rows}
    assert by_month[str(M1)]["fine_gold_grams"] == "75.750"
    assert by_month[str(M1)]["certified_premiums_usd"] == "303.00"
    assert by_month[str(M2)]["fine_gold_grams"] == ""
    assert by_month[str(M2)]["fine_gold_grams_reason"] == "below_min_group_size"
    assert by_month[str(M0)]["fine_gold_grams_reason"] == "complementary"
    assert by_month["total"]["fine_gold_grams"] == "85.750"
    assert by_month["total"]["producers_verified"] == ""  # counts at a month's end have no total


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ('=HYPERLINK("http://evil.test","clic")', '\'=HYPERLINK("http://evil.test","clic")'),
        ("+51 982", "'+51 982"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("-12.500", "-12.500"),  # a number stays a number
        ("0.000", "0.000"),
        ("below_min_group_size", "below_min_group_size"),
        (None, ""),
        (True, "true"),
    ],
)
def test_no_cell_is_a_formula(cell, written):
    assert safe_cell(cell) == written


def test_a_text_in_the_report_cannot_become_a_formula():
    data = {
        "months": [
            {
                "month": "=1+1",
                "complete": True,
                "min_group_size": 3,
                "fine_gold_grams": {"value": "=cmd|' /C calc'!A0", "reason": None},
            }
        ],
        "total": {"complete": True, "min_group_size": 3},
    }

    rows = list(csv.reader(io.StringIO(report_csv(data))))

    assert rows[1][0] == "'=1+1"
    assert rows[1][3] == "'=cmd|' /C calc'!A0"


def test_the_chart_is_an_svg_without_script(anon, traded):
    response = anon.get(CHART + PERIOD)

    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert response["Cache-Control"] == "public, max-age=300"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'none'" in response["Content-Security-Policy"]
    assert "Accept-Language" in response["Vary"]
    root = ET.fromstring(response.content)  # well-formed XML
    assert root.tag == f"{SVG}svg"
    elements = list(root.iter())
    assert not [e for e in elements if e.tag.split("}")[-1].lower() in ("script", "foreignobject", "iframe")]
    assert not [(e.tag, name) for e in elements for name in e.attrib if name.split("}")[-1].lower().startswith("on")]
    links = [value for e in elements for name, value in e.attrib.items() if name.endswith("href")]
    assert all(link.startswith("#") for link in links), links  # nothing outside the file
    assert b"<script" not in response.content.lower()


def test_the_chart_speaks_the_callers_language(anon, traded):
    english = anon.get(CHART + PERIOD, HTTP_ACCEPT_LANGUAGE="en")
    spanish = anon.get(CHART + PERIOD, HTTP_ACCEPT_LANGUAGE="es")

    assert english.status_code == spanish.status_code == 200
    assert english["Content-Language"] == "en"
    assert spanish["Content-Language"] == "es"
    assert english.content != spanish.content


def test_a_file_view_answers_its_errors_as_problem_details_whatever_was_asked(anon):
    csv_error = anon.get(CSV + "?from=banana", HTTP_ACCEPT="text/csv")
    svg_error = anon.get(CHART + "?to=banana", HTTP_ACCEPT="image/svg+xml")

    for response in (csv_error, svg_error):
        assert response.status_code == 400
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["code"] == "validation_error"
    refused = anon.get(CSV, HTTP_ACCEPT="application/xml")
    assert refused.status_code == 406
    assert refused.json()["code"] == "not_acceptable"
