"""The reviewer's desk: the queue of evidence waiting for review, and one item with its document beside the
type's checklist, claimed, approved, rejected or sent back with the API's services (docs/console.md)."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.core.files.storage import storages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from compliance import catalogue, selectors, services
from compliance.models import Evidence, EvidenceFile, EvidenceStatus, EvidenceType, ReviewReason
from console import previews
from console.views.base import Refusal, page, shows_refusals, signed_in
from core.actor import Actor
from core.downloads import attachment_response, read_or_refuse
from core.errors import DomainError
from producers.models import District, Producer

QUEUE_PAGE_SIZE = 50
WAITING_CHOICES = [
    ("", _("Any age")),
    ("3", _("3 days or more")),
    ("7", _("7 days or more")),
    ("30", _("30 days or more")),
]
INLINE_IMAGES = ("image/jpeg", "image/png", "image/webp")


# --- The queue ----------------------------------------------------------------------------------------------
class QueueForm(forms.Form):
    """The queue's filters, read from the address (a GET form: it works without JavaScript)."""

    evidence_type = forms.ChoiceField(label=_("Type of evidence"), required=False)
    district = forms.ChoiceField(label=_("District"), required=False)
    producer = forms.ChoiceField(label=_("Producer"), required=False)
    waiting = forms.ChoiceField(label=_("Waiting"), choices=WAITING_CHOICES, required=False)
    second_review = forms.BooleanField(label=_("Only items waiting for a second reviewer"), required=False)
    unclaimed = forms.BooleanField(label=_("Only items nobody has claimed"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        anything = [("", _("Any"))]
        types = EvidenceType.objects.order_by("code")
        choices = {
            name: cast(forms.ChoiceField, self.fields[name]) for name in ("evidence_type", "district", "producer")
        }
        choices["evidence_type"].choices = anything + [(t.code, f"{t.name} ({t.code})") for t in types]
        choices["district"].choices = anything + list(District.choices)
        producers = Producer.objects.select_related("organization").order_by("organization__legal_name")
        choices["producer"].choices = anything + [(str(p.pk), p.organization.legal_name) for p in producers]

    def filters(self) -> selectors.QueueFilters:
        data = self.cleaned_data
        return selectors.QueueFilters(
            evidence_type=data["evidence_type"] or None,
            district=data["district"] or None,
            organization=data["producer"] or None,
            waiting_days=int(data["waiting"]) if data["waiting"] else None,
            second_review=True if data["second_review"] else None,
            unclaimed=True if data["unclaimed"] else None,
        )


@require_GET
@signed_in
@shows_refusals
def queue(request: HttpRequest) -> HttpResponse:
    actor: Actor = request.actor  # type: ignore[attr-defined]
    selectors.require_reviewer(actor)
    form = QueueForm(request.GET or None)
    if request.GET and not form.is_valid():
        return page(request, "console/review/queue.html", {"form": form, "items": None}, status=400)
    filters = form.filters() if request.GET else selectors.QueueFilters()
    items = selectors.review_queue(actor=actor, filters=filters).select_related("organization__producer")
    paginator = Paginator(items, QUEUE_PAGE_SIZE)
    listed = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "items": listed, "query": query.urlencode(), "filtered": bool(query)}
    return page(request, "console/review/queue.html", context)


# --- One item ----------------------------------------------------------------------------------------------
class ApproveForm(forms.Form):
    """What the reviewer confirms against the document, the validity granted (empty: the type's rule) and, for a
    production declaration, the grams of each declared month."""

    valid_until = forms.DateField(
        label=_("Valid until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = forms.CharField(
        label=_("Note for the record"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, evidence: Evidence, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.evidence = evidence
        checks: list[tuple[str, Any]] = [
            ("confirm_holder", _("The document is of %(name)s") % {"name": evidence.organization.legal_name})
        ]
        if evidence.document_number:
            checks.append(("confirm_number", _("Its number is %(number)s") % {"number": evidence.document_number}))
        if evidence.issuer:
            checks.append(("confirm_issuer", _("It was issued by %(issuer)s") % {"issuer": evidence.issuer}))
        checks.append(("confirm_dates", _("Its dates are those recorded")))
        for name, label in checks:
            self.fields[name] = forms.BooleanField(label=label, required=True)
        self.checks = [self[name] for name, _label in checks]
        self.months = []
        for row in evidence.production.all():
            name = f"grams_{row.month:%Y-%m}"
            self.fields[name] = forms.CharField(
                label=_("%(month)s: grams confirmed (declared %(grams)s)")
                % {"month": f"{row.month:%Y-%m}", "grams": row.declared_grams},
                initial=str(row.confirmed_grams if row.confirmed_grams is not None else row.declared_grams),
                max_length=20,
            )
            self.months.append((row.month, self[name]))

    def confirmed_production(self) -> list[dict[str, str]] | None:
        """As the API's `confirmed_production`: the service checks the months and the grams."""
        if not self.months:
            return None
        return [
            {"month": f"{month:%Y-%m}", "grams": self.cleaned_data[field.name].strip()} for month, field in self.months
        ]


class InLanguage(forms.ModelChoiceField):
    """Rows offered by their text in the page's language (`text`, or `name`)."""

    def label_from_instance(self, obj: Any) -> str:
        return str(getattr(obj, "text", None) or obj.name)


class RefuseForm(forms.Form):
    """Reject, or ask for changes: a common reason, free text, or both (the service wants a reason)."""

    move = forms.ChoiceField(choices=[("reject", _("Reject")), ("request_changes", _("Request changes"))])
    common = InLanguage(
        label=_("Common reason"), queryset=ReviewReason.objects.none(), required=False, empty_label=_("(none)")
    )
    reason = forms.CharField(
        label=_("In your words"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, move: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        common = cast(forms.ModelChoiceField, self.fields["common"])
        common.queryset = selectors.review_reasons(move)
        self.fields["move"].initial = move
        self.prefix = move

    def reason_text(self) -> str:
        parts = [self.cleaned_data["common"].text if self.cleaned_data["common"] else "", self.cleaned_data["reason"]]
        return " ".join(part.strip() for part in parts if part and part.strip())


def _reviewed_item(actor: Actor, evidence_id: Any) -> Evidence:
    """The item as the API finds it (404 for what the caller may not see), for a reviewer (403 otherwise)."""
    evidence = selectors.evidence_get(actor=actor, evidence_id=evidence_id)
    selectors.require_reviewer(actor)
    return evidence


def _document(request: HttpRequest, actor: Actor, evidence: Evidence) -> dict[str, Any]:
    """The file shown beside the checklist: an image as it is, a PDF as images of its pages."""
    files = list(evidence.files.all())
    if not files:
        return {"files": []}
    chosen = _number(request.GET.get("file"), default=1)
    current = next((f for f in files if f.position == chosen), files[0])
    shown: dict[str, Any] = {"files": files, "current": current, "kind": _kind(current)}
    if shown["kind"] == "pdf":
        try:
            content = _checked_bytes(actor, current)
            count = previews.page_count(current.sha256, content)
        except DomainError as error:
            return {**shown, "refusal": Refusal.of(error)}
        except previews.Unreadable:
            return {**shown, "unreadable": True}
        pages = list(range(1, min(count, previews.MAX_PAGES) + 1))
        number = _number(request.GET.get("page"), default=1)
        shown.update(pages=pages, page=number if number in pages else 1, page_total=count)
    return shown


def _number(raw: str | None, *, default: int) -> int:
    return int(raw) if raw and raw.isdigit() and 0 < len(raw) < 4 else default


def _kind(file: EvidenceFile) -> str:
    if file.content_type == "application/pdf":
        return "pdf"
    return "image" if file.content_type in INLINE_IMAGES else "other"


def _checked_bytes(actor: Actor, file: EvidenceFile) -> bytes:
    """The file's bytes, hashed again as the API's download does (a mismatch is audited and refused)."""
    return read_or_refuse(
        storages["evidence"],
        str(file.file.name),
        file.sha256,
        what=f"Evidence file {file.evidence_id}/{file.position}",
        on_failure=lambda: services.evidence_integrity_failed(actor=actor, file=file),
    )


def _item_page(
    request: HttpRequest,
    actor: Actor,
    evidence: Evidence,
    *,
    approve: ApproveForm | None = None,
    refuse: dict[str, RefuseForm] | None = None,
    refusal: Refusal | None = None,
    status: int = 200,
) -> HttpResponse:
    evidence_type = evidence.evidence_type
    refuse = refuse or {}
    context = {
        "evidence": evidence,
        "evidence_type": evidence_type,
        "requirements": evidence_type.requirements.order_by("code"),
        "basis": evidence_type.basis.all(),
        "decisions": evidence.decisions.select_related("reviewer"),
        "default_valid_until": _default_valid_until(evidence),
        "document": _document(request, actor, evidence),
        "approve_form": approve or ApproveForm(evidence=evidence),
        "reject_form": refuse.get("reject") or RefuseForm(move="reject"),
        "changes_form": refuse.get("request_changes") or RefuseForm(move="request_changes"),
        "pending": evidence.status in (EvidenceStatus.SUBMITTED, EvidenceStatus.IN_REVIEW),
        "claimed_by_me": evidence.claimed_by_id == actor.user.pk,
        "refusal": refusal,
    }
    return page(request, "console/review/item.html", context, status=status)


def _default_valid_until(evidence: Evidence) -> dt.date | None:
    """What approving grants by the type's rule, shown as the default (the service computes it again)."""
    try:
        return catalogue.default_valid_until(
            evidence.evidence_type, evidence.issue_date, evidence.expiry_date, no_expiry=evidence.no_expiry
        )
    except DomainError:
        return None


@require_GET
@signed_in
@shows_refusals
def item(request: HttpRequest, evidence_id: str) -> HttpResponse:
    actor: Actor = request.actor  # type: ignore[attr-defined]
    return _item_page(request, actor, _reviewed_item(actor, evidence_id))


def _after(request: HttpRequest, evidence: Evidence, message: str, *, to_queue: bool) -> HttpResponse:
    messages.success(request, message)
    if to_queue:
        return HttpResponseRedirect(reverse("console:review-queue"))
    return HttpResponseRedirect(reverse("console:review-item", args=[evidence.pk]))


@require_POST
@signed_in
@shows_refusals
def claim(request: HttpRequest, evidence_id: str) -> HttpResponse:
    actor: Actor = request.actor  # type: ignore[attr-defined]
    evidence = _reviewed_item(actor, evidence_id)
    try:
        evidence = services.evidence_claim(actor=actor, evidence=evidence)
    except DomainError as error:
        return _item_page(request, actor, evidence, refusal=Refusal.of(error), status=error.status)
    return _after(request, evidence, str(_("You have claimed this item.")), to_queue=False)


@require_POST
@signed_in
@shows_refusals
def approve(request: HttpRequest, evidence_id: str) -> HttpResponse:
    actor: Actor = request.actor  # type: ignore[attr-defined]
    evidence = _reviewed_item(actor, evidence_id)
    form = ApproveForm(request.POST, evidence=evidence)
    if not form.is_valid():
        return _item_page(request, actor, evidence, approve=form, status=400)
    try:
        evidence = services.evidence_approve(
            actor=actor,
            evidence=evidence,
            valid_until=form.cleaned_data["valid_until"],
            reason=form.cleaned_data["reason"],
            confirmed_production=form.confirmed_production(),
        )
    except DomainError as error:
        return _item_page(request, actor, evidence, approve=form, refusal=Refusal.of(error), status=error.status)
    if evidence.status == EvidenceStatus.APPROVED:
        return _after(request, evidence, str(_("Approved.")), to_queue=True)
    return _after(request, evidence, str(_("First approval recorded: a second reviewer must approve.")), to_queue=True)


@require_POST
@signed_in
@shows_refusals
def refuse(request: HttpRequest, evidence_id: str) -> HttpResponse:
    actor: Actor = request.actor  # type: ignore[attr-defined]
    evidence = _reviewed_item(actor, evidence_id)
    move = "request_changes" if request.POST.get("request_changes-move") == "request_changes" else "reject"
    form = RefuseForm(request.POST, move=move)
    if not form.is_valid():
        return _item_page(request, actor, evidence, refuse={move: form}, status=400)
    try:
        evidence = services.evidence_refuse(actor=actor, evidence=evidence, move=move, reason=form.reason_text())
    except DomainError as error:
        refusal = Refusal.of(error)
        return _item_page(request, actor, evidence, refuse={move: form}, refusal=refusal, status=error.status)
    done = _("Rejected.") if move == "reject" else _("Changes requested.")
    return _after(request, evidence, str(done), to_queue=True)


# --- The document ------------------------------------------------------------------------------------------
def _file(actor: Actor, evidence_id: str, position: int) -> EvidenceFile:
    _reviewed_item(actor, evidence_id)
    return selectors.evidence_file_get(actor=actor, evidence_id=evidence_id, position=position)


def _private_image(content: bytes, content_type: str) -> HttpResponse:
    """An image shown in the page: this server's only, never cached, never sniffed, nothing in it runs."""
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@require_GET
@signed_in
@shows_refusals
def file(request: HttpRequest, evidence_id: str, position: int) -> HttpResponse:
    """An image to show in the page, or (`?download=1`, and always for other types) the original, as the API's
    download serves it."""
    actor: Actor = request.actor  # type: ignore[attr-defined]
    stored = _file(actor, evidence_id, position)
    content = _checked_bytes(actor, stored)
    if stored.content_type in INLINE_IMAGES and "download" not in request.GET:
        return _private_image(content, stored.content_type)
    return attachment_response(content, stored.content_type, stored.original_name)


@require_GET
@signed_in
@shows_refusals
def pdf_page(request: HttpRequest, evidence_id: str, position: int, number: int) -> HttpResponse:
    """One page of a PDF as a PNG, rendered on the server from the checked bytes."""
    actor: Actor = request.actor  # type: ignore[attr-defined]
    stored = _file(actor, evidence_id, position)
    if stored.content_type != "application/pdf" or not 1 <= number <= previews.MAX_PAGES:
        raise Http404
    content = _checked_bytes(actor, stored)
    try:
        png = previews.page_png(stored.sha256, content, number)
    except previews.Unreadable:
        raise Http404 from None
    return _private_image(png, "image/png")
