"""The gate judges origins: gold from a site is offered only when the producer is compliant at that site.

A concession title (MINING_RIGHT) approved for site A does not back gold from site B; a listing naming both
sites needs both origins compliant, and each claim backed at both. Runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
from typing import Any
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from compliance.models import Evidence, EvidenceType, SiteClaimStanding, SiteStanding
from compliance.standing import standings_disagreeing, standings_refresh
from core import clock
from listings.models import Listing
from listings.visibility import obstacles, visible_listings
from producers.models import Producer, Site
from tests.journeys.steps import offer_body
from tests.problems import assert_problem
from tests.provenance.helpers import declare_row
from tests.trade.helpers import make_approved_site, make_compliant_producer

pytestmark = pytest.mark.django_db

LISTINGS = "/api/v1/listings/"
A_TITLE_DAYS = 5  # site A's title lapses after five days


def approved(producer: Producer, code: str, *, site: Site | None, days: int, **attributes: Any) -> Evidence:
    today = clock.today_lima()
    member = producer.organization.memberships.first()
    assert member is not None
    return Evidence.objects.create(
        organization=producer.organization,
        evidence_type_id=code,
        site=site,
        issue_date=today - dt.timedelta(days=400),
        submitted_by=member.user,
        status="approved",
        valid_until=today + dt.timedelta(days=days),
        attributes=attributes,
    )


@pytest.fixture
def two_sites(coop, producer_admin) -> tuple[Producer, Site, Site]:
    """coop, verified, everything approved for site A (its title lapsing in five days); site B approved,
    with every site-specific item of its own but a title that lapsed yesterday; a production declaration
    large enough for every offer."""
    producer, site_a = make_compliant_producer(coop)
    Site.objects.filter(pk=site_a.pk).update(name="Huepetuhe-1")
    Evidence.objects.filter(organization=coop, evidence_type_id="MINING_RIGHT").update(
        valid_until=clock.today_lima() + dt.timedelta(days=A_TITLE_DAYS)
    )
    site_b = make_approved_site(producer)
    Site.objects.filter(pk=site_b.pk).update(name="Huepetuhe-3")
    for item in Evidence.objects.filter(organization=coop, site=site_a).exclude(evidence_type_id="MINING_RIGHT"):
        approved(producer, item.evidence_type_id, site=site_b, days=200)
    approved(producer, "MINING_RIGHT", site=site_b, days=-1)
    for site in (site_a, site_b):
        declare_row(site, clock.today_lima().replace(day=1), "100000.000")
    standings_refresh(organization_ids=[coop.pk])  # what the approving service does
    site_a.refresh_from_db()
    site_b.refresh_from_db()
    return producer, site_a, site_b


def draft(actor, *sites: Site, claims: list[str] | None = None) -> str:
    body = offer_body(sites[0].pk, claims=claims or [])
    body["sites"] = [str(site.pk) for site in sites]
    response = actor.post(LISTINGS, body, format="json")
    assert response.status_code == 201, response.content[:2000]
    return response.json()["id"]


def publish(actor, listing_id: str) -> Any:
    return actor.post(f"{LISTINGS}{listing_id}/publish/")


def searched(client) -> set[str]:
    return {row["id"] for row in client.get(LISTINGS).json()["results"]}


def test_a_title_backs_only_its_own_site(two_sites, producer_admin, anon):
    _producer, site_a, site_b = two_sites
    from_a = draft(producer_admin, site_a)
    from_b = draft(producer_admin, site_b)
    from_both = draft(producer_admin, site_a, site_b)

    assert publish(producer_admin, from_a).status_code == 200
    assert from_a in searched(anon)

    for refused in (from_b, from_both):
        body = assert_problem(publish(producer_admin, refused), 409, "publication_refused")
        assert body["missing"] == [
            {
                "code": "MINING_RIGHT",
                "message": "Site Huepetuhe-3: Right to mine the site: lapsed.",
                "what_to_do": body["missing"][0]["what_to_do"],
                "site": str(site_b.pk),
            }
        ]
        assert Listing.objects.get(pk=refused).status == "draft"

    # The day after site A's title lapses, its listing leaves search in the same request, with no refresh.
    lapse = clock.today_lima() + dt.timedelta(days=A_TITLE_DAYS + 1)
    with mock.patch.object(clock, "today_lima", return_value=lapse):
        assert from_a not in searched(anon)
        own = producer_admin.get(f"{LISTINGS}{from_a}/").json()
    assert own["visible"] is False
    assert [(o["code"], o["site"]) for o in own["hidden_because"]] == [("MINING_RIGHT", str(site_a.pk))]


def test_a_site_title_with_no_site_counts_for_no_site(two_sites, producer_admin, anon):
    """An item of a site-specific type must name its site: one that names none backs no origin."""
    producer, site_a, _site_b = two_sites
    Evidence.objects.filter(organization_id=producer.pk, evidence_type_id="MINING_RIGHT", site=site_a).update(site=None)
    standings_refresh(organization_ids=[producer.pk])
    body = assert_problem(publish(producer_admin, draft(producer_admin, site_a)), 409, "publication_refused")
    assert [(o["code"], o["site"]) for o in body["missing"]] == [("MINING_RIGHT", str(site_a.pk))]


def test_an_organisation_level_gap_is_said_once_without_a_site(two_sites, producer_admin):
    producer, site_a, site_b = two_sites
    Evidence.objects.filter(organization_id=producer.pk, evidence_type_id="TAX_RUC").update(status="revoked")
    standings_refresh(organization_ids=[producer.pk])
    body = assert_problem(publish(producer_admin, draft(producer_admin, site_a, site_b)), 409, "publication_refused")
    assert {(o["code"], o["site"]) for o in body["missing"]} == {("MINING_RIGHT", str(site_b.pk)), ("TAX_RUC", None)}
    assert len(body["missing"]) == 2


def test_a_claim_must_hold_at_every_site_of_the_listing(two_sites, producer_admin, anon):
    producer, site_a, site_b = two_sites
    # site B gets its title back; the mercury-free process and the field visit are proven at site A only.
    approved(producer, "MINING_RIGHT", site=site_b, days=200)
    Evidence.objects.filter(
        organization_id=producer.pk, evidence_type_id__in=["HG_FREE_PROCESS", "SITE_VISIT"]
    ).delete()
    approved(producer, "HG_FREE_PROCESS", site=site_a, days=200)
    approved(producer, "SITE_VISIT", site=site_a, days=200)
    standings_refresh(organization_ids=[producer.pk])
    from_a = draft(producer_admin, site_a, claims=["mercury_free"])
    from_both = draft(producer_admin, site_a, site_b, claims=["mercury_free"])

    assert publish(producer_admin, from_a).status_code == 200
    body = assert_problem(publish(producer_admin, from_both), 409, "publication_refused")
    assert [(o["code"], o["site"]) for o in body["missing"]] == [("claim_mercury_free", str(site_b.pk))]
    assert "Huepetuhe-3" in body["missing"][0]["message"]

    # Published anyway (as if B's proof lapsed after publication): the gate hides it, the claim fails at B.
    Listing.objects.filter(pk=from_both).update(status="published")
    assert searched(anon) == {from_a}


def test_the_producer_sees_each_site_and_the_directory_agrees(two_sites, producer_admin, anon):
    producer, site_a, site_b = two_sites
    body = producer_admin.get(f"/api/v1/producers/{producer.pk}/compliance/").json()
    by_site = {row["site"]["id"]: row for row in body["sites"]}
    assert (by_site[str(site_a.pk)]["compliant"], by_site[str(site_b.pk)]["compliant"]) == (True, False)
    title_b = next(r for r in by_site[str(site_b.pk)]["requirements"] if r["code"] == "MINING_RIGHT")
    assert title_b["state"] == "expired"
    assert body["compliant"] is True  # at least one approved site is
    assert body["valid_until"] == (clock.today_lima() + dt.timedelta(days=A_TITLE_DAYS)).isoformat()
    listed = anon.get(f"/api/v1/producers/{producer.pk}/").json()
    assert (listed["compliant"], listed["compliant_until"]) == (True, body["valid_until"])

    Site.objects.filter(pk=site_a.pk).update(status=Site.Status.PENDING)  # the only compliant site, not approved
    body = producer_admin.get(f"/api/v1/producers/{producer.pk}/compliance/").json()
    assert body["compliant"] is False
    assert anon.get(f"/api/v1/producers/{producer.pk}/").json()["compliant"] is False


def test_the_stored_site_verdicts_agree_with_the_engine_and_the_check_sees_a_tampered_one(two_sites):
    producer, site_a, site_b = two_sites
    today = clock.today_lima()
    policy_id = SiteStanding.objects.filter(site=site_a).values_list("policy_id", flat=True).first()
    assert SiteStanding.objects.get(site=site_a, policy_id=policy_id).compliant_until == today + dt.timedelta(
        days=A_TITLE_DAYS
    )
    assert SiteStanding.objects.get(site=site_b, policy_id=policy_id).compliant_until is None
    assert standings_disagreeing() == []

    SiteClaimStanding.objects.filter(site=site_b).delete()
    SiteStanding.objects.filter(site=site_b).update(compliant_until=today)
    assert standings_disagreeing() == [producer.pk]


def test_env_cert_is_granted_per_site():
    assert EvidenceType.objects.get(pk="ENV_CERT").site_specific


def test_a_new_site_has_its_verdict_stored_with_it(two_sites, producer_admin):
    """Adding a site stores its origin's verdict in the same request (the check finds nothing to mend):
    not compliant, its site-specific requirements unmet, while the organisation-level claims it already
    backs (Fairmined, certified for the producer) are stored for it."""
    producer, _site_a, _site_b = two_sites
    approved(producer, "CERT_FAIRMINED", site=None, days=200)
    standings_refresh(organization_ids=[producer.pk])
    response = producer_admin.post(
        f"/api/v1/producers/{producer.pk}/sites/",
        {
            "name": "Huepetuhe-7",
            "concession_code": "010209999",
            "district": "huepetuhe",
            "geometry": {"type": "Point", "coordinates": [-70.51, -12.98]},
        },
        format="json",
    )
    assert response.status_code == 201, response.content[:2000]
    site = response.json()["id"]
    assert SiteStanding.objects.filter(site_id=site).values_list("compliant_until", flat=True).first() is None
    assert SiteStanding.objects.filter(site_id=site).exists()
    assert set(SiteClaimStanding.objects.filter(site_id=site).values_list("claim_id", flat=True)) == {"fairmined"}
    assert standings_disagreeing() == []


def test_refreshing_one_organisation_costs_the_same_queries_whatever_its_sites(two_sites):
    producer, _site_a, _site_b = two_sites

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            standings_refresh(organization_ids=[producer.pk])
        return len(captured.captured_queries)

    with_two = queries()
    for _ in range(4):
        make_approved_site(producer)
    assert queries() == with_two
    assert SiteStanding.objects.filter(site__producer=producer).values("site").distinct().count() == 6


def test_the_gate_and_its_words_agree_on_every_mix_of_sites(two_sites, producer_admin):
    """visible_listings (SQL, stored verdicts) and obstacles (the engine) say the same, today and after A's
    title lapses, for listings from A, from B and from both, with no claim, with one the producer holds
    (Fairmined, certified for the producer as a whole) and with one it does not (mercury-free)."""
    producer, site_a, site_b = two_sites
    approved(producer, "CERT_FAIRMINED", site=None, days=200)
    standings_refresh(organization_ids=[producer.pk])
    ids = [
        draft(producer_admin, *sites, claims=claims)
        for sites in [(site_a,), (site_b,), (site_a, site_b)]
        for claims in ([], ["fairmined"], ["mercury_free"])
    ]
    Listing.objects.filter(pk__in=ids).update(status="published")
    offered = []
    for day in (clock.today_lima(), clock.today_lima() + dt.timedelta(days=A_TITLE_DAYS + 1)):
        with mock.patch.object(clock, "today_lima", return_value=day):
            in_sql = visible_listings(Listing.objects.filter(pk__in=ids), day).values_list("pk", flat=True)
            visible = {str(pk) for pk in in_sql}
            clear = {str(listing.pk) for listing in Listing.objects.filter(pk__in=ids) if not obstacles(listing)}
        assert visible == clear, day
        offered.append(visible)
    assert offered == [set(ids[:2]), set()]  # from A, without a claim or Fairmined; after the lapse, nothing
