"""Evidence from the phone: the type, the document's dates and number, and photos or PDFs. Photos in HEIC
(iPhones) become JPEGs on the server. Every form carries an idempotency key from the moment it is shown: a
submission sent again after the connection dropped (the browser resends the same form) stores one item and
lands on the same page. The API's serializer validates, its service stores."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from compliance import selectors, services
from compliance.api.serializers import EvidenceInputSerializer
from compliance.models import EvidenceType
from console.views.base import Refusal, checked, delegable, page, signed_in
from core.errors import DomainError
from core.idempotency import canonical_form, check_key, fingerprint_of, once
from core.uploads import check_upload_length, heif_as_jpeg
from producers import selectors as producer_selectors

FIELDS = ("evidence_type", "site", "document_number", "issuer", "issue_date", "expiry_date", "notes")


def _asked_type(request: HttpRequest) -> str:
    """The type to preselect: `?type=CODE`, or the first type that serves `?requirement=CODE`."""
    if request.GET.get("type"):
        return request.GET["type"]
    serving = EvidenceType.objects.filter(requirements__code=request.GET.get("requirement", "")).order_by("code")
    return serving.values_list("code", flat=True).first() or ""


def _types_for(actor: Any) -> list[EvidenceType]:
    subject = "buyer" if actor.organization_kind == "buyer" else "producer"
    return list(EvidenceType.objects.filter(subject=subject).order_by("code"))


@require_http_methods(["GET", "POST"])
@delegable("evidence")
@signed_in
def evidence_new(request: HttpRequest) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    context: dict[str, Any] = {
        "values": request.POST if request.method == "POST" else {"evidence_type": _asked_type(request)},
        "key": request.POST.get("idempotency_key") or str(uuid.uuid4()),
        "accept": "image/*,application/pdf,.heic,.heif",
    }
    try:
        services.require_uploader(actor)
        context["types"] = _types_for(actor)
        if actor.organization_kind == "producer":
            producer = producer_selectors.producer_get(actor=actor, producer_id=actor.organization_id)
            context["sites"] = list(producer_selectors.sites_of(actor=actor, producer=producer).order_by("name"))
        if request.method == "POST":
            return _upload(request, actor, context)
    except DomainError as error:
        context["refusal"] = Refusal.of(error)
        return page(request, "console/coop/evidence_new.html", context, status=error.status)
    return page(request, "console/coop/evidence_new.html", context)


def _upload(request: HttpRequest, actor: Any, context: dict[str, Any]) -> HttpResponse:
    key = request.POST.get("idempotency_key", "")
    check_key(key)
    check_upload_length(request.META.get("CONTENT_LENGTH"), max_request_bytes=settings.EVIDENCE_MAX_REQUEST_BYTES)
    fingerprint = fingerprint_of("POST", request.path, canonical_form(request.POST, request.FILES))

    def act() -> tuple[int, Any]:
        files = [
            heif_as_jpeg(f, max_bytes=settings.EVIDENCE_MAX_FILE_BYTES, max_pixels=settings.IMAGE_MAX_PIXELS)
            for f in request.FILES.getlist("files")
        ]
        form = QueryDict(mutable=True)
        for name in FIELDS:
            if request.POST.get(name, "").strip():
                form[name] = request.POST[name].strip()
        data = checked(EvidenceInputSerializer, {**form.dict(), "files": files})
        evidence = services.evidence_upload(actor=actor, **data.validated_data)
        return 201, {"evidence": str(evidence.pk)}

    answer = once(scope=f"user:{request.user.pk}", key=key, fingerprint=fingerprint, act=act)
    return HttpResponseRedirect(reverse("console:coop-evidence", args=[answer.body["evidence"]]))


@delegable("evidence")
@signed_in
def evidence_detail(request: HttpRequest, evidence_id: Any) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    try:
        item = selectors.evidence_get(actor=actor, evidence_id=evidence_id)
    except DomainError as error:
        return page(request, "console/refused.html", {"refusal": Refusal.of(error)}, status=error.status)
    return page(request, "console/coop/evidence.html", {"item": item, "files": list(item.files.order_by("position"))})
