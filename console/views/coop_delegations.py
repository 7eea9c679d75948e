"""The producer's delegations to support organisations' field officers (its admins): who may upload its evidence
or keep its sites, until when; granting one and revoking it. The API's serializer, selectors and services."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from accounts import delegation as delegations
from accounts.api.serializers import DelegationCreateSerializer
from accounts.models import DelegationScope
from console.views.base import Refusal, checked, once_per_form, page, signed_in
from core.errors import DomainError


def _page(request: HttpRequest, refusal: Refusal | None = None, status: int = 200) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    rows = delegations.delegations_for(actor=actor).order_by("-granted_at")
    context: dict[str, Any] = {
        "delegations": list(rows[:100]),
        "scopes": DelegationScope.choices,
        "refusal": refusal,
        "values": request.POST if refusal else {},
    }
    return page(request, "console/coop/delegations.html", context, status=status)


@require_http_methods(["GET", "POST"])
@signed_in
@once_per_form
def delegation_list(request: HttpRequest) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    try:
        delegations.require_producer_admin(actor)
        if request.method == "POST":
            body = {
                "officer_email": request.POST.get("officer_email", ""),
                "scopes": request.POST.getlist("scopes"),
                "valid_until": request.POST.get("valid_until", "").strip() or None,
            }
            data = checked(DelegationCreateSerializer, body)
            delegations.delegation_grant(actor=actor, **data.validated_data)
            return HttpResponseRedirect(reverse("console:coop-delegations"))
    except DomainError as error:
        return _page(request, Refusal.of(error), error.status)
    return _page(request)


@require_POST
@signed_in
def delegation_revoke(request: HttpRequest, delegation_id: Any) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    try:
        found = delegations.delegation_get(actor=actor, delegation_id=delegation_id)
        delegations.delegation_revoke(actor=actor, delegation=found)
    except DomainError as error:
        return _page(request, Refusal.of(error), error.status)
    return HttpResponseRedirect(reverse("console:coop-delegations"))
