"""Journey 3 (an offer goes live, and only when it may) and journey 6 (a lapse hides an offer the same
day), through the HTTP API, on the demo data."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from audit.models import AuditEvent
from compliance.models import Evidence
from core import clock
from listings.models import Listing
from producers.models import Producer, Site
from tests.journeys.steps import offer_body, offer_drafted, offer_goes_live

pytestmark = pytest.mark.django_db


def login(email: str, language: str = "es") -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
    token = client.post("/api/v1/auth/login/", {"email": email, "password": "oro-limpio-2026"}, format="json")
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.json()['token']}", HTTP_ACCEPT_LANGUAGE=language)
    return client


@pytest.fixture
def demo(demo_once, db):
    """The demo, seeded once for this module (tests/demo_data.py); each test's writes are rolled back."""


def offer(producer_name: str, **overrides):
    producer = Producer.objects.get(organization__legal_name__startswith=producer_name)
    site = Site.objects.filter(producer=producer, status="approved").first()
    return offer_body(site.pk, **overrides)


def test_an_offer_goes_live_and_only_when_it_may(demo):
    """Journey 3 on the demo data; its steps are shared with the end-to-end test of the seven journeys."""
    president, member = login("coop-admin@demo.test"), login("coop-member@demo.test")

    listing = offer_drafted(member, offer("Cooperativa Minera"))

    offer_goes_live(president, member, listing)


def test_publishing_without_every_requirement_lists_what_is_missing_in_spanish(demo):
    candelaria = login("candelaria-admin@demo.test")
    listing = candelaria.post("/api/v1/listings/", offer("Asociación", claims=[]), format="json").json()

    response = candelaria.post(f"/api/v1/listings/{listing['id']}/publish/")

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "publication_refused"
    missing = {item["code"]: item for item in body["missing"]}
    assert "OHS_TRAINING" in missing
    assert "falta" in missing["OHS_TRAINING"]["message"].lower()
    assert missing["OHS_TRAINING"]["what_to_do"]
    assert Listing.objects.get(pk=listing["id"]).status == "draft"


def test_a_claim_without_evidence_is_refused_and_amalgamation_is_never_mercury_free(demo):
    candelaria = login("candelaria-admin@demo.test")
    before = Listing.objects.count()
    amalgamated = offer("Asociación", processing_methods=["amalgamation_with_retort"], claims=["mercury_free"])

    response = candelaria.post("/api/v1/listings/", amalgamated, format="json")

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "amalgamation_not_mercury_free"
    assert Listing.objects.count() == before


def test_a_lapse_hides_an_offer_the_same_day_and_the_producer_sees_why(demo):
    rosa, anon = login("miner@demo.test"), APIClient()
    listing = rosa.post(
        "/api/v1/listings/", offer("Rosa Quispe", claims=[], quantity_grams="150.000"), format="json"
    ).json()
    assert rosa.post(f"/api/v1/listings/{listing['id']}/publish/").status_code == 200
    assert listing["id"] in [r["id"] for r in anon.get("/api/v1/listings/").json()["results"]]

    lapse = clock.today_lima() + dt.timedelta(days=8)  # her REINFO record lapses within the week
    with mock.patch.object(clock, "today_lima", return_value=lapse):
        search = anon.get("/api/v1/listings/").json()["results"]
        own = rosa.get(f"/api/v1/listings/{listing['id']}/").json()

    assert listing["id"] not in [row["id"] for row in search]
    assert own["visible"] is False
    assert "FORMALIZATION" in {item["code"] for item in own["hidden_because"]}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("fineness", "1000.1"),
        ("quantity_grams", "-5"),
        ("quantity_grams", "0.0001"),
        ("incoterm", "FOB"),
        ("form", "bars"),
        ("price_basis", "fixed"),
    ],
)
def test_bad_offers_are_refused_and_nothing_is_stored(demo, field, value):
    president = login("coop-admin@demo.test")
    before = Listing.objects.count()

    response = president.post("/api/v1/listings/", offer("Cooperativa Minera", **{field: value}), format="json")

    assert response.status_code == 400
    assert Listing.objects.count() == before


def test_a_window_ending_before_it_starts_and_a_site_of_another_producer_are_refused(demo):
    president = login("coop-admin@demo.test")
    before = Listing.objects.count()
    other_site = Site.objects.exclude(producer__organization__legal_name__startswith="Cooperativa").first()
    today = clock.today_lima()

    backwards = president.post(
        "/api/v1/listings/",
        offer("Cooperativa Minera", valid_until=(today - dt.timedelta(days=1)).isoformat()),
        format="json",
    )
    foreign = president.post(
        "/api/v1/listings/", offer("Cooperativa Minera", sites=[str(other_site.pk)]), format="json"
    )
    euros = president.post(
        "/api/v1/listings/",
        offer(
            "Cooperativa Minera",
            price_basis="fixed",
            lbma_adjustment_percent=None,
            price_per_fine_gram={"amount_minor": 9000, "currency": "EUR"},
        ),
        format="json",
    )

    assert backwards.json()["errors"][0]["code"] == "before_start"
    assert foreign.json()["errors"][0]["code"] == "not_your_site"
    assert euros.status_code == 400
    assert Listing.objects.count() == before


