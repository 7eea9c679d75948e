"""Lost updates on PostgreSQL, with real threads: an edit decided on a copy of the row that another request
has moved meanwhile must see the move, not undo it.

Each request loads the row (the view's `get_object`) before its service runs; the tests hand the second
request the copy it loaded before the first one committed, which is the window the race leaves open.
"""

from __future__ import annotations

import threading

import pytest

from core.actor import Actor
from core.errors import Conflict
from producers.models import Producer, Verification
from producers.services import producer_transition, producer_update
from tests.concurrency import run_at_once
from tests.factories import MembershipFactory, make_ruc
from tests.producers.factories import ProducerFactory, SiteFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _admin_of(producer: Producer) -> Actor:
    admin = MembershipFactory(organization=producer.organization, role="admin")
    return Actor(user=admin.user, organization_id=producer.pk, organization_kind="producer", role="admin")


@pytest.mark.parametrize("attempt", range(3))
def test_a_ruc_edit_loaded_before_the_submission_is_refused_once_it_is_submitted(attempt):
    producer = ProducerFactory()
    SiteFactory(producer=producer)
    actor = _admin_of(producer)
    loaded_before = Producer.objects.get(pk=producer.pk)  # the edit's copy: still a draft
    submitted = threading.Event()

    def work(i: int) -> Producer:
        if i == 0:
            try:
                return producer_transition(actor=actor, producer=Producer.objects.get(pk=producer.pk), move="submit")
            finally:
                submitted.set()
        submitted.wait(timeout=10)
        return producer_update(actor=actor, producer=loaded_before, ruc=make_ruc())

    submit, edit = run_at_once(2, work)

    assert isinstance(submit, Producer), submit
    assert isinstance(edit, Conflict), edit
    assert edit.code == "profile_locked"
    fresh = Producer.objects.get(pk=producer.pk)
    assert (fresh.verification_status, fresh.ruc) == (Verification.SUBMITTED, producer.ruc)


@pytest.mark.parametrize("attempt", range(3))
def test_a_ruc_edit_and_the_submission_at_once_never_leave_an_edit_after_the_submission(attempt):
    producer = ProducerFactory()
    SiteFactory(producer=producer)
    actor = _admin_of(producer)
    new_ruc = make_ruc()
    copies = [Producer.objects.get(pk=producer.pk) for _ in range(2)]

    def work(i: int) -> Producer:
        if i == 0:
            return producer_transition(actor=actor, producer=copies[0], move="submit")
        return producer_update(actor=actor, producer=copies[1], ruc=new_ruc)

    submit, edit = run_at_once(2, work)

    assert isinstance(submit, Producer), submit
    fresh = Producer.objects.get(pk=producer.pk)
    assert fresh.verification_status == Verification.SUBMITTED
    if isinstance(edit, Conflict):  # the submission came first: the edit saw it
        assert (edit.code, fresh.ruc) == ("profile_locked", producer.ruc)
    else:  # the edit came first: the reviewers see the RUC it set
        assert (edit.ruc, fresh.ruc, fresh.organization.tax_id) == (new_ruc, new_ruc, new_ruc)
