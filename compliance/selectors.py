"""Reads of compliance data, scoped to the caller, and the engine's answer for one or many organisations."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Case, IntegerField, Max, Prefetch, Q, QuerySet, Value, When

from accounts.models import Organization
from compliance import catalogue
from compliance.models import Evidence, EvidenceFile, Policy
from compliance.policy import ClaimRule, ComplianceResult, EvidenceFact, RequirementRule, evaluate
from core import clock
from core.actor import Actor
from core.errors import NotFound
from producers.models import Producer
from producers.selectors import shows_women_led, with_roster_figures, women_led_condition


def fact(item: Evidence) -> EvidenceFact:
    return EvidenceFact(item.pk, item.evidence_type_id, item.status, item.valid_until, item.attributes or {})


@dataclass(frozen=True)
class Standing:
    """The engine's answer for one organisation under the policy in force."""

    policy: Policy
    result: ComplianceResult
    evidence: dict[Any, Evidence]


def _evaluate(
    organization: Organization,
    producer: Producer | None,
    items: Iterable[Evidence],
    today: dt.date,
    cache: dict[str, Any],
) -> Standing:
    subject = catalogue.policy_subject(organization, producer.legal_kind if producer else None)
    if subject not in cache:
        policy = catalogue.policy_in_force(subject, today)
        cache[subject] = (policy, catalogue.policy_rule(policy))
    if "claims" not in cache:
        cache["claims"] = catalogue.claim_rules()
        cache["rules"] = catalogue.all_requirement_rules()
    policy, rule = cache[subject]
    items = list(items)
    result = evaluate(
        rule,
        [fact(item) for item in items],
        today,
        claims=cache["claims"] if producer else (),
        requirement_rules=cache["rules"],
        women_led=bool(producer and shows_women_led(producer)),
    )
    return Standing(policy, result, {item.pk: item for item in items})


def standing_of(organization: Organization, today: dt.date | None = None) -> Standing:
    producer = with_roster_figures(Producer.objects.filter(pk=organization.pk)).first()
    items = Evidence.objects.filter(organization=organization).select_related("evidence_type")
    return _evaluate(organization, producer, items, today or clock.today_lima(), {})


def standings_of_producers(producers: Iterable[Producer], today: dt.date | None = None) -> dict[Any, Standing]:
    """The engine for a page of producers in a constant number of queries (their evidence in one)."""
    producers = list(producers)
    today = today or clock.today_lima()
    by_org: dict[Any, list[Evidence]] = defaultdict(list)
    for item in Evidence.objects.filter(organization_id__in=[p.pk for p in producers]).only(
        "id", "organization_id", "evidence_type_id", "status", "valid_until", "attributes"
    ):
        by_org[item.organization_id].append(item)
    cache: dict[str, Any] = {}
    return {p.pk: _evaluate(p.organization, p, by_org[p.pk], today, cache) for p in producers}


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
    badges (claims that hold, with their assurance level and until when)."""
    standings = standings_of_producers(producers)
    return {
        pk: {
            "compliant": standing.result.compliant,
            "compliant_until": standing.result.valid_until,
            "badges": [
                {"code": claim.code, "assurance": claim.assurance, "valid_until": claim.valid_until}
                for claim in standing.result.claims
            ],
        }
        for pk, standing in standings.items()
    }


def organizations_meeting(rules: Iterable[RequirementRule], today: dt.date, *, ecological: bool = False) -> Any:
    """Ids of the organisations with a valid item today for every one of `rules` (with the ecological flag,
    when asked): one pass over today's valid evidence grouped by organisation, one HAVING flag per
    requirement. A `values()` queryset, to be used as a subquery."""
    rules = list(rules)
    valid = Evidence.objects.filter(status="approved", valid_until__gte=today)
    if ecological:
        valid = valid.filter(attributes__ecological=True)
    flags = {
        f"has_{index}": Max(
            Case(When(evidence_type_id__in=sorted(rule.type_codes), then=Value(1)), default=Value(0)),
            output_field=IntegerField(),
        )
        for index, rule in enumerate(rules)
    }
    grouped = valid.values("organization_id").annotate(**flags)
    return grouped.filter(**{name: 1 for name in flags}).values("organization_id")


def producers_holding(
    codes: Iterable[str],
    today: dt.date | None = None,
    *,
    claim_rules: Iterable[ClaimRule] | None = None,
    rules: dict[str, RequirementRule] | None = None,
) -> Q:
    """A filter on producers (or anything with a `pk` that is the organisation's id) keeping those whose
    evidence backs every claim in `codes` today. Women-led comes from the roster. Pass the catalogue's
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
                either |= Q(pk__in=organizations_meeting(needed, today, ecological=backer.rule == "ecological_flag"))
        condition &= either
    return condition
