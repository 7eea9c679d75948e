"""The stored verdicts that search reads, refreshed from the engine whenever the approved evidence of an
organisation changes: per organisation (`OrganizationStanding`, `ClaimStanding`: every item counts, the
verdict buyers' KYC and reports read) and per origin, an organisation at one of its sites
(`SiteStanding`, `SiteClaimStanding`: by the site rule, `compliance.policy.facts_for_site`; the listing gate
reads these). A refresh writes the rows of every site of the organisation, whatever the site's status.

Why stored: judging every producer's evidence on every search costs a pass over all valid evidence per
requirement set (hundreds of milliseconds at 10,000 producers, see bench/README.md). Why still correct
the same day: the engine counts an item while `valid_until >= today`, so for fixed evidence the verdict is
a date, the last compliant day, and readers compare it with today. A lapse needs no job.

What changes a verdict: an approval (which may supersede older items), a revocation, a policy version
added or edited, the catalogue edited, a producer's identity changed (an individual woman miner's identity
backs the women-led claim), a deadline set by law coming into force (`validity_deadlines_apply` moves the items
granted the earlier deadline). The services and the admin call `standings_refresh` in the same
transaction as the change; `manage.py refresh_standings` recomputes everything and, with `--check`,
proves the stored rows agree with the engine.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import Organization
from compliance import catalogue
from compliance.models import (
    NO_EXPIRY,
    ClaimStanding,
    Evidence,
    OrganizationStanding,
    Policy,
    SiteClaimStanding,
    SiteStanding,
)
from compliance.policy import ClaimRule, PolicyRule, RequirementRule, evaluate, facts_for_site
from compliance.selectors import fact
from core import clock
from core.extensions import provider
from producers.models import Producer, Site

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
        # Every claim, women-led included, comes from approved evidence alone.
        self.claims: tuple[ClaimRule, ...] = catalogue.claim_rules()
        self.rules: dict[str, RequirementRule] = catalogue.all_requirement_rules()
        self.site_specific = catalogue.site_specific_type_codes()


@dataclass
class _Rows:
    standings: list[OrganizationStanding] = field(default_factory=list)
    claims: list[ClaimStanding] = field(default_factory=list)
    site_standings: list[SiteStanding] = field(default_factory=list)
    site_claims: list[SiteClaimStanding] = field(default_factory=list)


def _rows(organizations: list[Organization], today: dt.date, known: _Catalogue) -> _Rows:
    """Every stored verdict of these organisations, in three queries whatever their number."""
    ids = [o.pk for o in organizations]
    legal_kinds: dict[Any, str] = {}
    women: set[Any] = set()
    for producer_id, legal_kind, holder_sex in Producer.objects.filter(pk__in=ids).values_list(
        "organization_id", "legal_kind", "holder_sex"
    ):
        legal_kinds[producer_id] = legal_kind
        if legal_kind == "individual" and holder_sex == "female":
            women.add(producer_id)
    sites: dict[Any, list[Any]] = defaultdict(list)
    for producer_id, site_id in (
        Site.objects.filter(producer_id__in=ids).order_by("pk").values_list("producer_id", "pk")
    ):
        sites[producer_id].append(site_id)
    evidence: dict[Any, list[Evidence]] = defaultdict(list)
    for item in Evidence.objects.filter(organization_id__in=ids, status="approved").only(
        "id", "organization_id", "evidence_type_id", "site_id", "status", "valid_until", "attributes"
    ):
        evidence[item.organization_id].append(item)
    now = timezone.now()
    rows = _Rows()
    for organization in organizations:
        facts = [fact(item, known.site_specific) for item in evidence[organization.pk]]
        subject = catalogue.policy_subject(organization, legal_kinds.get(organization.pk))
        is_producer = organization.kind == Organization.Kind.PRODUCER
        for index, (policy, rule) in enumerate(known.policies[subject]):
            claims = known.claims if index == 0 and is_producer else ()
            woman = organization.pk in women
            result = evaluate(rule, facts, today, claims=claims, requirement_rules=known.rules, individual_woman=woman)
            rows.standings.append(
                OrganizationStanding(
                    organization=organization, policy=policy, compliant_until=result.valid_until, refreshed_at=now
                )
            )
            rows.claims.extend(
                ClaimStanding(organization=organization, claim_id=held.code, holds_until=held.valid_until or NO_EXPIRY)
                for held in result.claims
            )
            for site_id in sites[organization.pk]:
                origin = evaluate(
                    rule,
                    facts_for_site(facts, site_id),
                    today,
                    claims=claims,
                    requirement_rules=known.rules,
                    individual_woman=woman,
                )
                rows.site_standings.append(
                    SiteStanding(site_id=site_id, policy=policy, compliant_until=origin.valid_until, refreshed_at=now)
                )
                rows.site_claims.extend(
                    SiteClaimStanding(site_id=site_id, claim_id=held.code, holds_until=held.valid_until or NO_EXPIRY)
                    for held in origin.claims
                )
    return rows


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
        rows = _rows(batch, today, known)
        OrganizationStanding.objects.filter(organization_id__in=chunk).delete()
        ClaimStanding.objects.filter(organization_id__in=chunk).delete()
        SiteStanding.objects.filter(site__producer_id__in=chunk).delete()
        SiteClaimStanding.objects.filter(site__producer_id__in=chunk).delete()
        OrganizationStanding.objects.bulk_create(rows.standings, batch_size=_CHUNK)
        ClaimStanding.objects.bulk_create(rows.claims, batch_size=_CHUNK)
        SiteStanding.objects.bulk_create(rows.site_standings, batch_size=_CHUNK)
        SiteClaimStanding.objects.bulk_create(rows.site_claims, batch_size=_CHUNK)
    # The search read model reads these verdicts: its rows of these producers' listings, in this transaction.
    provider("CATALOGUE_CHANGED")(producer_ids=None if organization_ids is None else ids)
    return len(ids)


def site_added(*, organization_id: Any) -> None:
    """A producer added a site (settings.SITE_ADDED): its verdicts are stored in the same transaction, so
    the check (`standings_disagreeing`) never finds a site without them."""
    standings_refresh(organization_ids=[organization_id])


def producer_identity_changed(*, organization_id: Any) -> None:
    """A producer's identity changed (settings.PRODUCER_IDENTITY_CHANGED): its kind picks the policy, and an
    individual woman miner's identity backs the women-led claim, so its verdicts are stored again."""
    standings_refresh(organization_ids=[organization_id])


