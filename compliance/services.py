"""Every write to compliance on evidence: the upload and the review decisions (buyer KYC is `compliance.kyc`,
reminders `compliance.reminders`, deadlines set by law `compliance.deadlines`).

Decisions are compare-and-set moves on the evidence status, each with one audit event that records the
reviewer, the reason and the hashes of the files they looked at, and a notification to the organisation's
admins after commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, cast

from django.conf import settings
from django.core.files.storage import storages
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organization
from accounts.selectors import acting_organization, organization_admins
from audit.services import audit_record
from compliance import catalogue
from compliance.models import (
    EVIDENCE_TRANSITIONS,
    PENDING_STATUSES,
    DeclaredProduction,
    Evidence,
    EvidenceDecision,
    EvidenceFile,
    EvidenceStatus,
    EvidenceType,
)
from compliance.owners import parse_owners
from compliance.production import check_confirmation, covered_only_by, parse_production
from compliance.standing import standings_refresh
from core import clock
from core.actor import Actor
from core.errors import Conflict, PermissionDenied, field_error
from core.extensions import provider
from core.uploads import CheckedFile, check_uploads, store
from notifications.services import notify
from producers.models import Site
from producers.services import require_independent_reviewer


def type_names(evidence_type: EvidenceType) -> dict[str, str]:
    """Both names: the notification is rendered later, in each reader's language."""
    return {"type_es": evidence_type.name_es, "type_en": evidence_type.name_en}


def _file_hashes(evidence: Evidence) -> list[dict[str, Any]]:
    return [{"position": f.position, "sha256": f.sha256} for f in evidence.files.order_by("position")]


def _declared_owners(evidence_type: EvidenceType, attributes: dict[str, Any]) -> dict[str, Any]:
    """An owners declaration carries its owners and PEPs in `attributes`, checked and normalised; any other
    type refuses them."""
    if not evidence_type.declares_owners:
        if "owners" in attributes or "peps" in attributes:
            raise field_error("attributes", "not_allowed", _("Only a declaration of beneficial owners carries owners."))
        return attributes
    return parse_owners(attributes)


def _declared_months(evidence_type: EvidenceType, production: Any) -> dict[dt.date, Decimal]:
    """A production declaration needs its months; any other type refuses them."""
    if not evidence_type.declares_production:
        if production is not None:
            raise field_error("production", "not_allowed", _("Only a production declaration carries months."))
        return {}
    if production is None:
        raise field_error("production", "required", _("Give the grams produced in each month you declare."))
    return parse_production("production", production)


def _check_member_counts(attributes: dict[str, Any]) -> None:
    """Counts of women and men (`{"women": n, "men": m}`: the member register's, which back the women-led
    claim) come together, as whole numbers from 0."""
    if "women" not in attributes and "men" not in attributes:
        return
    counts = (attributes.get("women"), attributes.get("men"))
    if not all(isinstance(n, int) and not isinstance(n, bool) and 0 <= n <= 1_000_000 for n in counts):
        raise field_error(
            "attributes",
            "invalid_member_counts",
            _('Give both counts, women and men, as whole numbers from 0: {"women": 23, "men": 4}.'),
        )


