"""The catalogue and policy as the engine sees them: plain snapshots read from the database."""

from __future__ import annotations

import datetime as dt
from calendar import isleap, monthrange

from django.utils.translation import gettext_lazy as _

from accounts.models import Organization
from compliance.models import NO_EXPIRY, Claim, EvidenceType, KycPolicy, Policy, Requirement
from compliance.policy import ClaimRule, PolicyRule, RequirementRule
from core.errors import ServiceUnavailable


def policy_subject(organization: Organization, legal_kind: str | None) -> str:
    if organization.kind == Organization.Kind.BUYER:
        return Policy.Subject.BUYER
    return Policy.Subject.INDIVIDUAL if legal_kind == "individual" else Policy.Subject.ORGANIZATION


def policy_in_force(subject: str, today: dt.date) -> Policy:
    policy = (
        Policy.objects.filter(subject=subject, effective_from__lte=today)
        .prefetch_related("requirements__evidence_types")
        .order_by("-effective_from")
        .first()
    )
    if policy is None:
        raise ServiceUnavailable(_("No compliance policy is in force: staff must publish one."), code="no_policy")
    return policy


def kyc_policy_in_force(today: dt.date) -> KycPolicy:
    """The KYC policy version in force on `today`: the latest effective on or before it."""
    kyc_policy = KycPolicy.in_force(today)
    if kyc_policy is None:
        raise ServiceUnavailable(_("No KYC policy is in force: staff must publish one."), code="no_kyc_policy")
    return kyc_policy


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later; the month's last day when it is shorter (31 January + 1 = 28 February)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, monthrange(year, month)[1]))


def policy_ids_in_force(today: dt.date) -> dict[str, int]:
    """The id of the policy in force for each subject, in one query (subjects with none are absent)."""
    ids: dict[str, int] = {}
    policies = Policy.objects.filter(effective_from__lte=today).order_by("subject", "-effective_from")
    for subject, pk in policies.values_list("subject", "pk"):
        ids.setdefault(subject, pk)
    return ids


def roster_claim_codes() -> tuple[str, ...]:
    """The claims backed by a producer's roster rather than by evidence (women-led), sorted."""
    return tuple(Claim.objects.filter(rule=Claim.Rule.WOMEN_LED).order_by("code").values_list("code", flat=True))


def requirement_rule(requirement: Requirement) -> RequirementRule:
    return RequirementRule(requirement.code, frozenset(t.code for t in requirement.evidence_types.all()))


def policy_rule(policy: Policy) -> PolicyRule:
    return PolicyRule(policy.subject, policy.version, tuple(requirement_rule(r) for r in policy.requirements.all()))


def all_requirement_rules() -> dict[str, RequirementRule]:
    return {r.code: requirement_rule(r) for r in Requirement.objects.prefetch_related("evidence_types")}


def claim_rules() -> tuple[ClaimRule, ...]:
    return tuple(
        ClaimRule(
            code=claim.code,
            assurance=claim.assurance,
            requirement_codes=tuple(r.code for r in claim.requirements.all()),
            rule=claim.rule,
            implies=tuple(c.code for c in claim.implies.all()),
        )
        for claim in Claim.objects.prefetch_related("requirements", "implies")
    )


def _add_years(day: dt.date, years: int) -> dt.date:
    if day.month == 2 and day.day == 29 and not isleap(day.year + years):
        return dt.date(day.year + years, 2, 28)
    return day.replace(year=day.year + years)


def default_valid_until(evidence_type: EvidenceType, issue_date: dt.date, expiry_date: dt.date | None) -> dt.date:
    """The validity an approval grants by the type's rule, never past the document's own expiry."""
    rule = evidence_type.validity
    if rule == EvidenceType.Validity.DAYS:
        until = issue_date + dt.timedelta(days=evidence_type.validity_days or 0)
    elif rule == EvidenceType.Validity.CALENDAR_YEAR:
        until = dt.date(issue_date.year, 12, 31)
    elif rule == EvidenceType.Validity.DOCUMENT_EXPIRY:
        until = expiry_date or _add_years(issue_date, 1)
    else:  # no expiry, until the facts change, one lot
        until = NO_EXPIRY
    return min(until, expiry_date) if expiry_date else until


def site_specific_type_codes() -> frozenset[str]:
    """The evidence types granted for one site: their items count only for the site they name."""
    return frozenset(EvidenceType.objects.filter(site_specific=True).values_list("code", flat=True))
