"""Editing a draft while its producer publishes it, on PostgreSQL with real threads: a member keeps editing the
draft while the president publishes it. The edit that was under way when the publish committed must not undo
it: a listing whose publish answered 200 is published in the end, and its audit trail agrees (no edit is
recorded after the publish, and the stored title is the last edit recorded)."""

from __future__ import annotations

import pytest

from audit.models import AuditEvent
from core import clock
from tests.concurrency import run_at_once
from tests.conftest import make_client
from tests.factories import MembershipFactory, OrganizationFactory
from tests.provenance.helpers import declare_row
from tests.trade.deposit_helpers import reseed_catalogue
from tests.trade.helpers import make_compliant_producer, make_listing

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROUNDS = 15
EDITS = 40  # the member stops at the first 409: by then the publish has committed


@pytest.fixture
def catalogue():
    """Transactional tests empty every table when they end, the catalogue that migrations seeded included."""
    reseed_catalogue()


def test_an_edit_running_while_the_listing_is_published_never_undoes_the_publish(catalogue):
    coop = OrganizationFactory()
    president = MembershipFactory(organization=coop, role="admin")
    member = MembershipFactory(organization=coop, role="member")
    producer, site = make_compliant_producer(coop)
    # A month declared far above every round's listing: publishing gives `published`, never `held`.
    declare_row(site, clock.today_lima().replace(day=1), "1000000.000", submitted_by=president.user)
    publisher = make_client(president.user, coop)
    editor = make_client(member.user, coop)

    for round_ in range(ROUNDS):
        listing = make_listing(producer, site, grams="100", status="draft")
        url = f"/api/v1/listings/{listing.pk}/"

        def work(i, url=url):
            if i == 0:
                return publisher.post(f"{url}publish/")
            answers = []
            for n in range(EDITS):
                answer = editor.patch(url, {"title_es": f"Doré 920, edición {n}"}, format="json")
                answers.append(answer)
                if answer.status_code != 200:
                    break
            return answers

        published, edits = run_at_once(2, work)

        assert not isinstance(published, Exception), published
        assert not isinstance(edits, Exception), edits
        assert published.status_code == 200, published.content[:500]
        assert published.json()["status"] == "published"
        assert [e.status_code for e in edits if e.status_code != 200] in ([], [409]), [e.content for e in edits]
        listing.refresh_from_db()
        trail = list(AuditEvent.objects.filter(target_id=str(listing.pk)).values_list("action", "data"))
        actions = [action for action, _data in trail]
        assert (listing.status, listing.published_at is not None) == ("published", True), (round_, actions)
        assert actions.count("listings.listing.publish") == 1, (round_, actions)
        after_publish = actions[actions.index("listings.listing.publish") + 1 :]
        assert "listings.listing.updated" not in after_publish, (round_, actions)
        titles = [data["title_es"] for action, data in trail if action == "listings.listing.updated"]
        assert listing.title_es == (titles[-1] if titles else "Doré 920 sin mercurio"), (round_, actions)
        assert len(titles) == sum(e.status_code == 200 for e in edits), (round_, actions)