# --- Upload ---------------------------------------------------------------------------------------
def evidence_submit(
    *,
    actor: Actor,
    evidence_type: EvidenceType,
    files: Sequence[CheckedFile],
    issue_date: dt.date,
    expiry_date: dt.date | None = None,
    no_expiry: bool = False,
    site: Site | None = None,
    document_number: str = "",
    issuer: str = "",
    notes: str = "",
    attributes: dict[str, Any] | None = None,
    supersedes: Evidence | None = None,
    production: Any = None,
) -> Evidence:
    """Store the files first (outside the transaction), then record the item; remove the files if that fails."""
    organization = acting_organization(actor)
    if organization is None or organization.kind not in (Organization.Kind.PRODUCER, Organization.Kind.BUYER):
        raise PermissionDenied(_("Evidence is uploaded by a producer or a buyer organisation."), code="not_allowed")
    expected_subject = "buyer" if organization.kind == Organization.Kind.BUYER else "producer"
    if evidence_type.subject != expected_subject:
        raise field_error("evidence_type", "wrong_subject", _("This type of evidence is not for your organisation."))
    if site is not None and site.producer_id != organization.pk:
        raise field_error("site", "not_your_site", _("This site is not one of yours."))
    if evidence_type.site_specific and site is None:
        raise field_error("site", "required_by_evidence_type", _("Say which of your sites this document is about."))
    if no_expiry:
        if expiry_date is not None:
            raise field_error(
                "no_expiry",
                "expiry_date_and_no_expiry",
                _("Give either the expiry date printed on the document or no_expiry, not both."),
            )
        if evidence_type.validity != EvidenceType.Validity.DOCUMENT_EXPIRY or not evidence_type.allows_no_expiry:
            raise field_error(
                "no_expiry",
                "no_expiry_not_allowed",
                _("This type of document cannot be recorded as never expiring."),
            )
    if evidence_type.validity == EvidenceType.Validity.DOCUMENT_EXPIRY and expiry_date is None and not no_expiry:
        raise field_error(
            "expiry_date", "required_by_evidence_type", _("Give the expiry date printed on the document.")
        )
    _check_member_counts(attributes or {})
    if expiry_date is not None and expiry_date < issue_date:
        raise field_error("expiry_date", "before_issue", _("The expiry date is before the issue date."))
    if issue_date > clock.today_lima():
        raise field_error("issue_date", "in_future", _("The issue date is in the future."))
    if supersedes is not None and (
        supersedes.organization_id != organization.pk or supersedes.evidence_type_id != evidence_type.pk
    ):
        raise field_error("supersedes", "not_same_type", _("A correction replaces an item of the same type of yours."))
    months = _declared_months(evidence_type, production)
    attributes = _declared_owners(evidence_type, attributes or {})
    storage = storages["evidence"]
    stored = [store(checked, storage=storage, prefix=str(organization.pk)) for checked in files]
    try:
        return _record_submission(
            actor=actor,
            organization=organization,
            evidence_type=evidence_type,
            files=files,
            stored=stored,
            issue_date=issue_date,
            expiry_date=expiry_date,
            no_expiry=no_expiry,
            site=site,
            document_number=document_number,
            issuer=issuer,
            notes=notes,
            attributes=attributes,
            supersedes=supersedes,
            months=months,
        )
    except BaseException:
        for name in stored:
            storage.delete(name)
        raise


def require_uploader(actor: Actor) -> None:
    """Evidence is uploaded for a producer or a buyer organisation one acts for."""
    if actor.organization_id is None:
        raise PermissionDenied(_("Act for an organisation to upload evidence."), code="organization_required")
    if actor.organization_kind not in (Organization.Kind.PRODUCER, Organization.Kind.BUYER):
        raise PermissionDenied(_("Evidence is uploaded by a producer or a buyer organisation."), code="not_allowed")


def evidence_upload(
    *, actor: Actor, files: Sequence[Any], site: Any = None, supersedes: Any = None, **values: Any
) -> Evidence:
    """An upload as the API and the console receive it (validated by `EvidenceInputSerializer`): the files
    checked (type by their bytes, size, pixels), the site and the item it supersedes found among the
    organisation's own (400 `does_not_exist` otherwise), then `evidence_submit`."""
    require_uploader(actor)
    checked = check_uploads(
        files,
        max_files=settings.EVIDENCE_MAX_FILES,
        max_file_bytes=settings.EVIDENCE_MAX_FILE_BYTES,
        max_request_bytes=settings.EVIDENCE_MAX_REQUEST_BYTES,
        max_pixels=settings.IMAGE_MAX_PIXELS,
    )
    found_site = Site.objects.filter(pk=site).first() if site else None
    if site and (found_site is None or found_site.producer_id != actor.organization_id):
        raise field_error("site", "does_not_exist", _("This site is not one of yours."))
    own = Evidence.objects.filter(organization_id=cast(Any, actor.organization_id))  # set: require_uploader
    found = own.filter(pk=supersedes).first() if supersedes else None
    if supersedes and found is None:
        raise field_error("supersedes", "does_not_exist", _("This item is not one of yours."))
    return evidence_submit(actor=actor, files=checked, site=found_site, supersedes=found, **values)


