"""The seven journeys of docs/journeys.md in one test, in order, on one world, through the HTTP API.

The cooperative of Huepetuhe that joins in journey 1 is the one whose evidence is reviewed in 2 (its REINFO
record issued twenty days ago, so that it lapses first), whose offer goes live in 3 (refused while its
last requirement waits for review), is found in 4 by a refiner that signed up (and a second cooperative
that joins the same way publishes the matching offer a week later), is traded in 5 (the deposit paid at
localstripe, its signed webhook delivered to the live server), lapses in 6 on the day its REINFO record
runs out (after the reminders) and is renewed, and whose trail is checked in 7.

Nobody but the network's two reviewers and one staff member exists at the start: everything else is made
through the API. "Today" moves only by patching the clock, as the per-journey tests do. The audit chain of
the whole story is verified at the end with `manage.py verify_audit_chain`.

PostgreSQL only (marked `postgres`): the acceptance story is told on the database production runs.
"""

from __future__ import annotations

import datetime as dt
import io
from unittest import mock

import pytest
from django.core.management import call_command

from accounts.models import Organization, Role
from audit.models import AuditEvent
from core import clock
from tests.factories import PASSWORD, MembershipFactory, OrganizationFactory, UserFactory
from tests.journeys.steps import (
    CONTRACT_TRAIL_OF_JOURNEY_5,
    Applicant,
    Cooperative,
    Parties,
    Trail,
    anyone_can_check,
    cooperative_joins,
    evidence_goes_in,
    kyc_verified,
    lapse_hides_and_renewal_restores,
    login,
    matching_offer_next_week,
    next_week_offer,
    offer_body,
    offer_drafted,
    offer_goes_live,
    ok,
    publication_refused,
    question_to_contract_to_deposit,
    refiner_signs_up,
    responsible_gold_found,
    sourcing_request_saved,
)
from tests.trade.deposit_helpers import reseed_catalogue

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

REFINER_EMAIL = "anna.keller@helvetia-refining.test"
REFINER_NAME = "Helvetia Responsible Refining SA"
REINFO_ISSUED_DAYS_AGO = 20  # valid 30 days: it lapses in eleven, before anything else of the cooperative
CANDELARIA = Applicant(
    legal_name="Asociación de Mineras Virgen de la Candelaria",
    president_email="presidenta@candelaria.test",
    president_password="Candelaria-oro-limpio-7",
    president_name="Rosa Huamán Quispe",
    member_email="carmen@candelaria.test",
    member_password="Carmen-oro-limpio-8",
    ruc="20100070970",
    reinfo_code="REINFO-MDD-2023-0412",
    concession_code="010203999",
    dni_base=41000000,
)


def reminders_of(president, evidence_id: str) -> list[str]:
    feed = ok(president.get("/api/v1/notifications/?page_size=100"))["results"]
    return [n["kind"] for n in feed if n["target_id"] == evidence_id and n["kind"].startswith("requirement_")]