def test_a_member_edits_a_draft_but_a_published_listing_is_not_edited(demo):
    president, member = login("coop-admin@demo.test"), login("coop-member@demo.test")
    listing = member.post("/api/v1/listings/", offer("Cooperativa Minera"), format="json").json()

    edited = member.patch(
        f"/api/v1/listings/{listing['id']}/",
        {"quantity_grams": "450.000", "title_es": "Doré 920 de Huepetuhe"},
        format="json",
    )
    assert edited.status_code == 200, edited.json()
    assert (edited.json()["quantity_grams"], edited.json()["available_grams"]) == ("450.000", "450.000")
    published = president.post(f"/api/v1/listings/{listing['id']}/publish/")
    assert (published.status_code, published.json()["status"], published.json()["hold"]) == (200, "published", None)

    late = member.patch(f"/api/v1/listings/{listing['id']}/", {"title_es": "Otro"}, format="json")
    assert (late.status_code, late.json()["code"]) == (409, "listing_not_draft")
    assert Listing.objects.get(pk=listing["id"]).title_es == "Doré 920 de Huepetuhe"


def test_pause_resume_and_withdraw(demo):
    president, anon = login("coop-admin@demo.test"), APIClient()
    listing = president.post("/api/v1/listings/", offer("Cooperativa Minera"), format="json").json()
    url = f"/api/v1/listings/{listing['id']}"
    president.post(f"{url}/publish/")

    assert president.post(f"{url}/pause/").json()["status"] == "paused"
    assert president.post(f"{url}/pause/").status_code == 200  # a repeated move is a no-op
    assert listing["id"] not in [r["id"] for r in anon.get("/api/v1/listings/").json()["results"]]
    assert president.post(f"{url}/resume/").json()["status"] == "published"
    assert president.post(f"{url}/withdraw/").json()["close_reason"] == "withdrawn"
    refused = president.post(f"{url}/resume/")
    assert (refused.status_code, refused.json()["code"]) == (409, "invalid_transition")


def test_more_gold_a_month_than_the_sites_declared_holds_the_listing_for_review(demo):
    rosa, reviewer, anon = login("miner@demo.test"), login("reviewer@demo.test"), APIClient()
    # Rosa's site declared 300 g in each of its last months; 120 g a month are already on offer.
    listing = rosa.post("/api/v1/listings/", offer("Rosa Quispe", claims=[]), format="json").json()

    held = rosa.post(f"/api/v1/listings/{listing['id']}/publish/")

    assert held.status_code == 200
    assert held.json()["status"] == "held"
    assert held.json()["hold"] == {
        "code": "volume_red_flag",
        "message": "Se ofrece más oro al mes del que sus sitios declararon producir en su mejor mes del último "
        "año: el equipo revisor lo verifica antes de que los compradores vean la oferta.",
        "what_to_do": "Haga confirmar las declaraciones mensuales de producción (PROD_DECL) de estos sitios, u "
        "ofrezca menos al mes.",
        "site": None,
        "released_by": "network_reviewer",
    }
    assert listing["id"] not in [r["id"] for r in anon.get("/api/v1/listings/").json()["results"]]
    own = rosa.get(f"/api/v1/listings/{listing['id']}/").json()
    assert "volume_red_flag" in {item["code"] for item in own["hidden_because"]}
    flag = AuditEvent.objects.get(action="listings.listing.publish", target_id=listing["id"]).data["volume_red_flag"]
    assert flag == {"offered_monthly_grams": "620.000", "declared_monthly_grams": "300.000"}

    assert rosa.post(f"/api/v1/listings/{listing['id']}/release/").status_code == 403  # not her call
    released = reviewer.post(f"/api/v1/listings/{listing['id']}/release/")
    assert released.json()["status"] == "published"
    assert listing["id"] in [r["id"] for r in anon.get("/api/v1/listings/").json()["results"]]


def test_without_an_approved_production_declaration_a_listing_is_held(demo):
    candelaria, reviewer = login("candelaria-admin@demo.test"), login("reviewer@demo.test")
    Evidence.objects.filter(evidence_type_id="PROD_DECL", organization__legal_name__startswith="Asoc").update(
        status="revoked"
    )
    for code in ("OHS_TRAINING",):  # make the association compliant first
        Evidence.objects.create(
            organization=Producer.objects.get(organization__legal_name__startswith="Asoc").organization,
            evidence_type_id=code,
            issue_date=clock.today_lima(),
            status="approved",
            valid_until=clock.today_lima() + dt.timedelta(days=300),
            submitted_by=User.objects.get(email="candelaria-admin@demo.test"),
        )
    listing = candelaria.post("/api/v1/listings/", offer("Asociación", claims=[]), format="json").json()

    response = candelaria.post(f"/api/v1/listings/{listing['id']}/publish/")

    assert response.json()["status"] == "held"
    assert reviewer.get(f"/api/v1/listings/{listing['id']}/").json()["visible"] is False


def test_asking_for_your_own_listings_without_a_token_is_401_not_the_public_catalogue(anon):
    response = anon.get("/api/v1/listings/?mine=true")

    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"] == "Token"
    assert response.json()["code"] == "not_authenticated"
    assert anon.get("/api/v1/listings/?mine=false").status_code == 200  # the catalogue itself stays public
