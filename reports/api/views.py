"""The network's impact report over HTTP (docs/impact.md): public (anonymous may read, the same figures for
everyone, throttled like every anonymous read), as JSON, as CSV and as an SVG chart.

`?from=YYYY-MM&to=YYYY-MM` (Lima months, both included): the last twelve months by default, at most 36, never
past the month under way. A value that is not a month written that way is a 400 `validation_error` naming the
parameter."""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import connection
from django.http import HttpResponse
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core import clock
from core.cache import kept_or_computed
from core.errors import BadRequest
from core.permissions import AllowAny
from reports.api.serializers import MONTH_TEXT, ImpactReportSerializer, report_data
from reports.chart import impact_chart_svg
from reports.impact import DEFAULT_MONTHS, FLOW_FIGURES, MAX_MONTHS, STOCK_FIGURES, Month, impact_report

logger = logging.getLogger(__name__)

# Anonymous answers may be kept this long by browsers and shared caches (the figures are monthly).
PUBLIC_MAX_AGE = 300
MONTH = re.compile(MONTH_TEXT)
EARLIEST = Month(2000, 1)  # the first month MONTH_TEXT takes
# The chart's own policy: whatever a viewer does with the file, it runs nothing and loads nothing.
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

PERIOD_PARAMETERS = [
    OpenApiParameter(
        "from",
        OpenApiTypes.STR,
        pattern=MONTH_TEXT,
        description=f"The first month (YYYY-MM, Lima time). Default: {DEFAULT_MONTHS - 1} months before `to` (2000-01 "
        "at the earliest).",
        examples=[OpenApiExample("January 2026", value="2026-01")],
    ),
    OpenApiParameter(
        "to",
        OpenApiTypes.STR,
        pattern=MONTH_TEXT,
        description=f"The last month (YYYY-MM), the month under way at most; default that month. At most "
        f"{MAX_MONTHS} months from `from` to `to`, both included.",
        examples=[OpenApiExample("December 2026", value="2026-12")],
    ),
]


def _figure(value: Any, reason: str | None = None) -> dict[str, Any]:
    return {"value": value, "reason": reason}


_WITHHELD = _figure(None, "below_min_group_size")
REPORT_EXAMPLE = {
    "from": "2026-11",
    "to": "2026-12",
    "generated_at": "2026-12-05T09:30:00-05:00",
    "time_zone": "America/Lima",
    "policies": [
        {
            "min_group_size": 3,
            "valid_from": "2025-01-01",
            "source": "The network's own choice for its public impact report (board decision at launch), not a "
            "legal requirement: a figure is published only when at least 3 distinct producers stand behind it, "
            "after the small-cell (k-anonymity) practice of official statistics, where 3 to 10 is usual.",
        }
    ],
    "months": [
        {
            "month": "2026-11",
            "complete": True,
            "min_group_size": 3,
            # Shown, with the total, November's figures would give December's two producers away.
            "fine_gold_grams": _figure(None, "complementary"),
            "mercury_free_percent": _figure(None, "complementary"),
            "women_led_percent": _WITHHELD,  # one women-led producer settled in November
            "certified_premiums": _figure(None, "complementary"),
            "evidence_decided": _figure(57),
            "median_review_hours": _figure("31.5"),
            "producers_verified": _figure(14),
            "producers_formalized": _figure(11),
            "producers_start_authorised": _figure(None, "below_min_group_size"),
            "women_members": _figure(212),
        },
        {
            "month": "2026-12",
            "complete": False,
            "min_group_size": 3,
            "fine_gold_grams": _WITHHELD,
            "mercury_free_percent": _WITHHELD,
            "women_led_percent": _WITHHELD,
            "certified_premiums": _WITHHELD,
            "evidence_decided": _figure(12),
            "median_review_hours": _figure("26.0"),
            "producers_verified": _figure(14),
            "producers_formalized": _figure(11),
            "producers_start_authorised": _figure(None, "below_min_group_size"),
            "women_members": _figure(212),
        },
    ],
    "total": {
        "complete": False,
        "min_group_size": 3,
        "fine_gold_grams": _figure("1939.774"),
        "mercury_free_percent": _figure("69.8"),
        "women_led_percent": _WITHHELD,  # two women-led producers in the two months
        "certified_premiums": _figure({"amount_minor": 611433, "currency": "USD"}),
        "evidence_decided": _figure(69),
        "median_review_hours": _figure("30.2"),
    },
}


