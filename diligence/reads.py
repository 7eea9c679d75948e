"""Reading a producer's due-diligence pack and its files, for the buyer whose consent is in force: the API's
views and the console's pages both call these, so the rule of who reads what, and the audit of every read, is
written once. Without a consent in force (none, declined, revoked, or its basis closed) the answer is 404: the
producer is not that buyer's to read."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.files.storage import storages
from django.db import transaction

from audit.services import audit_record
from compliance.models import EvidenceFile
from compliance.services import evidence_integrity_failed
from core import clock
from core.actor import Actor
from core.downloads import read_or_refuse
from core.errors import NotFound
from diligence import consent as consents
from diligence import pack
from diligence.models import PackConsent


def consent_for_reader(actor: Actor, producer_id: Any) -> tuple[PackConsent, dict[str, Any]]:
    """The reader's consent in force and its basis, or 404 (no consent, declined, revoked, basis closed)."""
    if actor.organization_kind != "buyer":
        raise NotFound()
    consent = consents.consent_in_force(buyer_id=actor.organization_id, producer_id=producer_id)
    basis = consents.basis_of(actor.organization_id, producer_id) if consent is not None else None
    if consent is None or basis is None:
        raise NotFound()
    return consent, basis


@transaction.atomic
def pack_read(
    actor: Actor, producer_id: Any, what: str, *, link: Callable[[str], str] = pack.api_file_link
) -> tuple[PackConsent, dict[str, Any], dict[str, Any]]:
    """The pack as the buyer reads it now (`what`: json, pdf or html), with the read's audit event in the same
    transaction. `link` turns a file's signed token into the address the reader downloads it from."""
    consent, basis = consent_for_reader(actor, producer_id)
    content = pack.assemble(consent, basis)
    body = pack.with_links(consent, content, link=link)
    audit_record(
        action="diligence.pack.read",
        actor=actor,
        subject_organization=consent.producer,
        target=consent,
        data={"producer": str(consent.producer_id), "sha256": body["sha256"], "format": what},
    )
    return consent, content, body


def pack_file_read(actor: Actor, token: str) -> tuple[EvidenceFile, bytes]:
    """A file of the pack through its signed link, for a member of the buyer while the consent that signed it is
    in force and the item still approved and valid (else 404); its SHA-256 checked again, the download audited."""
    consent_id, file_id = pack.read_link(token)
    consent = PackConsent.objects.filter(pk=consent_id, buyer_id=actor.organization_id).first()
    if consent is None:
        raise NotFound()
    in_force, _basis = consent_for_reader(actor, consent.producer_id)
    if in_force.pk != consent.pk:  # revoked since, even if granted again: the old links stay dead
        raise NotFound()
    file = (
        EvidenceFile.objects.select_related("evidence")
        .filter(
            pk=file_id,
            evidence__organization_id=consent.producer_id,
            evidence__status="approved",
            evidence__valid_until__gte=clock.today_lima(),
        )
        .first()
    )
    if file is None:
        raise NotFound()
    content = read_or_refuse(
        storages["evidence"],
        str(file.file.name),
        file.sha256,
        what=f"Evidence file {file.evidence_id}/{file.position}",
        on_failure=lambda: evidence_integrity_failed(actor=actor, file=file),
    )
    with transaction.atomic():
        audit_record(
            action="diligence.pack.file_downloaded",
            actor=actor,
            subject_organization=consent.producer,
            target=consent,
            data={
                "producer": str(consent.producer_id),
                "evidence": str(file.evidence_id),
                "position": file.position,
                "sha256": file.sha256,
            },
        )
    return file, content
