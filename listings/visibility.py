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

from django.db.models import Q, QuerySet

from compliance import catalogue
from compliance.policy import RequirementRule
from compliance.selectors import organizations_meeting, producers_holding
from listings.models import Listing, ListingClaim
from producers.models import Producer


def _producer_meets(rules: Iterable[RequirementRule], today: dt.date, *, ecological: bool = False) -> Q:
    rules = list(rules)
    if not rules:
        return Q()  # nothing required: every producer meets it
    return Q(producer_id__in=organizations_meeting(rules, today, ecological=ecological))


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
    for code in sorted(claim.code for claim in claims):
        # A listing making this claim is visible only while its producer's evidence backs it (or a claim that
        # implies it) today.
        backed = Producer.objects.filter(producers_holding([code], today, claim_rules=claims, rules=rules)).values("pk")
        visible &= ~Q(pk__in=ListingClaim.objects.filter(claim_id=code).values("listing_id")) | Q(
            producer_id__in=backed
        )
    return queryset.filter(visible)