def _invalid(field: str, code: str, message: Any) -> dict[str, Any]:
    return {"field": field, "code": code, "message": str(message)}


def read_period(request: Request) -> tuple[Month, Month]:
    """The months asked for, checked: each a month written YYYY-MM, the last not after the month under way, the
    first not after the last, at most MAX_MONTHS of them."""
    errors: list[dict[str, Any]] = []
    given: dict[str, Month] = {}
    for name in ("from", "to"):
        values = request.query_params.getlist(name)
        if not values:
            continue
        if len(values) > 1:
            errors.append(_invalid(name, "multiple_values", _("Give one month.")))
        elif values[0] == "":
            errors.append(_invalid(name, "blank", _("Give a month, like 2026-04, or leave the parameter out.")))
        elif not MONTH.fullmatch(values[0]):
            errors.append(_invalid(name, "invalid", _("Write the month as YYYY-MM, like 2026-04.")))
        else:
            given[name] = Month(int(values[0][:4]), int(values[0][5:]))
    current = Month.of(clock.today_lima())
    for name, month in given.items():
        if month > current:
            errors.append(
                _invalid(
                    name,
                    "month_in_future",
                    _("%(month)s has not begun: the report ends at the month under way, %(current)s.")
                    % {"month": month, "current": current},
                )
            )
    if errors:
        raise BadRequest(_("Some fields are invalid: see `errors`."), code="validation_error", errors=errors)
    last = given.get("to", current)
    first = given.get("from", max(last.plus(-(DEFAULT_MONTHS - 1)), EARLIEST))
    if first > last:
        errors.append(_invalid("from", "after_to", _("The first month comes after the last one.")))
    elif last.since(first) + 1 > MAX_MONTHS:
        errors.append(
            _invalid(
                "from",
                "range_too_long",
                _("A report covers at most %(months)s months: ask for several.") % {"months": MAX_MONTHS},
            )
        )
    if errors:
        raise BadRequest(_("Some fields are invalid: see `errors`."), code="validation_error", errors=errors)
    return first, last


# --- Kept answers ---------------------------------------------------------------------------------------------
CACHE_FORMAT = "1"


def kept(parts: tuple[str, ...], compute: Callable[[], Any]) -> Any:
    """An answer kept for IMPACT_REPORT_CACHE_SECONDS (the chart costs half a second of CPU to draw; the report
    reads the whole database). Not inside a transaction, which might see rows not committed (most tests), nor
    when the setting is 0; a cache that fails is logged and the answer computed."""
    seconds = settings.IMPACT_REPORT_CACHE_SECONDS
    if seconds <= 0 or connection.in_atomic_block:
        return compute()
    key = "impact-report:" + hashlib.sha256("|".join((CACHE_FORMAT, *parts)).encode()).hexdigest()
    return kept_or_computed(key, compute, seconds, "Impact report")


def report_for(first: Month, last: Month) -> dict[str, Any]:
    return kept(("json", str(first), str(last)), lambda: report_data(impact_report(first, last)))  # type: ignore[no-any-return]


def _public(response: HttpResponse) -> HttpResponse:
    """Anonymous readers may keep it a while (answers to a token holder are made private by
    core.http.PrivateResponsesMiddleware)."""
    patch_cache_control(response, public=True, max_age=PUBLIC_MAX_AGE)
    return response


# --- CSV ----------------------------------------------------------------------------------------------------
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection): such a cell is written
# with a leading apostrophe, unless it is a plain number.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
PLAIN_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def safe_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    if text.startswith(FORMULA_STARTS) and not PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def _csv_value(name: str, figure: dict[str, Any]) -> Any:
    value = figure["value"]
    if name == "certified_premiums" and value is not None:
        amount = int(value["amount_minor"])
        return f"{amount // 100}.{amount % 100:02d}"
    return value


CSV_FIGURE_COLUMNS = {
    name: ("certified_premiums_usd" if name == "certified_premiums" else name) for name in FLOW_FIGURES
}
CSV_FIGURE_COLUMNS.update({name: name for name in STOCK_FIGURES})


def csv_header() -> list[str]:
    header = ["month", "complete", "min_group_size"]
    for name, column in CSV_FIGURE_COLUMNS.items():
        header += [column, f"{name}_reason"]
    return header


