"""Reads of compliance data, scoped to the caller, and the engine's answer for one or many organisations."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from accounts.models import Organization
from compliance import catalogue
from compliance.models import (
    PENDING_STATUSES,
    Claim,
    Evidence,
    EvidenceFile,
    EvidenceStatus,
    Policy,
    ReviewReason,
    SiteClaimStanding,
)
from compliance.policy import (
    EXPIRING_SOON_DAYS,
    SATISFIED,
    ClaimResult,
    ClaimRule,
    ComplianceResult,
    EvidenceFact,
    RequirementRule,
    evaluate,
    evaluate_requirement,
    facts_for_site,
)
from core import clock
from core.actor import Actor
from core.errors import NotFound, PermissionDenied
from producers.models import Producer, Site
from producers.selectors import with_roster_figures


def fact(item: Evidence, site_specific_types: Collection[str] | None = None) -> EvidenceFact:
    """The engine's view of an item. Pass the codes of the site-specific types when judging many items
    (read once); otherwise the item's type is read (select it with the item)."""
    site_specific = (
        item.evidence_type_id in site_specific_types
        if site_specific_types is not None
        else item.evidence_type.site_specific
    )
    return EvidenceFact(
        item.pk,
        item.evidence_type_id,
        item.status,
        item.valid_until,
        item.attributes or {},
        site_id=item.site_id,
        site_specific=site_specific,
    )


@dataclass(frozen=True)
class Standing:
    """The engine's answer for one organisation (or one origin) under the policy in force."""

    policy: Policy
    result: ComplianceResult
    evidence: dict[Any, Evidence]


_EVERY_ITEM = object()  # judge the organisation on all its items, wherever they name


def _evaluate(
    organization: Organization,
    producer: Producer | None,
    items: Iterable[Evidence],
    today: dt.date,
    cache: dict[str, Any],
    site_id: Any = _EVERY_ITEM,
) -> Standing:
    """One organisation under the policy in force; with `site_id`, one origin (the site rule,
    `facts_for_site`; None: only the items that are not site-specific)."""
    subject = catalogue.policy_subject(organization, producer.legal_kind if producer else None)
    if subject not in cache:
        policy = catalogue.policy_in_force(subject, today)
        cache[subject] = (policy, catalogue.policy_rule(policy))
    if "claims" not in cache:
        cache["claims"] = catalogue.claim_rules()
        cache["rules"] = catalogue.all_requirement_rules()
        cache["site_specific"] = catalogue.site_specific_type_codes()
    policy, rule = cache[subject]
    items = list(items)
    facts = [fact(item, cache["site_specific"]) for item in items]
    if site_id is not _EVERY_ITEM:
        facts = list(facts_for_site(facts, site_id))
    counted = {f.id for f in facts}
    result = evaluate(
        rule,
        facts,
        today,
        claims=cache["claims"] if producer else (),
        requirement_rules=cache["rules"],
        individual_woman=bool(producer and producer.is_individual and producer.holder_sex == "female"),
    )
    return Standing(policy, result, {item.pk: item for item in items if item.pk in counted})


@dataclass(frozen=True)
class ProducerStanding:
    """A producer judged as a whole (`whole`: every item counts, wherever it names) and origin by origin
    (`sites`: each of its sites, by the site rule). Gold comes from an origin, so the producer's own answer
    is the origins': compliant when at least one approved site is, and a claim holds when at least one
    approved site backs it (women-led too: its evidence is the producer's, so it holds at every site or none)."""

    whole: Standing
    sites: tuple[tuple[Site, Standing], ...]

    def _approved(self) -> list[Standing]:
        return [standing for site, standing in self.sites if site.status == Site.Status.APPROVED]

    @property
    def compliant(self) -> bool:
        return any(standing.result.compliant for standing in self._approved())

    @property
    def valid_until(self) -> dt.date | None:
        """The last day an approved site stays compliant (None when none is)."""
        return max(
            (s.result.valid_until for s in self._approved() if s.result.compliant and s.result.valid_until),
            default=None,
        )

    @property
    def claims(self) -> tuple[ClaimResult, ...]:
        held: dict[str, ClaimResult] = {}
        for standing in self._approved():
            for claim in standing.result.claims:
                current = held.get(claim.code)
                if current is None or _lasts_longer(claim.valid_until, current.valid_until):
                    held[claim.code] = claim
        return tuple(sorted(held.values(), key=lambda c: c.code))


