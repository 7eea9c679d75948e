"""Which listings buyers see, computed at query time: a lapse hides a listing the same day, with no job.

Visible = published, some quantity left, inside its validity window, the producer verified by the network
and compliant today under the policy of its kind, and every claim of the listing backed today by the
producer's evidence. `visible_listings` says it in one SQL query; `why_hidden` says it in words, for the
producer, from the compliance engine itself.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import models
from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from compliance import catalogue
from compliance.models import Evidence
from compliance.policy import ClaimRule, RequirementRule, requirement_valid_until
from listings.models import Listing, ListingClaim
from producers.models import MemberMiner


def _requirement_annotations(rules: dict[str, RequirementRule], today: dt.date) -> dict[str, Any]:
    return {f"req_{code.lower()}": requirement_valid_until(rule, today, "producer_id") for code, rule in rules.items()}


def _all_met(codes: list[str]) -> Q:
    condition = Q()
    for code in codes:
        condition &= Q(**{f"req_{code.lower()}__isnull": False})
    return condition


def _claim_held(claim: ClaimRule, today: dt.date, rules: dict[str, RequirementRule]) -> Q:
    if claim.rule == "women_led":
        return Q(producer__legal_kind="individual", producer__holder_sex="female") | Q(women_led_roster=True)
    if claim.rule == "ecological_flag":
        condition = Q()
        for code in claim.requirement_codes:
            flagged = Evidence.objects.filter(
                organization_id=OuterRef("producer_id"),
                evidence_type_id__in=sorted(rules[code].type_codes),
                status="approved",
                valid_until__gte=today,
                attributes__ecological=True,
            )
            condition &= Q(Exists(flagged))
        return condition
    return _all_met(list(claim.requirement_codes))


def visible_listings(queryset: QuerySet[Listing], today: dt.date) -> QuerySet[Listing]:
    individual = catalogue.policy_rule(catalogue.policy_in_force("individual", today))
    organization = catalogue.policy_rule(catalogue.policy_in_force("organization", today))
    claims = catalogue.claim_rules()
    rules = catalogue.all_requirement_rules()
    needed = {r.code for r in individual.requirements} | {r.code for r in organization.requirements}
    needed |= {code for claim in claims for code in claim.requirement_codes}
    roster = (
        MemberMiner.objects.filter(producer_id=OuterRef("producer_id"), active=True)
        .values("producer_id")
        .annotate(women=Count("pk", filter=Q(sex="female")), total=Count("pk"))
        .filter(total__gt=0, total__lt=2 * models.F("women"))
    )
    queryset = queryset.annotate(
        **_requirement_annotations({code: rules[code] for code in sorted(needed)}, today),
        women_led_roster=Exists(roster),
    )
    compliant = (Q(producer__legal_kind="individual") & _all_met([r.code for r in individual.requirements])) | (
        ~Q(producer__legal_kind="individual") & _all_met([r.code for r in organization.requirements])
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
        makes_claim = Exists(ListingClaim.objects.filter(listing_id=OuterRef("pk"), claim_id=code))
        visible &= ~makes_claim | condition
    return queryset.filter(visible)
