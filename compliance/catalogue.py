"""The catalogue and policy as the engine sees them: plain snapshots read from the database."""

from __future__ import annotations

import datetime as dt
from calendar import isleap, monthrange
from typing import Any

from django.utils.translation import gettext_lazy as _

from accounts.models import Organization
from compliance.models import NO_EXPIRY, Claim, EvidenceType, KycPolicy, Policy, Requirement, ValidityDeadline
from compliance.policy import ClaimRule, PolicyRule, RequirementRule
from core import clock
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


def requirement_rule(requirement: Requirement) -> RequirementRule:
    return RequirementRule(requirement.code, frozenset(t.code for t in requirement.evidence_types.all()))


def policy_rule(policy: Policy) -> PolicyRule:
    return PolicyRule(policy.subject, policy.version, tuple(requirement_rule(r) for r in policy.requirements.all()))


def all_requirement_rules() -> dict[str, RequirementRule]:
    return {r.code: requirement_rule(r) for r in Requirement.objects.prefetch_related("evidence_types")}


def claim_evidence_types() -> dict[str, dict[str, Any]]:
    """Each claim's assurance and the evidence types that back it (those of its requirements, and of the
    claims that imply it), sorted: what a public badge links to. Three queries whatever the catalogue."""
    claims = list(Claim.objects.prefetch_related("requirements__evidence_types", "implies"))
    own = {c.code: {t.code for r in c.requirements.all() for t in r.evidence_types.all()} for c in claims}
    backing = {c.code: set(own[c.code]) for c in claims}
    for claim in claims:
        for implied in claim.implies.all():
            backing.setdefault(implied.code, set()).update(own[claim.code])
    return {c.code: {"assurance": c.assurance, "evidence_types": sorted(backing[c.code])} for c in claims}


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


def deadline_in_force(code: str, day: dt.date) -> ValidityDeadline | None:
    """The deadline row in force on `day`: the one with the latest `effective_from` on or before it."""
    return ValidityDeadline.objects.filter(code=code, effective_from__lte=day).order_by("-effective_from").first()


def default_valid_until(
    evidence_type: EvidenceType,
    issue_date: dt.date,
    expiry_date: dt.date | None,
    *,
    no_expiry: bool = False,
    today: dt.date | None = None,
) -> dt.date:
    """The validity an approval on `today` grants by the type's rule, never past the document's own expiry.
    A document that says it never expires (`no_expiry`) grants NO_EXPIRY under the `document_expiry` rule; a
    `deadline` type is valid until the deadline in force on the day of the approval."""
    rule = evidence_type.validity
    if rule == EvidenceType.Validity.DAYS:
        until = issue_date + dt.timedelta(days=evidence_type.validity_days or 0)
    elif rule == EvidenceType.Validity.CALENDAR_YEAR:
        until = dt.date(issue_date.year, 12, 31)
    elif rule == EvidenceType.Validity.DOCUMENT_EXPIRY:
        # Items recorded before an expiry date was required: one year from issue, as before.
        no_end = no_expiry and evidence_type.allows_no_expiry
        until = NO_EXPIRY if no_end else expiry_date or _add_years(issue_date, 1)
    elif rule == EvidenceType.Validity.DEADLINE:
        row = deadline_in_force(evidence_type.deadline_code, today or clock.today_lima())
        if row is None:
            raise ServiceUnavailable(
                _("No deadline %(code)s is in force: staff must record the one the law sets.")
                % {"code": evidence_type.deadline_code},
                code="no_deadline",
            )
        until = row.deadline
    else:  # no expiry, until the facts change, one lot
        until = NO_EXPIRY
    return min(until, expiry_date) if expiry_date else until


def site_specific_type_codes() -> frozenset[str]:
    """The evidence types granted for one site: their items count only for the site they name."""
    return frozenset(EvidenceType.objects.filter(site_specific=True).values_list("code", flat=True))


def names(*, claims: bool = True, evidence_types: bool = True) -> dict[str, str]:
    """Display names, in the active language, of the claims and evidence types by code (for pages that show
    codes the API returns)."""
    found: dict[str, str] = {}
    if evidence_types:
        found |= {row.code: row.name for row in EvidenceType.objects.only("code", "name_es", "name_en")}
    if claims:
        found |= {row.code: row.name for row in Claim.objects.only("code", "name_es", "name_en")}
    return found