def _lasts_longer(a: dt.date | None, b: dt.date | None) -> bool:
    """Whether validity `a` ends after `b` (None: no end)."""
    return b is not None and (a is None or a > b)


def _producer_standing(
    producer: Producer, sites: Iterable[Site], items: list[Evidence], today: dt.date, cache: dict[str, Any]
) -> ProducerStanding:
    organization = producer.organization
    whole = _evaluate(organization, producer, items, today, cache)
    origins = tuple((site, _evaluate(organization, producer, items, today, cache, site.pk)) for site in sites)
    return ProducerStanding(whole, origins)


def standing_of(organization: Organization, today: dt.date | None = None) -> Standing:
    """The organisation as a whole: every item counts, wherever it names (buyers' KYC; for a producer, the
    requirement-by-requirement view; the publication gate judges origins, `origin_standings`)."""
    producer = with_roster_figures(Producer.objects.filter(pk=organization.pk)).first()
    items = Evidence.objects.filter(organization=organization).select_related("evidence_type")
    return _evaluate(organization, producer, items, today or clock.today_lima(), {})


def origin_standings(
    producer: Producer, today: dt.date | None = None, sites: Iterable[Site] | None = None
) -> ProducerStanding:
    """The producer as a whole and at each of `sites` (all its sites, by name, when None)."""
    today = today or clock.today_lima()
    figured = with_roster_figures(Producer.objects.filter(pk=producer.pk)).select_related("organization").get()
    items = list(Evidence.objects.filter(organization_id=producer.pk).select_related("evidence_type"))
    chosen = list(sites) if sites is not None else list(Site.objects.filter(producer_id=producer.pk).order_by("name"))
    return _producer_standing(figured, chosen, items, today, {})


def origin_standing(producer: Producer, site_id: Any, today: dt.date | None = None) -> Standing:
    """One origin; `site_id=None` judges the producer on its items that are not site-specific only."""
    figured = with_roster_figures(Producer.objects.filter(pk=producer.pk)).select_related("organization").get()
    items = Evidence.objects.filter(organization_id=producer.pk).select_related("evidence_type")
    return _evaluate(figured.organization, figured, items, today or clock.today_lima(), {}, site_id)


def standings_of_producers(producers: Iterable[Producer], today: dt.date | None = None) -> dict[Any, ProducerStanding]:
    """The engine for a page of producers in a constant number of queries (their evidence in one, their
    sites in one)."""
    producers = list(producers)
    today = today or clock.today_lima()
    ids = [p.pk for p in producers]
    by_org: dict[Any, list[Evidence]] = defaultdict(list)
    for item in Evidence.objects.filter(organization_id__in=ids).only(
        "id", "organization_id", "evidence_type_id", "site_id", "status", "valid_until", "attributes"
    ):
        by_org[item.organization_id].append(item)
    sites: dict[Any, list[Site]] = defaultdict(list)
    for site in Site.objects.filter(producer_id__in=ids).only("id", "producer_id", "name", "status").order_by("name"):
        sites[site.producer_id].append(site)
    cache: dict[str, Any] = {}
    return {p.pk: _producer_standing(p, sites[p.pk], by_org[p.pk], today, cache) for p in producers}


def evidence_for(*, actor: Actor) -> QuerySet[Evidence]:
    """Reviewers and staff see every item (the queue); an organisation sees its own."""
    items = Evidence.objects.select_related("evidence_type", "organization", "site").prefetch_related(
        Prefetch("files", queryset=EvidenceFile.objects.order_by("position")), "production"
    )
    if actor.is_staff or actor.is_reviewer:
        return items
    if actor.organization_id is None:
        return items.none()
    return items.filter(organization_id=actor.organization_id)


def evidence_get(*, actor: Actor, evidence_id: Any) -> Evidence:
    item = evidence_for(actor=actor).filter(pk=evidence_id).first()
    if item is None:
        raise NotFound()
    return item


