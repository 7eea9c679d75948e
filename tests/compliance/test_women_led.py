"""Women-led is a claim backed by evidence, like every other: an approved member register (ORG_MEMBERS) valid
today whose counts are more than half women, or an individual woman miner's approved identity document
(ID_DNI; her sex is recorded on the producer and checked against the document at verification). The roster
the producer edits backs nothing. Every public badge names the evidence types behind it and its assurance."""

from __future__ import annotations

import datetime as dt
from typing import Any
from unittest import mock

import pytest

from compliance.models import ClaimStanding, Evidence
from compliance.standing import standings_refresh
from core import clock
from producers.models import Producer
from tests.compliance.helpers import make_evidence, ok, today
from tests.producers.factories import MemberMinerFactory, ProducerFactory, SiteFactory

pytestmark = pytest.mark.django_db

PRODUCERS = "/api/v1/producers/"
WOMEN_LED_BADGE = {"code": "women_led", "assurance": "reviewer_verified", "evidence_types": ["ID_DNI", "ORG_MEMBERS"]}


def _producer(**kwargs: Any) -> Producer:
    producer = ProducerFactory(verified=True, **kwargs)
    SiteFactory(producer=producer, approved=True)
    return producer


def _register(producer: Producer, reviewer: Any, women: int, men: int, valid_until: dt.date) -> Evidence:
    return make_evidence(
        producer.organization,
        "ORG_MEMBERS",
        submitted_by=reviewer.user,
        status="approved",
        valid_until=valid_until,
        attributes={"women": women, "men": men},
    )


def _public(client: Any, producer: Producer) -> dict:
    return ok(client.get(f"{PRODUCERS}{producer.pk}/"))


def _women_led_ids(client: Any) -> set[str]:
    return {row["id"] for row in ok(client.get(f"{PRODUCERS}?women_led=true"))["results"]}


def _badge(body: dict) -> dict | None:
    return next((badge for badge in body["badges"] if badge["code"] == "women_led"), None)


def test_a_roster_of_women_without_approved_evidence_gives_no_badge(anon, reviewer):
    producer = _producer()
    MemberMinerFactory.create_batch(5, producer=producer, sex="female")
    _register(producer, reviewer, women=1, men=4, valid_until=today() + dt.timedelta(days=100))
    pending = make_evidence(producer.organization, "ORG_MEMBERS", submitted_by=reviewer.user, status="submitted")
    Evidence.objects.filter(pk=pending.pk).update(attributes={"women": 5, "men": 0})

    body = _public(anon, producer)

    assert (body["women_count"], body["members_count"]) == (5, 5)  # the roster, shown as it is
    assert body["women_led"] is False
    assert _badge(body) is None
    assert str(producer.pk) not in _women_led_ids(anon)


def test_an_approved_register_with_more_than_half_women_gives_the_badge_until_it_lapses(anon, reviewer):
    lapses = today() + dt.timedelta(days=40)
    producer = _producer()
    _register(producer, reviewer, women=3, men=2, valid_until=lapses)

    body = _public(anon, producer)

    assert body["women_led"] is True
    assert _badge(body) == {**WOMEN_LED_BADGE, "valid_until": lapses.isoformat()}
    assert str(producer.pk) in _women_led_ids(anon)
    with mock.patch.object(clock, "today_lima", return_value=lapses):
        assert _public(anon, producer)["women_led"] is True  # its last day
        assert str(producer.pk) in _women_led_ids(anon)
    with mock.patch.object(clock, "today_lima", return_value=lapses + dt.timedelta(days=1)):
        body = _public(anon, producer)
        assert body["women_led"] is False  # the day the register lapses
        assert _badge(body) is None
        assert str(producer.pk) not in _women_led_ids(anon)


def test_half_women_is_not_more_than_half(anon, reviewer):
    producer = _producer()
    _register(producer, reviewer, women=2, men=2, valid_until=today() + dt.timedelta(days=100))

    assert _public(anon, producer)["women_led"] is False


def test_an_individual_woman_miner_is_backed_by_her_approved_identity(anon, reviewer):
    woman = _producer(individual=True)
    man = _producer(individual=True, holder_sex="male")
    for producer in (woman, man):
        make_evidence(
            producer.organization,
            "ID_DNI",
            submitted_by=reviewer.user,
            status="approved",
            valid_until=today() + dt.timedelta(days=300),
        )
    without_identity = _producer(individual=True)

    assert _badge(_public(anon, woman)) == {
        **WOMEN_LED_BADGE,
        "valid_until": (today() + dt.timedelta(days=300)).isoformat(),
    }
    assert _public(anon, man)["women_led"] is False
    assert _public(anon, without_identity)["women_led"] is False
    assert _women_led_ids(anon) == {str(woman.pk)}


def test_an_unverified_producer_shows_no_women_led_even_with_evidence(producer_admin, coop, reviewer):
    producer = ProducerFactory(organization=coop, verification_status="submitted")
    SiteFactory(producer=producer, approved=True)
    _register(producer, reviewer, women=4, men=0, valid_until=today() + dt.timedelta(days=100))
    standings_refresh(organization_ids=[producer.pk])

    assert _public(producer_admin, producer)["women_led"] is False
    assert str(producer.pk) not in _women_led_ids(producer_admin)


def test_every_badge_names_its_evidence_types_and_assurance(anon, reviewer):
    producer = _producer()
    make_evidence(
        producer.organization,
        "CERT_FAIRMINED",
        submitted_by=reviewer.user,
        status="approved",
        valid_until=today() + dt.timedelta(days=100),
    )

    badges = {badge["code"]: badge for badge in _public(anon, producer)["badges"]}

    assert badges["fairmined"]["assurance"] == "third_party_certified"
    assert badges["fairmined"]["evidence_types"] == ["CERT_FAIRMINED"]


def test_an_identity_change_refreshes_the_stored_verdict(producer_admin, coop, reviewer):
    producer = ProducerFactory(organization=coop, individual=True)  # a draft: her identity may still change
    SiteFactory(producer=producer, approved=True)
    make_evidence(
        coop, "ID_DNI", submitted_by=reviewer.user, status="approved", valid_until=today() + dt.timedelta(days=300)
    )

    def stored() -> set[str]:
        return set(ClaimStanding.objects.filter(organization=coop).values_list("claim_id", flat=True))

    assert "women_led" in stored()
    ok(producer_admin.patch(f"{PRODUCERS}{producer.pk}/", {"holder_sex": "male"}, format="json"))
    assert "women_led" not in stored()


def test_a_listings_badges_carry_their_assurance_and_evidence_types(anon):
    from listings.models import Listing
    from tests.contract.test_query_counts import add_visible_listings

    add_visible_listings(None, 1)
    listing = Listing.objects.get()

    body = ok(anon.get(f"/api/v1/listings/{listing.pk}/"))

    assert body["claims"] == ["women_led"]
    assert body["badges"] == [
        {"code": "women_led", "assurance": "reviewer_verified", "evidence_types": ["ID_DNI", "ORG_MEMBERS"]}
    ]
