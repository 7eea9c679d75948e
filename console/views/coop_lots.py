"""The cooperative's lots: the gold its members produced, recorded lot by lot with where each gram came from (a
site and a month), and how much more each site-month may still give (the mass balance), so that the president
knows what she may record before she offers it. Recording runs the API's serializer and service: a lot that would
take more gold than was declared and confirmed is refused in the API's words. One lot shows its sources, its
assays (the certificate downloaded as the API serves it) and its chain of custody; assays and custody events are
added through the API for now."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_GET, require_http_methods

from console.views.base import Refusal, checked, once_per_form, page, shows_refusals, signed_in
from core import clock
from core.actor import Actor
from core.downloads import attachment_response
from core.errors import DomainError, NotFound
from producers import selectors as producer_selectors
from producers.models import Producer
from provenance import selectors, services
from provenance.api.serializers import LotInputSerializer, LotSerializer, MassBalanceSerializer
from provenance.models import AssayMethod, Form, Lot, ProcessingMethod

PAGE_SIZE = 20
SOURCE_ROWS = 3  # without JavaScript the form offers this many rows of sources; empty rows are left out
SOURCE_FIELDS = ("site", "month", "grams")


def _own_producer(actor: Actor) -> Producer:
    """The producer the person acts for, read as the API's mass balance reads it; anyone else: 404."""
    return selectors.readable_producer(actor=actor, producer_id=actor.organization_id)


def _own_lot(actor: Actor, lot_id: Any) -> Lot:
    """One of the producer's own lots (the API's `lot_get`); another's, even one the person may read: 404."""
    lot = selectors.lot_get(actor=actor, lot_id=lot_id)
    if lot.producer_id != actor.organization_id:
        raise NotFound()
    return lot


def _shown(lot: Lot) -> dict[str, Any]:
    """The lot as the API's answer shows it, with the fineness a fire assay set (XRF never sets it) and the
    custody events' times as times, to show in the page's language."""
    shown = dict(LotSerializer(lot).data)
    fire_assayed = any(assay["method"] == AssayMethod.FIRE_ASSAY for assay in shown["assays"])
    shown["assayed_fineness"] = shown["fineness"] if fire_assayed else None
    shown["custody"] = [{**event, "occurred_at": parse_datetime(event["occurred_at"])} for event in shown["custody"]]
    return shown


def _balance(producer: Producer) -> dict[str, Any]:
    """The API's mass balance answer (MassBalanceView, MassBalanceSerializer): per site-month declared, used
    by lots, committed forward and left; with what the tolerance in force allows over the declared grams."""
    today = clock.today_lima()
    tolerance = selectors.tolerance_bp(today)
    rows = selectors.mass_balance(producer=producer, today=today)
    shown = MassBalanceSerializer({"producer": producer.pk, "tolerance_bp": tolerance, "rows": rows}).data
    lines = [
        {**line, "allowed_grams": f"{selectors.allowed_grams(row.declared_grams, tolerance):.3f}"}
        for line, row in zip(shown["rows"], rows, strict=True)
    ]
    return {"rows": lines, "tolerance_percent": Decimal(tolerance) / 100}


@require_GET
@signed_in
@shows_refusals
def lot_list(request: HttpRequest) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    producer = _own_producer(actor)
    lots = selectors.lots_for(actor=actor).filter(producer=producer).order_by("-created_at", "id")
    results = Paginator(lots, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"lots": [_shown(lot) for lot in results], "results": results, "balance": _balance(producer)}
    return page(request, "console/coop/lots.html", context)


@require_GET
@signed_in
@shows_refusals
def lot_detail(request: HttpRequest, lot_id: Any) -> HttpResponse:
    lot = _own_lot(request.actor, lot_id)  # type: ignore[attr-defined]
    return page(request, "console/coop/lot.html", {"lot": _shown(lot)})