def evidence_file_get(*, actor: Actor, evidence_id: Any, position: int) -> EvidenceFile:
    item = evidence_get(actor=actor, evidence_id=evidence_id)
    file = EvidenceFile.objects.filter(evidence=item, position=position).first()
    if file is None:
        raise NotFound()
    return file


# --- The reviewers' queue ----------------------------------------------------------------------------------
# The API's evidence list (its FilterSet) and the console's queue read these same filters.
def expiring_soon(items: QuerySet[Evidence], value: bool, today: dt.date | None = None) -> QuerySet[Evidence]:
    """Approved items that lapse within EXPIRING_SOON_DAYS (or, with `value` false, all the others)."""
    today = today or clock.today_lima()
    soon = Q(status="approved", valid_until__gte=today, valid_until__lte=today + dt.timedelta(days=EXPIRING_SOON_DAYS))
    return items.filter(soon) if value else items.exclude(soon)


def unclaimed(items: QuerySet[Evidence], value: bool) -> QuerySet[Evidence]:
    """Items no reviewer holds (or, with `value` false, those one does)."""
    return items.filter(claimed_by__isnull=value)


def in_district(items: QuerySet[Evidence], district: str) -> QuerySet[Evidence]:
    """Items from a district: the district of the site an item names, else its producer's."""
    return items.filter(Q(site__district=district) | Q(site__isnull=True, organization__producer__district=district))


def waiting_for_second_review(items: QuerySet[Evidence], value: bool) -> QuerySet[Evidence]:
    """Items a first reviewer approved that wait for a second, different one (or, false, all the others)."""
    waiting = Q(status=EvidenceStatus.IN_REVIEW, first_approved_by__isnull=False)
    return items.filter(waiting) if value else items.exclude(waiting)


def submitted_before(items: QuerySet[Evidence], days: int) -> QuerySet[Evidence]:
    """Items waiting for at least `days` days."""
    return items.filter(created_at__lte=clock.now() - dt.timedelta(days=days))


@dataclass(frozen=True)
class QueueFilters:
    """What a reviewer narrows the queue to; None: not filtered."""

    evidence_type: str | None = None
    district: str | None = None
    organization: Any = None
    waiting_days: int | None = None
    second_review: bool | None = None
    unclaimed: bool | None = None


def require_reviewer(actor: Actor) -> None:
    if not (actor.is_reviewer or actor.is_staff):
        raise PermissionDenied(_("Only the network's reviewers work the review queue."), code="not_reviewer")


def review_queue(*, actor: Actor, filters: QueueFilters | None = None) -> QuerySet[Evidence]:
    """The evidence waiting for a reviewer (submitted, or in review), oldest first: the API's evidence list
    for reviewers with `status=submitted&status=in_review`, narrowed by `filters`."""
    require_reviewer(actor)
    filters = filters or QueueFilters()
    items = evidence_for(actor=actor).filter(status__in=PENDING_STATUSES).select_related("claimed_by")
    if filters.evidence_type:
        items = items.filter(evidence_type_id=filters.evidence_type)
    if filters.district:
        items = in_district(items, filters.district)
    if filters.organization:
        items = items.filter(organization_id=filters.organization)
    if filters.waiting_days is not None:
        items = submitted_before(items, filters.waiting_days)
    if filters.second_review is not None:
        items = waiting_for_second_review(items, filters.second_review)
    if filters.unclaimed is not None:
        items = unclaimed(items, filters.unclaimed)
    return items.order_by("created_at", "pk")


def review_reasons(move: str, today: dt.date | None = None) -> QuerySet[ReviewReason]:
    """The common reasons offered today for `move` (reject or request_changes)."""
    today = today or clock.today_lima()
    return ReviewReason.objects.filter(
        Q(retired_on__isnull=True) | Q(retired_on__gt=today),
        move__in=[move, ReviewReason.Move.EITHER],
        effective_from__lte=today,
    ).order_by("position", "code")


