"""The compliance engine: one pure function of (policy, evidence, today), and its SQL twin.

`evaluate` answers, for one organisation (or one origin: an organisation at one of its sites, when given the
items `facts_for_site` keeps): compliant or not, until when (`valid_until`, the day the first
required item lapses), every requirement with its state and the evidence behind it, and the claims that
hold with their assurance level. `annotate_compliance` gives the same `compliant` and `valid_until` for
many organisations in one query, `annotate_site_compliance` for many sites; a property-based test keeps the
SQL and the engine in agreement.

The site rule: gold comes from an origin, an organisation at one site. For site S an item counts when its
type is not site-specific (the RUC, the REINFO registration, the roster...) or when it names S (the
concession title, the environmental instrument, the closure plan...). A title approved for site A never
backs gold from site B.

An item counts ("is valid") when it is approved and its `valid_until` is today or later. Superseded,
revoked, rejected items never count; submitted and in-review items make a requirement `pending`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.db.models import Max, OuterRef, Q, Subquery
from django.db.models.functions import Least

NO_EXPIRY = dt.date(9999, 12, 31)
EXPIRING_SOON_DAYS = 30


class State:
    MET = "met"  # a valid item, lasting more than EXPIRING_SOON_DAYS
    EXPIRING_SOON = "expiring_soon"  # still valid, but lapses within EXPIRING_SOON_DAYS
    PENDING = "pending"  # nothing valid; an item waits for review
    EXPIRED = "expired"  # nothing valid or waiting; an approved item has lapsed
    MISSING = "missing"  # nothing at all


SATISFIED = (State.MET, State.EXPIRING_SOON)


@dataclass(frozen=True)
class EvidenceFact:
    id: Any
    type_code: str
    status: str
    valid_until: dt.date | None = None
    attributes: Mapping[str, Any] = field(default_factory=dict)
    site_id: Any = None  # the site the item names (items of site-specific types must name one)
    site_specific: bool = False  # its type is granted for one site (a concession title, an IGAFOM...)


@dataclass(frozen=True)
class RequirementRule:
    code: str
    type_codes: frozenset[str]


@dataclass(frozen=True)
class ClaimRule:
    code: str
    assurance: str
    requirement_codes: tuple[str, ...]
    rule: str = "requirements"  # "requirements" | "ecological_flag" | "women_led"
    implies: tuple[str, ...] = ()


@dataclass(frozen=True)
class PolicyRule:
    subject: str
    version: int
    requirements: tuple[RequirementRule, ...]


@dataclass(frozen=True)
class RequirementResult:
    code: str
    state: str
    valid_until: dt.date | None  # latest valid_until of the valid items (NO_EXPIRY for none)
    evidence_ids: tuple[Any, ...]  # the valid items, else the pending ones, else the lapsed ones


@dataclass(frozen=True)
class ClaimResult:
    code: str
    assurance: str
    valid_until: dt.date | None


@dataclass(frozen=True)
class ComplianceResult:
    compliant: bool
    valid_until: dt.date | None  # None when not compliant; NO_EXPIRY when nothing required lapses
    requirements: tuple[RequirementResult, ...]
    claims: tuple[ClaimResult, ...]

    @property
    def missing(self) -> tuple[RequirementResult, ...]:
        return tuple(r for r in self.requirements if r.state not in SATISFIED)


def facts_for_site(evidence: Iterable[EvidenceFact], site_id: Any) -> tuple[EvidenceFact, ...]:
    """The items that count for an origin (the organisation, one of its sites): those of types that are not
    site-specific, and those of site-specific types that name this site. With `site_id=None` (an
    organisation judged without a site, a buyer) only the items that are not site-specific count."""
    return tuple(
        item for item in evidence if not item.site_specific or (site_id is not None and item.site_id == site_id)
    )


def _is_valid(item: EvidenceFact, today: dt.date) -> bool:
    return item.status == "approved" and item.valid_until is not None and item.valid_until >= today


def evaluate_requirement(rule: RequirementRule, evidence: Iterable[EvidenceFact], today: dt.date) -> RequirementResult:
    relevant = [item for item in evidence if item.type_code in rule.type_codes]
    valid = [item for item in relevant if _is_valid(item, today)]
    if valid:
        best = max(item.valid_until for item in valid if item.valid_until is not None)
        soon = (best - today).days <= EXPIRING_SOON_DAYS
        return RequirementResult(
            rule.code, State.EXPIRING_SOON if soon else State.MET, best, tuple(i.id for i in valid)
        )
    pending = [item for item in relevant if item.status in ("submitted", "in_review")]
    if pending:
        return RequirementResult(rule.code, State.PENDING, None, tuple(i.id for i in pending))
    lapsed = [item for item in relevant if item.status == "approved"]
    if lapsed:
        return RequirementResult(rule.code, State.EXPIRED, None, tuple(i.id for i in lapsed))
    return RequirementResult(rule.code, State.MISSING, None, ())


def evaluate(
    policy: PolicyRule,
    evidence: Sequence[EvidenceFact],
    today: dt.date,
    *,
    claims: Sequence[ClaimRule] = (),
    requirement_rules: Mapping[str, RequirementRule] | None = None,
    individual_woman: bool = False,
) -> ComplianceResult:
    """Judge one organisation. `requirement_rules` resolves the requirements that claims name (they need
    not be in the policy); `individual_woman` says the organisation is one woman miner (recorded on the
    producer, checked against her identity document at verification), which claims of rule `women_led` use."""
    results = tuple(evaluate_requirement(rule, evidence, today) for rule in policy.requirements)
    compliant = all(r.state in SATISFIED for r in results)
    valid_until = min((r.valid_until for r in results if r.valid_until), default=NO_EXPIRY) if compliant else None
    rules = dict(requirement_rules or {})
    rules.update({rule.code: rule for rule in policy.requirements})
    held = _claims(claims, rules, evidence, today, individual_woman)
    return ComplianceResult(compliant, valid_until, results, held)


def _claims(
    claims: Sequence[ClaimRule],
    rules: Mapping[str, RequirementRule],
    evidence: Sequence[EvidenceFact],
    today: dt.date,
    individual_woman: bool,
) -> tuple[ClaimResult, ...]:
    held: dict[str, ClaimResult] = {}
    for claim in claims:
        if claim.rule == "women_led":
            women_led = _women_led_until(claim, rules, evidence, today, individual_woman)
            if women_led is not None:
                held[claim.code] = ClaimResult(claim.code, claim.assurance, women_led)
            continue
        items = evidence
        if claim.rule == "ecological_flag":
            items = [item for item in evidence if item.attributes.get("ecological") is True]
        results = [evaluate_requirement(rules[code], items, today) for code in claim.requirement_codes if code in rules]
        if results and len(results) == len(claim.requirement_codes) and all(r.state in SATISFIED for r in results):
            until = min(r.valid_until for r in results if r.valid_until)
            held[claim.code] = ClaimResult(claim.code, claim.assurance, until)
    # A claim that holds lends its validity to the claims it implies, transitively, whatever the order they
    # are listed in; a claim held both ways lasts until the later of the two.
    by_code = {claim.code: claim for claim in claims}
    changed = True
    while changed:
        changed = False
        for code, source in list(held.items()):
            for implied in by_code[code].implies if code in by_code else ():
                if implied not in by_code:
                    continue
                current = held.get(implied)
                lent = source.valid_until if current is None else _later(source.valid_until, current.valid_until)
                if current is None or lent != current.valid_until:
                    held[implied] = ClaimResult(implied, by_code[implied].assurance, lent)
                    changed = True
    return tuple(sorted(held.values(), key=lambda c: c.code))


def women_majority(attributes: Mapping[str, Any]) -> bool:
    """An item's counts (`{"women": n, "men": m}`, whole numbers) say more than half are women."""
    women, men = attributes.get("women"), attributes.get("men")
    if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in (women, men)):
        return False
    return bool(women > men)  # type: ignore[operator]


