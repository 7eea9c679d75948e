"""Journey 9: a refiner's due diligence in one place, over HTTP end to end.

Lot L-0412 of the cooperative's Huepetuhe-2 is on offer (journey 8's lot, with its fire assay). The cooperative
declared its owners and a reviewer confirmed them; the network imported a sanctions list, and the screening is
clear. A refiner with no inquiry cannot even ask for the pack; once it asks about L-0412 it requests the pack,
which stays 404 until the president consents. It then reads the legal identity, the owners with the screening,
every evidence item behind the offer with its reviewer and file hashes, the site's exact location, the lot's
assay and custody, the site-month's mass balance, the red flags (none open) and the policy version, and saves
the PDF. The contract they sign keeps, in its terms hash, the evidence ids, file hashes and policy version
behind the offer: the same items the pack showed. The president revokes the consent (404 again). Later a
reviewer revokes the site's concession title: both parties are told, and the contract shows it.

The other half of journey 9 (a reviewer's red flag on another producer's site in Tambopata National Reserve,
its offers hidden until two reviewers close it) is `tests/diligence/test_flags_journey.py`.
"""

from __future__ import annotations

import io
import json

import pytest
from pypdf import PdfReader

from diligence.models import PackConsent
from notifications.models import Notification
from tests.compliance.helpers import decide, move, ok, upload
from tests.diligence.test_pack import OWNERS, REQUESTS, pack_url, request_pack
from tests.diligence.test_sanctions_screening import HEADER, import_list
from tests.listings.test_site_gate import two_sites  # noqa: F401  (fixture)
from tests.problems import assert_problem
from tests.provenance.helpers import LOTS, declare, fire_assay_of_l0412, last_month, lot_body, record_lot, spot_body, ym
from tests.trade.helpers import CONTRACTS, INQUIRIES, terms, verify_kyc

pytestmark = pytest.mark.django_db
LISTINGS = "/api/v1/listings/"


def test_a_refiners_due_diligence_in_one_place(two_sites, producer_admin, reviewer, buyer, tmp_path):  # noqa: F811
    producer, huepetuhe_2, _ = two_sites
    april = last_month()
    declare(producer_admin, reviewer, huepetuhe_2, {ym(april): "2100.000"})
    body = lot_body(huepetuhe_2, "480.000", seal_number="004417", place="Planta Huepetuhe")
    lot = ok(record_lot(producer_admin, body), 201)
    assayed = ok(producer_admin.post(f"{LOTS}{lot['id']}/assays/", fire_assay_of_l0412(april), format="multipart"), 201)
    listing = ok(producer_admin.post(LISTINGS, spot_body(lot["id"], title_es="Lote L-0412"), format="json"), 201)
    ok(producer_admin.post(f"{LISTINGS}{listing['id']}/publish/"))
    owners = ok(upload(producer_admin, "OWNERS_DECL", attributes=json.dumps(OWNERS)), 201)
    ok(decide(reviewer, owners["id"], "approve"))
    import_list(tmp_path, reviewer, HEADER + "PE-1,individual,Nadie Conocido,,\n")
    verify_kyc(buyer.organization)

    # No inquiry, no pack: the refiner cannot even ask (404, not 403), and nothing is stored.
    assert_problem(request_pack(buyer, producer.pk), 404, "not_found")
    assert not PackConsent.objects.exists()
    inquiry = ok(
        buyer.post(INQUIRIES, {"listing": listing["id"], "grams": "480.000", "message": "¿L-0412?"}, format="json"),
        201,
    )
    consent = ok(request_pack(buyer, producer.pk), 201)
    assert_problem(buyer.get(pack_url(producer.pk)), 404, "not_found")  # asked, not yet consented
    ok(producer_admin.post(f"{REQUESTS}{consent['id']}/grant/"))

    pack = ok(buyer.get(pack_url(producer.pk)))
    assert pack["producer"]["legal_name"] == producer.organization.legal_name
    assert [o["name"] for o in pack["owners"]["owners"]] == ["Lucía Huamán Ccori"]
    assert (pack["screening"]["hits"], pack["screening"]["lists"][0]["entries"]) == ([], 1)
    evidence = {item["id"]: item for item in pack["evidence"]}
    title = next(i for i in evidence.values() if i["type"] == "MINING_RIGHT" and i["site"] == str(huepetuhe_2.pk))
    declared = evidence[owners["id"]]  # decided over the API: its reviewer and its file, with a signed link
    assert declared["reviewer"] == reviewer.user.full_name
    assert declared["files"]
    assert all(f["sha256"] == u["sha256"] for f, u in zip(declared["files"], owners["files"], strict=True))
    assert all(f["download"].startswith("/api/v1/pack-files/") for f in declared["files"])
    [site] = [s for s in pack["sites"] if s["id"] == str(huepetuhe_2.pk)]
    assert site["geometry"] == huepetuhe_2.geometry  # the exact location, not the rounded public point
    [offered] = pack["lots"]
    assert offered["code"] == "L-0412"
    assert [a["sha256"] for a in offered["assays"]] == [assayed["assays"][0]["sha256"]]
    assert [e["kind"] for e in offered["custody"]] == ["recorded"]
    [month] = pack["mass_balance"]["rows"]
    assert (month["month"], month["declared_grams"], month["used_grams"]) == (ym(april), "2100.000", "480.000")
    assert [f for f in pack["red_flags"] if f["status"] == "open"] == []
    policy = pack["policy"]
    pdf = buyer.get(f"/api/v1/producers/{producer.pk}/pack.pdf")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages).replace("\n", " ")
    assert producer.organization.legal_name in text
    assert pack["sha256"] in text.replace(" ", "")

    # They sign for L-0412 by name; the terms keep the evidence behind the offer, which the pack showed.
    sale = terms(huepetuhe_2, quantity_grams="480.000", fineness="921.4", lots=[lot["id"]])
    contract = ok(buyer.post(CONTRACTS, {"inquiry": inquiry["id"], **sale}, format="json"), 201)
    signed = ok(producer_admin.post(f"{CONTRACTS}{contract['id']}/accept/", {"version": 1}, format="json"))
    assert signed["state"] == "signed"
    snapshot = signed["versions"][0]["compliance_snapshot"]
    assert (snapshot["policy"]["subject"], snapshot["policy"]["version"]) == (policy["subject"], policy["version"])
    for item in snapshot["evidence"]:
        shown = evidence[item["id"]]  # every item the terms name was in the pack
        assert [f["sha256"] for f in item["files"]] == [f["sha256"] for f in shown["files"]]
    assert title["id"] in {item["id"] for item in snapshot["evidence"]}
    assert signed["versions"][0]["compliance_snapshot_digest"]

    # The president revokes the consent: the pack is 404 again.
    ok(producer_admin.post(f"{REQUESTS}{consent['id']}/revoke/", {"reason": "Fin de la relación."}, format="json"))
    assert_problem(buyer.get(pack_url(producer.pk)), 404, "not_found")

    # A reviewer revokes Huepetuhe-2's title: both parties are told, and the contract shows it.
    ok(move(reviewer, title["id"], "revoke", {"reason": "La concesión fue declarada caduca."}))
    told = set(Notification.objects.filter(kind="contract_evidence_withdrawn").values_list("recipient_id", flat=True))
    assert {buyer.user.pk, producer_admin.user.pk} <= told
    alerts = ok(buyer.get(f"{CONTRACTS}{contract['id']}/"))["compliance_alerts"]
    assert [(a["evidence_id"], a["event"]) for a in alerts] == [(title["id"], "revoked")]
