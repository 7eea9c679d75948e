"""The due-diligence pack: a buyer with an inquiry asks coop for it, coop's admin grants it, the buyer reads it
(JSON and PDF, the same digest), downloads a file through its signed link; without a consent in force the pack
is 404; every read is audited."""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import io
import json
from typing import Any

import pytest
from pypdf import PdfReader

from audit.models import AuditEvent
from core import clock
from diligence.models import PackConsent
from diligence.pack import canonical
from listings.models import ListingLot
from notifications.models import Notification
from provenance.models import Lot
from tests.compliance.helpers import decide, pdf_upload, upload
from tests.contract.test_response_shapes import assert_conforms
from tests.diligence.helpers import ok, open_flag
from tests.diligence.test_sanctions_screening import HEADER, import_list
from tests.problems import assert_problem
from tests.provenance.helpers import declare_row, last_month, lot_body
from tests.trade.helpers import ask

pytestmark = pytest.mark.django_db

REQUESTS = "/api/v1/pack-requests/"
OWNERS = {
    "owners": [
        {
            "name": "Lucía Huamán Ccori",
            "document_type": "DNI",
            "document_number": "41234567",
            "share_percent": "100",
            "pep": False,
        }
    ],
    "peps": [{"name": "Julio Ccori Mamani", "position": "Alcalde distrital", "relation": "hermano"}],
}


def pack_url(producer_id: Any) -> str:
    return f"/api/v1/producers/{producer_id}/pack/"


def request_pack(client: Any, producer_id: Any) -> Any:
    return client.post(f"/api/v1/producers/{producer_id}/pack-requests/")


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("seq"))


@pytest.fixture
def asked(trade, buyer):
    """The buyer's refiner has an open inquiry with coop."""
    return ask(buyer, trade.listing)


def granted(buyer, producer_admin, producer_id) -> dict:
    consent = ok(request_pack(buyer, producer_id), 201)
    return ok(producer_admin.post(f"{REQUESTS}{consent['id']}/grant/"))