@transaction.atomic
def _record_submission(
    *,
    actor: Actor,
    organization: Organization,
    evidence_type: EvidenceType,
    files: Sequence[CheckedFile],
    stored: list[str],
    supersedes: Evidence | None,
    months: dict[dt.date, Decimal],
    **fields: Any,
) -> Evidence:
    evidence = Evidence.objects.create(
        organization=organization,
        evidence_type=evidence_type,
        submitted_by=actor.user,
        supersedes=supersedes,
        **fields,
    )
    DeclaredProduction.objects.bulk_create(
        DeclaredProduction(evidence=evidence, site=evidence.site, month=month, declared_grams=amount)
        for month, amount in months.items()
    )
    EvidenceFile.objects.bulk_create(
        EvidenceFile(
            evidence=evidence,
            position=index,
            file=name,
            sha256=checked.sha256,
            size=checked.size,
            content_type=checked.content_type,
            original_name=checked.original_name,
        )
        for index, (checked, name) in enumerate(zip(files, stored, strict=True), start=1)
    )
    superseded = False
    if supersedes is not None:
        # A correction replaces an item that is not approved at once; an approved one stays until the
        # renewal is approved, so a producer is never without valid evidence while waiting.
        replaceable = ("submitted", "in_review", "changes_requested", "rejected")
        superseded = bool(
            Evidence.objects.filter(pk=supersedes.pk, status__in=replaceable).update(
                status=EvidenceStatus.SUPERSEDED, superseded_at=timezone.now()
            )
        )
    audit_record(
        action="compliance.evidence.submitted",
        actor=actor,
        target=evidence,
        data={
            "type": evidence_type.code,
            "document_number": evidence.document_number,
            "files": [{"sha256": f.sha256, "size": f.size, "content_type": f.content_type} for f in files],
            "supersedes": str(supersedes.pk) if supersedes else None,
            "superseded_now": superseded,
            **({"production": {f"{m:%Y-%m}": str(g) for m, g in months.items()}} if months else {}),
            # Counts only: names and documents are personal data, kept on the item, not in the permanent trail.
            **(
                {"owners": len(fields["attributes"]["owners"]), "peps": len(fields["attributes"]["peps"])}
                if evidence_type.declares_owners
                else {}
            ),
        },
    )
    return evidence


# --- Review ---------------------------------------------------------------------------------------
def _decide(
    *,
    actor: Actor,
    evidence: Evidence,
    move: str,
    reason: str = "",
    extra: dict[str, Any] | None = None,
    claimed_by_actor: bool = False,
) -> Evidence:
    """The compare-and-set of every decision: from the allowed states (and, when asked, claimed by this
    reviewer) to the target, or 409."""
    allowed_from, target = EVIDENCE_TRANSITIONS[move]
    now = timezone.now()
    updates: dict[str, Any] = {"status": target, **(extra or {})}
    if move != "claim":
        updates.update(decided_by=actor.user, decided_at=now, decision_reason=reason)
    query = Evidence.objects.filter(pk=evidence.pk, status__in=allowed_from)
    if claimed_by_actor:
        query = query.filter(claimed_by=actor.user)
    if not query.update(**updates):
        evidence.refresh_from_db()
        if claimed_by_actor and evidence.status == EvidenceStatus.IN_REVIEW and evidence.claimed_by_id != actor.user.pk:
            raise Conflict(_("Claim this item before deciding on it."), code="not_claimed")
        raise Conflict(
            _("This item is %(status)s: it cannot be decided that way.")
            % {"status": EvidenceStatus(evidence.status).label},
            code="invalid_transition",
        )
    evidence.refresh_from_db()
    return evidence


def _record_decision(
    *,
    actor: Actor,
    evidence: Evidence,
    action: str,
    reason: str = "",
    valid_until: dt.date | None = None,
    notify_status: str | None = None,
    confirmed: dict[str, str] | None = None,
    superseded: list[str] | None = None,
) -> None:
    hashes = _file_hashes(evidence)
    EvidenceDecision.objects.create(
        evidence=evidence,
        reviewer=actor.user,
        action=action,
        reason=reason,
        valid_until=valid_until,
        file_hashes=hashes,
    )
    audit_record(
        action=f"compliance.evidence.{action}",
        actor=actor,
        subject_organization=evidence.organization,
        target=evidence,
        data={
            "type": evidence.evidence_type_id,
            "reason": reason,
            "valid_until": valid_until.isoformat() if valid_until else None,
            "file_hashes": hashes,
            **({"confirmed_production": confirmed} if confirmed else {}),
            **({"superseded": superseded} if superseded else {}),
        },
    )
    if action in ("approve", "revoke"):
        # The approved evidence changed (an approval may also supersede older items): search reads the
        # stored verdict, so it is recomputed before this transaction commits.
        standings_refresh(organization_ids=[evidence.organization_id])
    if action == "approve" and evidence.evidence_type.declares_owners:
        # The producer's confirmed owners changed: screen them against the sanctions lists in force, in this
        # transaction (diligence is above compliance: the OWNERS_CONFIRMED setting names the function).
        provider("OWNERS_CONFIRMED")(actor=actor, organization_id=evidence.organization_id)
    if notify_status:
        notify(
            recipients=organization_admins(organization_id=evidence.organization_id),
            kind="evidence_decided",
            params={
                **type_names(evidence.evidence_type),
                "document": evidence.document_number or str(evidence.pk)[:8],
                "status": notify_status,
                "reason": reason,
            },
            organization=evidence.organization,
            target=evidence,
        )


