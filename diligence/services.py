"""Every write to red flags: open one, propose or confirm closing it, answer it, attach a file. Each is atomic
with one audit event; a refusal changes nothing.

Closing is four-eyes for a high-severity flag, as a second review of evidence is: the first reviewer's close
is a proposal (the flag stays open, and keeps suspending offers), a different reviewer's close confirms it;
the same reviewer confirming is 409 `second_reviewer_required`. Low and medium flags close with one reviewer.
Moves decide on the flag's row locked with `select_for_update`; closing a closed flag is a no-op.

Tenancy is checked on the subject: a site or lot names its producer, and a `producer` given with it must be
that one (400 `subject_not_of_producer`); a subject that does not exist is a 400 naming the field.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.files.storage import storages
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Membership, Organization
from accounts.selectors import organization_admins
from audit.services import audit_record
from core.actor import Actor
from core.errors import BadRequest, Conflict, PermissionDenied, field_error
from core.extensions import provider
from core.uploads import CheckedFile, store
from diligence.models import (
    PRODUCER_SIDE,
    FlagStatus,
    RedFlag,
    RedFlagAnswer,
    RedFlagAttachment,
    RedFlagCategory,
    Severity,
    SubjectKind,
)
from notifications.services import notify
from producers.models import Site
from producers.services import require_independent_reviewer
from provenance.models import Lot

SUBJECT_FIELDS = ("producer", "site", "lot", "buyer")
# The field that names the subject of each kind.
SUBJECT_FIELD = {
    SubjectKind.PRODUCER: "producer",
    SubjectKind.SITE: "site",
    SubjectKind.LOT: "lot",
    SubjectKind.BUYER: "buyer",
}


def require_reviewer(actor: Actor) -> None:
    if not (actor.is_reviewer or actor.is_staff):
        raise PermissionDenied(_("Only the network's reviewers record and close red flags."), code="not_reviewer")


def require_flag_member(actor: Actor, flag: RedFlag) -> None:
    """The producer's members answer the flags against it."""
    if actor.organization_kind != "producer" or actor.organization_id != flag.organization_id:
        raise PermissionDenied(_("Only the producer's members answer its red flags."), code="not_producer_member")


def require_attacher(actor: Actor, flag: RedFlag) -> None:
    """Files are added by the reviewers (the facts) and by the producer's members (their answer)."""
    if actor.is_reviewer or actor.is_staff:
        return
    require_flag_member(actor, flag)


def _not_of_producer(field: str) -> BadRequest:
    message = _("This %(field)s is not one of the named producer's.") % {"field": field}
    return BadRequest(
        message,
        code="subject_not_of_producer",
        errors=[{"field": field, "code": "not_of_producer", "message": str(message)}],
    )


def _subject(subject_kind: str, given: dict[str, Any]) -> tuple[Organization, Site | None, Lot | None]:
    """The subject's organisation, site and lot, from the ids given; only the fields of the kind may be given."""
    kind = SubjectKind(subject_kind)
    field = SUBJECT_FIELD[kind]
    allowed = {field, "producer"} if kind in (SubjectKind.SITE, SubjectKind.LOT) else {field}
    for other in SUBJECT_FIELDS:
        if other not in allowed and given.get(other) is not None:
            raise field_error(
                other,
                "not_allowed_for_subject_kind",
                _("A %(kind)s flag names no %(field)s.") % {"kind": kind.label, "field": other},
            )
    if given.get(field) is None:
        raise field_error(
            field, "required_by_subject_kind", _("Name the %(field)s the flag is against.") % {"field": field}
        )
    missing = _("There is no such %(field)s.") % {"field": field}
    if kind == SubjectKind.BUYER:
        buyer = Organization.objects.filter(pk=given["buyer"], kind=Organization.Kind.BUYER).first()
        if buyer is None:
            raise field_error("buyer", "does_not_exist", missing)
        return buyer, None, None
    site = lot = None
    if kind == SubjectKind.SITE:
        site = Site.objects.select_related("producer__organization").filter(pk=given["site"]).first()
        if site is None:
            raise field_error("site", "does_not_exist", missing)
        producer_id = site.producer_id
    elif kind == SubjectKind.LOT:
        lot = Lot.objects.select_related("producer__organization").filter(pk=given["lot"]).first()
        if lot is None:
            raise field_error("lot", "does_not_exist", missing)
        producer_id = lot.producer_id
    else:
        producer_id = given["producer"]
    named = given.get("producer")
    if named is not None and str(named) != str(producer_id):
        if not Organization.objects.filter(pk=named, kind=Organization.Kind.PRODUCER).exists():
            raise field_error("producer", "does_not_exist", _("There is no such producer."))
        raise _not_of_producer(field)
    producer = Organization.objects.filter(pk=producer_id, kind=Organization.Kind.PRODUCER).first()
    if producer is None:
        raise field_error("producer", "does_not_exist", _("There is no such producer."))
    return producer, site, lot


