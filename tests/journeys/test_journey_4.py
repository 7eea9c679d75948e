"""Journey 4: a refiner finds responsible gold - KYC verified by a reviewer, search, facets, the listing and
the producer's badges, a sourcing request with ranked and explained matches, and one notification when
another cooperative publishes a matching offer a week later. HTTP only, on the demo data."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from compliance.files import make_test_pdf
from core import clock
from notifications.models import Notification
from tests.listings.test_listings import login, offer

pytestmark = pytest.mark.django_db


def ok(response, status=200):
    assert response.status_code == status, response.content[:1500]
    return response.json()


def approve(reviewers, evidence_id, second=False):
    first, other = reviewers
    ok(first.post(f"/api/v1/evidence/{evidence_id}/claim/"))
    body = ok(first.post(f"/api/v1/evidence/{evidence_id}/approve/", {}, format="json"))
    if second:
        ok(other.post(f"/api/v1/evidence/{evidence_id}/claim/"))
        body = ok(other.post(f"/api/v1/evidence/{evidence_id}/approve/", {}, format="json"))
    return body


def upload(client, evidence_type, **fields):
    pdf = SimpleUploadedFile(f"{evidence_type.lower()}.pdf", make_test_pdf(evidence_type))
    data = {
        "evidence_type": evidence_type,
        "issue_date": (clock.today_lima() - dt.timedelta(days=2)).isoformat(),
        "files": [pdf],
        **fields,
    }
    return ok(client.post("/api/v1/evidence/", data, format="multipart"), 201)


def test_a_refiner_finds_responsible_gold():
    call_command("seed_demo")
    refiner = login("buyer@demo.test", "en")
    reviewers = (login("reviewer@demo.test"), login("network-admin@demo.test"))
    me = ok(refiner.get("/api/v1/me/"))
    refiner_id = me["memberships"][0]["organization"]["id"]

    # KYC: the refiner uploads its documents and submits; a reviewer approves them and verifies it.
    items = [upload(refiner, code)["id"] for code in ("KYC_COMPANY_REG", "KYC_UBO", "KYC_SANCTIONS", "KYC_DD_POLICY")]
    ok(refiner.post(f"/api/v1/organizations/{refiner_id}/kyc/submit/", {}, format="json"))
    for item in items:
        approve(reviewers, item)
    verified = ok(reviewers[0].post(f"/api/v1/organizations/{refiner_id}/kyc/verify/", {}, format="json"))
    assert verified["verification_status"] == "verified"

    # Search in Spanish and in English, at 900 per mille or more, Fairmined.
    spanish = ok(refiner.get("/api/v1/listings/?q=oro sin mercurio&fineness_min=900&claims=fairmined"))["results"]
    english = ok(refiner.get("/api/v1/listings/?q=mercury-free doré&fineness_min=900&claims=fairmined"))["results"]
    assert [row["id"] for row in spanish] == [row["id"] for row in english]
    assert len(spanish) == 1
    listing = spanish[0]
    assert listing["claims"] == ["fairmined", "mercury_free"]
    facets = ok(refiner.get("/api/v1/listings/facets/?fineness_min=900"))
    assert {"value": "huepetuhe", "count": 1} in facets["district"]
    assert {"value": "dore", "count": facets["total"]} in facets["form"]

    # The listing and the producer's public profile with its badges.
    detail = ok(refiner.get(f"/api/v1/listings/{listing['id']}/"))
    assert "hidden_because" not in detail  # that is for the producer
    profile = ok(refiner.get(f"/api/v1/producers/{listing['producer']}/"))
    assert {"fairmined", "mercury_free", "women_led"} <= {badge["code"] for badge in profile["badges"]}
    assert "ruc" not in profile

    # A sourcing request: 2 kg a quarter at 900 or more, mercury-free; matches ranked and explained.
    today = clock.today_lima()
    request = ok(
        refiner.post(
            "/api/v1/sourcing-requests/",
            {
                "title": "2 kg per quarter, 900+ mercury-free",
                "grams": "2000.000",
                "min_fineness": "900.0",
                "claims": ["mercury_free"],
                "incoterm": "FCA",
                "delivery_from": (today + dt.timedelta(days=30)).isoformat(),
                "delivery_until": (today + dt.timedelta(days=120)).isoformat(),
            },
            format="json",
        ),
        201,
    )
    matches = ok(refiner.get(f"/api/v1/sourcing-requests/{request['id']}/matches/"))
    assert [m["listing"]["id"] for m in matches] == [listing["id"]]
    assert matches[0]["criteria"]["fineness"] is True
    assert matches[0]["criteria"]["quantity"] is False  # 500 g offered, 2 kg wanted: said, not hidden
    # Producers browse open requests without learning who asked.
    browsing = ok(login("candelaria-admin@demo.test").get("/api/v1/sourcing-requests/"))["results"]
    assert request["id"] in {r["id"] for r in browsing}
    assert all("buyer" not in r for r in browsing)

    # A week later another cooperative completes its evidence and publishes a matching offer.
    candelaria = login("candelaria-admin@demo.test")
    coop = ok(candelaria.get("/api/v1/me/"))["memberships"][0]["organization"]["id"]
    site = ok(candelaria.get(f"/api/v1/producers/{coop}/sites/"))["results"][0]["id"]
    approve(reviewers, upload(candelaria, "OHS_TRAINING")["id"])
    approve(reviewers, upload(candelaria, "HG_FREE_PROCESS", site=site)["id"])
    approve(reviewers, upload(candelaria, "SITE_VISIT", site=site)["id"], second=True)
    next_week = today + dt.timedelta(days=7)
    with mock.patch.object(clock, "today_lima", return_value=next_week):
        body = offer(
            "Asociación",
            claims=["mercury_free"],
            fineness="950.0",
            valid_from=next_week.isoformat(),
            valid_until=(next_week + dt.timedelta(days=60)).isoformat(),
            title_es="Doré 950 de Laberinto, sin mercurio",
            title_en="Mercury-free doré 950, Laberinto",
        )
        new = ok(candelaria.post("/api/v1/listings/", body, format="json"), 201)
        ok(candelaria.post(f"/api/v1/listings/{new['id']}/publish/"))
        ok(candelaria.post(f"/api/v1/listings/{new['id']}/pause/"))
        ok(candelaria.post(f"/api/v1/listings/{new['id']}/resume/"))  # offered again: not news twice
        matches = ok(refiner.get(f"/api/v1/sourcing-requests/{request['id']}/matches/"))

    told = Notification.objects.filter(kind="sourcing_match", target_id=new["id"], recipient__email="buyer@demo.test")
    assert told.count() == 1
    assert matches[0]["listing"]["id"] == new["id"]  # finer gold ranks first