def evidence_integrity_failed(*, actor: Actor, file: EvidenceFile) -> None:
    """A stored file of an item no longer hashes to what was recorded at upload: it is not served, and the
    trail says so (the evidence download and the due-diligence pack's file links)."""
    audit_record(
        action="compliance.evidence.integrity_failed",
        actor=actor,
        subject_organization=file.evidence.organization,
        target=file.evidence,
        data={"position": file.position, "sha256": file.sha256},
    )


@transaction.atomic
def evidence_claim(*, actor: Actor, evidence: Evidence) -> Evidence:
    """Take an item from the queue: one reviewer at a time. A second approval is claimed the same way."""
    require_independent_reviewer(actor, evidence.organization_id)
    if evidence.status == EvidenceStatus.IN_REVIEW and evidence.claimed_by_id == actor.user.pk:
        return evidence
    if evidence.first_approved_by_id == actor.user.pk:
        raise Conflict(_("A second, different reviewer must approve this item."), code="second_reviewer_required")
    now = timezone.now()
    claimed = Evidence.objects.filter(pk=evidence.pk).filter(status=EvidenceStatus.SUBMITTED).update(
        status=EvidenceStatus.IN_REVIEW, claimed_by=actor.user, claimed_at=now
    ) or Evidence.objects.filter(
        pk=evidence.pk, status=EvidenceStatus.IN_REVIEW, claimed_by__isnull=True, first_approved_by__isnull=False
    ).update(claimed_by=actor.user, claimed_at=now)
    if not claimed:
        evidence.refresh_from_db()
        if evidence.status == EvidenceStatus.IN_REVIEW:
            raise Conflict(_("Another reviewer has claimed this item."), code="already_claimed")
        raise Conflict(
            _("This item is %(status)s: it cannot be claimed.") % {"status": EvidenceStatus(evidence.status).label},
            code="invalid_transition",
        )
    evidence.refresh_from_db()
    _record_decision(actor=actor, evidence=evidence, action="claim")
    return evidence


def _confirmed_months(evidence: Evidence, confirmed_production: Any) -> dict[dt.date, Decimal]:
    """A production declaration is approved with the grams the reviewer confirms for each declared month."""
    if not evidence.evidence_type.declares_production:
        if confirmed_production is not None:
            raise field_error(
                "confirmed_production", "not_allowed", _("Only a production declaration has grams to confirm.")
            )
        return {}
    declared = {row.month: row.declared_grams for row in evidence.production.all()}
    if not declared:
        return {}  # recorded before declarations carried months: it counts for nothing in the balance
    if confirmed_production is None:
        raise field_error("confirmed_production", "required", _("Confirm the grams of each declared month to approve."))
    confirmed = parse_production("confirmed_production", confirmed_production, allow_zero=True)
    check_confirmation(declared, confirmed)
    return confirmed


