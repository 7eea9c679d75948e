"""The cooperative's pages (mobile first): its standing, requirement by requirement, and what to do next."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from compliance.overview import producer_compliance
from console.views.base import Refusal, delegable, page, signed_in
from core.errors import DomainError


@delegable("evidence")
@signed_in
def coop_home(request: HttpRequest) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    try:
        overview = producer_compliance(actor=actor, producer_id=actor.organization_id)
    except DomainError as error:
        return page(request, "console/refused.html", {"refusal": Refusal.of(error)}, status=error.status)
    requirements = overview["requirements"]
    counts = {state: sum(1 for r in requirements if r["state"] == state) for state in STATE_ORDER}
    ordered = sorted(requirements, key=lambda r: STATE_ORDER.index(r["state"]))
    return page(request, "console/coop/home.html", {"overview": overview, "requirements": ordered, "counts": counts})


# What needs the cooperative first: what is missing or lapsed, then what lapses soon, what waits, what is met.
STATE_ORDER = ["missing", "expired", "expiring_soon", "pending", "met"]
