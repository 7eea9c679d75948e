"""The reviewer's other pages: a producer's compliance, mass balance and red flags; the buyers whose KYC needs a
decision or lapses soon; and the audit trail of an object. Each reads the API's selectors and acts through the
API's services (docs/console.md)."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal
from typing import Any, cast
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Organization
from accounts.selectors import buyer_get
from audit.selectors import audit_trail
from compliance.kyc import kyc_to_review, kyc_transition
from compliance.overview import producer_compliance
from compliance.selectors import require_reviewer
from console.views.base import Refusal, once_per_form, page, shows_refusals, signed_in
from console.views.review import InLanguage
from core import clock
from core.actor import Actor
from core.errors import DomainError
from diligence import selectors as diligence
from diligence.models import RedFlagCategory, Severity, SubjectKind
from diligence.services import flag_open
from producers.models import Producer, Site
from provenance import selectors as provenance

AUDIT_PAGE_SIZE = 25  # a page stays light on a slow line; older events follow by `before`


# --- A producer ----------------------------------------------------------------------------------------------
class RedFlagForm(forms.Form):
    """The API's red-flag form for a producer or one of its sites."""

    site = forms.ModelChoiceField(
        label=_("Site"), queryset=Site.objects.none(), required=False, empty_label=_("The producer as a whole")
    )
    category = InLanguage(label=_("Category"), queryset=RedFlagCategory.objects.none())
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices)
    facts = forms.CharField(label=_("What was found"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, producer: Producer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["site"]).queryset = Site.objects.filter(producer=producer).order_by(
            "name"
        )
        category = cast(forms.ModelChoiceField, self.fields["category"])
        category.queryset = diligence.categories()
        self.fields["severity"].help_text = _("An open high-severity flag suspends the producer's offers at once.")


def _reviewed_producer(actor: Actor, producer_id: Any) -> Producer:
    producer = provenance.readable_producer(actor=actor, producer_id=producer_id)  # 404 as the API
    require_reviewer(actor)
    return producer


def _balance(producer: Producer) -> dict[str, Any]:
    """The API's mass balance, with how much of what may be sold each site-month has used."""
    today = clock.today_lima()
    tolerance = provenance.tolerance_bp(today)
    rows: list[dict[str, Any]] = []
    for row in provenance.mass_balance(producer=producer, today=today):
        allowed = provenance.allowed_grams(row.declared_grams, tolerance)
        taken = row.used_grams + row.committed_forward_grams
        share = int(taken * 100 / allowed) if allowed else (100 if taken else 0)
        rows.append({"row": row, "allowed": allowed, "taken": taken, "share": share})
    nearest = max(rows, key=lambda r: r["share"], default=None)
    return {"rows": rows, "tolerance_percent": Decimal(tolerance) / 100, "nearest": nearest}


def _producer_page(
    request: HttpRequest,
    actor: Actor,
    producer: Producer,
    *,
    form: RedFlagForm | None = None,
    refusal: Refusal | None = None,
    status: int = 200,
) -> HttpResponse:
    flags = diligence.against_producer(diligence.flags_for(actor=actor), producer.pk).order_by("-opened_at", "id")
    context = {
        "producer": producer,
        "organization": producer.organization,
        "overview": producer_compliance(actor=actor, producer_id=producer.pk),
        "balance": _balance(producer),
        "flags": flags,
        "flag_form": form or RedFlagForm(producer=producer),
        "refusal": refusal,
    }
    return page(request, "console/review/producer.html", context, status=status)


@require_GET
@signed_in
@shows_refusals
def producer(request: HttpRequest, producer_id: uuid.UUID) -> HttpResponse:
    actor: Actor = request.actor  # type: ignore[attr-defined]
    return _producer_page(request, actor, _reviewed_producer(actor, producer_id))


@require_POST
@signed_in
@once_per_form
@shows_refusals
def red_flag_open(request: HttpRequest, producer_id: uuid.UUID) -> HttpResponse:
    actor: Actor = request.actor  # type: ignore[attr-defined]
    found = _reviewed_producer(actor, producer_id)
    form = RedFlagForm(request.POST, producer=found)
    if not form.is_valid():
        return _producer_page(request, actor, found, form=form, status=400)
    site = form.cleaned_data["site"]
    try:
        flag_open(
            actor=actor,
            subject_kind=SubjectKind.SITE if site else SubjectKind.PRODUCER,
            category=form.cleaned_data["category"].pk,
            severity=form.cleaned_data["severity"],
            facts=form.cleaned_data["facts"],
            producer=found.pk,
            site=site.pk if site else None,
        )
    except DomainError as error:
        return _producer_page(request, actor, found, form=form, refusal=Refusal.of(error), status=error.status)
    messages.success(request, str(_("The red flag is open; the producer's administrators were told.")))
    return HttpResponseRedirect(reverse("console:review-producer", args=[found.pk]) + "#red-flags")


# --- Buyers' KYC ---------------------------------------------------------------------------------------------
class KycRejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (the buyer reads it)"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


def _kyc_page(request: HttpRequest, actor: Actor, *, refusal: Refusal | None = None, status: int = 200) -> HttpResponse:
    today = clock.today_lima()
    buyers = list(kyc_to_review(actor=actor, today=today))
    screenings = diligence.screening_states([b.pk for b in buyers])
    rows = [
        {
            "buyer": buyer,
            "status": buyer.kyc_effective_status(today),
            "days_left": (buyer.kyc_valid_until - today).days if buyer.kyc_valid_until else None,
            "screening": screenings[buyer.pk],
        }
        for buyer in buyers
    ]
    context = {"rows": rows, "refusal": refusal, "reject_form": KycRejectForm()}
    return page(request, "console/review/kyc.html", context, status=status)


@require_GET
@signed_in
@shows_refusals
def kyc(request: HttpRequest) -> HttpResponse:
    return _kyc_page(request, request.actor)  # type: ignore[attr-defined]


@require_POST
@signed_in
@shows_refusals
def kyc_move(request: HttpRequest, organization_id: uuid.UUID, move: str) -> HttpResponse:
    """verify or reject, as the API's KYC moves (kyc_transition checks who may and whether the KYC is met)."""
    actor: Actor = request.actor  # type: ignore[attr-defined]
    buyer = buyer_get(actor=actor, organization_id=organization_id)
    require_reviewer(actor)
    reason = request.POST.get("reason", "")
    try:
        buyer = kyc_transition(actor=actor, organization=buyer, move=move, reason=reason)
    except DomainError as error:
        return _kyc_page(request, actor, refusal=Refusal.of(error), status=error.status)
    label = Organization.KycStatus(buyer.kyc_status).label
    messages.success(request, f"{buyer.legal_name}: {label}")
    return HttpResponseRedirect(reverse("console:review-kyc"))


# --- The audit trail -----------------------------------------------------------------------------------------
def _readable(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


@require_GET
@signed_in
@shows_refusals
def audit(request: HttpRequest) -> HttpResponse:
    actor: Actor = request.actor  # type: ignore[attr-defined]
    require_reviewer(actor)
    target = request.GET.get("target", "").strip()[:64]
    organization = None
    raw_organization = request.GET.get("organization", "").strip()
    if raw_organization:
        try:
            organization = uuid.UUID(raw_organization)
        except ValueError:
            return page(request, "console/review/audit.html", {"invalid": True}, status=400)
    before = request.GET.get("before", "").strip()
    if before and not before.isdigit():
        return page(request, "console/review/audit.html", {"invalid": True}, status=400)
    events = None
    older = None
    if target or organization:
        trail = audit_trail(actor=actor, target=target, organization=organization)
        if before:
            trail = trail.filter(seq__lt=int(before))
        found = list(trail[: AUDIT_PAGE_SIZE + 1])
        if len(found) > AUDIT_PAGE_SIZE:
            found = found[:AUDIT_PAGE_SIZE]
            query = {k: v for k, v in (("target", target), ("organization", raw_organization)) if v}
            older = "?" + urlencode({**query, "before": found[-1].seq})
        events = [
            {"event": event, "data": [(key, _readable(value)) for key, value in sorted(event.data.items())]}
            for event in found
        ]
    named = Organization.objects.filter(pk=organization).first() if organization else None
    context = {"events": events, "target": target, "organization": named, "older": older}
    return page(request, "console/review/audit.html", context)
