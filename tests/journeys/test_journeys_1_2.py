"""Journeys 1 and 2 of docs/journeys.md through the HTTP API only, with real PDF and image files.

1. A cooperative joins the network: invitation, profile, site, roster of 23 women and 4 men, submission,
   verification by a reviewer, and the roster's counts on its public profile ("women-led" once the member
   register is approved, in journey 2).
2. Evidence goes in, decisions come out: uploads, the queue oldest first, approvals (two reviewers where the
   type asks for it), a request for changes read in Spanish and a superseding replacement, and the
   compliance view requirement by requirement with the mercury_free and fairmined claims.

The steps are in `steps.py`, shared with the end-to-end test of the seven journeys.
"""

from __future__ import annotations

import pytest

from tests.factories import PASSWORD, MembershipFactory, UserFactory
from tests.journeys.steps import Applicant, cooperative_joins, evidence_goes_in, login

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewers(network):
    lucia = MembershipFactory(organization=network, role="reviewer", user=UserFactory(email="lucia@red.test"))
    rosa = MembershipFactory(organization=network, role="reviewer", user=UserFactory(email="rosa@red.test"))
    return login(lucia.user.email, PASSWORD), login(rosa.user.email, PASSWORD)


def test_a_cooperative_joins_proves_its_practices_and_gets_its_claims(
    reviewers, mailoutbox, django_capture_on_commit_callbacks
):
    coop = cooperative_joins(reviewers[0], Applicant(), mailoutbox, django_capture_on_commit_callbacks)

    evidence_goes_in(reviewers, coop, mailoutbox, django_capture_on_commit_callbacks)
