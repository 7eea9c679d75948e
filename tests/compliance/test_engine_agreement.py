"""The SQL twin agrees with the engine: for any evidence, `annotate_compliance` gives the same `compliant`
and `valid_until` as `evaluate`, for every organisation, under every seeded policy, in one query."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from accounts.models import Organization, User
from compliance import catalogue
from compliance.models import NO_EXPIRY, Evidence, EvidenceStatus, Policy
from compliance.policy import PolicyRule, annotate_compliance, evaluate
from compliance.selectors import fact

pytestmark = pytest.mark.django_db

# A few types besides the policy's own (claims, lots, the other subjects'): they must not count.
OTHER_TYPES = ["CERT_FAIRMINED", "HG_FREE_PROCESS", "VIGENCIA_PAY", "LOT_ASSAY", "KYC_UBO", "ID_DNI"]
STATUSES = [status.value for status in EvidenceStatus]
Row = tuple[str, str, dt.date | None]  # evidence type, status, valid_until


def seeded_policies() -> list[Policy]:
    return list(Policy.objects.prefetch_related("requirements__evidence_types").order_by("subject", "version"))


def seeded_rule(subject: str) -> PolicyRule:
    return catalogue.policy_rule(next(policy for policy in seeded_policies() if policy.subject == subject))


def type_codes(rule: PolicyRule) -> list[str]:
    return sorted({code for requirement in rule.requirements for code in requirement.type_codes} | set(OTHER_TYPES))


def validity(today: dt.date) -> st.SearchStrategy[dt.date]:
    """Around today (the last day, the day before, the expiring-soon boundary), further off, or never."""
    offsets = st.one_of(st.integers(-3, 3), st.integers(-60, 400), st.sampled_from([29, 30, 31]))
    return st.one_of(offsets.map(lambda n: today + dt.timedelta(days=n)), st.just(NO_EXPIRY))


def evidence_row(types: list[str], today: dt.date) -> st.SearchStrategy[Row]:
    def with_validity(pair: tuple[str, str]) -> st.SearchStrategy[Row]:
        type_code, status = pair
        until = validity(today) if status == EvidenceStatus.APPROVED else st.one_of(st.none(), validity(today))
        return until.map(lambda day: (type_code, status, day))

    return st.tuples(st.sampled_from(types), st.sampled_from(STATUSES)).flatmap(with_validity)


def organisation_evidence(rule: PolicyRule, today: dt.date) -> st.SearchStrategy[list[Row]]:
    """Random items of any type and status; half the time on top of one approved item per requirement (most
    of them still valid), so that compliant organisations and their `valid_until` are well covered."""
    mostly_valid = st.one_of(st.integers(-2, 40), st.integers(0, 800)).map(lambda n: today + dt.timedelta(days=n))
    per_requirement = [
        st.tuples(
            st.sampled_from(sorted(requirement.type_codes)),
            st.just("approved"),
            st.one_of(mostly_valid, validity(today)),
        )
        for requirement in rule.requirements
    ]
    baseline = st.one_of(st.just([]), st.tuples(*per_requirement).map(list))
    noise = st.lists(evidence_row(type_codes(rule), today), max_size=10)
    return st.tuples(baseline, noise).map(lambda pair: pair[0] + pair[1])


def create_world(orgs: list[list[Row]], today: dt.date) -> tuple[User, list[Any]]:
    user = User.objects.create(email=f"{uuid.uuid4().hex}@example.test", full_name="Revisora")
    organizations = Organization.objects.bulk_create(
        [Organization(kind=Organization.Kind.PRODUCER, legal_name=f"Org {n}", country="PE") for n in range(len(orgs))]
    )
    Evidence.objects.bulk_create(
        [
            Evidence(
                organization=organization,
                evidence_type_id=type_code,
                status=status,
                valid_until=until,
                issue_date=today - dt.timedelta(days=400),
                submitted_by=user,
            )
            for organization, rows in zip(organizations, orgs, strict=True)
            for type_code, status, until in rows
        ]
    )
    return user, [organization.pk for organization in organizations]


def delete_world(user: User, org_ids: list[Any]) -> None:
    Evidence.objects.filter(organization_id__in=org_ids).delete()
    Organization.objects.filter(pk__in=org_ids).delete()
    user.delete()


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data(), today=st.dates(min_value=dt.date(2025, 1, 1), max_value=dt.date(2030, 12, 31)))
def test_the_annotation_agrees_with_the_engine(data, today):
    policies = seeded_policies()
    assert {policy.subject for policy in policies} == {"individual", "organization", "buyer"}
    rule = catalogue.policy_rule(data.draw(st.sampled_from(policies), label="policy"))
    orgs = data.draw(
        st.lists(organisation_evidence(rule, today), min_size=1, max_size=5),
        label="evidence per organisation (type, status, valid_until)",
    )
    user, org_ids = create_world(orgs, today)
    try:
        facts: dict[Any, list[Any]] = {pk: [] for pk in org_ids}
        for evidence in Evidence.objects.filter(organization_id__in=org_ids):
            facts[evidence.organization_id].append(fact(evidence))
        annotated = {
            row["id"]: row
            for row in annotate_compliance(Organization.objects.filter(pk__in=org_ids), rule, today).values()
        }
        assert set(annotated) == set(org_ids)
        for pk in org_ids:
            result = evaluate(rule, facts[pk], today)
            row = annotated[pk]
            event(f"compliant={result.compliant}")
            # compliant, until when (NULL unless compliant), and each requirement's latest validity (NULL unless
            # satisfied), compared at once so that hypothesis shrinks one failure.
            engine = (result.compliant, result.valid_until, {r.code: r.valid_until for r in result.requirements})
            sql = (
                row["is_compliant"],
                row["compliance_valid_until"],
                {r.code: row[f"req_{r.code.lower()}"] for r in rule.requirements},
            )
            assert sql == engine, f"organisation {org_ids.index(pk)}: SQL {sql} != engine {engine}"
    finally:
        delete_world(user, org_ids)


def test_the_annotation_is_one_query_for_twenty_organisations():
    today = dt.date(2026, 3, 16)
    rule = seeded_rule(Policy.Subject.ORGANIZATION)
    everything = [(code, "approved", NO_EXPIRY) for code in type_codes(rule)]
    without_ruc = [row for row in everything if row[0] != "TAX_RUC"]
    orgs = [everything if n % 2 else without_ruc for n in range(20)]
    user, org_ids = create_world(orgs, today)
    with CaptureQueriesContext(connection) as queries:
        rows = list(
            annotate_compliance(Organization.objects.filter(pk__in=org_ids), rule, today).values_list(
                "pk", "is_compliant", "compliance_valid_until"
            )
        )
    assert len(queries.captured_queries) == 1, [q["sql"] for q in queries.captured_queries]
    assert len(rows) == 20
    assert (
        sorted((compliant, until) for _pk, compliant, until in rows) == [(False, None)] * 10 + [(True, NO_EXPIRY)] * 10
    )
    delete_world(user, org_ids)
