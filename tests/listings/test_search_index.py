"""The search read model (`listings.search_index`) answers what the gate computed from scratch answers
(`listings.visibility.visible_listings`, the SQL twin of the compliance engine's stored verdicts), on the day
it was written and on every later day with no job: generated catalogues of producers (cooperatives and
individual miners, verified or suspended), sites (approved or not), evidence (lapsing, renewed, revoked),
listings (windows, claims, states, grams left) and red flags; then the command that checks it."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Q
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from accounts.models import Organization, User
from compliance import catalogue
from compliance.models import Evidence, Requirement
from compliance.standing import standings_refresh
from core import clock
from diligence.models import RedFlag, RedFlagCategory
from listings import search_index
from listings.models import Listing, ListingClaim, SearchEntry
from listings.selectors import catalogue as catalogue_listings
from listings.visibility import visible_listings
from producers.models import Producer, Site
from tests.compliance.test_engine_agreement import sited_orgs
from tests.factories import make_ruc

pytestmark = pytest.mark.django_db

SEEDED_FROM = dt.date(2025, 1, 1)
CLAIMS = ["mercury_free", "women_led", "fairmined"]

# Per producer: (legal kind, verification, per site approved?, listings, red flags)
listing_spec = st.fixed_dictionaries(
    {
        "status": st.sampled_from(["published"] * 6 + ["paused", "draft"]),
        # Indexes of the producer's sites (modulo their number); mostly one or more, sometimes none.
        "sites": st.one_of(st.lists(st.integers(0, 2), min_size=1, max_size=3), st.just([])),
        "claims": st.lists(st.sampled_from(CLAIMS), max_size=2, unique=True),
        "opens": st.integers(-30, 20),  # days from the day written
        "lasts": st.integers(0, 400),
        "sold_out": st.sampled_from([False] * 5 + [True]),
    }
)
flag_spec = st.fixed_dictionaries(
    {
        "on_site": st.one_of(st.none(), st.integers(0, 2)),
        "open": st.booleans(),
        "high": st.booleans(),  # only an open high flag suspends
    }
)
producer_spec = st.fixed_dictionaries(
    {
        "individual": st.booleans(),
        # Most producers meet every requirement and claim with items valid this many days more (a lapse to come).
        "baseline": st.one_of(st.none(), st.integers(-2, 40), st.integers(0, 600), st.integers(0, 600)),
        "verified": st.sampled_from([True] * 5 + [False]),
        "approved": st.lists(st.sampled_from([True] * 5 + [False]), min_size=3, max_size=3),
        "listings": st.lists(listing_spec, min_size=1, max_size=3),
        "flags": st.lists(flag_spec, max_size=1),
    }
)


def baseline_requirements() -> list[Requirement]:
    """Every requirement of both producer policies and those the claims rest on."""
    codes = {"MERCURY_FREE_PROCESS", "FIELD_VERIFICATION", "FAIRMINED"}
    wanted = Requirement.objects.filter(Q(policies__subject__in=["organization", "individual"]) | Q(code__in=codes))
    return list(wanted.distinct().prefetch_related("evidence_types"))


BASELINE: list[Requirement] = []


def build(orgs: list[tuple[int, list[Any]]], specs: list[dict[str, Any]], today: dt.date) -> tuple[list[Any], User]:
    """Organisations with their sites and evidence (`sited_orgs`), then producers' kinds and states, listings
    and red flags as the specs say. Returns the organisations' ids."""
    user = User.objects.create(email=f"{uuid.uuid4().hex}@example.test", full_name="Revisora")
    org_ids = []
    category = RedFlagCategory.objects.order_by("code").first()
    for (count, rows), spec in zip(orgs, specs, strict=True):
        organization = Organization.objects.create(kind="producer", legal_name="Org", country="PE")
        org_ids.append(organization.pk)
        individual = spec["individual"]
        ruc = make_ruc("10" if individual else "20")
        producer = Producer.objects.create(
            organization=organization,
            legal_kind="individual" if individual else "cooperative",
            legal_category="PMA" if individual else "REINFO",
            ruc=ruc,
            dni=ruc[2:10] if individual else "",
            holder_sex="female" if individual else "",
            district="huepetuhe",
            verification_status="verified" if spec["verified"] else "suspended",
        )
        sites = [
            Site.objects.create(
                producer=producer,
                name=f"Playa {n}",
                concession_code=f"0102{n:05d}",
                district="huepetuhe",
                geometry={"type": "Point", "coordinates": [-70.51, -12.98]},
                latitude=-12.98,
                longitude=-70.51,
                status="approved" if spec["approved"][n] else "pending",
            )
            for n in range(count)
        ]
        Evidence.objects.bulk_create(
            Evidence(
                organization=organization,
                evidence_type_id=type_code,
                site=None if index is None else sites[index],
                status=status,
                valid_until=until,
                issue_date=today - dt.timedelta(days=400),
                submitted_by=user,
            )
            for type_code, status, until, index in rows
        )
        if spec["baseline"] is not None:
            until = today + dt.timedelta(days=spec["baseline"])
            Evidence.objects.bulk_create(
                Evidence(
                    organization=organization,
                    evidence_type=evidence_type,
                    site=site if evidence_type.site_specific else None,
                    status="approved",
                    valid_until=until,
                    issue_date=today - dt.timedelta(days=10),
                    submitted_by=user,
                    attributes={"women": 1, "men": 0} if evidence_type.code == "ORG_MEMBERS" else {},
                )
                for requirement in BASELINE
                for evidence_type in [requirement.evidence_types.order_by("code").first()]
                for site in (sites if evidence_type.site_specific else sites[:1])
            )
        for wanted in spec["listings"]:
            opens = today + dt.timedelta(days=wanted["opens"])
            listing = Listing.objects.create(
                producer=producer,
                form="dore",
                quantity_grams=100,
                available_grams=0 if wanted["sold_out"] else 100,
                min_order_grams=10,
                monthly_capacity_grams=100,
                fineness=920,
                fineness_basis="xrf",
                price_basis="lbma_pm",
                lbma_adjustment_bp=-200,
                incoterm="FCA",
                incoterm_place="Puerto Maldonado",
                valid_from=opens,
                valid_until=opens + dt.timedelta(days=wanted["lasts"]),
                title_es="Doré sin mercurio",
                status=wanted["status"],
                created_by=user,
            )
            listing.sites.set({sites[index % count] for index in wanted["sites"]})
            ListingClaim.objects.bulk_create(ListingClaim(listing=listing, claim_id=code) for code in wanted["claims"])
        for flag in spec["flags"]:
            site = None if flag["on_site"] is None else sites[flag["on_site"] % count]
            RedFlag.objects.create(
                subject_kind="producer" if site is None else "site",
                organization=organization,
                site=site,
                category=category,
                severity="high" if flag["high"] else "medium",
                facts="Hechos.",
                opened_by=user,
                **({} if flag["open"] else closed(user)),
            )
    return org_ids, user


