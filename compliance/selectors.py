"""Reads of compliance data, scoped to the caller, and the engine's answer for one or many organisations."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from accounts.models import Organization
from compliance import catalogue
from compliance.models import Evidence, EvidenceFile, Policy
from compliance.policy import (
    ClaimResult,
    ClaimRule,
    ComplianceResult,
    EvidenceFact,
    RequirementRule,
    evaluate,
    facts_for_site,
)
from core import clock
from core.actor import Actor
from core.errors import NotFound
from producers.models import Producer, Site
from producers.selectors import shows_women_led, with_roster_figures, women_led_condition


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
        women_led=bool(producer and shows_women_led(producer)),
    )
    return Standing(policy, result, {item.pk: item for item in items if item.pk in counted})


@dataclass(frozen=True)
class ProducerStanding:
    """A producer judged as a whole (`whole`: every item counts, wherever it names) and origin by origin
    (`sites`: each of its sites, by the site rule). Gold comes from an origin, so the producer's own answer
    is the origins': compliant when at least one approved site is, and a claim holds when at least one
    approved site backs it (women-led, from the roster, holds or not for all)."""

    whole: Standing
    sites: tuple[tuple[Site, Standing], ...]
    roster_claims: frozenset[str]

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
        held: dict[str, ClaimResult] = {c.code: c for c in self.whole.result.claims if c.code in self.roster_claims}
        for standing in self._approved():
            for claim in standing.result.claims:
                if claim.code in self.roster_claims:
                    continue
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
    roster = frozenset(c.code for c in cache["claims"] if c.rule == "women_led")
    return ProducerStanding(whole, origins, roster)


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


def producer_public_standing(producers: Iterable[Producer]) -> dict[Any, dict[str, Any]]:
    """What the directory shows of each producer's compliance: compliant today, until when, and its
    badges (claims that hold, with their assurance level and until when), by the origins' rule
    (`ProducerStanding`): compliant when at least one approved site is, a badge when at least one approved
    site backs it."""
    standings = standings_of_producers(producers)
    return {
        pk: {
            "compliant": standing.compliant,
            "compliant_until": standing.valid_until,
            "badges": [
                {"code": claim.code, "assurance": claim.assurance, "valid_until": claim.valid_until}
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


def producers_holding(
    codes: Iterable[str],
    today: dt.date | None = None,
    *,
    claim_rules: Iterable[ClaimRule] | None = None,
    rules: dict[str, RequirementRule] | None = None,
) -> Q:
    """A filter on producers (or anything with a `pk` that is the organisation's id) keeping those for which
    every claim in `codes` is backed today at one of their approved sites at least (each claim at a site of
    its own, possibly different). Women-led comes from the roster. Pass the catalogue's
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
                either |= women_led_condition()
            elif backer.requirement_codes:
                needed = [rules[c] for c in backer.requirement_codes]
                either |= Q(pk__in=origins_meeting(needed, today, ecological=backer.rule == "ecological_flag"))
        condition &= either
    return condition


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
