"""What a producer or a buyer is told of its standing: requirement by requirement, whether it is met, missing,
waiting for a reviewer or about to lapse, what to do next, and until when it all holds. The API's compliance and
KYC answers and the console's home page read the same function, so the two never say different things."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext as _

from accounts.models import Organization
from compliance import selectors
from compliance.models import NO_EXPIRY
from core import clock
from core.actor import Actor
from core.errors import NotFound
from producers.models import Producer
from producers.selectors import producer_get


def _state_message(state: str, until: dt.date | None) -> str:
    messages = {
        "met": _("Met."),
        "expiring_soon": _("Met, but it lapses on %(date)s: upload the renewed document now."),
        "pending": _("Waiting for a reviewer's decision."),
        "expired": _("Lapsed: upload a renewed document."),
        "missing": _("Missing: upload the document."),
    }
    return (
        messages[state] % {"date": until.isoformat() if until else ""} if state == "expiring_soon" else messages[state]
    )


def _requirements(standing: selectors.Standing) -> list[dict[str, Any]]:
    requirements = {r.code: r for r in standing.policy.requirements.all()}
    return [
        {
            "code": r.code,
            "name": requirements[r.code].name,
            "state": r.state,
            "valid_until": None if r.valid_until in (None, NO_EXPIRY) else r.valid_until,
            "evidence": list(r.evidence_ids),
            "message": _state_message(r.state, r.valid_until),
            "what_to_do": requirements[r.code].what_to_do,
        }
        for r in standing.result.requirements
    ]


def _shown(day: dt.date | None) -> dt.date | None:
    return None if day in (None, NO_EXPIRY) else day


def compliance_overview(organization: Organization, verification_status: str | None) -> dict[str, Any]:
    """The engine's answer. For a buyer, the organisation's. For a producer, origin by origin (`sites`:
    each site judged by the site rule), and as a whole: `requirements` counts every item wherever it names,
    while `compliant`, `valid_until` and `claims` are the origins' (compliant when at least one approved site
    is, until the last day one is; a claim when at least one approved site backs it)."""
    today = clock.today_lima()
    producer = Producer.objects.filter(pk=organization.pk).first()
    if producer is None:
        standing = selectors.standing_of(organization, today)
        compliant, valid_until, claims, sites = standing.result.compliant, standing.result.valid_until, None, []
    else:
        judged = selectors.origin_standings(producer, today)
        standing = judged.whole
        compliant, valid_until, claims = judged.compliant, judged.valid_until, judged.claims
        sites = [
            {
                "site": {"id": site.pk, "name": site.name, "status": site.status},
                "compliant": origin.result.compliant,
                "valid_until": _shown(origin.result.valid_until),
                "requirements": _requirements(origin),
            }
            for site, origin in judged.sites
        ]
    return {
        "organization": organization.pk,
        "policy": standing.policy.subject,
        "policy_version": standing.policy.version,
        "today": today,
        "compliant": compliant,
        "valid_until": _shown(valid_until),
        "verification_status": verification_status,
        "requirements": _requirements(standing),
        "claims": [
            {"code": c.code, "assurance": c.assurance, "valid_until": _shown(c.valid_until)}
            for c in (standing.result.claims if claims is None else claims)
        ],
        "sites": sites,
    }


def producer_compliance(*, actor: Actor, producer_id: Any) -> dict[str, Any]:
    """A producer's standing, for its own members, the network's reviewers and staff (404 for anyone else)."""
    producer = producer_get(actor=actor, producer_id=producer_id)
    if not (actor.is_staff or actor.is_reviewer or actor.organization_id == producer.pk):
        raise NotFound()
    return compliance_overview(producer.organization, producer.verification_status)