def closed(user: User) -> dict[str, Any]:
    return {"status": "closed", "close_reason": "Aclarado.", "closed_by": user, "closed_at": clock.now()}


def agree(org_ids: list[Any], day: dt.date) -> None:
    listings = Listing.objects.filter(producer_id__in=org_ids)
    with mock.patch.object(clock, "today_lima", return_value=day):
        read = set(catalogue_listings().filter(producer_id__in=org_ids).values_list("pk", flat=True))
    scratch = set(visible_listings(listings, day).values_list("pk", flat=True))
    event(f"visible={len(scratch)}")
    assert read == scratch, f"on {day}: read model only {read - scratch}, gate only {scratch - read}"


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(
    data=st.data(),
    written_on=st.dates(min_value=SEEDED_FROM, max_value=dt.date(2030, 12, 31)),
    later=st.lists(st.one_of(st.integers(0, 3), st.integers(0, 500)), min_size=1, max_size=4),
    change=st.sampled_from(["none", "renewal", "revocation", "suspension", "flag_closed"]),
)
def test_the_read_model_answers_like_the_gate_on_every_later_day(data, written_on, later, change):
    BASELINE[:] = baseline_requirements()
    rule = catalogue.policy_rule(catalogue.policy_in_force("organization", written_on))
    orgs = data.draw(sited_orgs(rule, written_on), label="(sites, evidence) per organisation")
    specs = data.draw(st.lists(producer_spec, min_size=len(orgs), max_size=len(orgs)), label="producers")
    with transaction.atomic(), mock.patch.object(clock, "today_lima", return_value=written_on):
        org_ids, _user = build(orgs, specs, written_on)
        standings_refresh(organization_ids=org_ids, today=written_on)  # and, through the hook, the read model
        agree(org_ids, written_on)
        # A write after the first: the read model follows it in the same transaction.
        target = org_ids[0]
        if change == "renewal":  # every lapsed or lapsing approved item renewed for a year
            Evidence.objects.filter(organization_id=target, status="approved").update(
                valid_until=written_on + dt.timedelta(days=365)
            )
            standings_refresh(organization_ids=[target], today=written_on)
        elif change == "revocation":
            revoked = Evidence.objects.filter(organization_id=target, status="approved").order_by("pk").first()
            if revoked is not None:
                Evidence.objects.filter(pk=revoked.pk).update(status="revoked")
            standings_refresh(organization_ids=[target], today=written_on)
        elif change == "suspension":  # a reviewer suspends the producer
            Producer.objects.filter(pk=target).update(verification_status="suspended")
            search_index.producers_changed(producer_ids=[target])
        elif change == "flag_closed":
            RedFlag.objects.filter(organization_id=target, status="open").update(**closed(_user))
            search_index.producers_changed(producer_ids=[target])
        event(f"change={change}")
        for days in [0, *later]:
            agree(org_ids, written_on + dt.timedelta(days=days))
        transaction.set_rollback(True)


