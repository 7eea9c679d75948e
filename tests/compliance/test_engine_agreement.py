"""The SQL twin agrees with the engine: for any evidence, `annotate_compliance` gives the same `compliant`
and `valid_until` as `evaluate`, for every organisation, under every seeded policy, in one query; and
`annotate_site_compliance` the same as `evaluate` on `facts_for_site`, for every origin (an organisation at
one of its sites), with items naming any site or none."""

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
from compliance.policy import PolicyRule, annotate_compliance, annotate_site_compliance, evaluate, facts_for_site
from compliance.selectors import fact
from producers.models import Producer, Site
from tests.factories import make_ruc

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


# --- The site rule: origins (an organisation at one of its sites) -----------------------------------------
SiteRow = tuple[str, str, dt.date | None, int | None]  # ... and the index of the site the item names (or none)


def origin_evidence(rule: PolicyRule, today: dt.date, sites: int) -> st.SearchStrategy[list[SiteRow]]:
    """`organisation_evidence`, each item naming one of the `sites` or none, whatever its type: items of
    site-specific types on the wrong site or on none, organisation-level items naming a site."""
    named = st.integers(0, sites - 1)
    site = st.one_of(named, named, st.none())  # mostly a site, so that origins are often compliant
    return organisation_evidence(rule, today).flatmap(
        lambda rows: (
            st.tuples(*[site.map(lambda s, row=row: (*row, s)) for row in rows]).map(list) if rows else st.just([])
        )
    )


def create_sited_world(orgs: list[tuple[int, list[SiteRow]]], today: dt.date) -> tuple[User, list[Any], list[Any]]:
    user = User.objects.create(email=f"{uuid.uuid4().hex}@example.test", full_name="Revisora")
    organizations = Organization.objects.bulk_create(
        [Organization(kind=Organization.Kind.PRODUCER, legal_name=f"Org {n}", country="PE") for n in range(len(orgs))]
    )
    producers = Producer.objects.bulk_create(
        [
            Producer(
                organization=o, legal_kind="cooperative", legal_category="REINFO", ruc=make_ruc(), district="huepetuhe"
            )
            for o in organizations
        ]
    )
    sites: list[list[Site]] = []
    for producer, (count, _rows) in zip(producers, orgs, strict=True):
        sites.append(
            Site.objects.bulk_create(
                [
                    Site(
                        producer=producer,
                        name=f"Playa {n}",
                        concession_code=f"0102{n:05d}",
                        district="huepetuhe",
                        geometry={"type": "Point", "coordinates": [-70.51, -12.98]},
                        latitude=-12.98,
                        longitude=-70.51,
                    )
                    for n in range(count)
                ]
            )
        )
    Evidence.objects.bulk_create(
        [
            Evidence(
                organization=organization,
                evidence_type_id=type_code,
                site=None if index is None else own_sites[index],
                status=status,
                valid_until=until,
                issue_date=today - dt.timedelta(days=400),
                submitted_by=user,
            )
            for organization, own_sites, (_count, rows) in zip(organizations, sites, orgs, strict=True)
            for type_code, status, until, index in rows
        ]
    )
    return user, [o.pk for o in organizations], [site.pk for own in sites for site in own]


def sited_orgs(rule: PolicyRule, today: dt.date) -> st.SearchStrategy[list[tuple[int, list[SiteRow]]]]:
    one = st.integers(1, 3).flatmap(lambda n: st.tuples(st.just(n), origin_evidence(rule, today, n)))
    return st.lists(one, min_size=1, max_size=4)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data(), today=st.dates(min_value=dt.date(2025, 1, 1), max_value=dt.date(2030, 12, 31)))
def test_the_site_annotation_agrees_with_the_engine_on_every_origin(data, today):
    producer_policies = [p for p in seeded_policies() if p.subject != Policy.Subject.BUYER]
    rule = catalogue.policy_rule(data.draw(st.sampled_from(producer_policies), label="policy"))
    orgs = data.draw(
        sited_orgs(rule, today), label="(sites, evidence (type, status, valid_until, site)) per organisation"
    )
    user, org_ids, site_ids = create_sited_world(orgs, today)
    try:
        site_specific = catalogue.site_specific_type_codes()
        facts: dict[Any, list[Any]] = {pk: [] for pk in org_ids}
        for evidence in Evidence.objects.filter(organization_id__in=org_ids):
            facts[evidence.organization_id].append(fact(evidence, site_specific))
        annotated = {
            row["id"]: row
            for row in annotate_site_compliance(Site.objects.filter(pk__in=site_ids), rule, today).values()
        }
        assert set(annotated) == set(site_ids)
        for site_id, row in annotated.items():
            result = evaluate(rule, facts_for_site(facts[row["producer_id"]], site_id), today)
            event(f"compliant={result.compliant}")
            engine = (result.compliant, result.valid_until, {r.code: r.valid_until for r in result.requirements})
            sql = (
                row["is_compliant"],
                row["compliance_valid_until"],
                {r.code: row[f"req_{r.code.lower()}"] for r in rule.requirements},
            )
            assert sql == engine, f"site {site_ids.index(site_id)}: SQL {sql} != engine {engine}"
    finally:
        Evidence.objects.filter(organization_id__in=org_ids).delete()
        Site.objects.filter(pk__in=site_ids).delete()
        Producer.objects.filter(pk__in=org_ids).delete()
        Organization.objects.filter(pk__in=org_ids).delete()
        user.delete()


def test_a_title_for_one_site_backs_only_that_site():
    """The example the rule was written for, spelt out: site A's concession title, nothing for B."""
    today = dt.date(2026, 3, 16)
    rule = seeded_rule(Policy.Subject.ORGANIZATION)
    everything = [(code, "approved", NO_EXPIRY, 0) for code in type_codes(rule)]
    _user, org_ids, (site_a, site_b) = create_sited_world([(2, everything)], today)
    rows = dict(
        annotate_site_compliance(Site.objects.filter(pk__in=[site_a, site_b]), rule, today).values_list(
            "pk", "is_compliant"
        )
    )
    assert rows == {site_a: True, site_b: False}
    facts = [fact(e, catalogue.site_specific_type_codes()) for e in Evidence.objects.filter(organization_id=org_ids[0])]
    missing_at_b = {r.code for r in evaluate(rule, facts_for_site(facts, site_b), today).missing}
    assert missing_at_b == {"MINING_RIGHT", "SITE_GEO", "ENVIRONMENTAL_INSTRUMENT"}
    assert evaluate(rule, facts, today).compliant  # judged as a whole, as before the site rule
