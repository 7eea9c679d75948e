"""Journeys 1 and 2 of JOURNEYS.md through the HTTP API only, with real PDF and image files.

1. A cooperative joins the network: invitation, profile, site, roster of 23 women and 4 men, submission,
   verification by a reviewer, and "women-led" on its public profile.
2. Evidence goes in, decisions come out: uploads, the queue oldest first, approvals (two reviewers where the
   type asks for it), a request for changes read in Spanish and a superseding replacement, and the
   compliance view requirement by requirement with the mercury_free and fairmined claims.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from rest_framework.test import APIClient

from compliance.files import make_test_image, make_test_pdf
from core import clock
from tests.factories import PASSWORD, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

PRESIDENT_PASSWORD = "Huepetuhe-oro-limpio-23"
HUEPETUHE_SITE = {
    "type": "Polygon",
    "coordinates": [[[-70.52, -12.99], [-70.50, -12.99], [-70.50, -12.97], [-70.52, -12.97], [-70.52, -12.99]]],
}


def login(email: str, password: str, language: str = "es") -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
    response = client.post("/api/v1/auth/login/", {"email": email, "password": password}, format="json")
    assert response.status_code == 200, response.json()
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}", HTTP_ACCEPT_LANGUAGE=language)
    return client


def ok(response, status=200):
    assert response.status_code == status, response.content[:2000]
    return response.json()


def upload(client, evidence_type, files, **fields):
    data = {"evidence_type": evidence_type, "issue_date": fields.pop("issue_date", "2026-10-01"), **fields}
    data["files"] = files
    return client.post("/api/v1/evidence/", data, format="multipart")


def pdf(name: str, text: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, make_test_pdf(text), content_type="application/pdf")


def photo(name: str, fmt: str = "JPEG"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, make_test_image(fmt, (320, 240)), content_type="image/jpeg")


@pytest.fixture
def reviewers(network):
    lucia = MembershipFactory(organization=network, role="reviewer", user=UserFactory(email="lucia@red.test"))
    rosa = MembershipFactory(organization=network, role="reviewer", user=UserFactory(email="rosa@red.test"))
    return login(lucia.user.email, PASSWORD), login(rosa.user.email, PASSWORD)


def decide(reviewer, evidence_id, move="approve", **body):
    ok(reviewer.post(f"/api/v1/evidence/{evidence_id}/claim/"))
    return reviewer.post(f"/api/v1/evidence/{evidence_id}/{move}/", body, format="json")


def test_a_cooperative_joins_proves_its_practices_and_gets_its_claims(
    reviewers, mailoutbox, django_capture_on_commit_callbacks
):
    lucia, rosa = reviewers
    # --- Journey 1 -------------------------------------------------------------------------------------
    with django_capture_on_commit_callbacks(execute=True):
        ok(
            lucia.post(
                "/api/v1/invitations/",
                {
                    "kind": "producer_organization",
                    "email": "presidenta@mujeresdeoro.test",
                    "legal_name": "Cooperativa Minera Mujeres de Oro de Huepetuhe",
                },
                format="json",
            ),
            201,
        )
    token = re.search(r"token=([\w-]+)", mailoutbox[-1].body).group(1)
    accepted = ok(
        APIClient().post(
            "/api/v1/invitations/accept/",
            {"token": token, "password": PRESIDENT_PASSWORD, "full_name": "Juana Mamani Condori"},
            format="json",
        ),
        201,
    )
    coop_id = accepted["membership"]["organization"]["id"]
    juana = login("presidenta@mujeresdeoro.test", PRESIDENT_PASSWORD)

    profile = ok(
        juana.post(
            "/api/v1/producers/",
            {
                "legal_kind": "cooperative",
                "legal_category": "REINFO",
                "ruc": "20527145661",
                "reinfo_code": "REINFO-MDD-2024-0173",
                "district": "huepetuhe",
                "description_es": "Cooperativa de mujeres mineras que trabajan oro aluvial sin mercurio.",
                "description_en": "A cooperative of women miners working alluvial gold without mercury.",
            },
            format="json",
        ),
        201,
    )
    assert profile["id"] == coop_id
    assert profile["verification_status"] == "draft"
    site = ok(
        juana.post(
            f"/api/v1/producers/{coop_id}/sites/",
            {
                "name": "Playa Huepetuhe Alto",
                "concession_code": "010203405",
                "district": "huepetuhe",
                "geometry": HUEPETUHE_SITE,
                "area_hectares": "12.50",
            },
            format="json",
        ),
        201,
    )
    for i in range(27):
        ok(
            juana.post(
                f"/api/v1/producers/{coop_id}/members/",
                {
                    "full_name": f"Socia {i}",
                    "dni": f"{40000000 + i}",
                    "birth_year": 1975 + i % 20,
                    "sex": "female" if i < 23 else "male",
                    "role": "pallaquera" if i % 5 == 0 else "member",
                },
                format="json",
            ),
            201,
        )
    ok(juana.post(f"/api/v1/producers/{coop_id}/submit/"))

    # The reviewer checks the RUC and the site, verifies the producer and approves the site.
    queue = ok(lucia.get("/api/v1/producers/?verification_status=submitted"))["results"]
    assert [p["id"] for p in queue] == [coop_id]
    ok(
        lucia.post(
            f"/api/v1/producers/{coop_id}/verify/",
            {"reason": "RUC activo y habido; sitio en el corredor."},
            format="json",
        )
    )
    ok(lucia.post(f"/api/v1/producers/{coop_id}/sites/{site['id']}/approve/", {}, format="json"))

    mine = ok(juana.get(f"/api/v1/producers/{coop_id}/"))
    assert mine["verification_status"] == "verified"
    public = ok(APIClient().get(f"/api/v1/producers/{coop_id}/"))
    assert public["women_led"] is True
    assert (public["women_count"], public["members_count"]) == (23, 27)
    assert "ruc" not in public
    assert "dni" not in public
    public_site = ok(APIClient().get(f"/api/v1/producers/{coop_id}/sites/"))["results"][0]
    assert "geometry" not in public_site
    assert public_site["approximate_location"]["coordinates"] == [-70.5, -13.0]
    assert APIClient().get(f"/api/v1/producers/{coop_id}/members/").status_code == 401

    # --- Journey 2 -------------------------------------------------------------------------------------
    today = clock.today_lima()
    in_a_year = (today + dt.timedelta(days=365)).isoformat()
    fairmined_expiry = (today + dt.timedelta(days=200)).isoformat()
    issued = (today - dt.timedelta(days=10)).isoformat()
    uploads = [
        ("TAX_RUC", [pdf("ficha-ruc.pdf", "Ficha RUC 20527145661")], {}),
        ("REINFO", [pdf("reinfo.pdf", "Constancia REINFO vigente")], {}),
        (
            "MINING_RIGHT",
            [pdf("contrato.pdf", "Contrato de explotacion")],
            {"site": site["id"], "expiry_date": in_a_year},
        ),
        ("SITE_GEO", [pdf("ficha-ubicacion.pdf", "Ficha georreferenciada")], {"site": site["id"]}),
        ("IGAFOM", [pdf("igafom.pdf", "IGAFOM cargo")], {"site": site["id"]}),
        ("ORG_SUNARP", [pdf("partida.pdf", "Partida registral")], {}),
        ("ORG_MEMBERS", [pdf("padron.pdf", "Padron de socias")], {"attributes": '{"women": 23, "men": 4}'}),
        ("NO_CHILD_DECL", [pdf("dj-trabajo-infantil.pdf", "Declaracion jurada")], {}),
        ("HG_DECL", [pdf("dj-mercurio.pdf", "Declaracion jurada mercurio")], {}),
        ("OHS_TRAINING", [pdf("capacitaciones.pdf", "Registro de capacitaciones")], {}),
        ("PPE_RECORD", [photo("epp-borrosa.jpg")], {}),
        ("HG_FREE_PROCESS", [photo("mesa-vibratoria.jpg"), photo("fundicion-borax.png", "PNG")], {"site": site["id"]}),
        ("SITE_VISIT", [pdf("informe-campo.pdf", "Informe de verificacion de campo")], {"site": site["id"]}),
        ("CERT_FAIRMINED", [pdf("fairmined.pdf", "Certificado Fairmined")], {"expiry_date": fairmined_expiry}),
    ]
    ids = {}
    # A member of the cooperative (not an admin) helps with the uploads: she keeps the training records.
    with django_capture_on_commit_callbacks(execute=True):
        ok(
            juana.post("/api/v1/invitations/", {"email": "elena@mujeresdeoro.test", "role": "member"}, format="json"),
            201,
        )
    member_token = re.search(r"token=([\w-]+)", mailoutbox[-1].body).group(1)
    ok(
        APIClient().post(
            "/api/v1/invitations/accept/",
            {"token": member_token, "password": "Elena-oro-limpio-42", "full_name": "Elena Choque Apaza"},
            format="json",
        ),
        201,
    )
    elena = login("elena@mujeresdeoro.test", "Elena-oro-limpio-42")
    assert elena.get(f"/api/v1/producers/{coop_id}/members/").status_code == 403  # the roster: admins only
    for evidence_type, files, fields in uploads:
        uploader = elena if evidence_type in ("OHS_TRAINING", "PPE_RECORD") else juana
        body = ok(
            upload(uploader, evidence_type, files, issue_date=issued, document_number=f"{evidence_type}-1", **fields),
            201,
        )
        assert body["status"] == "submitted"
        assert next(f["content_type"] for f in body["files"]) in ("application/pdf", "image/jpeg")
        ids[evidence_type] = body["id"]

    compliance = ok(juana.get(f"/api/v1/producers/{coop_id}/compliance/"))
    assert compliance["compliant"] is False
    assert {r["state"] for r in compliance["requirements"]} == {"pending"}

    # The reviewer works the queue oldest first.
    queue = ok(lucia.get("/api/v1/evidence/?status=submitted&page_size=50"))["results"]
    assert [item["id"] for item in queue] == list(ids.values())
    for evidence_type, evidence_id in ids.items():
        if evidence_type == "PPE_RECORD":
            continue
        body = ok(decide(lucia, evidence_id))
        if evidence_type in ("SITE_GEO", "SITE_VISIT", "CERT_FAIRMINED"):  # a second reviewer must approve
            assert body["status"] == "in_review"
            assert lucia.post(f"/api/v1/evidence/{evidence_id}/claim/").json()["code"] == "second_reviewer_required"
            body = ok(decide(rosa, evidence_id))
        assert body["status"] == "approved", (evidence_type, body)
    assert ok(juana.get(f"/api/v1/evidence/{ids['CERT_FAIRMINED']}/"))["valid_until"] == fairmined_expiry

    # A clearer photo of the protective equipment, please: the president reads why, in Spanish.
    with django_capture_on_commit_callbacks(execute=True):
        asked = ok(
            decide(
                lucia,
                ids["PPE_RECORD"],
                "request-changes",
                reason="La foto está borrosa: suba una foto nítida del registro de EPP.",
            )
        )
    assert asked["status"] == "changes_requested"
    feed = ok(juana.get("/api/v1/notifications/?kind=evidence_decided&page_size=50"))["results"]
    latest = feed[0]
    assert "Se solicitan cambios" in latest["title"]
    assert "borrosa" in latest["body"]
    replacement = ok(
        upload(juana, "PPE_RECORD", [photo("epp-nitida.jpg")], issue_date=issued, supersedes=ids["PPE_RECORD"]), 201
    )
    assert ok(juana.get(f"/api/v1/evidence/{ids['PPE_RECORD']}/"))["status"] == "superseded"
    assert ok(decide(lucia, replacement["id"]))["status"] == "approved"

    # Requirement by requirement: everything holds, until the first item lapses; the claims hold.
    compliance = ok(juana.get(f"/api/v1/producers/{coop_id}/compliance/"))
    assert compliance["compliant"] is True, compliance["requirements"]
    assert {r["state"] for r in compliance["requirements"]} <= {"met", "expiring_soon"}
    assert compliance["valid_until"] == (today - dt.timedelta(days=10) + dt.timedelta(days=30)).isoformat()
    claims = {c["code"]: c for c in compliance["claims"]}
    assert claims["mercury_free"]["assurance"] == "reviewer_verified"
    assert claims["fairmined"] == {
        "code": "fairmined",
        "assurance": "third_party_certified",
        "valid_until": fairmined_expiry,
    }
    assert "women_led" in claims
    public = ok(APIClient().get(f"/api/v1/producers/{coop_id}/"))
    assert {"mercury_free", "fairmined", "women_led"} <= {b["code"] for b in public["badges"]}
    assert public["compliant"] is True

    # Every decision is in the audit trail with the file hashes the reviewer saw.
    trail = ok(lucia.get(f"/api/v1/audit-events/?target_id={ids['REINFO']}"))["results"]
    approved = next(e for e in trail if e["action"] == "compliance.evidence.approve")
    stored = ok(juana.get(f"/api/v1/evidence/{ids['REINFO']}/"))["files"][0]["sha256"]
    assert approved["data"]["file_hashes"] == [{"position": 1, "sha256": stored}]
    download = juana.get(f"/api/v1/evidence/{ids['REINFO']}/files/1/")
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    assert download["X-Content-Type-Options"] == "nosniff"
