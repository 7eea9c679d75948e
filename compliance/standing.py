"""The stored verdicts that search reads: `OrganizationStanding` and `ClaimStanding`, refreshed from the
engine whenever the approved evidence of an organisation changes.

Why stored: judging every producer's evidence on every search costs a pass over all valid evidence per
requirement set (hundreds of milliseconds at 10,000 producers, see bench/README.md). Why still correct
the same day: the engine counts an item while `valid_until >= today`, so for fixed evidence the verdict is
a date, the last compliant day, and readers compare it with today. A lapse needs no job.

What changes a verdict: an approval (which may supersede older items), a revocation, a policy version
added or edited, the catalogue edited. The services and the admin call `standings_refresh` in the same
transaction as the change; `manage.py refresh_standings` recomputes everything and, with `--check`,
proves the stored rows agree with the engine.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import Organization
from compliance import catalogue
from compliance.models import NO_EXPIRY, Claim, ClaimStanding, Evidence, OrganizationStanding, Policy
from compliance.policy import ClaimRule, PolicyRule, RequirementRule, evaluate
from compliance.selectors import fact
from core import clock
from producers.models import Producer

_CHUNK = 2000


class _Catalogue:
    """The policies in force today or later, and the claims, read once per refresh."""

    def __init__(self, today: dt.date) -> None:
        self.policies: dict[str, list[tuple[Policy, PolicyRule]]] = {}
        for subject in Policy.Subject.values:
            current = catalogue.policy_in_force(subject, today)
            later = Policy.objects.filter(subject=subject, effective_from__gt=today).prefetch_related(
                "requirements__evidence_types"
            )
            self.policies[subject] = [(p, catalogue.policy_rule(p)) for p in [current, *later]]
        # Roster-backed claims are judged at query time; the others come from evidence alone.
        self.claims: tuple[ClaimRule, ...] = tuple(c for c in catalogue.claim_rules() if c.rule != Claim.Rule.WOMEN_LED)
        self.rules: dict[str, RequirementRule] = catalogue.all_requirement_rules()


def _rows(
    organizations: list[Organization], today: dt.date, known: _Catalogue
) -> tuple[list[OrganizationStanding], list[ClaimStanding]]:
    legal_kinds = dict(
        Producer.objects.filter(pk__in=[o.pk for o in organizations]).values_list("organization_id", "legal_kind")
    )
    evidence: dict[Any, list[Evidence]] = defaultdict(list)
    for item in Evidence.objects.filter(organization_id__in=[o.pk for o in organizations], status="approved").only(
        "id", "organization_id", "evidence_type_id", "status", "valid_until", "attributes"
    ):
        evidence[item.organization_id].append(item)
    now = timezone.now()
    standings: list[OrganizationStanding] = []
    claims: list[ClaimStanding] = []
    for organization in organizations:
        facts = [fact(item) for item in evidence[organization.pk]]
        subject = catalogue.policy_subject(organization, legal_kinds.get(organization.pk))
        for index, (policy, rule) in enumerate(known.policies[subject]):
            is_producer = organization.kind == Organization.Kind.PRODUCER
            result = evaluate(
                rule,
                facts,
                today,
                claims=known.claims if index == 0 and is_producer else (),
                requirement_rules=known.rules,
            )
            standings.append(
                OrganizationStanding(
                    organization=organization, policy=policy, compliant_until=result.valid_until, refreshed_at=now
                )
            )
            claims.extend(
                ClaimStanding(organization=organization, claim_id=held.code, holds_until=held.valid_until or NO_EXPIRY)
                for held in result.claims
            )
    return standings, claims


def _chunks(ids: list[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


@transaction.atomic
def standings_refresh(*, organization_ids: Iterable[Any] | None = None, today: dt.date | None = None) -> int:
    """Recompute the stored verdicts of these organisations (all of them when None); returns how many.

    Called inside the transaction that changed the evidence. The organisations' rows are locked first, so
    two decisions on one organisation at once are judged one after the other, each seeing the other's
    evidence: the last refresh always reads everything committed before it."""
    today = today or clock.today_lima()
    known = _Catalogue(today)
    organizations = Organization.objects.filter(kind__in=[Organization.Kind.PRODUCER, Organization.Kind.BUYER])
    if organization_ids is not None:
        organizations = organizations.filter(pk__in=list(organization_ids))
    ids = list(organizations.order_by("pk").select_for_update().values_list("pk", flat=True))
    for chunk in _chunks(ids):
        batch = list(Organization.objects.filter(pk__in=chunk).order_by("pk"))
        standings, claims = _rows(batch, today, known)
        OrganizationStanding.objects.filter(organization_id__in=chunk).delete()
        ClaimStanding.objects.filter(organization_id__in=chunk).delete()
        OrganizationStanding.objects.bulk_create(standings, batch_size=_CHUNK)
        ClaimStanding.objects.bulk_create(claims, batch_size=_CHUNK)
    return len(ids)


def standings_disagreeing(*, today: dt.date | None = None) -> list[Any]:
    """Organisations whose stored verdicts differ from the engine's today (an empty list when all agree)."""
    today = today or clock.today_lima()
    known = _Catalogue(today)

    def as_sets(
        standings: Iterable[OrganizationStanding], claims: Iterable[ClaimStanding]
    ) -> dict[Any, set[tuple[Any, ...]]]:
        found: dict[Any, set[tuple[Any, ...]]] = defaultdict(set)
        for standing in standings:
            if standing.compliant_until is not None:  # no row and a NULL date both mean "not compliant"
                found[standing.organization_id].add(("policy", standing.policy_id, standing.compliant_until))
        for claim in claims:
            found[claim.organization_id].add(("claim", claim.claim_id, claim.holds_until))
        return found

    disagreeing = []
    ids = list(
        Organization.objects.filter(kind__in=[Organization.Kind.PRODUCER, Organization.Kind.BUYER])
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for chunk in _chunks(ids):
        expected = as_sets(*_rows(list(Organization.objects.filter(pk__in=chunk).order_by("pk")), today, known))
        stored = as_sets(
            OrganizationStanding.objects.filter(organization_id__in=chunk),
            ClaimStanding.objects.filter(organization_id__in=chunk),
        )
        disagreeing += [pk for pk in chunk if expected.get(pk, set()) != stored.get(pk, set())]
    return disagreeing