@transaction.atomic
def evidence_approve(
    *,
    actor: Actor,
    evidence: Evidence,
    valid_until: dt.date | None = None,
    reason: str = "",
    confirmed_production: Any = None,
) -> Evidence:
    """Approve with the validity it grants (the type's rule by default, never past the document's expiry).
    Where the type asks for two reviewers, the first approval waits for a second, different reviewer. A
    production declaration also needs the grams the reviewer confirms for each declared month."""
    require_independent_reviewer(actor, evidence.organization_id)
    if evidence.status == EvidenceStatus.APPROVED:
        return evidence
    confirmed = _confirmed_months(evidence, confirmed_production)
    if evidence.status in PENDING_STATUSES and evidence.claimed_by_id != actor.user.pk:
        raise Conflict(_("Claim this item before deciding on it."), code="not_claimed")
    evidence_type = evidence.evidence_type
    granted = catalogue.default_valid_until(
        evidence_type, evidence.issue_date, evidence.expiry_date, no_expiry=evidence.no_expiry
    )
    if valid_until is not None:
        # A reviewer may grant less than the type's rule (a doubt, a shorter term), never more.
        if evidence.expiry_date and valid_until > evidence.expiry_date:
            raise field_error("valid_until", "after_expiry", _("The validity cannot go past the document's expiry."))
        if valid_until > granted:
            raise field_error(
                "valid_until",
                "after_validity",
                _("The validity cannot go past %(date)s, the end of this type's validity.")
                % {"date": granted.isoformat()},
            )
        granted = valid_until
    if granted < clock.today_lima():
        raise field_error(
            "valid_until", "already_lapsed", _("This document is no longer valid: ask for a current one instead.")
        )
    if evidence_type.needs_second_review and evidence.first_approved_by_id is None:
        if evidence.claimed_by_id != actor.user.pk or evidence.status != EvidenceStatus.IN_REVIEW:
            raise Conflict(_("Claim this item before deciding on it."), code="not_claimed")
        Evidence.objects.filter(pk=evidence.pk, claimed_by=actor.user).update(
            first_approved_by=actor.user, claimed_by=None, claimed_at=None
        )
        evidence.refresh_from_db()
        _record_decision(actor=actor, evidence=evidence, action="first_approval", reason=reason, valid_until=granted)
        return evidence
    evidence = _decide(
        actor=actor,
        evidence=evidence,
        move="approve",
        reason=reason,
        extra={"valid_until": granted},
        claimed_by_actor=True,
    )
    for month, amount in confirmed.items():
        DeclaredProduction.objects.filter(evidence=evidence, month=month).update(confirmed_grams=amount)
    # The newest approved item of a type replaces the older ones (of the same site, for site documents).
    same_site = Q(site_id=evidence.site_id) if evidence.site_id else Q(site__isnull=True)
    older = Evidence.objects.filter(
        same_site,
        organization_id=evidence.organization_id,
        evidence_type_id=evidence.evidence_type_id,
        status=EvidenceStatus.APPROVED,
    ).exclude(pk=evidence.pk)
    if evidence.evidence_type.declares_production:
        # Another month's declaration keeps counting: only items whose months this one covers are replaced.
        older = older.filter(covered_only_by(confirmed))
    superseded = sorted(str(pk) for pk in older.values_list("pk", flat=True))
    if superseded:
        Evidence.objects.filter(pk__in=superseded, status=EvidenceStatus.APPROVED).update(
            status=EvidenceStatus.SUPERSEDED, superseded_at=timezone.now()
        )
    _record_decision(
        actor=actor,
        evidence=evidence,
        action="approve",
        reason=reason,
        valid_until=granted,
        notify_status="approved",
        confirmed={f"{m:%Y-%m}": str(g) for m, g in confirmed.items()},
        superseded=superseded,
    )
    if superseded:
        _tell_contracts(superseded, "superseded")
    return evidence


def _tell_contracts(evidence_ids: list[str], event: str) -> None:
    """Trade (later in the layer order) tells both parties of every contract whose accepted terms rest on
    these items; the function the EVIDENCE_WITHDRAWN setting names writes the notifications in this
    transaction (their e-mails leave after commit, as every notification's)."""
    provider("EVIDENCE_WITHDRAWN")(evidence_ids=evidence_ids, event=event)


@transaction.atomic
def evidence_refuse(*, actor: Actor, evidence: Evidence, move: str, reason: str) -> Evidence:
    """`reject` or `request_changes`, with a reason the producer reads."""
    require_independent_reviewer(actor, evidence.organization_id)
    if not reason.strip():
        raise field_error("reason", "required", _("Give the reason: the producer will read it."))
    target = EVIDENCE_TRANSITIONS[move][1]
    if evidence.status == target:
        return evidence
    # Claimed items are decided by the reviewer who claimed them; unclaimed ones by any reviewer.
    claimed_by_actor = evidence.status == EvidenceStatus.IN_REVIEW
    evidence = _decide(
        actor=actor, evidence=evidence, move=move, reason=reason.strip(), claimed_by_actor=claimed_by_actor
    )
    _record_decision(actor=actor, evidence=evidence, action=move, reason=reason.strip(), notify_status=target)
    return evidence


@transaction.atomic
def evidence_revoke(*, actor: Actor, evidence: Evidence, reason: str) -> Evidence:
    require_independent_reviewer(actor, evidence.organization_id)
    if not reason.strip():
        raise field_error("reason", "required", _("Give the reason: the producer will read it."))
    if evidence.status == EvidenceStatus.REVOKED:
        return evidence
    evidence = _decide(actor=actor, evidence=evidence, move="revoke", reason=reason.strip())
    _record_decision(actor=actor, evidence=evidence, action="revoke", reason=reason.strip(), notify_status="revoked")
    _tell_contracts([str(evidence.pk)], "revoked")
    return evidence