def _women_led_until(
    claim: ClaimRule,
    rules: Mapping[str, RequirementRule],
    evidence: Sequence[EvidenceFact],
    today: dt.date,
    individual_woman: bool,
) -> dt.date | None:
    """Until when valid evidence backs a women-led claim: an item of the claim's requirements' types whose
    counts are more than half women (the member register), or, for an individual woman miner, an item of
    those types that carries no counts (her identity document). None when nothing backs it."""
    types = set().union(*(rules[code].type_codes for code in claim.requirement_codes if code in rules))
    backing = [
        item.valid_until
        for item in evidence
        if item.type_code in types
        and _is_valid(item, today)
        and item.valid_until is not None
        and (
            women_majority(item.attributes)
            or (individual_woman and "women" not in item.attributes and "men" not in item.attributes)
        )
    ]
    return max(backing, default=None)


def _later(a: dt.date | None, b: dt.date | None) -> dt.date | None:
    """The later validity; None (no date) lasts longest."""
    if a is None or b is None:
        return None
    return max(a, b)


# --- The SQL twin ---------------------------------------------------------------------------------
def requirement_valid_until(
    rule: RequirementRule, today: dt.date, organization_ref: str = "pk", site_ref: str | None = None
) -> Subquery:
    """Latest valid_until of the organisation's valid items for one requirement (NULL when none). With
    `site_ref`, the origin's: items of site-specific types count only when they name that site
    (`facts_for_site`)."""
    from compliance.models import Evidence

    valid = Evidence.objects.filter(
        organization_id=OuterRef(organization_ref),
        evidence_type_id__in=sorted(rule.type_codes),
        status="approved",
        valid_until__gte=today,
    )
    if site_ref is not None:
        valid = valid.filter(Q(evidence_type__site_specific=False) | Q(site_id=OuterRef(site_ref)))
    latest = valid.values("organization_id").annotate(latest=Max("valid_until")).values("latest")
    return Subquery(latest, output_field=models.DateField())