def test_the_seven_journeys_in_order(localstripe_webhooks, mailoutbox, django_capture_on_commit_callbacks):
    reseed_catalogue()  # a transactional test starts from a flushed database
    network = OrganizationFactory(kind=Organization.Kind.NETWORK, legal_name="Red de Mujeres Mineras", tax_id="")
    for email in ("lucia@red.test", "rosa@red.test"):
        MembershipFactory(organization=network, role=Role.REVIEWER, user=UserFactory(email=email))
    UserFactory(email="staff@red.test", is_staff=True)
    reviewers = (login("lucia@red.test", PASSWORD), login("rosa@red.test", PASSWORD))
    staff = login("staff@red.test", PASSWORD)
    on_commit = django_capture_on_commit_callbacks

    # 1. A cooperative joins the network.
    coop = cooperative_joins(reviewers[0], Applicant(), mailoutbox, on_commit)

    # 2. Evidence goes in, decisions come out; while the replacement photo of the protective equipment waits
    #    for review, a member drafts the offer and publishing it is refused: the PPE requirement is missing.
    drafts: list[dict] = []

    def draft_and_try_to_publish(cooperative: Cooperative) -> None:
        assert cooperative.member is not None
        drafts.append(offer_drafted(cooperative.member, offer_body(cooperative.site_id)))
        publication_refused(cooperative.president, drafts[0]["id"], missing=["PPE"])

    evidence_goes_in(
        reviewers,
        coop,
        mailoutbox,
        on_commit,
        reinfo_issued_days_ago=REINFO_ISSUED_DAYS_AGO,
        before_last_approval=draft_and_try_to_publish,
    )
    [listing] = drafts

    # 3. An offer goes live, and only when it may.
    assert coop.member is not None
    offer_goes_live(coop.president, coop.member, listing)

    # 4. A refiner signs up, is verified, finds the offer, saves a sourcing request; a week later another
    #    cooperative, which joined and proved its practices the same way, publishes a matching offer.
    refiner, refiner_id = refiner_signs_up(REFINER_EMAIL, "Zurich-gold-2026-refine")
    kyc_verified(refiner, refiner_id, reviewers)
    found = responsible_gold_found(refiner)
    assert found["id"] == listing["id"]
    request = sourcing_request_saved(refiner, found, coop.president)
    candelaria = cooperative_joins(reviewers[0], CANDELARIA, mailoutbox, on_commit)
    evidence_goes_in(reviewers, candelaria, mailoutbox, on_commit)
    matching_offer_next_week(refiner, REFINER_EMAIL, request, candelaria.president, next_week_offer(candelaria.site_id))

    # 5. From question to contract to deposit, paid at localstripe.
    parties = Parties(
        refiner=refiner,
        refiner_id=refiner_id,
        refiner_email=REFINER_EMAIL,
        refiner_name=REFINER_NAME,
        cooperative=coop.president,
        cooperative_email=coop.applicant.president_email,
        staff=staff,
    )
    contract = question_to_contract_to_deposit(parties, found, localstripe_webhooks)

    # 6. The REINFO record lapses. The daily sweep reminded the president 30 and 7 days before (a 30-day
    #    record is never 60 days from lapsing), and tells her on the day; the listing hides and comes back.
    assert coop.evidence is not None
    reinfo = ok(coop.president.get(f"/api/v1/evidence/{coop.evidence['REINFO']}/"))
    lapse = dt.date.fromisoformat(reinfo["valid_until"]) + dt.timedelta(days=1)
    assert lapse == clock.today_lima() + dt.timedelta(days=30 - REINFO_ISSUED_DAYS_AGO + 1)  # valid through day 30
    call_command("send_compliance_reminders", verbosity=0)
    with mock.patch.object(clock, "today_lima", return_value=lapse - dt.timedelta(days=7)):
        call_command("send_compliance_reminders", verbosity=0)
    assert reminders_of(coop.president, reinfo["id"]) == ["requirement_expiring", "requirement_expiring"]
    lapse_hides_and_renewal_restores(coop.president, refiner, reviewers, listing["id"], lapse)
    assert reminders_of(coop.president, reinfo["id"]) == [
        "requirement_lapsed",
        "requirement_expiring",
        "requirement_expiring",
    ]

    # 7. Anyone can check what happened: the reviewer, each party, a third organisation, a plain member.
    who = Trail(
        reviewer=reviewers[0],
        reviewer_emails=frozenset({"lucia@red.test", "rosa@red.test"}),
        signer_email=coop.applicant.president_email,  # the cooperative accepted the refiner's version 2
        cooperative=coop.president,
        cooperative_id=coop.id,
        buyer=refiner,
        buyer_id=refiner_id,
        third_party=candelaria.president,
        plain_member=coop.member,
    )
    anyone_can_check(who, contract["id"], CONTRACT_TRAIL_OF_JOURNEY_5)

    out = io.StringIO()
    call_command("verify_audit_chain", stdout=out)
    assert f"Audit chain OK: {AuditEvent.objects.count()} events" in out.getvalue()
