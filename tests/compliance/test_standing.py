"""The stored verdicts search reads (`compliance.standing`) say what the engine says, on every later day,
and stay current when evidence is decided, policies change or two decisions run at once."""

from __future__ import annotations

import datetime as dt
from typing import Any
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from accounts.models import Organization
from compliance import catalogue
from compliance.models import (
    ClaimStanding,
    Evidence,
    OrganizationStanding,
    Policy,
    Requirement,
    SiteClaimStanding,
    SiteStanding,
)
from compliance.policy import evaluate, facts_for_site
from compliance.selectors import fact
from compliance.standing import standings_disagreeing, standings_refresh
from core import clock
from producers.models import Producer, Site
from tests.compliance.helpers import add_reviewer, make_evidence, make_producer
from tests.compliance.test_engine_agreement import (
    create_sited_world,
    create_world,
    delete_world,
    organisation_evidence,
    sited_orgs,
)
from tests.concurrency import postgres_only, run_at_once
from tests.factories import MembershipFactory, OrganizationFactory
from tests.trade.deposit_helpers import reseed_catalogue

SEEDED_FROM = dt.date(2025, 1, 1)


@pytest.mark.django_db
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=st.data(),
    refreshed_on=st.dates(min_value=SEEDED_FROM, max_value=dt.date(2030, 12, 31)),
    days_later=st.one_of(st.integers(0, 3), st.integers(0, 900)),
)
def test_a_stored_verdict_answers_like_the_engine_on_every_later_day(data, refreshed_on, days_later):
    policy = catalogue.policy_in_force("organization", refreshed_on)
    rule = catalogue.policy_rule(policy)
    claims = catalogue.claim_rules()  # women-led too: it rests on evidence
    orgs = data.draw(st.lists(organisation_evidence(rule, refreshed_on), min_size=1, max_size=4), label="evidence")
    user, org_ids = create_world(orgs, refreshed_on)
    try:
        standings_refresh(organization_ids=org_ids, today=refreshed_on)
        day = refreshed_on + dt.timedelta(days=days_later)
        for pk in org_ids:
            facts = [fact(item) for item in Evidence.objects.filter(organization_id=pk)]
            engine = evaluate(rule, facts, day, claims=claims, requirement_rules=catalogue.all_requirement_rules())
            until = OrganizationStanding.objects.get(organization_id=pk, policy=policy).compliant_until
            held = set(
                ClaimStanding.objects.filter(organization_id=pk, holds_until__gte=day).values_list("claim", flat=True)
            )
            event(f"compliant={engine.compliant}")
            assert (until is not None and until >= day) == engine.compliant
            assert held == {claim.code for claim in engine.claims}
    finally:
        OrganizationStanding.objects.filter(organization_id__in=org_ids).delete()
        ClaimStanding.objects.filter(organization_id__in=org_ids).delete()
        delete_world(user, org_ids)


@pytest.mark.django_db
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=st.data(),
    refreshed_on=st.dates(min_value=SEEDED_FROM, max_value=dt.date(2030, 12, 31)),
    days_later=st.one_of(st.integers(0, 3), st.integers(0, 900)),
)
def test_a_stored_site_verdict_answers_like_the_engine_on_every_later_day(data, refreshed_on, days_later):
    """The same for origins: each site's stored verdict and claims are the engine's on `facts_for_site`."""
    policy = catalogue.policy_in_force("organization", refreshed_on)
    rule = catalogue.policy_rule(policy)
    claims = catalogue.claim_rules()  # women-led too: it rests on evidence
    orgs = data.draw(sited_orgs(rule, refreshed_on), label="(sites, evidence with sites) per organisation")
    user, org_ids, site_ids = create_sited_world(orgs, refreshed_on)
    try:
        standings_refresh(organization_ids=org_ids, today=refreshed_on)
        day = refreshed_on + dt.timedelta(days=days_later)
        site_specific = catalogue.site_specific_type_codes()
        for site in Site.objects.filter(pk__in=site_ids):
            facts = [fact(item, site_specific) for item in Evidence.objects.filter(organization_id=site.producer_id)]
            engine = evaluate(
                rule,
                facts_for_site(facts, site.pk),
                day,
                claims=claims,
                requirement_rules=catalogue.all_requirement_rules(),
            )
            until = SiteStanding.objects.get(site=site, policy=policy).compliant_until
            held = set(
                SiteClaimStanding.objects.filter(site=site, holds_until__gte=day).values_list("claim", flat=True)
            )
            event(f"compliant={engine.compliant}")
            assert (until is not None and until >= day) == engine.compliant
            assert held == {claim.code for claim in engine.claims}
    finally:
        OrganizationStanding.objects.filter(organization_id__in=org_ids).delete()
        ClaimStanding.objects.filter(organization_id__in=org_ids).delete()
        Evidence.objects.filter(organization_id__in=org_ids).delete()
        Site.objects.filter(pk__in=site_ids).delete()
        Producer.objects.filter(pk__in=org_ids).delete()
        Organization.objects.filter(pk__in=org_ids).delete()
        user.delete()