def producer_public_standing(producers: Iterable[Producer]) -> dict[Any, dict[str, Any]]:
    """What the directory shows of each producer's compliance: compliant today, until when, and its
    badges (claims that hold, with their assurance level and until when), by the origins' rule
    (`ProducerStanding`): compliant when at least one approved site is, a badge when at least one approved
    site backs it."""
    standings = standings_of_producers(producers)
    backing = catalogue.claim_evidence_types() if standings else {}
    return {
        pk: {
            "compliant": standing.compliant,
            "compliant_until": standing.valid_until,
            "badges": [
                {
                    "code": claim.code,
                    "assurance": claim.assurance,
                    "valid_until": claim.valid_until,
                    "evidence_types": backing.get(claim.code, {}).get("evidence_types", []),
                }
                for claim in standing.claims
            ],
        }
        for pk, standing in standings.items()
    }


def origins_meeting(rules: Iterable[RequirementRule], today: dt.date, *, ecological: bool = False) -> Any:
    """Ids of the producers with at least one approved site whose origin has a valid item today for every
    one of `rules` (with the ecological flag, when asked), by the site rule: an item of a site-specific
    type counts only for the site it names. A `values()` queryset, to be used as a subquery."""
    sites = Site.objects.filter(status=Site.Status.APPROVED)
    for rule in rules:
        valid = Evidence.objects.filter(
            organization_id=OuterRef("producer_id"),
            evidence_type_id__in=sorted(rule.type_codes),
            status="approved",
            valid_until__gte=today,
        ).filter(Q(evidence_type__site_specific=False) | Q(site_id=OuterRef("pk")))
        if ecological:
            valid = valid.filter(attributes__ecological=True)
        sites = sites.filter(Exists(valid))
    return sites.values("producer_id")


def women_led_origins(claim: ClaimRule, rules: dict[str, RequirementRule], today: dt.date) -> Any:
    """Ids of the producers with at least one approved site whose evidence backs a women-led claim today:
    the stored verdict (`SiteClaimStanding`), which the engine computes from approved evidence. A `values()`
    queryset, to be used as a subquery."""
    return SiteClaimStanding.objects.filter(
        claim_id=claim.code, holds_until__gte=today, site__status=Site.Status.APPROVED
    ).values("site__producer_id")


def producers_holding(
    codes: Iterable[str],
    today: dt.date | None = None,
    *,
    claim_rules: Iterable[ClaimRule] | None = None,
    rules: dict[str, RequirementRule] | None = None,
) -> Q:
    """A filter on producers (or anything with a `pk` that is the organisation's id) keeping those for which
    every claim in `codes` is backed today at one of their approved sites at least (each claim at a site of
    its own, possibly different). Women-led, like every claim, comes from approved evidence. Pass the catalogue's
    `claim_rules` and `rules` when calling it in a loop, so the catalogue is read once."""
    today = today or clock.today_lima()
    claims = {claim.code: claim for claim in (claim_rules if claim_rules is not None else catalogue.claim_rules())}
    rules = rules if rules is not None else catalogue.all_requirement_rules()
    condition = Q()
    for code in codes:
        claim = claims.get(code)
        if claim is None:
            return Q(pk__in=[])
        backers = [claim] + [c for c in claims.values() if code in c.implies]
        either = Q(pk__in=[])
        for backer in backers:
            if backer.rule == "women_led":
                either |= Q(pk__in=women_led_origins(backer, rules, today))
            elif backer.requirement_codes:
                needed = [rules[c] for c in backer.requirement_codes]
                either |= Q(pk__in=origins_meeting(needed, today, ecological=backer.rule == "ecological_flag"))
        condition &= either
    return condition


# --- The compliance snapshot behind an offer ------------------------------------------------------
def _satisfying(rule: RequirementRule, facts: Iterable[EvidenceFact], today: dt.date) -> list[str]:
    """The ids of the items that meet `rule` today (none when it is not met), sorted."""
    result = evaluate_requirement(rule, facts, today)
    return sorted(str(pk) for pk in result.evidence_ids) if result.state in SATISFIED else []


