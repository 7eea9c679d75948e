"""Inquiries, for both sides: the list of one's organisation's inquiries, and a thread with its reply form (the
API's selectors, its service and its message rules)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from console.views.base import Refusal, checked, once_per_form, page, signed_in
from core.errors import DomainError
from trade import inquiries, selectors
from trade import services as trade_services
from trade.api.serializers import InquiryMessageInputSerializer

LIST_SIZE = 50


@signed_in
def inquiry_list(request: HttpRequest) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    rows = selectors.inquiries_for(actor=actor).select_related("buyer", "producer__organization", "listing")
    return page(request, "console/inquiries/list.html", {"inquiries": list(rows[:LIST_SIZE])})


@require_http_methods(["GET", "POST"])
@signed_in
@once_per_form
def inquiry(request: HttpRequest, inquiry_id: Any) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    try:
        found = selectors.inquiry_get(actor=actor, inquiry_id=inquiry_id)
    except DomainError as error:
        return page(request, "console/refused.html", {"refusal": Refusal.of(error)}, status=error.status)
    refusal = None
    if request.method == "POST":
        try:
            trade_services.require_party(actor, found)
            data = checked(InquiryMessageInputSerializer, {"body": request.POST.get("body", "")})
            inquiries.inquiry_post_message(actor=actor, inquiry=found, body=data.validated_data["body"])
        except DomainError as error:
            refusal = Refusal.of(error)
        else:
            return HttpResponseRedirect(reverse("console:inquiry", args=[found.pk]) + "#latest")
    context = {
        "inquiry": found,
        "messages_": list(selectors.messages_of(inquiry=found)),
        "refusal": refusal,
        "draft": request.POST.get("body", "") if refusal else "",
    }
    return page(request, "console/inquiries/thread.html", context, status=refusal.status if refusal else 200)
