"""Which listings buyers see, computed at query time: a lapse hides a listing the same day, with no job.

Visible = published, some quantity left, inside its validity window, the producer verified by the network
and compliant today under the policy of its kind, and every claim of the listing backed today by the
producer's evidence. `visible_listings` says it in one SQL query; `services.obstacles` says it in words,
for the producer, from the compliance engine itself (tests keep the two in agreement).

The compliance part is computed once per organisation, not once per listing: one pass over today's valid
evidence, grouped by organisation, keeps the organisations that have a valid item for every requirement
(`HAVING` one flag per requirement). The listings then only ask whether their producer is in that set.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db.models import Case, Count, F, IntegerField, Max, Q, QuerySet, Value, When

from compliance import catalogue
from compliance.models import Evidence
from compliance.policy import ClaimRule, RequirementRule
from listings.models import Listing, ListingClaim
from producers.models import MemberMiner


def organizations_meeting(
    rules: Iterable[RequirementRule], today: dt.date, *, ecological: bool = False
) -> QuerySet[Any, Any]:
    """Ids of the organisations with a valid item today for every one of `rules` (with the ecological flag,
    when asked). A `values()` queryset, to be used as a subquery."""
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


def _producer_meets(rules: Iterable[RequirementRule], today: dt.date, *, ecological: bool = False) -> Q:
    rules = list(rules)
    if not rules:
        return Q()  # nothing required: every producer meets it
    return Q(producer_id__in=organizations_meeting(rules, today, ecological=ecological))


def _women_led_producers() -> QuerySet[Any, Any]:
    return (
        MemberMiner.objects.filter(active=True)
        .values("producer_id")
        .annotate(women=Count("pk", filter=Q(sex="female")), total=Count("pk"))
        .filter(total__gt=0, total__lt=2 * F("women"))
        .values("producer_id")
    )


def _claim_held(claim: ClaimRule, today: dt.date, rules: dict[str, RequirementRule]) -> Q:
    if claim.rule == "women_led":
        return Q(producer__legal_kind="individual", producer__holder_sex="female") | Q(
            producer_id__in=_women_led_producers()
        )
    needed = [rules[code] for code in claim.requirement_codes]
    if not needed:
        return Q(pk__in=[])  # a claim backed by nothing never holds
    return _producer_meets(needed, today, ecological=claim.rule == "ecological_flag")


def visible_listings(queryset: QuerySet[Listing], today: dt.date) -> QuerySet[Listing]:
    individual = catalogue.policy_rule(catalogue.policy_in_force("individual", today))
    organization = catalogue.policy_rule(catalogue.policy_in_force("organization", today))
    claims = catalogue.claim_rules()
    rules = catalogue.all_requirement_rules()
    compliant = (Q(producer__legal_kind="individual") & _producer_meets(individual.requirements, today)) | (
        ~Q(producer__legal_kind="individual") & _producer_meets(organization.requirements, today)
    )
    visible = (
        Q(
            status="published",
            available_grams__gt=0,
            valid_from__lte=today,
            valid_until__gte=today,
            producer__verification_status="verified",
        )
        & compliant
    )
    held = {claim.code: _claim_held(claim, today, rules) for claim in claims}
    for claim in claims:  # a claim that holds also backs the claims it implies
        for implied in claim.implies:
            held[implied] = held.get(implied, Q(pk__in=[])) | held[claim.code]
    for code, condition in held.items():
        # A listing making this claim is visible only while the claim holds.
        visible &= ~Q(pk__in=ListingClaim.objects.filter(claim_id=code).values("listing_id")) | condition
    return queryset.filter(visible)