def _claim_evidence(
    code: str,
    claims: dict[str, ClaimRule],
    rules: dict[str, RequirementRule],
    facts: tuple[EvidenceFact, ...],
    today: dt.date,
) -> list[str]:
    """The items behind a claim at one origin: those of the claim itself, or of any claim that implies it
    (a Fairmined Ecological certificate backs mercury-free), when all of that claim's requirements are met."""
    backers = [code]
    for other in sorted(claims):  # every claim that implies `code`, directly or through another
        if other != code and code in _implied_by(claims, other):
            backers.append(other)
    found: set[str] = set()
    for backer_code in backers:
        backer = claims[backer_code]
        if backer.rule == Claim.Rule.WOMEN_LED or not backer.requirement_codes:
            continue
        items = facts
        if backer.rule == Claim.Rule.ECOLOGICAL_FLAG:
            items = tuple(item for item in facts if item.attributes.get("ecological") is True)
        needed = [rules[c] for c in backer.requirement_codes if c in rules]
        if len(needed) != len(backer.requirement_codes):
            continue
        met = [_satisfying(rule, items, today) for rule in needed]
        if all(met):
            found.update(pk for ids in met for pk in ids)
    return sorted(found)


def _implied_by(claims: dict[str, ClaimRule], code: str) -> set[str]:
    """Every claim that `code` implies, transitively."""
    seen: set[str] = set()
    todo = list(claims[code].implies) if code in claims else []
    while todo:
        implied = todo.pop()
        if implied in seen:
            continue
        seen.add(implied)
        todo.extend(claims[implied].implies if implied in claims else ())
    return seen


def compliance_snapshot(
    producer: Producer, site_ids: Iterable[Any], claim_codes: Iterable[str], today: dt.date
) -> dict[str, Any]:
    """What stands behind an offer today, as plain JSON data (strings, integers, lists, objects) in a
    canonical order, to be stored with a contract's terms and hashed with them: the policy in force for the
    producer (id, subject, version); for each origin site (sorted by id) the items that satisfy each
    requirement of that policy and each claim of the offer, by the site rule (sorted by code, each item list
    sorted by id; an unmet requirement or unbacked claim has no items); and each item named once (sorted by
    id) with its type, the site it names, its validity and its files' SHA-256 in position order. Claims that
    rest on the roster (women-led) say so and name no items.

    A constant number of queries whatever the number of sites, claims and items (the catalogue, the
    producer's items, their files)."""
    organization = producer.organization
    policy = catalogue.policy_in_force(catalogue.policy_subject(organization, producer.legal_kind), today)
    policy_rule = catalogue.policy_rule(policy)
    claims = {claim.code: claim for claim in catalogue.claim_rules()}
    rules = catalogue.all_requirement_rules()
    rules.update({rule.code: rule for rule in policy_rule.requirements})
    site_specific = catalogue.site_specific_type_codes()
    items = {
        str(item.pk): item
        for item in Evidence.objects.filter(organization_id=producer.pk)
        .only("id", "organization_id", "evidence_type_id", "site_id", "status", "valid_until", "attributes")
        .prefetch_related(
            Prefetch(
                "files",
                queryset=EvidenceFile.objects.order_by("position").only("id", "evidence_id", "position", "sha256"),
            )
        )
    }
    facts = [fact(item, site_specific) for item in items.values()]
    codes = sorted(set(claim_codes))
    named: set[str] = set()
    sites: list[dict[str, Any]] = []
    for site_id in sorted({str(pk) for pk in site_ids}):
        counted = tuple(item for item in facts if not item.site_specific or str(item.site_id) == site_id)
        requirements: list[dict[str, Any]] = [
            {"code": rule.code, "evidence": _satisfying(rule, counted, today)}
            for rule in sorted(policy_rule.requirements, key=lambda r: r.code)
        ]
        site_claims: list[dict[str, Any]] = []
        for code in codes:
            roster = code in claims and claims[code].rule == Claim.Rule.WOMEN_LED
            evidence = [] if roster or code not in claims else _claim_evidence(code, claims, rules, counted, today)
            site_claims.append({"code": code, "rests_on": "roster" if roster else "evidence", "evidence": evidence})
        for entry in [*requirements, *site_claims]:
            named.update(entry["evidence"])
        sites.append({"site": site_id, "requirements": requirements, "claims": site_claims})
    return {
        "policy": {"id": policy.pk, "subject": policy.subject, "version": policy.version},
        "sites": sites,
        "evidence": [_snapshot_item(items[pk]) for pk in sorted(named)],
    }