def report_csv(data: dict[str, Any]) -> str:
    """One row a month, then the `total` row (its counts at a month's end empty: they have no total)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(csv_header())
    rows = [*data["months"], {"month": "total", **data["total"]}]
    for row in rows:
        cells: list[Any] = [row["month"], row["complete"], row["min_group_size"]]
        for name in CSV_FIGURE_COLUMNS:
            figure = row.get(name)
            cells += [None, None] if figure is None else [_csv_value(name, figure), figure["reason"]]
        writer.writerow([safe_cell(cell) for cell in cells])
    return out.getvalue()


CSV_EXAMPLE = report_csv(REPORT_EXAMPLE)  # the JSON example, as the CSV says it


class _FileRenderer(BaseRenderer):
    """The one type a file view answers (one renderer, so no `?format=` to choose another). The success answer is
    written by the view; an error is problem details, rendered as JSON (its Content-Type says so)."""

    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> Any:
        if isinstance(data, bytes | str):
            return data
        return JSONRenderer().render(data, accepted_media_type, renderer_context)


class CsvRenderer(_FileRenderer):
    media_type = "text/csv"
    format = "csv"


class SvgRenderer(_FileRenderer):
    media_type = "image/svg+xml"
    format = "svg"


# --- Views ----------------------------------------------------------------------------------------------------
class ImpactReportView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="reports_impact_retrieve",
        tags=["reports"],
        parameters=PERIOD_PARAMETERS,
        responses=ImpactReportSerializer,
        examples=[OpenApiExample("November and December 2026", value=REPORT_EXAMPLE, response_only=True)],
    )
    def get(self, request: Request) -> Response:
        """What the marketplace achieved, month by month (Lima time) and in total: fine gold traded and its
        mercury-free and women-led shares, certified premiums, evidence decided and the median review time; at
        each month's end, producers verified, formalized and with a start authorisation, and the women on their
        rosters. Public, the same for everyone. A figure that fewer producers stand behind than the report
        policy's minimum, or that would give such a figure away, is null with a `reason` (never 0): see
        docs/impact.md. The month under way is counted so far (`complete` false)."""
        first, last = read_period(request)
        return _public(Response(report_for(first, last)))  # type: ignore[return-value]


class ImpactReportCsvView(APIView):
    permission_classes = [AllowAny]
    renderer_classes = [CsvRenderer]

    @extend_schema(
        operation_id="reports_impact_csv_retrieve",
        tags=["reports"],
        parameters=PERIOD_PARAMETERS,
        responses={
            (200, "text/csv"): OpenApiResponse(
                response=OpenApiTypes.STR,
                description="UTF-8 CSV with a header row: `month`, `complete`, `min_group_size`, then each "
                "figure's value and `<figure>_reason` (premiums as `certified_premiums_usd`, in dollars); a row per "
                "month, then a `total` row. A withheld value is empty with its reason. Cells a spreadsheet would "
                "run as a formula start with an apostrophe.",
                examples=[OpenApiExample("November and December 2026", value=CSV_EXAMPLE)],
            )
        },
    )
    def get(self, request: Request) -> HttpResponse:
        """The same report as CSV, for a spreadsheet: the same figures as the JSON answer."""
        first, last = read_period(request)
        body = report_csv(report_for(first, last))
        response = HttpResponse(body.encode("utf-8"), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="impact-report-{first}-{last}.csv"'
        response["X-Content-Type-Options"] = "nosniff"
        return _public(response)


class ImpactChartView(APIView):
    permission_classes = [AllowAny]
    renderer_classes = [SvgRenderer]

    @extend_schema(
        operation_id="reports_impact_chart_retrieve",
        tags=["reports"],
        parameters=PERIOD_PARAMETERS,
        responses={
            (200, "image/svg+xml"): OpenApiResponse(
                response=OpenApiTypes.STR,
                description="An SVG chart (no script): the fine gold traded per month, the mercury-free part "
                "darker, withheld months and shares marked. Its words in the caller's language.",
            )
        },
    )
    def get(self, request: Request) -> HttpResponse:
        """The fine gold traded per month as a chart drawn on the server (SVG), with its mercury-free part;
        the months withheld by the suppression rule are marked, never drawn as 0."""
        first, last = read_period(request)
        language = get_language() or settings.LANGUAGE_CODE
        svg = kept(("svg", str(first), str(last), language), lambda: impact_chart_svg(report_for(first, last)))
        response = HttpResponse(svg, content_type="image/svg+xml")
        response["Content-Disposition"] = f'inline; filename="impact-report-{first}-{last}.svg"'
        response["Content-Security-Policy"] = SVG_POLICY
        response["X-Content-Type-Options"] = "nosniff"
        patch_vary_headers(response, ["Accept-Language"])
        return _public(response)
