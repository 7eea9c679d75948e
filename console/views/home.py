"""The first page after signing in: each kind of organisation gets its own."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from console.views.base import page, signed_in


@signed_in
def home(request: HttpRequest) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    kind = actor.organization_kind
    if kind == "producer":
        return HttpResponseRedirect(reverse("console:coop-home"))
    if actor.is_reviewer:
        return HttpResponseRedirect(reverse("console:review-queue"))
    return page(request, "console/no_home.html", {"kind": kind})