@pytest.fixture
def demo(db: Any) -> None:
    call_command("seed_demo", verbosity=0)


def test_the_demo_verdicts_agree_and_a_tampered_one_is_found(demo):
    call_command("refresh_standings", "--check")

    stored = OrganizationStanding.objects.exclude(compliant_until=None).first()
    OrganizationStanding.objects.filter(pk=stored.pk).update(compliant_until=None)
    with pytest.raises(CommandError, match="1 organisations"):
        call_command("refresh_standings", "--check")

    call_command("refresh_standings")
    assert standings_disagreeing() == []


def test_a_stricter_policy_version_hides_offers_on_its_first_day_with_no_job(demo, admin_client, client):
    from tests.listings.test_listings import login, offer

    def search_ids(day: dt.date) -> list[str]:
        with mock.patch.object(clock, "today_lima", return_value=day):
            return [row["id"] for row in client.get("/api/v1/listings/?page_size=100").json()["results"]]

    rosa = login("miner@demo.test")
    listing = rosa.post(
        "/api/v1/listings/", offer("Rosa Quispe", claims=[], quantity_grams="150.000"), format="json"
    ).json()
    assert rosa.post(f"/api/v1/listings/{listing['id']}/publish/").status_code == 200
    current = catalogue.policy_in_force("individual", clock.today_lima())

    # Staff copy the individual policy as a new version effective tomorrow, then add a requirement nobody
    # holds evidence for yet (through the admin, as they would).
    admin_client.post(
        "/admin/compliance/policy/",
        {"action": "copy_as_new_version", "_selected_action": [current.pk]},
    )
    new = Policy.objects.get(subject="individual", version=current.version + 1)
    tomorrow = clock.today_lima() + dt.timedelta(days=1)
    assert listing["id"] in search_ids(tomorrow)  # the same requirements: judged already under the copy too
    extra = Requirement.objects.exclude(pk__in=current.requirements.values("pk")).get(code="MEMBER_REGISTER")
    response = admin_client.post(
        f"/admin/compliance/policy/{new.pk}/change/",
        {
            "subject": "individual",
            "version": new.version,
            "effective_from": new.effective_from.isoformat(),
            "requirements": [*current.requirements.values_list("pk", flat=True), extra.pk],
            "notes": "A member register for everyone.",
        },
    )
    assert response.status_code == 302, response.content[:2000]

    today = clock.today_lima()
    assert listing["id"] in search_ids(today)
    assert listing["id"] not in search_ids(today + dt.timedelta(days=1))
    assert standings_disagreeing() == []


@postgres_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("attempt", range(3))
def test_two_approvals_for_one_producer_at_once_leave_a_verdict_that_counts_both(attempt):
    from compliance.services import evidence_approve
    from core.actor import Actor

    reseed_catalogue()  # an earlier transactional test flushed the migrations' catalogue
    network = OrganizationFactory(kind="network", legal_name="Red de Mujeres Mineras")
    coop = OrganizationFactory()
    make_producer(coop)
    admin = MembershipFactory(organization=coop, role="admin").user
    reviewers = [add_reviewer(network, f"revisora{n}@red.test") for n in (1, 2)]
    policy = catalogue.policy_in_force("organization", clock.today_lima())
    requirements = list(policy.requirements.order_by("code"))
    # Everything approved but two requirements; each reviewer holds one of the two missing items.
    for requirement in requirements[2:]:
        make_evidence(
            coop,
            requirement.evidence_types.order_by("code").first().code,
            submitted_by=admin,
            status="approved",
            valid_until=clock.today_lima() + dt.timedelta(days=90),
        )
    pending = [
        make_evidence(
            coop,
            requirement.evidence_types.order_by("code").first().code,
            submitted_by=admin,
            status="in_review",
            claimed_by=reviewer.user,
        )
        for requirement, reviewer in zip(requirements[:2], reviewers, strict=True)
    ]
    assert OrganizationStanding.objects.get(organization=coop, policy=policy).compliant_until is None

    def approve(index: int) -> Any:
        user = reviewers[index].user
        actor = Actor(user=user, organization_id=network.pk, organization_kind="network", role="reviewer")
        return evidence_approve(actor=actor, evidence=Evidence.objects.get(pk=pending[index].pk))

    results = run_at_once(2, approve)

    assert all(isinstance(result, Evidence) for result in results), results
    assert OrganizationStanding.objects.get(organization=coop, policy=policy).compliant_until is not None
    assert standings_disagreeing() == []