def subject_label(flag: RedFlag) -> str:
    """How the subject is named to people: the organisation, and the site or lot."""
    name = flag.organization.legal_name
    if flag.site is not None:
        return f"{name}, {flag.site.name}"
    if flag.lot is not None:
        return f"{name}, {flag.lot.code}"
    return name


def _audit_subject(flag: RedFlag, actor: Actor) -> Any:
    """Whose trail a flag's events belong to: the producer's for its flags; a buyer is not told of the flags
    against it (a sanctions match would be tipped off), so those events stay in the network's trail."""
    return flag.organization if flag.subject_kind in PRODUCER_SIDE else None


@transaction.atomic
def flag_open(
    *,
    actor: Actor,
    subject_kind: str,
    category: str,
    severity: str,
    facts: str,
    producer: Any = None,
    site: Any = None,
    lot: Any = None,
    buyer: Any = None,
) -> RedFlag:
    """Record a red flag. An open high-severity flag suspends at once the offers it concerns."""
    require_reviewer(actor)
    facts = facts.strip()
    if not facts:
        raise field_error("facts", "blank", _("Say what was found: the producer will read it."))
    organization, site_row, lot_row = _subject(
        subject_kind, {"producer": producer, "site": site, "lot": lot, "buyer": buyer}
    )
    require_independent_reviewer(actor, organization.pk)
    category_row = RedFlagCategory.objects.filter(pk=category).first()
    if category_row is None:
        raise field_error("category", "does_not_exist", _("There is no such category: see /red-flag-categories/."))
    flag = RedFlag.objects.create(
        subject_kind=subject_kind,
        organization=organization,
        site=site_row,
        lot=lot_row,
        category=category_row,
        severity=severity,
        facts=facts,
        opened_by=actor.user,
    )
    if flag.subject_kind in PRODUCER_SIDE and severity == Severity.HIGH:
        provider("CATALOGUE_CHANGED")(producer_ids=[organization.pk])  # it suspends the offers it concerns
    audit_record(
        action="diligence.red_flag.opened",
        actor=actor,
        subject_organization=_audit_subject(flag, actor),
        target=flag,
        data={
            "subject_kind": subject_kind,
            "organization": str(organization.pk),
            "site": str(site_row.pk) if site_row else None,
            "lot": str(lot_row.pk) if lot_row else None,
            "category": category_row.code,
            "severity": severity,
            "facts": facts,
        },
    )
    if flag.subject_kind in PRODUCER_SIDE:
        notify(
            recipients=organization_admins(organization_id=organization.pk),
            kind="red_flag_opened",
            params={
                "subject": subject_label(flag),
                "category_es": category_row.name_es,
                "category_en": category_row.name_en,
                "severity": severity,
                "effect": "suspends" if severity == Severity.HIGH else "none",
            },
            organization=organization,
            target=flag,
        )
    return flag


def _locked(flag: RedFlag) -> RedFlag:
    """The flag's row locked (only its own: the site and lot are read through outer joins)."""
    related = RedFlag.objects.select_related("organization", "site", "lot", "category")
    return related.select_for_update(of=("self",)).get(pk=flag.pk)


@transaction.atomic
def flag_close(*, actor: Actor, flag: RedFlag, reason: str) -> RedFlag:
    """Close with a reason. High severity: the first reviewer proposes, a different one confirms."""
    require_reviewer(actor)
    require_independent_reviewer(actor, flag.organization_id)
    reason = reason.strip()
    if not reason:
        raise field_error("reason", "required", _("Give the reason for closing: the producer will read it."))
    locked = _locked(flag)
    if locked.status == FlagStatus.CLOSED:
        return locked
    now = timezone.now()
    if locked.severity == Severity.HIGH and locked.close_proposed_by_id is None:
        RedFlag.objects.filter(pk=locked.pk, status=FlagStatus.OPEN).update(
            close_proposed_by=actor.user, close_proposed_at=now, close_proposal_reason=reason
        )
        audit_record(
            action="diligence.red_flag.close_proposed",
            actor=actor,
            subject_organization=_audit_subject(locked, actor),
            target=locked,
            data={"reason": reason},
        )
        return _locked(locked)
    if locked.severity == Severity.HIGH and locked.close_proposed_by_id == actor.user.pk:
        raise Conflict(
            _("A second, different reviewer must confirm closing this flag."), code="second_reviewer_required"
        )
    RedFlag.objects.filter(pk=locked.pk, status=FlagStatus.OPEN).update(
        status=FlagStatus.CLOSED, close_reason=reason, closed_by=actor.user, closed_at=now
    )
    if locked.subject_kind in PRODUCER_SIDE and locked.severity == Severity.HIGH:
        provider("CATALOGUE_CHANGED")(producer_ids=[locked.organization_id])  # its suspension ends
    audit_record(
        action="diligence.red_flag.closed",
        actor=actor,
        subject_organization=_audit_subject(locked, actor),
        target=locked,
        data={
            "reason": reason,
            "severity": locked.severity,
            "proposed_by": str(locked.close_proposed_by_id) if locked.close_proposed_by_id else None,
        },
    )
    return _locked(locked)


