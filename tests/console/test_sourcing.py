"""A buyer's sourcing requests on the test client: stating a need creates one request (once per form) and audits
it, a refusal reads as the API's for the same body, the matches come in the API's order with the API's reasons,
producers see open needs without the buyer, another buyer gets the API's 404, and only the buyer closes."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils.html import escape

from audit.models import AuditEvent
from listings.models import SourcingRequest
from listings.selectors import entries_today
from tests.console.test_contracts import api_token, signed_in_as

pytestmark = pytest.mark.django_db

BUYER = "buyer2@demo.test"  # Exportadora Andina de Metales
OTHER_BUYER = "buyer@demo.test"  # Helvetia Responsible Refining
PRODUCER_MEMBER = "coop-member@demo.test"
REVIEWER = "reviewer@demo.test"
EXPORTER = "Exportadora Andina de Metales S.A.C."


@pytest.fixture
def demo(db: None) -> None:
    call_command("seed_demo")


def need(**overrides: Any) -> dict[str, Any]:
    """A form's values (and the API's body, but for the price): 100 g at least 800‰, delivered next month."""
    start = date.today() + timedelta(days=7)
    return {
        "title": "Doré para joyería",
        "grams": "100.000",
        "min_fineness": "800.0",
        "forms": [],
        "claims": [],
        "incoterm": "FCA",
        "delivery_from": start.isoformat(),
        "delivery_until": (start + timedelta(days=60)).isoformat(),
        "notes": "",
        **overrides,
    }


def api(email: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Token {api_token(email)}", HTTP_ACCEPT_LANGUAGE="en")


def form_key(client: Client, path: str = "/sourcing/new/") -> str:
    found = re.search(r'name="idempotency_key" value="([^"]+)"', client.get(path).content.decode())
    assert found is not None
    return found.group(1)


def made_by_the_api(email: str = BUYER, **overrides: Any) -> SourcingRequest:
    created = api(email).post("/api/v1/sourcing-requests/", need(**overrides), content_type="application/json")
    assert created.status_code == 201, created.content
    return SourcingRequest.objects.get(pk=created.json()["id"])


def test_a_buyer_states_a_need_once_and_it_is_audited(demo: None) -> None:
    client, token = signed_in_as(BUYER)
    assert client.get("/sourcing/").status_code == 200
    assert "/sourcing/" in client.get("/offers/").content.decode()  # the nav's link
    body = {**need(title="Sponge for our refinery"), "forms": ["sponge", "dore"], "claims": ["mercury_free"]}
    body |= {"max_price_per_fine_gram": "83.50", "currency": "USD", "csrfmiddlewaretoken": token}
    body["idempotency_key"] = form_key(client)

    first = client.post("/sourcing/new/", body)
    again = client.post("/sourcing/new/", body)  # the same form sent again: the first answer was lost

    made = SourcingRequest.objects.get(title="Sponge for our refinery")
    assert first.status_code == again.status_code == 302
    assert first["Location"] == again["Location"] == f"/sourcing/{made.pk}/"
    assert made.buyer.legal_name == EXPORTER
    assert made.forms == ["sponge", "dore"]
    assert made.claims == ["mercury_free"]
    assert (made.max_price_per_fine_gram_minor, made.currency, made.incoterm) == (8350, "USD", "FCA")
    event = AuditEvent.objects.get(action="listings.sourcing_request.created", target_id=str(made.pk))
    assert event.data["claims"] == ["mercury_free"]
    page = client.get(first["Location"]).content.decode()
    assert "Sponge for our refinery" in page
    assert "USD 83.50" in page
    assert "Close this request" in page
    listed = client.get("/sourcing/").content.decode()
    assert "Sponge for our refinery" in listed
    assert EXPORTER in listed


def test_a_refusal_reads_as_the_apis_for_the_same_body_and_refills_the_form(demo: None) -> None:
    client, token = signed_in_as(BUYER)
    bad = need(title="Con errores", grams="-5", min_fineness="1000.55")

    page = client.post("/sourcing/new/", {**bad, "csrfmiddlewaretoken": token})
    refused = api(BUYER).post("/api/v1/sourcing-requests/", bad, content_type="application/json")

    assert page.status_code == refused.status_code == 400
    errors = refused.json()["errors"]
    assert {error["field"] for error in errors} == {"grams", "min_fineness"}
    assert all(escape(error["message"]) in page.content.decode() for error in errors)
    assert 'aria-invalid="true"' in page.content.decode()
    assert 'value="Con errores"' in page.content.decode()
    assert not SourcingRequest.objects.filter(title="Con errores").exists()

    backwards = need(title="Al revés", delivery_until=(date.today() - timedelta(days=1)).isoformat())
    page = client.post("/sourcing/new/", {**backwards, "csrfmiddlewaretoken": token})
    refused = api(BUYER).post("/api/v1/sourcing-requests/", backwards, content_type="application/json")
    assert page.status_code == refused.status_code == 400
    [error] = refused.json()["errors"]
    assert error["field"] == "delivery_until"
    assert escape(error["message"]) in page.content.decode()


def test_only_a_buyer_states_a_need_as_the_api_says(demo: None) -> None:
    client, token = signed_in_as(PRODUCER_MEMBER)

    page = client.post("/sourcing/new/", {**need(title="No soy comprador"), "csrfmiddlewaretoken": token})
    refused = api(PRODUCER_MEMBER).post("/api/v1/sourcing-requests/", need(), content_type="application/json")

    assert page.status_code == refused.status_code == 403
    assert f'data-code="{refused.json()["code"]}"' in page.content.decode()
    assert escape(refused.json()["detail"]) in page.content.decode()
    assert not SourcingRequest.objects.filter(title="No soy comprador").exists()
    assert "Save the request" not in page.content.decode()


def test_the_matches_come_in_the_apis_order_with_the_apis_reasons(demo: None) -> None:
    grams = sorted(entries_today().values_list("available_grams", flat=True))
    assert len(grams) > 2
    # Some offers have enough gold, some do not: the score tells them apart, then the fineness.
    made = made_by_the_api(grams=f"{grams[len(grams) // 2]:.3f}", min_fineness="0")
    client, _token = signed_in_as(BUYER)

    page = client.get(f"/sourcing/{made.pk}/")
    answer = api(BUYER).get(f"/api/v1/sourcing-requests/{made.pk}/matches/").json()

    assert page.status_code == 200
    shown = re.findall(r'data-listing="([^"]+)"', page.content.decode())
    assert shown
    assert shown == [row["listing"]["id"] for row in answer["results"]]
    assert len({row["score"] for row in answer["results"]}) > 1  # the order is not by chance
    first = answer["results"][0]
    for reason in first["reasons"].values():
        assert escape(reason) in page.content.decode()
    assert f"{first['score']} of 7 criteria met" in page.content.decode()
    assert f'href="/offers/{first["listing"]["id"]}/"' in page.content.decode()


def test_a_producer_sees_the_open_needs_without_the_buyer(demo: None) -> None:
    open_one = made_by_the_api(title="Oro fino para joyería")
    closed = made_by_the_api(title="Ya no buscamos")
    api(BUYER).post(f"/api/v1/sourcing-requests/{closed.pk}/close/")
    client, _token = signed_in_as(PRODUCER_MEMBER)
    assert 'href="/sourcing/"' in client.get("/coop/").content.decode()  # the way there, from the standing

    listed = client.get("/sourcing/")
    page = client.get(f"/sourcing/{open_one.pk}/")
    matches = api(PRODUCER_MEMBER).get(f"/api/v1/sourcing-requests/{open_one.pk}/matches/")

    assert listed.status_code == page.status_code == 200
    assert "Oro fino para joyería" in listed.content.decode()
    assert "Ya no buscamos" not in listed.content.decode()
    for body in (listed.content.decode(), page.content.decode()):
        assert EXPORTER not in body
    assert "buyer" not in api(PRODUCER_MEMBER).get(f"/api/v1/sourcing-requests/{open_one.pk}/").json()
    assert matches.status_code == 403  # the matches are the buyer's: the page says so in the API's words
    assert escape(matches.json()["detail"]) in page.content.decode()
    assert "data-listing=" not in page.content.decode()
    assert "Close this request" not in page.content.decode()
    assert client.get(f"/sourcing/{closed.pk}/").status_code == 404


def test_another_buyer_gets_the_apis_404(demo: None) -> None:
    made = made_by_the_api(title="Solo nuestro")
    client, token = signed_in_as(OTHER_BUYER)

    page = client.get(f"/sourcing/{made.pk}/")
    close = client.post(f"/sourcing/{made.pk}/close/", {"csrfmiddlewaretoken": token})
    answer = api(OTHER_BUYER).get(f"/api/v1/sourcing-requests/{made.pk}/")

    assert page.status_code == close.status_code == answer.status_code == 404
    assert f'data-code="{answer.json()["code"]}"' in page.content.decode()
    assert "Solo nuestro" not in client.get("/sourcing/").content.decode()
    made.refresh_from_db()
    assert made.state == "open"


def test_the_buyer_closes_a_request_and_a_reviewer_may_not(demo: None) -> None:
    made = made_by_the_api(title="Para cerrar")
    reviewer, reviewer_token = signed_in_as(REVIEWER)
    seen = reviewer.get(f"/sourcing/{made.pk}/").content.decode()
    assert EXPORTER in seen
    assert "data-listing=" in seen
    assert "Close this request" not in seen

    refused = reviewer.post(f"/sourcing/{made.pk}/close/", {"csrfmiddlewaretoken": reviewer_token})
    api_refused = api(REVIEWER).post(f"/api/v1/sourcing-requests/{made.pk}/close/")
    assert refused.status_code == api_refused.status_code == 403
    assert escape(api_refused.json()["detail"]) in refused.content.decode()

    client, token = signed_in_as(BUYER)
    closed = client.post(f"/sourcing/{made.pk}/close/", {"csrfmiddlewaretoken": token})

    made.refresh_from_db()
    assert closed.status_code == 302
    assert closed["Location"] == f"/sourcing/{made.pk}/"
    assert made.state == "closed"
    assert AuditEvent.objects.filter(action="listings.sourcing_request.closed", target_id=str(made.pk)).count() == 1
    page = client.get(closed["Location"]).content.decode()
    assert "Close this request" not in page
    assert "Closed" in page


def test_a_search_becomes_the_form_of_a_standing_request(demo: None) -> None:
    client, _token = signed_in_as(BUYER)

    search = client.get("/offers/", {"form": "dore", "fineness_min": "900", "min_available_grams": "50"})
    link = re.search(r'href="(/sourcing/new/\?[^"]+)"', search.content.decode())
    assert link is not None
    form = client.get(link.group(1).replace("&amp;", "&")).content.decode()

    assert 'id="form-dore" name="forms" value="dore" checked' in form
    assert 'name="min_fineness" value="900"' in form
    assert 'name="grams" value="50"' in form
    assert "Save this search" not in browser_search_for(PRODUCER_MEMBER)


def browser_search_for(email: str) -> str:
    client, _token = signed_in_as(email)
    return client.get("/offers/").content.decode()