def standings_disagreeing(*, today: dt.date | None = None) -> list[Any]:
    """Organisations whose stored verdicts differ from the engine's today (an empty list when all agree)."""
    today = today or clock.today_lima()
    known = _Catalogue(today)

    def as_sets(
        standings: Iterable[OrganizationStanding],
        claims: Iterable[ClaimStanding],
        site_standings: Iterable[SiteStanding],
        site_claims: Iterable[SiteClaimStanding],
        owners: dict[Any, Any],
    ) -> dict[Any, set[tuple[Any, ...]]]:
        found: dict[Any, set[tuple[Any, ...]]] = defaultdict(set)
        for standing in standings:
            if standing.compliant_until is not None:  # no row and a NULL date both mean "not compliant"
                found[standing.organization_id].add(("policy", standing.policy_id, standing.compliant_until))
        for claim in claims:
            found[claim.organization_id].add(("claim", claim.claim_id, claim.holds_until))
        for site_standing in site_standings:
            if site_standing.compliant_until is not None:
                found[owners.get(site_standing.site_id)].add(
                    ("site", site_standing.site_id, site_standing.policy_id, site_standing.compliant_until)
                )
        for site_claim in site_claims:
            found[owners.get(site_claim.site_id)].add(
                ("site_claim", site_claim.site_id, site_claim.claim_id, site_claim.holds_until)
            )
        return found

    disagreeing = []
    ids = list(
        Organization.objects.filter(kind__in=[Organization.Kind.PRODUCER, Organization.Kind.BUYER])
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for chunk in _chunks(ids):
        owners = dict(Site.objects.filter(producer_id__in=chunk).values_list("pk", "producer_id"))
        rows = _rows(list(Organization.objects.filter(pk__in=chunk).order_by("pk")), today, known)
        expected = as_sets(rows.standings, rows.claims, rows.site_standings, rows.site_claims, owners)
        stored = as_sets(
            OrganizationStanding.objects.filter(organization_id__in=chunk),
            ClaimStanding.objects.filter(organization_id__in=chunk),
            SiteStanding.objects.filter(site__producer_id__in=chunk),
            SiteClaimStanding.objects.filter(site__producer_id__in=chunk),
            owners,
        )
        disagreeing += [pk for pk in chunk if expected.get(pk, set()) != stored.get(pk, set())]
    return disagreeing
