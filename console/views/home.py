"""The first page after signing in: each kind of organisation gets its own."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.templatetags.static import static
from django.urls import reverse

from console.views.base import delegable, page, signed_in


@delegable("evidence", "sites")
@signed_in
def home(request: HttpRequest) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    kind = actor.organization_kind
    if actor.delegation is not None and "evidence" not in actor.delegation.scopes:
        return HttpResponseRedirect(reverse("console:coop-sites"))
    if kind == "producer":
        return HttpResponseRedirect(reverse("console:coop-home"))
    if actor.is_reviewer:
        return HttpResponseRedirect(reverse("console:review-queue"))
    if kind == "support":  # a field officer works for the producers that delegated to them: which one today?
        return HttpResponseRedirect(reverse("console:organization"))
    if kind == "buyer":
        return HttpResponseRedirect(reverse("console:offers"))
    return page(request, "console/no_home.html", {"kind": kind})


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico whatever the page names: the console's icon."""
    return HttpResponseRedirect(static("console/favicon.svg"))
