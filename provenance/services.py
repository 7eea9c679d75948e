"""Every write to provenance: recording a lot (under the mass balance), adding an assay certificate, and
the next event of a lot's chain of custody. Each is atomic with one audit event; refusals change nothing.

Recording a lot locks the rows of the sites it draws on (in id order, so two lots on the same sites wait
for each other instead of deadlocking) and judges the balance under those locks: two lots recorded at once
against one site-month cannot both take its last grams.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.core.files.storage import storages
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_record
from compliance.production import declared_by_site_month, parse_month
from core import clock
from core.actor import Actor
from core.downloads import read_or_refuse
from core.errors import BadRequest, Conflict, PermissionDenied, field_error
from core.extensions import provider
from core.uploads import CheckedFile, store
from producers.models import Producer, Site
from provenance.models import (
    CUSTODY_OPTIONAL,
    CUSTODY_ORDER,
    AssayCertificate,
    CustodyEvent,
    CustodyKind,
    Lot,
    LotSource,
)
from provenance.selectors import allowed_grams, assay_get, tolerance_bp, used_by_site_month

# The audit verb of each custody event (audit.models.ACTION_PATTERN: a verb in the past tense).
CUSTODY_VERBS = {
    CustodyKind.SEALED: "sealed",
    CustodyKind.HANDED_TO_CARRIER: "handed",
    CustodyKind.EXPORTED: "exported",
    CustodyKind.RECEIVED_BY_BUYER: "received",
}


def _grams(value: Decimal) -> str:
    return f"{value:.3f}"


def require_producer_member(actor: Actor, producer_id: Any) -> None:
    """Lots are written by the producer's own members (admins and members)."""
    if actor.organization_id != producer_id or actor.organization_kind != "producer":
        raise PermissionDenied(_("Only the producer's members record its lots."), code="not_producer_member")


def require_lot_recorder(actor: Actor) -> None:
    """A lot is recorded by a member of a producer organisation, for that producer."""
    if actor.organization_kind != "producer":
        raise PermissionDenied(_("Only the producer's members record its lots."), code="not_producer_member")


def _months_of(start: dt.date, end: dt.date) -> list[dt.date]:
    months, month = [], start.replace(day=1)
    while month <= end:
        months.append(month)
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return months


def _check_sources(
    *, producer: Producer, sources: Sequence[dict[str, Any]], gross_grams: Decimal, start: dt.date, end: dt.date
) -> list[tuple[Site, dt.date, Decimal]]:
    """Each source: one of the producer's approved sites, a month of the production window, grams > 0; each
    site-month once; the grams add up to the gross weight."""
    window = _months_of(start, end)
    site_ids = [source["site"] for source in sources]
    sites = {site.pk: site for site in Site.objects.filter(pk__in=site_ids, producer=producer)}
    checked: list[tuple[Site, dt.date, Decimal]] = []
    seen: set[tuple[Any, dt.date]] = set()
    for index, source in enumerate(sources):
        where = f"sources.{index}"
        site = sites.get(source["site"])
        if site is None:
            raise field_error(f"{where}.site", "not_your_site", _("This site is not one of yours."))
        if site.status != Site.Status.APPROVED:
            raise field_error(f"{where}.site", "site_not_approved", _("This site is not approved yet."))
        if source.get("month") is None:
            if len(window) != 1:
                raise field_error(
                    f"{where}.month",
                    "required_for_several_months",
                    _("The production window spans several months: say which month these grams are from."),
                )
            month = window[0]
        else:
            parsed = parse_month(source["month"])
            if parsed is None:
                raise field_error(f"{where}.month", "invalid", _("A month is written YYYY-MM."))
            if parsed not in window:
                raise field_error(
                    f"{where}.month",
                    "outside_window",
                    _("%(month)s is outside the production window (%(start)s to %(end)s).")
                    % {"month": f"{parsed:%Y-%m}", "start": start.isoformat(), "end": end.isoformat()},
                )
            month = parsed
        if (site.pk, month) in seen:
            raise field_error(f"{where}.month", "duplicate", _("Each site and month appears once."))
        seen.add((site.pk, month))
        checked.append((site, month, source["grams"]))
    total = sum((grams for _site, _month, grams in checked), Decimal("0.000"))
    if total != gross_grams:
        raise BadRequest(
            _("The sources add up to %(sources)s g, but the lot weighs %(gross)s g.")
            % {"sources": _grams(total), "gross": _grams(gross_grams)},
            code="sources_do_not_add_up",
            extra={"sources_grams": _grams(total), "gross_grams": _grams(gross_grams)},
        )
    return checked