def _reviewers() -> list[Any]:
    return [
        membership.user
        for membership in Membership.objects.select_related("user").filter(
            organization__kind=Organization.Kind.NETWORK, role__in=("reviewer", "admin")
        )
    ]


def _store_all(files: Sequence[CheckedFile], flag: RedFlag) -> list[str]:
    storage = storages["evidence"]
    names: list[str] = []
    try:
        for checked in files:
            names.append(store(checked, storage=storage, prefix=f"red-flags/{flag.organization_id}"))
    except BaseException:
        for name in names:
            storage.delete(name)
        raise
    return names


def _attach(
    *, actor: Actor, flag: RedFlag, files: Sequence[CheckedFile], names: Sequence[str], answer: RedFlagAnswer | None
) -> list[RedFlagAttachment]:
    """Under the flag's row lock: number the files after the flag's last one."""
    last = flag.attachments.order_by("-position").values_list("position", flat=True).first() or 0
    side = RedFlagAttachment.Side.NETWORK if (actor.is_reviewer or actor.is_staff) else RedFlagAttachment.Side.PRODUCER
    return [
        RedFlagAttachment.objects.create(
            flag=flag,
            position=last + index,
            answer=answer,
            side=side,
            file=name,
            sha256=checked.sha256,
            size=checked.size,
            content_type=checked.content_type,
            original_name=checked.original_name,
            uploaded_by=actor.user,
        )
        for index, (checked, name) in enumerate(zip(files, names, strict=True), start=1)
    ]


def _file_data(attachments: Sequence[RedFlagAttachment]) -> list[dict[str, Any]]:
    return [{"position": a.position, "sha256": a.sha256, "size": a.size} for a in attachments]


def _require_open(flag: RedFlag) -> None:
    if flag.status != FlagStatus.OPEN:
        raise Conflict(_("This red flag is closed."), code="red_flag_closed")


def answer_add(*, actor: Actor, flag: RedFlag, text: str, files: Sequence[CheckedFile] = ()) -> RedFlagAnswer:
    """The producer answers (text, and files stored first, removed if the answer is refused); the network's
    reviewers are notified."""
    require_flag_member(actor, flag)
    text = text.strip()
    if not text:
        raise field_error("text", "blank", _("Write the answer."))
    _require_open(flag)
    names = _store_all(files, flag)
    try:
        return _record_answer(actor=actor, flag=flag, text=text, files=files, names=names)
    except BaseException:
        for name in names:
            storages["evidence"].delete(name)
        raise


@transaction.atomic
def _record_answer(
    *, actor: Actor, flag: RedFlag, text: str, files: Sequence[CheckedFile], names: Sequence[str]
) -> RedFlagAnswer:
    locked = _locked(flag)
    _require_open(locked)
    answer = RedFlagAnswer.objects.create(flag=locked, text=text, answered_by=actor.user)
    attachments = _attach(actor=actor, flag=locked, files=files, names=names, answer=answer)
    audit_record(
        action="diligence.red_flag.answered",
        actor=actor,
        subject_organization=locked.organization,
        target=locked,
        data={"answer": answer.pk, "text": text, "files": _file_data(attachments)},
    )
    notify(
        recipients=_reviewers(),
        kind="red_flag_answered",
        params={
            "organization": locked.organization.legal_name,
            "subject": subject_label(locked),
            "category_es": locked.category.name_es,
            "category_en": locked.category.name_en,
        },
        target=locked,
    )
    return answer


def attachment_add(*, actor: Actor, flag: RedFlag, file: CheckedFile) -> RedFlagAttachment:
    """A file of the facts (a reviewer) or of the producer's side; stored first, removed if refused."""
    require_attacher(actor, flag)
    _require_open(flag)
    names = _store_all([file], flag)
    try:
        return _record_attachment(actor=actor, flag=flag, file=file, name=names[0])
    except BaseException:
        storages["evidence"].delete(names[0])
        raise


@transaction.atomic
def _record_attachment(*, actor: Actor, flag: RedFlag, file: CheckedFile, name: str) -> RedFlagAttachment:
    locked = _locked(flag)
    _require_open(locked)
    [attachment] = _attach(actor=actor, flag=locked, files=[file], names=[name], answer=None)
    audit_record(
        action="diligence.red_flag.attachment_added",
        actor=actor,
        subject_organization=_audit_subject(locked, actor),
        target=locked,
        data={"file": _file_data([attachment])[0], "side": attachment.side},
    )
    return attachment