def compliance_expressions(
    policy: PolicyRule, today: dt.date, organization_ref: str = "pk", site_ref: str | None = None
) -> dict[str, Any]:
    """Annotations for a queryset: `req_<code>` per requirement, `compliance_valid_until` (NULL unless
    compliant) and `is_compliant`, for the organisations whose id is `organization_ref` (and, with
    `site_ref`, for the origins: that organisation at the site whose id is `site_ref`)."""
    annotations: dict[str, Any] = {
        f"req_{rule.code.lower()}": requirement_valid_until(rule, today, organization_ref, site_ref)
        for rule in policy.requirements
    }
    names = list(annotations)
    if not names:
        annotations["compliance_valid_until"] = models.Value(NO_EXPIRY, output_field=models.DateField())
        annotations["is_compliant"] = models.Value(True, output_field=models.BooleanField())
        return annotations
    refs = [models.F(name) for name in names]
    # LEAST is NULL when any argument is NULL on SQLite, and ignores NULLs on PostgreSQL: say it explicitly.
    all_met = Q(**{f"{names[0]}__isnull": False})
    for name in names[1:]:
        all_met &= Q(**{f"{name}__isnull": False})
    least = refs[0] if len(refs) == 1 else Least(*refs)
    annotations["compliance_valid_until"] = models.Case(
        models.When(all_met, then=least), default=None, output_field=models.DateField()
    )
    annotations["is_compliant"] = models.Case(
        models.When(all_met, then=models.Value(True)), default=models.Value(False), output_field=models.BooleanField()
    )
    return annotations


def annotate_compliance(queryset: models.QuerySet[Any], policy: PolicyRule, today: dt.date) -> models.QuerySet[Any]:
    return queryset.annotate(**compliance_expressions(policy, today))


def annotate_site_compliance(
    queryset: models.QuerySet[Any], policy: PolicyRule, today: dt.date
) -> models.QuerySet[Any]:
    """The same for sites: each site's origin (its producer, the site) judged by the site rule."""
    return queryset.annotate(**compliance_expressions(policy, today, organization_ref="producer_id", site_ref="pk"))