def _check_mass_balance(checked: list[tuple[Site, dt.date, Decimal]], today: dt.date) -> None:
    """Under the sites' row locks: for every site-month, used + requested <= declared × (1 + tolerance)."""
    site_ids = sorted({site.pk for site, _month, _grams in checked}, key=str)
    # Locked one by one in id order: concurrent lots on the same sites queue instead of deadlocking.
    for site_id in site_ids:
        list(Site.objects.select_for_update().filter(pk=site_id).values_list("pk", flat=True))
    months = sorted({month for _site, month, _grams in checked})
    declared = declared_by_site_month(site_ids, months)
    used = used_by_site_month(site_ids, months)
    tolerance = tolerance_bp(today)
    requested: dict[tuple[Any, dt.date], Decimal] = defaultdict(Decimal)
    names = {}
    for site, month, grams in checked:
        requested[(site.pk, month)] += grams
        names[site.pk] = site.name
    for (site_id, month), asked in sorted(requested.items(), key=lambda item: (str(item[0][0]), item[0][1])):
        declared_grams = declared.get((site_id, month), Decimal("0.000"))
        used_grams = used.get((site_id, month), Decimal("0.000"))
        allowed = allowed_grams(declared_grams, tolerance)
        if used_grams + asked > allowed:
            left = max(allowed - used_grams, Decimal("0.000"))
            raise Conflict(
                _(
                    "%(site)s, %(month)s: %(declared)s g declared, %(used)s g already used by lots, %(left)s g "
                    "left; this lot asks for %(requested)s g."
                )
                % {
                    "site": names[site_id],
                    "month": f"{month:%Y-%m}",
                    "declared": _grams(declared_grams),
                    "used": _grams(used_grams),
                    "left": _grams(left),
                    "requested": _grams(asked),
                },
                code="mass_balance_exceeded",
                extra={
                    "site": str(site_id),
                    "month": f"{month:%Y-%m}",
                    "declared_grams": _grams(declared_grams),
                    "used_grams": _grams(used_grams),
                    "requested_grams": _grams(asked),
                    "left_grams": _grams(left),
                },
            )


