"""The due-diligence pack (OECD Annex II, LBMA Responsible Gold Guidance): what a buyer with the producer's
consent reads to know whom it buys from and why it trusts them, and keeps to show it later.

`assemble` builds the content as plain JSON values; `digest` is the SHA-256 of its canonical JSON (keys sorted,
no spaces, UTF-8, `ensure_ascii=False`). The digest covers the content only: not `generated_at`, not the digest
itself, and not the files' `download` links (signed, short-lived, different at every read). So the same facts
give the same digest at every read, and the buyer can show which facts it saw. The PDF prints the same digest.

A file's link is `/api/v1/pack-files/{token}/`, the token signed by Django's signing (`TimestampSigner`, salt
"pack-file") over (consent id, evidence file id); it works for `PACK_FILE_LINK_SECONDS` after the read, and only
while the consent is in force.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core import signing
from django.db.models import Prefetch

from compliance.catalogue import policy_in_force, policy_subject
from compliance.models import Evidence, EvidenceFile
from compliance.policy import facts_for_site
from compliance.selectors import confirmed_owners, fact
from core import clock
from core.errors import NotFound
from core.extensions import provider
from diligence.models import PackConsent
from diligence.screening import latest_screening
from diligence.selectors import flags_for_producer
from producers.models import Producer, Site
from provenance.models import Lot
from provenance.selectors import lot_relations, mass_balance, tolerance_bp

FILE_SALT = "pack-file"
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
FONT_BOLD = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")


# --- Values ------------------------------------------------------------------------------------------
def _date(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _grams(value: Decimal | None) -> str | None:
    return f"{value:.3f}" if value is not None else None


def _name(user: Any) -> str | None:
    return user.full_name if user is not None else None


def canonical(content: dict[str, Any]) -> bytes:
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def digest(content: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(content)).hexdigest()


# --- Signed links ------------------------------------------------------------------------------------
class _ClockSigner(signing.TimestampSigner):
    """A TimestampSigner that reads the time from `core.clock`, so tests move it as they move everything."""

    def timestamp(self) -> str:
        return signing.b62_encode(int(clock.now().timestamp()))

    def unsign(self, value: str, max_age: Any = None) -> str:
        result = signing.Signer.unsign(self, value)
        value, stamp = result.rsplit(self.sep, 1)
        if max_age is not None and clock.now().timestamp() - signing.b62_decode(stamp) > max_age:
            raise signing.SignatureExpired("the link has expired")
        return value


def _signer() -> _ClockSigner:
    return _ClockSigner(salt=FILE_SALT)


def file_token(consent: PackConsent, file_id: int) -> str:
    return _signer().sign_object([str(consent.pk), file_id])


def api_file_link(token: str) -> str:
    return f"/api/v1/pack-files/{token}/"


def file_link(consent: PackConsent, file_id: int) -> str:
    return api_file_link(file_token(consent, file_id))


def read_link(token: str) -> tuple[str, int]:
    """(consent id, evidence file id) of a valid, unexpired token; anything else is 404."""
    try:
        consent_id, file_id = _signer().unsign_object(token, max_age=settings.PACK_FILE_LINK_SECONDS)
    except (signing.BadSignature, ValueError, TypeError):
        raise NotFound() from None
    if not isinstance(consent_id, str) or not isinstance(file_id, int):
        raise NotFound()
    return consent_id, file_id


# --- The sections ------------------------------------------------------------------------------------
def _identity(producer: Producer) -> dict[str, Any]:
    organization = producer.organization
    return {
        "id": str(producer.pk),
        "legal_name": organization.legal_name,
        "legal_kind": producer.legal_kind,
        "legal_category": producer.legal_category,
        "ruc": producer.ruc,
        "dni": producer.dni,
        "reinfo_code": producer.reinfo_code,
        "district": producer.district,
        "country": organization.country,
        "verification_status": producer.verification_status,
        "verified_at": producer.verified_at.isoformat() if producer.verified_at else None,
    }


def _owners(producer: Producer, today: dt.date) -> dict[str, Any] | None:
    owners = confirmed_owners(producer.pk, today)
    if owners is None:
        return None
    return {
        "source": owners.source,
        "evidence": str(owners.evidence_id) if owners.evidence_id else None,
        "valid_until": _date(owners.valid_until),
        "owners": [
            {
                "name": o.name,
                "document_type": o.document_type,
                "document_number": o.document_number,
                "share_percent": str(o.share_percent),
                "pep": o.pep,
            }
            for o in owners.owners
        ],
        "peps": [{"name": p.name, "position": p.position, "relation": p.relation} for p in owners.peps],
    }


def _screening(producer: Producer) -> dict[str, Any] | None:
    screening = latest_screening(producer.pk)
    if screening is None:
        return None
    return {"screened_at": screening.screened_at.isoformat(), "lists": screening.lists, "hits": screening.hits}


def evidence_in_pack(producer: Producer, sites: list[Site], today: dt.date) -> list[Evidence]:
    """The producer's approved items valid today that count for at least one of its sites (the site rule:
    items of types that are not site-specific, and site-specific items naming one of its sites)."""
    items = list(
        Evidence.objects.filter(organization_id=producer.pk, status="approved", valid_until__gte=today)
        .select_related("evidence_type", "decided_by", "site")
        .prefetch_related(Prefetch("files", queryset=EvidenceFile.objects.order_by("position")))
        .order_by("evidence_type_id", "issue_date", "id")
    )
    facts = [fact(item) for item in items]
    counted: set[Any] = set()
    origins: list[Any] = [site.pk for site in sites] or [None]  # no site: the items that are not site-specific
    for site_id in origins:
        counted.update(f.id for f in facts_for_site(facts, site_id))
    return [item for item in items if item.pk in counted]


def _evidence(items: list[Evidence]) -> list[dict[str, Any]]:
    return [
        {
            "id": str(item.pk),
            "type": item.evidence_type_id,
            "type_name_es": item.evidence_type.name_es,
            "type_name_en": item.evidence_type.name_en,
            "site": str(item.site_id) if item.site_id else None,
            "issuer": item.issuer,
            "document_number": item.document_number,
            "issue_date": _date(item.issue_date),
            "expiry_date": _date(item.expiry_date),
            "valid_until": _date(item.valid_until),
            "reviewer": _name(item.decided_by),
            "decided_at": item.decided_at.isoformat() if item.decided_at else None,
            "files": [
                {
                    "id": f.pk,
                    "position": f.position,
                    "original_name": f.original_name,
                    "content_type": f.content_type,
                    "size": f.size,
                    "sha256": f.sha256,
                }
                for f in item.files.all()
            ],
        }
        for item in items
    ]


def _sites(sites: list[Site]) -> list[dict[str, Any]]:
    return [
        {
            "id": str(site.pk),
            "name": site.name,
            "concession_code": site.concession_code,
            "district": site.district,
            "status": site.status,
            "geometry": site.geometry,
            "area_hectares": str(site.area_hectares) if site.area_hectares is not None else None,
        }
        for site in sites
    ]


def _lots(lots: list[Lot]) -> list[dict[str, Any]]:
    return [
        {
            "id": str(lot.pk),
            "code": lot.code,
            "form": lot.form,
            "gross_grams": _grams(lot.gross_grams),
            "declared_fineness": str(lot.declared_fineness),
            "fine_grams": _grams(lot.fine_grams),
            "production_from": _date(lot.production_from),
            "production_to": _date(lot.production_to),
            "processing_methods": list(lot.processing_methods),
            "seal_number": lot.seal_number,
            "sources": [
                {
                    "site": str(s.site_id),
                    "site_name": s.site.name,
                    "month": s.month.strftime("%Y-%m"),
                    "grams": _grams(s.grams),
                }
                for s in lot.sources.all()
            ],
            "assays": [
                {
                    "position": a.position,
                    "laboratory": a.laboratory,
                    "method": a.method,
                    "au_per_mille": str(a.au_per_mille),
                    "certificate_number": a.certificate_number,
                    "assayed_on": _date(a.assayed_on),
                    "sha256": a.sha256 or None,
                    "size": a.size,
                }
                for a in lot.assays.all()
            ],
            "custody": [
                {
                    "seq": c.seq,
                    "kind": c.kind,
                    "occurred_at": c.occurred_at.isoformat(),
                    "place": c.place,
                    "organization": c.organization.legal_name,
                    "seal_number": c.seal_number,
                    "sha256": c.sha256 or None,
                }
                for c in lot.custody.all()
            ],
        }
        for lot in lots
    ]


def _mass_balance(producer: Producer, lots: list[Lot], today: dt.date) -> dict[str, Any]:
    """The rows of the sites and months the lots come from."""
    concerned = {(s.site_id, s.month) for lot in lots for s in lot.sources.all()}
    rows = [row for row in mass_balance(producer=producer, today=today) if (row.site.pk, row.month) in concerned]
    return {
        "tolerance_bp": tolerance_bp(today),
        "rows": [
            {
                "site": str(row.site.pk),
                "site_name": row.site.name,
                "month": row.month.strftime("%Y-%m"),
                "declared_grams": _grams(row.declared_grams),
                "used_grams": _grams(row.used_grams),
                "committed_forward_grams": _grams(row.committed_forward_grams),
                "left_grams": _grams(row.left_grams),
            }
            for row in rows
        ],
    }


def _flags(producer: Producer) -> list[dict[str, Any]]:
    return [
        {
            "id": str(flag.pk),
            "subject_kind": flag.subject_kind,
            "site": flag.site.name if flag.site else None,
            "lot": flag.lot.code if flag.lot else None,
            "category": flag.category_id,
            "category_name_en": flag.category.name_en,
            "category_name_es": flag.category.name_es,
            "severity": flag.severity,
            "status": flag.status,
            "facts": flag.facts,
            "opened_at": flag.opened_at.isoformat(),
            "closed_at": flag.closed_at.isoformat() if flag.closed_at else None,
            "close_reason": flag.close_reason or None,
            "answers": [
                {"text": a.text, "answered_by_name": _name(a.answered_by), "answered_at": a.answered_at.isoformat()}
                for a in flag.answers.all()
            ],
            "attachments": [
                {"original_name": a.original_name, "size": a.size, "sha256": a.sha256} for a in flag.attachments.all()
            ],
        }
        for flag in flags_for_producer(producer.pk)
    ]


def _policy(producer: Producer, today: dt.date) -> dict[str, Any]:
    policy = policy_in_force(policy_subject(producer.organization, producer.legal_kind), today)
    return {
        "subject": policy.subject,
        "version": policy.version,
        "effective_from": _date(policy.effective_from),
        "requirements": sorted(r.code for r in policy.requirements.all()),
    }


def assemble(consent: PackConsent, basis: dict[str, Any], today: dt.date | None = None) -> dict[str, Any]:
    """The pack's content for the buyer of a consent in force (the caller checked it), without links."""
    today = today or clock.today_lima()
    producer = Producer.objects.select_related("organization").get(pk=consent.producer_id)
    sites = list(Site.objects.filter(producer=producer).order_by("name", "id"))
    lot_ids = provider("PACK_LOTS")(consent.buyer_id, producer.pk)
    lots = list(lot_relations(Lot.objects.filter(pk__in=lot_ids)).order_by("code", "id"))
    return {
        "consent": {
            "id": str(consent.pk),
            "buyer": str(consent.buyer_id),
            "buyer_name": consent.buyer.legal_name,
            "granted_at": consent.decided_at.isoformat() if consent.decided_at else None,
            "basis": {"kind": basis["kind"], "id": str(basis["id"])},
        },
        "as_of": today.isoformat(),
        "producer": _identity(producer),
        "owners": _owners(producer, today),
        "screening": _screening(producer),
        "evidence": _evidence(evidence_in_pack(producer, sites, today)),
        "sites": _sites(sites),
        "lots": _lots(lots),
        "mass_balance": _mass_balance(producer, lots, today),
        "red_flags": _flags(producer),
        "policy": _policy(producer, today),
    }