def _snapshot_item(item: Evidence) -> dict[str, Any]:
    return {
        "id": str(item.pk),
        "type": item.evidence_type_id,
        "site": str(item.site_id) if item.site_id else None,
        "valid_until": item.valid_until.isoformat() if item.valid_until else None,
        "files": [{"position": f.position, "sha256": f.sha256} for f in item.files.all()],
    }


def snapshot_evidence_events(evidence_ids: Iterable[Any]) -> list[dict[str, Any]]:
    """Of the items named in snapshots, those revoked or superseded since: `[{evidence_id, type, event
    (revoked | superseded), at}]`, sorted by when it happened then id. One query."""
    withdrawn = Evidence.objects.filter(
        pk__in=list(evidence_ids), status__in=[EvidenceStatus.REVOKED, EvidenceStatus.SUPERSEDED]
    ).only("id", "evidence_type_id", "status", "decided_at", "superseded_at")
    events = [
        {
            "evidence_id": str(item.pk),
            "type": item.evidence_type_id,
            "event": item.status,
            "at": item.decided_at if item.status == EvidenceStatus.REVOKED else item.superseded_at,
        }
        for item in withdrawn
    ]
    never = dt.datetime.max.replace(tzinfo=dt.UTC)
    return sorted(events, key=lambda e: (e["at"] or never, e["evidence_id"]))


# --- Producers' owners (for the lead's screening and the due-diligence pack) -----------------------
@dataclass(frozen=True)
class Owner:
    name: str
    document_type: str  # DNI, CE or PASSPORT
    document_number: str
    share_percent: Decimal
    pep: bool | None  # None: not declared (an individual miner without a declaration)


@dataclass(frozen=True)
class DeclaredPep:
    """A politically exposed person related to the producer who is not an owner."""

    name: str
    position: str
    relation: str


@dataclass(frozen=True)
class ConfirmedOwners:
    """Who owns a producer, as a reviewer confirmed it: the approved declaration valid today (`source`
    "declaration", with its `evidence_id` and `valid_until`), or, for an individual miner without one, the
    miner herself with all of it (`source` "individual_miner", no evidence, PEP not declared)."""

    source: str
    evidence_id: Any
    valid_until: dt.date | None
    owners: tuple[Owner, ...]
    peps: tuple[DeclaredPep, ...]


def confirmed_owners(producer_id: Any, today: dt.date | None = None) -> ConfirmedOwners | None:
    """The owners and PEPs of the producer's approved owners declaration valid on `today` (the most
    recently decided, if several), or the individual miner herself; None when neither is known."""
    today = today or clock.today_lima()
    item = (
        Evidence.objects.filter(
            organization_id=producer_id,
            evidence_type__declares_owners=True,
            status="approved",
            valid_until__gte=today,
        )
        .order_by("-decided_at", "-created_at")
        .first()
    )
    if item is not None:
        declared = item.attributes or {}
        return ConfirmedOwners(
            source="declaration",
            evidence_id=item.pk,
            valid_until=item.valid_until,
            owners=tuple(
                Owner(
                    name=o["name"],
                    document_type=o["document_type"],
                    document_number=o["document_number"],
                    share_percent=Decimal(o["share_percent"]),
                    pep=o["pep"],
                )
                for o in declared.get("owners", [])
            ),
            peps=tuple(DeclaredPep(p["name"], p["position"], p["relation"]) for p in declared.get("peps", [])),
        )
    producer = Producer.objects.filter(pk=producer_id).select_related("organization").first()
    if producer is None or not producer.is_individual:
        return None
    miner = Owner(
        name=producer.organization.legal_name,
        document_type="DNI",
        document_number=producer.dni,
        share_percent=Decimal(100),
        pep=None,
    )
    return ConfirmedOwners(source="individual_miner", evidence_id=None, valid_until=None, owners=(miner,), peps=())