@transaction.atomic
def lot_record(
    *,
    actor: Actor,
    code: str,
    form: str,
    gross_grams: Decimal,
    declared_fineness: Decimal,
    production_from: dt.date,
    production_to: dt.date,
    processing_methods: Sequence[str],
    sources: Sequence[dict[str, Any]],
    seal_number: str = "",
    place: str = "",
    notes: str = "",
) -> Lot:
    """Record a lot with where its grams came from, and its first custody event (`recorded`)."""
    require_lot_recorder(actor)
    producer = Producer.objects.filter(pk=actor.organization_id).first()
    if producer is None:
        raise Conflict(_("Create your producer profile before recording lots."), code="producer_profile_missing")
    today = clock.today_lima()
    if gross_grams <= 0:
        raise field_error("gross_grams", "not_positive", _("Grams must be more than zero."))
    if not Decimal(0) < declared_fineness <= Decimal(1000):
        raise field_error("declared_fineness", "out_of_range", _("Fineness is more than 0 and at most 1000 ‰."))
    if production_to < production_from:
        raise field_error("production_to", "before_start", _("The production window ends before it starts."))
    if production_to > today:
        raise field_error("production_to", "in_future", _("The production window cannot end in the future."))
    if not processing_methods:
        raise field_error("processing_methods", "required", _("Name at least one processing method."))
    checked = _check_sources(
        producer=producer, sources=sources, gross_grams=gross_grams, start=production_from, end=production_to
    )
    if Lot.objects.filter(producer=producer, code=code).exists():
        raise Conflict(_("You already have a lot with this code."), code="lot_code_taken")
    _check_mass_balance(checked, today)
    try:
        with transaction.atomic():
            lot = Lot.objects.create(
                producer=producer,
                code=code,
                form=form,
                gross_grams=gross_grams,
                declared_fineness=declared_fineness,
                production_from=production_from,
                production_to=production_to,
                processing_methods=sorted(set(processing_methods)),
                seal_number=seal_number,
                notes=notes,
                recorded_by=actor.user,
            )
    except IntegrityError:
        raise Conflict(_("You already have a lot with this code."), code="lot_code_taken") from None
    LotSource.objects.bulk_create(
        LotSource(lot=lot, site=site, month=month, grams=grams) for site, month, grams in checked
    )
    CustodyEvent.objects.create(
        lot=lot,
        seq=1,
        kind=CustodyKind.RECORDED,
        occurred_at=timezone.now(),
        place=place,
        organization_id=producer.pk,
        user=actor.user,
        weight_grams=gross_grams,
        seal_number=seal_number,
    )
    audit_record(
        action="provenance.lot.recorded",
        actor=actor,
        target=lot,
        data={
            "code": code,
            "form": form,
            "gross_grams": _grams(gross_grams),
            "declared_fineness": str(declared_fineness),
            "production": [production_from.isoformat(), production_to.isoformat()],
            "methods": lot.processing_methods,
            "seal_number": seal_number,
            "sources": [
                {"site": str(site.pk), "month": f"{month:%Y-%m}", "grams": _grams(grams)}
                for site, month, grams in checked
            ],
        },
    )
    return lot


# --- Assays ---------------------------------------------------------------------------------------
def assay_add(
    *,
    actor: Actor,
    lot: Lot,
    laboratory: str,
    method: str,
    au_per_mille: Decimal,
    ag_per_mille: Decimal,
    certificate_number: str,
    assayed_on: dt.date,
    file: CheckedFile,
) -> AssayCertificate:
    """Store the certificate's file first (outside the transaction), then record it; remove the file if that
    fails. Certificates are never edited: a new assay is a new certificate."""
    require_producer_member(actor, lot.producer_id)
    if assayed_on > clock.today_lima():
        raise field_error("assayed_on", "in_future", _("The assay date is in the future."))
    if au_per_mille + ag_per_mille > Decimal(1000):
        raise field_error("ag_per_mille", "over_total", _("Gold and silver together exceed 1000 ‰."))
    storage = storages["evidence"]
    name = store(file, storage=storage, prefix=f"lots/{lot.producer_id}")
    try:
        return _record_assay(
            actor=actor,
            lot=lot,
            name=name,
            file=file,
            laboratory=laboratory,
            method=method,
            au_per_mille=au_per_mille,
            ag_per_mille=ag_per_mille,
            certificate_number=certificate_number,
            assayed_on=assayed_on,
        )
    except BaseException:
        storage.delete(name)
        raise


def assay_file_read(*, actor: Actor, lot_id: Any, position: int) -> tuple[AssayCertificate, bytes]:
    """An assay certificate's bytes for whoever may read its lot (`assay_get`), its SHA-256 checked again: a file
    altered in storage is never served, and the trail says so (the API's download and the console's)."""
    assay = assay_get(actor=actor, lot_id=lot_id, position=position)
    content = read_or_refuse(
        storages["evidence"],
        str(assay.file.name),
        assay.sha256,
        what=f"Assay certificate {lot_id}/{position}",
        on_failure=lambda: audit_record(
            action="provenance.assay.integrity_failed",
            actor=actor,
            subject_organization=assay.lot.producer,
            target=assay.lot,
            data={"position": assay.position, "sha256": assay.sha256},
        ),
    )
    return assay, content


