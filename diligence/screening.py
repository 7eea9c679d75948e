"""Sanctions lists imported as data, and the screening of organisations against them (docs/diligence.md).

An import replaces the list of its source in one transaction: read the whole file first
(`diligence.sanctions.read_list`, which stops at the first bad line), so a bad file changes nothing and the
old list stays in force. Then every producer and buyer is screened again against every list in force, in the
same transaction.

What is checked: the organisation's legal name and tax id; for a producer, the owners and politically exposed
persons of its owners declaration a reviewer approved (`compliance.selectors.confirmed_owners`), or the
individual miner herself, with their identity documents. A name matches an entry's name or alias once
accents, case, punctuation and word order are folded; a document number matches a listed document.

A hit opens a high-severity red flag (`sanctions_hit`) against the organisation, which suspends its offers at
once. One flag per organisation and listed reference (`SanctionsMatch`): a later import does not open it again,
and a flag two reviewers closed as a false match stays closed.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from accounts.models import Organization
from audit.services import audit_record
from compliance.selectors import confirmed_owners
from core import clock
from core.actor import Actor
from core.errors import BadRequest, PermissionDenied
from diligence.models import (
    RedFlag,
    SanctionsEntry,
    SanctionsKey,
    SanctionsList,
    SanctionsMatch,
    Screening,
    Severity,
    SubjectKind,
)
from diligence.sanctions import SanctionsFormatError, document_key, iter_keys, name_key, read_list

SANCTIONS_CATEGORY = "sanctions_hit"
_BATCH = 2000


@dataclass(frozen=True)
class ImportResult:
    sanctions_list: SanctionsList
    superseded: tuple[int, ...]
    screened: int
    flags_opened: int


def _require_operator(actor: Actor) -> None:
    if not (actor.is_reviewer or actor.is_staff):
        raise PermissionDenied(_("Only the network's reviewers and staff import sanctions lists."), code="not_reviewer")


@transaction.atomic
def sanctions_import(
    *, actor: Actor, source: str, data: bytes, file_name: str, list_format: str | None = None
) -> ImportResult:
    """Put a new list of `source` in force and screen everyone again. A file that cannot be read raises
    `BadRequest` (code `sanctions_file_invalid`, with the line) before anything is written."""
    _require_operator(actor)
    source = " ".join(source.split())
    if not source:
        raise BadRequest(_("Name the list's source, e.g. “UN Security Council consolidated list”."), code="blank")
    try:
        fmt, entries = read_list(data, list_format)
    except SanctionsFormatError as exc:
        raise BadRequest(
            _("%(file)s, line %(line)s: %(problem)s") % {"file": file_name, "line": exc.line, "problem": exc.message}
            if exc.line
            else _("%(file)s: %(problem)s") % {"file": file_name, "problem": exc.message},
            code="sanctions_file_invalid",
        ) from None
    now = clock.now()
    previous = list(
        SanctionsList.objects.select_for_update().filter(source=source, superseded_at__isnull=True).order_by("pk")
    )
    SanctionsList.objects.filter(pk__in=[p.pk for p in previous]).update(superseded_at=now)
    new = SanctionsList.objects.create(
        source=source,
        list_format=fmt,
        file_name=file_name[:200],
        file_sha256=hashlib.sha256(data).hexdigest(),
        entries_count=len(entries),
        imported_by=actor.user,
        imported_at=now,
    )
    rows = SanctionsEntry.objects.bulk_create(
        [
            SanctionsEntry(
                sanctions_list=new,
                reference=e.reference,
                kind=e.kind,
                name=e.name[:300],
                aliases=list(e.aliases),
                documents=list(e.documents),
                line=e.line,
            )
            for e in entries
        ],
        batch_size=_BATCH,
    )
    by_reference = {row.reference: row for row in rows}
    SanctionsKey.objects.bulk_create(
        [
            SanctionsKey(entry=by_reference[entry.reference], kind=kind, key=key[:400])
            for kind, key, entry in iter_keys(entries)
        ],
        batch_size=_BATCH,
    )
    screened, opened = screen(actor=actor)
    audit_record(
        action="diligence.sanctions.imported",
        actor=actor,
        target=new,
        data={
            "source": source,
            "format": fmt,
            "file_name": new.file_name,
            "sha256": new.file_sha256,
            "entries": len(entries),
            "superseded": [p.pk for p in previous],
            "screened": screened,
            "flags_opened": opened,
        },
    )
    return ImportResult(new, tuple(p.pk for p in previous), screened, opened)


def lists_in_force() -> list[SanctionsList]:
    return list(SanctionsList.objects.filter(superseded_at__isnull=True).order_by("source"))


def _checked_names(organization: Organization) -> tuple[list[dict[str, Any]], Any]:
    checked = [{"name": organization.legal_name, "role": "organisation", "document": organization.tax_id}]
    if organization.kind != Organization.Kind.PRODUCER:
        return checked, None
    owners = confirmed_owners(organization.pk)
    if owners is None:
        return checked, None
    for owner in owners.owners:
        checked.append({"name": owner.name, "role": "owner", "document": owner.document_number})
    for pep in owners.peps:
        checked.append({"name": pep.name, "role": "pep", "document": ""})
    return checked, owners.evidence_id


@transaction.atomic
def screen(*, actor: Actor, organization_ids: Iterable[Any] | None = None) -> tuple[int, int]:
    """Screen these producers and buyers (all of them when None) against the lists in force: one `Screening`
    each, and a red flag for each new hit. Returns (organisations screened, flags opened)."""
    from diligence.services import flag_open  # the flag's own service: its checks, audit event and notices

    organizations = Organization.objects.filter(kind__in=[Organization.Kind.PRODUCER, Organization.Kind.BUYER])
    if organization_ids is not None:
        organizations = organizations.filter(pk__in=list(organization_ids))
    in_force = lists_in_force()
    summary = [
        {
            "id": lst.pk,
            "source": lst.source,
            "sha256": lst.file_sha256,
            "imported_at": lst.imported_at.isoformat(),
            "entries": lst.entries_count,
        }
        for lst in in_force
    ]
    plans: list[tuple[Organization, list[dict[str, Any]], Any]] = []
    wanted: set[tuple[str, str]] = set()
    for organization in organizations.order_by("pk"):
        checked, evidence_id = _checked_names(organization)
        plans.append((organization, checked, evidence_id))
        for item in checked:
            wanted.add(("name", name_key(item["name"])))
            if item["document"]:
                wanted.add(("document", document_key(item["document"])))
    found: dict[tuple[str, str], list[SanctionsEntry]] = defaultdict(list)
    condition = Q(pk__in=[])
    for kind in ("name", "document"):
        keys = sorted(key for k, key in wanted if k == kind and key)
        if keys:
            condition |= Q(kind=kind, key__in=keys)
    keys_found = SanctionsKey.objects.filter(condition, entry__sanctions_list__in=in_force).select_related(
        "entry__sanctions_list"
    )
    for row in keys_found:
        found[(row.kind, row.key)].append(row.entry)
    now = clock.now()
    opened = 0
    for organization, checked, evidence_id in plans:
        hits = []
        for item in checked:
            matches = [("name", e) for e in found.get(("name", name_key(item["name"])), [])]
            if item["document"]:
                matches += [("document", e) for e in found.get(("document", document_key(item["document"])), [])]
            for match, entry in matches:
                flag, created = _flag_for(actor, organization, item, match, entry, now, flag_open)
                opened += created
                hits.append(
                    {
                        "name": item["name"],
                        "role": item["role"],
                        "match": match,
                        "source": entry.sanctions_list.source,
                        "reference": entry.reference,
                        "entry": entry.name,
                        "flag": str(flag.pk),
                    }
                )
        Screening.objects.create(
            organization=organization,
            screened_at=now,
            lists=summary,
            checked=checked,
            hits=hits,
            owners_evidence=evidence_id,
        )
    return len(plans), opened


def _flag_for(
    actor: Actor,
    organization: Organization,
    item: dict[str, Any],
    match: str,
    entry: SanctionsEntry,
    now: Any,
    flag_open: Any,
) -> tuple[RedFlag, bool]:
    """The red flag of this hit: the one already opened for this organisation and listed reference, or a new
    one (high severity: the organisation's offers are suspended at once)."""
    source = entry.sanctions_list.source
    known = SanctionsMatch.objects.filter(organization=organization, source=source, reference=entry.reference).first()
    if known is not None:
        return known.flag, False
    role = {"organisation": _("the organisation"), "owner": _("an owner"), "pep": _("a declared PEP")}[item["role"]]
    how = _("the name") if match == "name" else _("the identity document")
    facts = _(
        "Screening against “%(source)s” (imported %(date)s): %(how)s of %(role)s, %(name)s, matches entry "
        "%(reference)s, “%(entry)s” (line %(line)s). Check whether it is the same person or entity before closing."
    ) % {
        "source": source,
        "date": entry.sanctions_list.imported_at.date().isoformat(),
        "how": how,
        "role": role,
        "name": item["name"],
        "reference": entry.reference,
        "entry": entry.name,
        "line": entry.line,
    }
    kind = SubjectKind.PRODUCER if organization.kind == Organization.Kind.PRODUCER else SubjectKind.BUYER
    flag = flag_open(
        actor=actor,
        subject_kind=kind,
        category=SANCTIONS_CATEGORY,
        severity=Severity.HIGH,
        facts=facts,
        **{"producer" if kind == SubjectKind.PRODUCER else "buyer": organization.pk},
    )
    SanctionsMatch.objects.create(
        organization=organization, source=source, reference=entry.reference, flag=flag, first_seen_at=now
    )
    return flag, True


def owners_confirmed(*, actor: Actor, organization_id: Any) -> None:
    """A reviewer approved a producer's owners declaration (the OWNERS_CONFIRMED setting): screen that producer
    against the lists in force at once, in the approval's transaction, rather than at the next import. With no
    list in force nothing is recorded: a screening against no list would read as a clear result."""
    if not SanctionsList.objects.filter(superseded_at__isnull=True).exists():
        return
    _, opened = screen(actor=actor, organization_ids=[organization_id])
    screening = latest_screening(organization_id)
    audit_record(
        action="diligence.sanctions.screened",
        actor=actor,
        subject_organization=Organization.objects.get(pk=organization_id),
        target=screening,
        data={
            "reason": "owners_confirmed",
            "owners_evidence": str(screening.owners_evidence) if screening and screening.owners_evidence else None,
            "hits": len(screening.hits) if screening else 0,
            "flags_opened": opened,
        },
    )


def latest_screening(organization_id: Any) -> Screening | None:
    return Screening.objects.filter(organization_id=organization_id).order_by("-screened_at", "-id").first()