def test_the_journey_request_grant_read_download_pdf(trade, asked, buyer, producer_admin, reviewer, tmp_path):
    producer_id = trade.producer.pk
    # What the pack will show: an approved Ficha RUC with its file, an owners declaration, a screening, a lot
    # offered by the listing, and a red flag with coop's answer.
    ruc = ok(upload(producer_admin, "TAX_RUC", files=[pdf_upload("ficha-ruc.pdf")], document_number="20527145661"), 201)
    ok(decide(reviewer, ruc["id"], "approve"))
    owners = ok(upload(producer_admin, "OWNERS_DECL", attributes=json.dumps(OWNERS)), 201)
    ok(decide(reviewer, owners["id"], "approve"))
    import_list(tmp_path, reviewer, HEADER + "PE-1,individual,Nadie Conocido,,\n")
    declare_row(trade.site, last_month(), "1000.000")
    lot = ok(producer_admin.post("/api/v1/lots/", lot_body(trade.site, "480.000"), format="json"), 201)
    ListingLot.objects.create(listing=trade.listing, lot=Lot.objects.get(pk=lot["id"]))
    Lot.objects.create(  # another lot of coop's, neither listed nor sold to this buyer: not in the pack
        producer=trade.producer,
        code="L-OTRO",
        form="dore",
        gross_grams="10.000",
        declared_fineness="900.0",
        production_from=last_month(),
        production_to=last_month(),
        recorded_by=producer_admin.user,
    )
    flag = open_flag(reviewer, "producer", severity="low", category="protected_area", producer=producer_id)
    ok(producer_admin.post(f"/api/v1/red-flags/{flag['id']}/answers/", {"text": "Adjuntamos la carta."}), 201)

    # The buyer asks: 201, recorded once; asking again returns the same request.
    consent = ok(request_pack(buyer, producer_id), 201)
    assert (consent["status"], consent["basis_kind"], consent["basis_id"]) == ("requested", "inquiry", asked["id"])
    assert ok(request_pack(buyer, producer_id))["id"] == consent["id"]
    assert len(events("diligence.pack_consent.requested")) == 1
    # coop sees it; before the grant the pack is 404.
    assert [c["id"] for c in ok(producer_admin.get(REQUESTS))["results"]] == [consent["id"]]
    assert_problem(buyer.get(pack_url(producer_id)), 404, "not_found")

    ok(producer_admin.post(f"{REQUESTS}{consent['id']}/grant/"))
    assert ok(buyer.get(f"{REQUESTS}?status=granted"))["results"][0]["status"] == "granted"
    assert ok(request_pack(buyer, producer_id))["status"] == "granted"  # asking again: the same, granted

    assert Notification.objects.filter(kind="pack_requested", recipient=producer_admin.user).count() == 1
    assert Notification.objects.filter(kind="pack_answered", recipient=buyer.user).count() == 1

    pack = ok(buyer.get(pack_url(producer_id)))
    assert_conforms(pack, "get", "/api/v1/producers/{producer_pk}/pack/")  # every section, as documented
    # The identity, owners and PEPs, the screening.
    assert pack["producer"]["legal_name"] == trade.producer.organization.legal_name
    assert pack["producer"]["ruc"] == trade.producer.ruc
    assert pack["owners"]["owners"][0]["name"] == "Lucía Huamán Ccori"
    assert pack["owners"]["peps"][0]["position"] == "Alcalde distrital"
    assert pack["screening"]["hits"] == []
    assert (
        pack["screening"]["lists"][0]["sha256"]
        == hashlib.sha256(HEADER.encode() + b"PE-1,individual,Nadie Conocido,,\n").hexdigest()
    )
    # The evidence: the Ficha RUC with its reviewer and its file's hash and link.
    [item] = [e for e in pack["evidence"] if e["id"] == ruc["id"]]
    assert (item["type"], item["document_number"]) == ("TAX_RUC", "20527145661")
    assert item["reviewer"] == reviewer.user.full_name
    [file] = item["files"]
    assert file["sha256"] == ruc["files"][0]["sha256"]
    assert file["download"].startswith("/api/v1/pack-files/")
    # Sites exactly, the listed lot only, its mass balance, the flag with the answer, the policy.
    assert pack["sites"][0]["geometry"] == trade.site.geometry
    assert pack["sites"][0]["concession_code"] == trade.site.concession_code
    assert [lt["code"] for lt in pack["lots"]] == ["L-0412"]
    assert pack["lots"][0]["custody"]
    [row] = pack["mass_balance"]["rows"]
    assert (row["month"], row["declared_grams"], row["used_grams"]) == (f"{last_month():%Y-%m}", "1000.000", "480.000")
    [pack_flag] = pack["red_flags"]
    assert (pack_flag["id"], pack_flag["status"]) == (flag["id"], "open")
    assert pack_flag["answers"][0]["text"] == "Adjuntamos la carta."
    assert pack["policy"]["subject"] == "organization"
    assert pack["policy"]["requirements"]
    # The digest: the canonical JSON of everything but generated_at, sha256 and the links.
    content = copy.deepcopy({k: v for k, v in pack.items() if k not in ("generated_at", "sha256")})
    for e in content["evidence"]:
        for f in e["files"]:
            del f["download"]
    assert pack["sha256"] == hashlib.sha256(canonical(content)).hexdigest()
    [read] = events("diligence.pack.read")
    assert (read.data["sha256"], read.data["format"], read.actor_id, read.subject_organization_id) == (
        pack["sha256"],
        "json",
        buyer.user.pk,
        producer_id,
    )

    # The file through its signed link: byte-exact, the same hash; audited.
    response = buyer.get(file["download"])
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert hashlib.sha256(body).hexdigest() == file["sha256"]
    assert events("diligence.pack.file_downloaded")[0].data["sha256"] == file["sha256"]
    # Nobody else uses the link: another buyer's member, the producer.
    assert_problem(producer_admin.get(file["download"]), 404, "not_found")

    # The PDF: the same content and digest, audited as a read.
    response = buyer.get(f"/api/v1/producers/{producer_id}/pack.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    flat = text.replace("\n", " ")
    assert trade.producer.organization.legal_name in flat
    assert "TAX_RUC" in flat
    assert file["sha256"] in flat.replace(" ", "")
    assert pack["sha256"] in flat.replace(" ", "")
    assert [e.data["format"] for e in events("diligence.pack.read")] == ["json", "pdf"]
    assert [e.data["sha256"] for e in events("diligence.pack.read")] == [pack["sha256"]] * 2


def test_the_pack_and_its_signed_links_are_never_compressed(trade, asked, buyer, producer_admin):
    """BREACH (docs/security.md): the signed links are secrets; the answer is not gzipped, and says no-transform."""
    granted(buyer, producer_admin, trade.producer.pk)

    response = buyer.get(pack_url(trade.producer.pk), HTTP_ACCEPT_ENCODING="gzip")

    assert response.status_code == 200
    assert len(response.content) > 200  # long enough that it would have been compressed
    assert "Content-Encoding" not in response
    assert "no-transform" in response["Cache-Control"]


def test_a_revoked_consent_closes_the_pack_and_its_links(trade, asked, buyer, producer_admin, reviewer):
    ruc = ok(upload(producer_admin, "TAX_RUC"), 201)
    ok(decide(reviewer, ruc["id"], "approve"))
    consent = granted(buyer, producer_admin, trade.producer.pk)
    pack = ok(buyer.get(pack_url(trade.producer.pk)))
    [link] = [f["download"] for e in pack["evidence"] if e["id"] == ruc["id"] for f in e["files"]]

    revoked = ok(producer_admin.post(f"{REQUESTS}{consent['id']}/revoke/", {}, format="json"))
    assert revoked["status"] == "revoked"
    assert_problem(buyer.get(pack_url(trade.producer.pk)), 404, "not_found")
    assert_problem(buyer.get(link), 404, "not_found")
    assert_problem(buyer.get(f"/api/v1/producers/{trade.producer.pk}/pack.pdf"), 404, "not_found")
    assert len(events("diligence.pack.read")) == 1  # the refused reads recorded nothing
    # Asking again after a revoke is a new request.
    again = ok(request_pack(buyer, trade.producer.pk), 201)
    assert again["id"] != consent["id"]
    # Granted again: the pack is back, but the links given under the revoked consent stay dead.
    ok(producer_admin.post(f"{REQUESTS}{again['id']}/grant/"))
    ok(buyer.get(pack_url(trade.producer.pk)))
    assert_problem(buyer.get(link), 404, "not_found")


def test_the_link_expires_after_ten_minutes(trade, asked, buyer, producer_admin, reviewer, monkeypatch):
    ruc = ok(upload(producer_admin, "TAX_RUC"), 201)
    ok(decide(reviewer, ruc["id"], "approve"))
    granted(buyer, producer_admin, trade.producer.pk)
    pack = ok(buyer.get(pack_url(trade.producer.pk)))
    [link] = [f["download"] for e in pack["evidence"] if e["id"] == ruc["id"] for f in e["files"]]
    start = clock.now()

    monkeypatch.setattr(clock, "now", lambda: start + dt.timedelta(minutes=9))
    assert buyer.get(link).status_code == 200
    monkeypatch.setattr(clock, "now", lambda: start + dt.timedelta(minutes=11))
    assert_problem(buyer.get(link), 404, "not_found")
    # An altered token is no link either.
    assert_problem(buyer.get(link[:-3] + "xx/"), 404, "not_found")


def test_a_buyer_without_an_inquiry_gets_404_and_nothing_is_stored(trade, buyer, producer_admin):
    assert_problem(request_pack(buyer, trade.producer.pk), 404, "not_found")
    assert not PackConsent.objects.exists()
    assert events("diligence.pack_consent.requested") == []
    assert_problem(buyer.get(pack_url(trade.producer.pk)), 404, "not_found")


def test_the_consent_lapses_with_its_basis(trade, asked, buyer, producer_admin):
    granted(buyer, producer_admin, trade.producer.pk)
    ok(buyer.get(pack_url(trade.producer.pk)))

    ok(buyer.post(f"/api/v1/inquiries/{asked['id']}/close/"))

    assert_problem(buyer.get(pack_url(trade.producer.pk)), 404, "not_found")


def test_decline_needs_a_reason_and_only_the_producers_admin_decides(
    trade, asked, buyer, buyer_member, producer_admin, producer_member, other_buyer, reviewer
):
    consent = ok(request_pack(buyer_member, trade.producer.pk), 201)
    url = f"{REQUESTS}{consent['id']}/"

    assert_problem(producer_admin.post(url + "decline/", {}, format="json"), 400, "validation_error")
    assert_problem(producer_admin.post(url + "decline/", {"reason": "   "}, format="json"), 400, "validation_error")
    assert_problem(producer_member.post(url + "grant/"), 403, "not_producer_admin")
    assert_problem(buyer.post(url + "grant/"), 403, "not_producer_admin")
    assert_problem(reviewer.post(url + "grant/"), 403, "not_producer_admin")
    assert_problem(other_buyer.post(url + "grant/"), 404, "not_found")
    assert_problem(producer_admin.post(url + "revoke/", {}, format="json"), 409, "pack_consent_state")
    assert PackConsent.objects.get().status == "requested"

    reason = "Solo compartimos con compradores con contrato firmado."
    declined = ok(producer_admin.post(url + "decline/", {"reason": reason}, format="json"))
    assert (declined["status"], declined["reason"], declined["decided_by_name"]) == (
        "declined",
        reason,
        producer_admin.user.full_name,
    )
    assert_problem(producer_admin.post(url + "grant/"), 409, "pack_consent_state")
    assert_problem(buyer.get(pack_url(trade.producer.pk)), 404, "not_found")
    assert [e.data["reason"] for e in events("diligence.pack_consent.declined")] == [reason]
    # The reviewer reads every request; another buyer none.
    assert [c["id"] for c in ok(reviewer.get(REQUESTS))["results"]] == [consent["id"]]
    assert ok(other_buyer.get(REQUESTS))["results"] == []