@transaction.atomic
def _record_assay(*, actor: Actor, lot: Lot, name: str, file: CheckedFile, **fields: Any) -> AssayCertificate:
    locked = Lot.objects.select_for_update().get(pk=lot.pk)
    position = (locked.assays.order_by("-position").values_list("position", flat=True).first() or 0) + 1
    assay = AssayCertificate.objects.create(
        lot=locked,
        position=position,
        file=name,
        sha256=file.sha256,
        size=file.size,
        content_type=file.content_type,
        original_name=file.original_name,
        recorded_by=actor.user,
        **fields,
    )
    provider("CATALOGUE_CHANGED")(producer_ids=[locked.producer_id])  # search rows show a lot's fineness
    audit_record(
        action="provenance.assay.added",
        actor=actor,
        subject_organization=locked.producer,  # its pk is the organisation's
        target=locked,
        data={
            "position": position,
            "laboratory": fields["laboratory"],
            "method": fields["method"],
            "au_per_mille": str(fields["au_per_mille"]),
            "ag_per_mille": str(fields["ag_per_mille"]),
            "certificate_number": fields["certificate_number"],
            "assayed_on": fields["assayed_on"].isoformat(),
            "file": {"sha256": file.sha256, "size": file.size, "content_type": file.content_type},
        },
    )
    return assay


# --- Custody --------------------------------------------------------------------------------------
def require_custody_writer(actor: Actor, lot: Lot) -> None:
    """Before the body is read: the producer's members, or the buyer whose contract delivers the lot (which
    records the receipt only: `require_custody_recorder`)."""
    if actor.organization_kind == "buyer" and actor.organization_id == provider("LOT_BUYER")(lot.pk):
        return
    require_producer_member(actor, lot.producer_id)


def require_custody_recorder(actor: Actor, lot: Lot, kind: str) -> None:
    """The producer's members record the lot's custody; its receipt is recorded by the buyer whose contract
    delivers the lot (trade answers which, through LOT_BUYER), and by the producer only for a lot no contract
    here delivers (sold elsewhere)."""
    if kind == CustodyKind.RECEIVED_BY_BUYER:
        buyer_id = provider("LOT_BUYER")(lot.pk)
        if buyer_id is not None:
            if actor.organization_id != buyer_id:
                raise PermissionDenied(
                    _("The buyer whose contract delivers this lot records its receipt."), code="receipt_by_buyer"
                )
            return
    if actor.organization_kind == "buyer":
        raise PermissionDenied(
            _("The buyer records the lot's receipt; the producer records the rest of its custody."),
            code="not_producer_member",
        )
    require_producer_member(actor, lot.producer_id)


def _next_kinds(last: str) -> tuple[str, ...]:
    """The kinds that may follow `last`: the next one, or the one after an optional next one."""
    following = CUSTODY_ORDER[CUSTODY_ORDER.index(last) + 1 :]
    allowed: list[str] = []
    for kind in following:
        allowed.append(kind)
        if kind not in CUSTODY_OPTIONAL:
            break
    return tuple(allowed)


def custody_record(
    *,
    actor: Actor,
    lot: Lot,
    kind: str,
    occurred_at: dt.datetime,
    place: str = "",
    weight_grams: Decimal | None = None,
    seal_number: str = "",
    notes: str = "",
    document: CheckedFile | None = None,
) -> CustodyEvent:
    """The next event of the lot's chain of custody; an optional document is stored first, removed if the
    event is refused."""
    require_custody_recorder(actor, lot, kind)
    if occurred_at > timezone.now():
        raise field_error("occurred_at", "in_future", _("This event cannot have happened in the future."))
    if kind == CustodyKind.RECEIVED_BY_BUYER and weight_grams is None:
        raise field_error("weight_grams", "required_for_receipt", _("Give the weight the buyer measured on receipt."))
    if kind == CustodyKind.SEALED and not seal_number:
        raise field_error("seal_number", "required_for_seal", _("Give the number of the seal."))
    storage = storages["evidence"]
    name = store(document, storage=storage, prefix=f"lots/{lot.producer_id}") if document else ""
    try:
        return _record_custody(
            actor=actor,
            lot=lot,
            kind=kind,
            occurred_at=occurred_at,
            place=place,
            weight_grams=weight_grams,
            seal_number=seal_number,
            notes=notes,
            document=document,
            name=name,
        )
    except BaseException:
        if name:
            storage.delete(name)
        raise