def test_a_later_laxer_policy_offers_a_listing_again_after_the_daily_look():
    """The one case stored dates cannot say alone: hidden for a while, then offered again under a later
    version with no write in between. The row says when to look again, and `--due` does."""
    today = clock.today_lima()
    periods = [
        search_index.Period(1, today - dt.timedelta(days=100), today + dt.timedelta(days=9)),
        search_index.Period(2, today + dt.timedelta(days=10), None),
    ]
    run, again = search_index.visible_days(
        window=(today, today + dt.timedelta(days=60)),
        periods=periods,
        compliant_until={1: today + dt.timedelta(days=4), 2: today + dt.timedelta(days=300)},
        claims_until=search_index.FAR,
        today=today,
    )
    assert run == (today, today + dt.timedelta(days=4))
    assert again == today + dt.timedelta(days=10)
    # Under the later version from its first day, where the earlier one ended: one run of days.
    run, again = search_index.visible_days(
        window=(today, today + dt.timedelta(days=60)),
        periods=periods,
        compliant_until={1: today + dt.timedelta(days=30), 2: today + dt.timedelta(days=20)},
        claims_until=search_index.FAR,
        today=today,
    )
    assert (run, again) == ((today, today + dt.timedelta(days=20)), None)
    # A claim not backed at some site, or no verdict under the version in force: no day at all.
    assert search_index.visible_days(
        window=(today, today), periods=periods, compliant_until={1: today}, claims_until=None, today=today
    ) == (None, None)
    assert search_index.visible_days(
        window=(today, today), periods=periods, compliant_until={1: None, 2: None}, claims_until=today, today=today
    ) == (None, None)


@pytest.fixture
def demo(db: Any) -> None:
    call_command("seed_demo", verbosity=0)


def test_the_demo_read_model_agrees_and_a_tampered_row_is_found(demo):
    call_command("refresh_search_index", "--check")
    assert SearchEntry.objects.exists()

    entry = SearchEntry.objects.order_by("pk").first()
    SearchEntry.objects.filter(pk=entry.pk).update(
        visible_until=clock.today_lima() - dt.timedelta(days=1), form="nugget"
    )
    with pytest.raises(CommandError, match="2 differences") as found:
        call_command("refresh_search_index", "--check")
    assert f"listing {entry.pk}: visible by the gate, missing from the read model" in str(found.value)
    assert f"listing {entry.pk}: form differ from the listing" in str(found.value)

    call_command("refresh_search_index")
    assert search_index.check() == []
    call_command("refresh_search_index", "--due")
    assert search_index.check() == []


def test_the_producer_directory_counts_and_filters_by_the_offers_buyers_find_today(demo):
    """The directory reads the read model: how many of each producer's listings search shows today, and
    `offering=true|false`, in the same number of queries whatever the page holds."""
    from rest_framework.test import APIClient

    from listings.selectors import entries_today

    anon = APIClient()
    rows = anon.get("/api/v1/producers/?page_size=100").json()["results"]
    expected: dict[str, int] = {}
    for producer_id in entries_today().values_list("producer_id", flat=True):
        expected[str(producer_id)] = expected.get(str(producer_id), 0) + 1

    assert {row["id"]: row["offers_today"] for row in rows if row["offers_today"]} == expected
    assert expected, "the demo offers gold"
    offering = {row["id"] for row in anon.get("/api/v1/producers/?offering=true&page_size=100").json()["results"]}
    not_offering = {row["id"] for row in anon.get("/api/v1/producers/?offering=false&page_size=100").json()["results"]}
    assert offering == set(expected)
    assert not_offering == {row["id"] for row in rows} - set(expected)
    response = anon.get("/api/v1/producers/?offering=maybe")
    assert response.status_code == 400


def test_an_extreme_rate_moves_every_indicative_price_without_overflowing(demo, staff):
    """Found by the strict Schemathesis run: a USD/PEN rate of 100,000 made the SQL twin's integer arithmetic
    overflow on SQLite (a 500). The read model's prices are computed exactly in Python, and still agree."""
    from tests.prices.helpers import RATES, SBS, days_ago

    response = staff.post(
        RATES, {"date": days_ago(0).isoformat(), "rate": "100000.00000", "source": SBS}, format="json"
    )

    assert response.status_code == 201, response.content[:500]
    assert search_index.check() == []