@require_GET
@signed_in
@shows_refusals
def assay_file(request: HttpRequest, lot_id: Any, position: int) -> HttpResponse:
    """An assay certificate as the API's download serves it: its SHA-256 checked again (a mismatch is audited
    and refused), an attachment nothing in which runs."""
    actor: Actor = request.actor  # type: ignore[attr-defined]
    _own_lot(actor, lot_id)
    assay, content = services.assay_file_read(actor=actor, lot_id=lot_id, position=position)
    return attachment_response(content, assay.content_type, assay.original_name)


def _number(value: str) -> str:
    """Grams or fineness as typed on a phone ("480,5"): the decimal point the API reads."""
    return value.strip().replace(",", ".")


def _body(post: Any) -> tuple[dict[str, Any], list[int]]:
    """The API's body from the form, and which row of the form each source of the body came from."""
    sources: list[dict[str, Any]] = []
    rows: list[int] = []
    for row in range(SOURCE_ROWS):
        site, month, grams = (post.get(f"source-{row}-{name}", "").strip() for name in SOURCE_FIELDS)
        if not (site or month or grams):
            continue
        source = {"site": site, "grams": _number(grams)}
        if month:  # left out, as the API allows, when the production window lies in one month
            source["month"] = month
        sources.append(source)
        rows.append(row)
    body = {
        "code": post.get("code", ""),
        "form": post.get("form", ""),
        "gross_grams": _number(post.get("gross_grams", "")),
        "declared_fineness": _number(post.get("declared_fineness", "")),
        "production_from": post.get("production_from", ""),
        "production_to": post.get("production_to", ""),
        "processing_methods": post.getlist("processing_methods"),
        "sources": sources,
        "seal_number": post.get("seal_number", ""),
        "place": post.get("place", ""),
    }
    return body, rows


def _source_rows(post: Any, refusal: Refusal | None, rows: list[int]) -> list[dict[str, Any]]:
    """The form's rows of sources, refilled, each with the refusal's errors about it (the API names a source by
    its place in the body, `sources.1.month`, which may be another row of the form when a row was left empty)."""
    shown = []
    for row in range(SOURCE_ROWS):
        errors: dict[str, list[str]] = {name: [] for name in SOURCE_FIELDS}
        if refusal is not None and row in rows:
            for name in SOURCE_FIELDS:
                errors[name] = refusal.for_field(f"sources.{rows.index(row)}.{name}")
        values = {name: post.get(f"source-{row}-{name}", "") for name in SOURCE_FIELDS}
        shown.append({"number": row + 1, "prefix": f"source-{row}", "values": values, "errors": errors})
    return shown


@require_http_methods(["GET", "POST"])
@signed_in
@once_per_form
def lot_new(request: HttpRequest) -> HttpResponse:
    """Record a lot as the API's `POST /lots/` does: who may (a member of a producer), the API's serializer, the
    API's service (sources adding up to the weight, approved sites, the mass balance)."""
    actor = request.actor  # type: ignore[attr-defined]
    context: dict[str, Any] = {
        "values": request.POST,
        "forms": Form.choices,
        "methods": ProcessingMethod.choices,
        "sites": [],
        "rows": _source_rows(request.POST, None, []),
    }
    try:
        services.require_lot_recorder(actor)
    except DomainError as error:  # not a producer's member: the API's 403, and no form
        return page(request, "console/refused.html", {"refusal": Refusal.of(error)}, status=error.status)
    rows: list[int] = []
    try:
        producer = Producer.objects.filter(pk=actor.organization_id).first()
        if producer is not None:
            context["sites"] = list(producer_selectors.sites_of(actor=actor, producer=producer).order_by("name"))
            context["balance"] = _balance(producer)
        if request.method == "POST":
            body, rows = _body(request.POST)
            data = checked(LotInputSerializer, body)
            lot = services.lot_record(actor=actor, **data.validated_data)
            return HttpResponseRedirect(reverse("console:coop-lot", args=[lot.pk]))
    except DomainError as error:
        refusal = Refusal.of(error)
        context["refusal"] = refusal
        context["rows"] = _source_rows(request.POST, refusal, rows)
        return page(request, "console/coop/lot_new.html", context, status=error.status)
    return page(request, "console/coop/lot_new.html", context)