@transaction.atomic
def _record_custody(
    *,
    actor: Actor,
    lot: Lot,
    kind: str,
    occurred_at: dt.datetime,
    place: str,
    weight_grams: Decimal | None,
    seal_number: str,
    notes: str,
    document: CheckedFile | None,
    name: str,
) -> CustodyEvent:
    assert actor.organization_id is not None  # a member of the producer, or the buyer (require_custody_recorder)
    locked = Lot.objects.select_for_update().get(pk=lot.pk)  # decide on the trail as it is under the lock
    trail = list(locked.custody.order_by("seq"))
    last = trail[-1]
    if kind not in _next_kinds(last.kind):
        raise Conflict(
            _("This lot's last custody event is “%(last)s”: “%(kind)s” cannot come next.")
            % {"last": CustodyKind(last.kind).label, "kind": CustodyKind(kind).label},
            code="custody_out_of_order",
            extra={"last_kind": last.kind, "kind": kind, "allowed": list(_next_kinds(last.kind))},
        )
    if occurred_at < last.occurred_at:
        raise Conflict(
            _("This event is dated %(at)s, before the lot's last custody event (%(last_at)s).")
            % {"at": occurred_at.isoformat(), "last_at": last.occurred_at.isoformat()},
            code="custody_out_of_order",
            extra={"occurred_at": occurred_at.isoformat(), "last_occurred_at": last.occurred_at.isoformat()},
        )
    last_weight = next(e.weight_grams for e in reversed(trail) if e.weight_grams is not None)
    if weight_grams is not None and weight_grams > last_weight:
        raise BadRequest(
            _("The lot weighed %(last)s g at its last weighing: it cannot weigh %(weight)s g now.")
            % {"last": _grams(last_weight), "weight": _grams(weight_grams)},
            code="custody_weight_grows",
            extra={"weight_grams": _grams(weight_grams), "last_weight_grams": _grams(last_weight)},
        )
    if seal_number and locked.seal_number and seal_number != locked.seal_number:
        raise field_error(
            "seal_number",
            "seal_mismatch",
            _("The lot's seal is %(seal)s, not this one.") % {"seal": locked.seal_number},
        )
    if kind == CustodyKind.SEALED and not locked.seal_number:
        Lot.objects.filter(pk=locked.pk, seal_number="").update(seal_number=seal_number)
    event = CustodyEvent.objects.create(
        lot=locked,
        seq=last.seq + 1,
        kind=kind,
        occurred_at=occurred_at,
        place=place,
        organization_id=actor.organization_id,
        user=actor.user,
        weight_grams=weight_grams,
        seal_number=seal_number,
        notes=notes,
        file=name,
        sha256=document.sha256 if document else "",
        size=document.size if document else None,
        content_type=document.content_type if document else "",
        original_name=document.original_name if document else "",
    )
    audit_record(
        action=f"provenance.custody.{CUSTODY_VERBS[CustodyKind(kind)]}",
        actor=actor,
        subject_organization=locked.producer,  # its pk is the organisation's
        target=locked,
        data={
            "kind": kind,
            "seq": event.seq,
            "occurred_at": occurred_at.isoformat(),
            "place": place,
            "weight_grams": _grams(weight_grams) if weight_grams is not None else None,
            "seal_number": seal_number,
            "document": {"sha256": document.sha256, "size": document.size} if document else None,
        },
    )
    return event
