"""Journey 9 on the demo data: a reviewer records a red flag (a site overlapping the Tambopata National
Reserve) against another producer; its offers disappear from search until two reviewers close the flag with a
reason. The miner is told (without the reviewer's name), answers with a document, and reads why her offer is
hidden; the reviewers are told of her answer."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from notifications.models import Notification
from producers.models import Site
from tests.compliance.helpers import pdf_upload
from tests.diligence.helpers import FLAGS, LISTINGS, ok
from tests.listings.test_listings import login
from tests.problems import assert_problem

pytestmark = pytest.mark.django_db

TAMBOPATA = "Oro de Tambopata de una minera artesanal"


@pytest.fixture
def demo(demo_once, db):
    """The demo, seeded once for this module (tests/demo_data.py); each test's writes are rolled back."""


def offers(client) -> dict[str, str]:
    return {row["title_es"]: row["id"] for row in ok(client.get(f"{LISTINGS}?page_size=100"))["results"]}


def test_journey_9_a_red_flag_suspends_a_producers_offers_until_two_reviewers_close_it(demo):
    anon, buyer = APIClient(), login("buyer@demo.test", "en")
    shown = offers(anon)
    listing_id = shown[TAMBOPATA]
    count = len(shown)
    miner, reviewer, network_admin = (
        login("miner@demo.test"),
        login("reviewer@demo.test"),
        login("network-admin@demo.test"),
    )
    [site] = Site.objects.filter(producer__organization__legal_name="Rosa Quispe Mamani", status="approved")

    # The reviewer records the flag: the site overlaps the reserve.
    body = {
        "subject_kind": "site",
        "site": str(site.pk),
        "category": "protected_area",
        "severity": "high",
        "facts": "El polígono del sitio se superpone 3,2 ha con la Reserva Nacional Tambopata (límite SERNANP 2024).",
    }
    flag = ok(reviewer.post(FLAGS, body, format="json"), 201)
    assert flag["category_name_es"].startswith("Sitio en un área natural protegida")

    # Her offer disappears from search and from its page, for everybody; the other offers stay.
    assert TAMBOPATA not in offers(anon)
    assert len(offers(buyer)) == count - 1
    assert_problem(anon.get(f"{LISTINGS}{listing_id}/"), 404, "not_found")
    # She is told, without the reviewer's name, and reads why her offer is hidden.
    [notice] = Notification.objects.filter(kind="red_flag_opened", recipient__email="miner@demo.test")
    assert "Lucía" not in str(notice.params)
    [mine] = ok(miner.get(FLAGS))["results"]
    assert (mine["id"], mine["opened_by"], mine["suspends_offers"]) == (flag["id"], None, True)
    own = ok(miner.get(f"{LISTINGS}{listing_id}/"))
    assert "red_flag_open" in [o["code"] for o in own["hidden_because"]]
    # She answers with the authority's letter; the reviewers are told.
    answer = {
        "text": "Trabajamos a 400 m del límite: adjuntamos la carta de SERNANP.",
        "file": [pdf_upload("sernanp.pdf")],
    }
    ok(miner.post(f"{FLAGS}{flag['id']}/answers/", answer, format="multipart"), 201)
    assert Notification.objects.filter(kind="red_flag_answered", recipient__email="reviewer@demo.test").exists()

    # The first reviewer proposes closing it: still hidden; she cannot confirm her own proposal.
    reason = {"reason": "Visita de campo del 4 de mayo: las labores están fuera de la reserva."}
    assert ok(reviewer.post(f"{FLAGS}{flag['id']}/close/", reason, format="json"))["close_proposed"] is True
    assert TAMBOPATA not in offers(anon)
    assert_problem(reviewer.post(f"{FLAGS}{flag['id']}/close/", reason, format="json"), 409, "second_reviewer_required")
    # A second reviewer confirms with a reason: the offer is back.
    confirm = {"reason": "Confirmado con la carta de SERNANP y el informe de la visita."}
    closed = ok(network_admin.post(f"{FLAGS}{flag['id']}/close/", confirm, format="json"))
    assert (closed["status"], closed["close_reason"]) == ("closed", confirm["reason"])
    assert offers(anon)[TAMBOPATA] == listing_id
    assert len(offers(anon)) == count
