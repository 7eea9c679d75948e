"""The buyers asking for the producer's due-diligence pack, and its admins' answer: grant, decline with a reason
the buyer reads, or later revoke. The API's services and serializers; a plain member reads the requests and is
refused the moves in the API's words."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from console.views.base import Refusal, checked, page, signed_in
from core.errors import DomainError
from diligence import consent as consents
from diligence.api.serializers import PackDeclineSerializer, PackRevokeSerializer

SHOWN = 100
MOVES = ("grant", "decline", "revoke")


def _page(request: HttpRequest, refusal: Refusal | None = None) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    rows = consents.consents_for(actor=actor).order_by("-requested_at")[:SHOWN]
    context: dict[str, Any] = {"consents": list(rows), "refusal": refusal, "values": request.POST if refusal else {}}
    return page(request, "console/coop/packs.html", context, status=refusal.status if refusal else 200)


@signed_in
def pack_requests(request: HttpRequest) -> HttpResponse:
    return _page(request)


@require_POST
@signed_in
def pack_answer(request: HttpRequest, consent_id: Any, move: str) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    if move not in MOVES:
        raise Http404
    try:
        consent = consents.consent_get(actor=actor, consent_id=consent_id)
        consents.require_producer_admin(actor, consent)
        if move == "grant":
            consents.pack_grant(actor=actor, consent=consent)
        elif move == "decline":
            data = checked(PackDeclineSerializer, {"reason": request.POST.get("reason", "")})
            consents.pack_decline(actor=actor, consent=consent, reason=data.validated_data["reason"].strip())
        else:
            data = checked(PackRevokeSerializer, {"reason": request.POST.get("reason", "")})
            consents.pack_revoke(actor=actor, consent=consent, reason=data.validated_data.get("reason", "").strip())
    except DomainError as error:
        return _page(request, Refusal.of(error))
    return HttpResponseRedirect(reverse("console:coop-packs"))