def with_links(
    consent: PackConsent, content: dict[str, Any], *, link: Callable[[str], str] = api_file_link
) -> dict[str, Any]:
    """The content, its digest, when it was generated, and each evidence file's signed link (`link` makes the
    address from the token: the API's by default)."""
    body = json.loads(canonical(content))  # a deep copy: the digest's content stays without links
    for item in body["evidence"]:
        for file in item["files"]:
            file["download"] = link(file_token(consent, file["id"]))
    return {**body, "generated_at": clock.now().isoformat(), "sha256": digest(content)}


# --- PDF ---------------------------------------------------------------------------------------------
def render_pdf(content: dict[str, Any], sha256: str, generated_at: str, *, compress: bool = True) -> bytes:
    """The same content as a PDF (fpdf2, DejaVu Sans for accents and symbols), with the same digest."""
    from fpdf import FPDF  # imported when a PDF is asked for: the JSON reads never load it

    pdf = FPDF(format="A4")
    pdf.set_compression(compress)
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_font("DejaVu", "", str(FONT))
    pdf.add_font("DejaVu", "B", str(FONT_BOLD))
    pdf.add_page()
    width = pdf.epw

    def heading(text: str) -> None:
        pdf.ln(2)
        pdf.set_font("DejaVu", "B", 12)
        pdf.multi_cell(width, 7, text, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", "", 9)

    def line(text: str) -> None:
        pdf.multi_cell(width, 5, text, new_x="LMARGIN", new_y="NEXT")

    producer = content["producer"]
    pdf.set_font("DejaVu", "B", 15)
    pdf.multi_cell(width, 8, f"Due-diligence pack: {producer['legal_name']}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 9)
    line(f"For {content['consent']['buyer_name']}, as of {content['as_of']}, generated {generated_at}")
    line(f"SHA-256 of the content: {sha256}")

    heading("Producer")
    for key in ("legal_name", "legal_kind", "legal_category", "ruc", "dni", "reinfo_code", "district"):
        line(f"{key}: {producer[key] or '-'}")

    heading("Owners and politically exposed persons")
    owners = content["owners"]
    if owners is None:
        line("No confirmed owners declaration.")
    else:
        for o in owners["owners"]:
            line(f"{o['name']} ({o['document_type']} {o['document_number']}), {o['share_percent']} %, PEP: {o['pep']}")
        for p in owners["peps"]:
            line(f"PEP: {p['name']}, {p['position']} ({p['relation']})")

    heading("Sanctions screening")
    screening = content["screening"]
    if screening is None:
        line("Not screened yet.")
    else:
        line(f"Screened at {screening['screened_at']}; hits: {len(screening['hits'])}")
        for lst in screening["lists"]:
            line(f"{lst['source']}: sha256 {lst['sha256']}")
        for hit in screening["hits"]:
            line(f"Hit: {hit['name']} ({hit['role']}) = {hit['source']} {hit['reference']}")

    heading("Evidence")
    for item in content["evidence"]:
        line(
            f"{item['type']} {item['type_name_en']}; issuer {item['issuer'] or '-'}; "
            f"no. {item['document_number'] or '-'}; "
            f"issued {item['issue_date']}; valid until {item['valid_until']}; reviewer {item['reviewer'] or '-'}"
        )
        for f in item["files"]:
            line(f"    {f['original_name']} ({f['size']} bytes) sha256 {f['sha256']}")

    heading("Sites")
    for site in content["sites"]:
        line(f"{site['name']}: concession {site['concession_code']}, {site['district']}, {site['status']}")
        line(f"    {json.dumps(site['geometry'])}")

    heading("Lots")
    for lot in content["lots"]:
        line(f"{lot['code']}: {lot['form']}, {lot['gross_grams']} g gross, {lot['fine_grams']} g fine")
        for a in lot["assays"]:
            line(
                f"    assay {a['certificate_number']} ({a['laboratory']}): {a['au_per_mille']} ‰, sha256 {a['sha256']}"
            )
        for c in lot["custody"]:
            line(f"    custody {c['seq']} {c['kind']} at {c['occurred_at']} by {c['organization']}")

    heading("Mass balance")
    for row in content["mass_balance"]["rows"]:
        line(
            f"{row['site_name']} {row['month']}: declared {row['declared_grams']} g, used {row['used_grams']} g, "
            f"forward {row['committed_forward_grams']} g, left {row['left_grams']} g"
        )

    heading("Red flags")
    for flag in content["red_flags"]:
        line(f"{flag['category']} ({flag['severity']}, {flag['status']}), opened {flag['opened_at']}: {flag['facts']}")
        if flag["close_reason"]:
            line(f"    closed: {flag['close_reason']}")
        for a in flag["answers"]:
            line(f"    answer: {a['text']}")

    heading("Policy in force")
    policy = content["policy"]
    line(f"{policy['subject']} version {policy['version']}, from {policy['effective_from']}")
    line(", ".join(policy["requirements"]))
    return bytes(pdf.output())
