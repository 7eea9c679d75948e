"""Evidence through the HTTP API: uploads accepted by their bytes or refused with nothing stored, downloads
byte-exact and only to those who may see them, refused when the stored file changed, and no edits ever."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from audit.models import AuditEvent
from compliance.models import Evidence, EvidenceFile
from marketplace.demo_files import make_test_image, make_test_pdf
from tests.compliance.helpers import (
    EVIDENCE_URL,
    image_upload,
    iso,
    make_producer,
    make_site,
    ok,
    pdf_upload,
    raw_upload,
    sha256,
    stored_files,
    stored_path,
    upload,
    uploaded,
)
from tests.problems import assert_problem, field_errors

pytestmark = pytest.mark.django_db


@pytest.fixture
def producer(coop):
    return make_producer(coop)


@pytest.fixture
def site(producer):
    return make_site(producer)


def assert_nothing_stored(audit_events_before: int) -> None:
    assert Evidence.objects.count() == 0
    assert EvidenceFile.objects.count() == 0
    assert stored_files() == []
    assert AuditEvent.objects.count() == audit_events_before


# --- Accepted ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("constancia-reinfo.pdf", make_test_pdf("Constancia REINFO vigente"), "application/pdf"),
        ("padron.jpg", make_test_image("JPEG", (320, 240)), "image/jpeg"),
        ("mesa-vibratoria.png", make_test_image("PNG", (320, 240)), "image/png"),
        ("fundicion-borax.webp", make_test_image("WEBP", (320, 240)), "image/webp"),
    ],
    ids=["pdf", "jpeg", "png", "webp"],
)
def test_a_real_file_is_accepted_with_its_hash_and_sniffed_type(producer_admin, coop, name, content, content_type):
    # The declared type says nothing useful: the API decides by the bytes.
    file = raw_upload(name, content, content_type="application/octet-stream")

    body = uploaded(producer_admin, "REINFO", [file], document_number="REINFO-MDD-2024-0173")

    assert body["status"] == "submitted"
    assert body["organization"] == str(coop.pk)
    assert body["evidence_type"] == "REINFO"
    assert body["files"] == [
        {
            "position": 1,
            "original_name": name,
            "content_type": content_type,
            "size": len(content),
            "sha256": sha256(content),
            "created_at": body["files"][0]["created_at"],
            "download": f"/api/v1/evidence/{body['id']}/files/1/",
        }
    ]
    evidence = Evidence.objects.get(pk=body["id"])
    assert (evidence.organization_id, evidence.submitted_by_id) == (coop.pk, producer_admin.user.pk)
    assert evidence.document_number == "REINFO-MDD-2024-0173"
    stored = stored_files()
    assert len(stored) == 1
    assert stored[0].read_bytes() == content  # byte-exact
    assert name not in str(stored[0])  # stored under a random name, never the uploader's
    events = AuditEvent.objects.filter(action="compliance.evidence.submitted", target_id=str(evidence.pk))
    assert [e.data["files"] for e in events] == [
        [{"sha256": sha256(content), "size": len(content), "content_type": content_type}]
    ]


def test_several_files_get_positions_1_to_n_in_the_order_sent(producer_admin):
    files = [
        pdf_upload("informe.pdf", "Informe de campo"),
        image_upload("foto-1.jpg", "JPEG"),
        image_upload("foto-2.png", "PNG"),
    ]
    contents = [f.read() for f in files]
    for f in files:
        f.seek(0)

    body = uploaded(producer_admin, "PPE_RECORD", files)

    assert [(f["position"], f["original_name"]) for f in body["files"]] == [
        (1, "informe.pdf"),
        (2, "foto-1.jpg"),
        (3, "foto-2.png"),
    ]
    assert [f["content_type"] for f in body["files"]] == ["application/pdf", "image/jpeg", "image/png"]
    assert [f["sha256"] for f in body["files"]] == [sha256(c) for c in contents]
    rows = EvidenceFile.objects.filter(evidence_id=body["id"]).order_by("position")
    assert [row.position for row in rows] == [1, 2, 3]
    assert [stored_path(row).read_bytes() for row in rows] == contents
    assert len(stored_files()) == 3


def test_the_form_fields_are_recorded_as_sent(producer_admin, site):
    body = uploaded(
        producer_admin,
        "HG_FREE_PROCESS",
        [image_upload("mesa.jpg")],
        issue_date=iso(-3),
        site=str(site.pk),
        document_number="HG-7",
        issuer="Cooperativa",
        notes="Mesa vibratoria y fundición con bórax",
        attributes='{"equipment": ["shaking_table", "borax_smelting"]}',
    )

    assert body["site"] == str(site.pk)
    assert (body["issue_date"], body["expiry_date"], body["document_number"]) == (iso(-3), None, "HG-7")
    assert body["attributes"] == {"equipment": ["shaking_table", "borax_smelting"]}
    assert body["area"] == "mercury"
    assert body["valid_until"] is None  # granted on approval only
    evidence = Evidence.objects.get(pk=body["id"])
    assert evidence.site_id == site.pk
    assert evidence.attributes == {"equipment": ["shaking_table", "borax_smelting"]}


def test_a_document_expiry_type_records_its_expiry_date(producer_admin):
    body = uploaded(producer_admin, "CERT_FAIRTRADE", issue_date=iso(-30), expiry_date=iso(300))

    assert body["expiry_date"] == iso(300)
    assert Evidence.objects.get(pk=body["id"]).expiry_date.isoformat() == iso(300)


# --- Refused, and nothing stored --------------------------------------------------------------------------

ELF = b"\x7fELF\x02\x01\x01\x00" + bytes(8) + b"\x02\x00\x3e\x00" + bytes(200)
HTML = b"<!DOCTYPE html><html><body><script>fetch('/api/v1/me/')</script></body></html>"


def pdf_html_polyglot() -> bytes:
    """A real PDF that a browser also reads as a web page: a comment line with markup after the header."""
    pdf = make_test_pdf("Constancia")
    header, rest = pdf.split(b"\n", 1)
    return header + b"\n%<html><script>alert(document.cookie)</script></html>\n" + rest


def truncated_jpeg() -> bytes:
    jpeg = make_test_image("JPEG", (320, 240))
    return jpeg[: len(jpeg) // 2]


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("constancia.pdf", ELF, "unsupported_file_type"),
        ("ficha-ruc.pdf", HTML, "unsupported_file_type"),
        ("reinfo.pdf", pdf_html_polyglot(), "unsupported_file_type"),
        ("foto.jpg", truncated_jpeg(), "corrupt_file"),
        ("vacio.pdf", b"", "empty_file"),
    ],
    ids=["renamed-elf", "html-named-pdf", "pdf-html-polyglot", "truncated-jpeg", "empty"],
)
def test_a_file_that_is_not_what_it_claims_is_refused_and_nothing_is_stored(producer_admin, name, content, code):
    before = AuditEvent.objects.count()

    response = upload(producer_admin, "TAX_RUC", [raw_upload(name, content)])

    body = assert_problem(response, 400, code)
    assert name in body["detail"]  # says which file
    assert_nothing_stored(before)


def test_one_bad_file_among_good_ones_refuses_the_whole_upload(producer_admin):
    before = AuditEvent.objects.count()

    response = upload(producer_admin, "PPE_RECORD", [pdf_upload("bien.pdf"), raw_upload("mal.pdf", ELF)])

    assert "mal.pdf" in assert_problem(response, 400, "unsupported_file_type")["detail"]
    assert_nothing_stored(before)


def test_a_file_over_the_size_limit_is_413_and_nothing_is_stored(producer_admin, settings):
    settings.EVIDENCE_MAX_FILE_BYTES = 1024
    photo = image_upload("epp.jpg")
    assert photo.size > 1024
    before = AuditEvent.objects.count()

    response = upload(producer_admin, "PPE_RECORD", [photo])

    assert_problem(response, 413, "file_too_large")
    assert_nothing_stored(before)


def test_files_over_the_request_limit_are_413_and_nothing_is_stored(producer_admin, settings):
    one = pdf_upload("uno.pdf")
    settings.EVIDENCE_MAX_REQUEST_BYTES = one.size + 10
    before = AuditEvent.objects.count()

    response = upload(producer_admin, "PPE_RECORD", [one, pdf_upload("dos.pdf")])

    assert_problem(response, 413, "request_too_large")
    assert_nothing_stored(before)


def test_too_many_files_are_refused_and_nothing_is_stored(producer_admin, settings):
    settings.EVIDENCE_MAX_FILES = 2
    before = AuditEvent.objects.count()

    response = upload(producer_admin, "PPE_RECORD", [pdf_upload(f"{n}.pdf") for n in range(3)])

    assert_problem(response, 400, "too_many_files")
    assert_nothing_stored(before)


def test_an_upload_without_files_is_refused(producer_admin):
    before = AuditEvent.objects.count()

    response = upload(producer_admin, "TAX_RUC", [])

    assert "files" in field_errors(response)
    assert_nothing_stored(before)


def test_the_schema_says_an_upload_needs_a_file():
    """Found by schemathesis: the server refuses an upload without files, but the schema allowed an empty list."""
    schema = yaml.safe_load((Path(__file__).resolve().parents[2] / "openapi" / "schema.yaml").read_text())
    files = schema["components"]["schemas"]["EvidenceInputRequest"]["properties"]["files"]

    assert files["minItems"] == 1


@pytest.mark.parametrize(
    ("evidence_type", "fields", "field", "code"),
    [
        ("CERT_FAIRTRADE", {"issue_date": iso(-10), "expiry_date": iso(-11)}, "expiry_date", "before_issue"),
        ("TAX_RUC", {"issue_date": iso(1)}, "issue_date", "in_future"),
        ("CERT_FAIRTRADE", {"issue_date": iso(-10)}, "expiry_date", "required_by_evidence_type"),
        ("ID_DNI", {"issue_date": iso(-10)}, "expiry_date", "required_by_evidence_type"),
        ("NOT_A_TYPE", {}, "evidence_type", "does_not_exist"),
        ("KYC_COMPANY_REG", {}, "evidence_type", "wrong_subject"),
        ("TAX_RUC", {"issue_date": "28/11/2026"}, "issue_date", "invalid"),
        ("TAX_RUC", {"attributes": "not json"}, "attributes", "invalid"),
        ("TAX_RUC", {"attributes": "[1, 2]"}, "attributes", "invalid"),
    ],
    ids=[
        "expiry-before-issue",
        "issue-in-future",
        "fairtrade-without-expiry",
        "dni-without-expiry",
        "unknown-type",
        "buyer-type-by-producer",
        "bad-date",
        "attributes-not-json",
        "attributes-not-an-object",
    ],
)
def test_bad_fields_are_400_with_the_field_and_nothing_is_stored(producer_admin, evidence_type, fields, field, code):
    before = AuditEvent.objects.count()

    response = upload(producer_admin, evidence_type, **fields)

    assert field_errors(response).get(field) == code, response.json()
    assert_nothing_stored(before)


def test_a_site_document_without_a_site_is_refused(producer_admin, producer):
    before = AuditEvent.objects.count()

    response = upload(producer_admin, "SITE_GEO")

    assert field_errors(response).get("site") == "required_by_evidence_type"
    assert_nothing_stored(before)


def test_another_producers_site_is_refused_and_nothing_is_stored(producer_admin, producer, other_producer):
    their_site = make_site(make_producer(other_producer.organization), concession_code="999888777")
    before = AuditEvent.objects.count()

    response = upload(producer_admin, "SITE_GEO", site=str(their_site.pk))

    assert "site" in field_errors(response)
    assert_nothing_stored(before)


def test_superseding_another_organisations_item_is_refused(producer_admin, other_producer):
    theirs = uploaded(other_producer, "TAX_RUC")
    files_before, events_before = stored_files(), AuditEvent.objects.count()

    response = upload(producer_admin, "TAX_RUC", supersedes=theirs["id"])

    assert "supersedes" in field_errors(response)
    assert list(Evidence.objects.values_list("pk", flat=True)) == [Evidence.objects.get(pk=theirs["id"]).pk]
    assert Evidence.objects.get(pk=theirs["id"]).status == "submitted"
    assert stored_files() == files_before
    assert AuditEvent.objects.count() == events_before


def test_superseding_an_item_of_another_type_is_refused(producer_admin):
    ruc = uploaded(producer_admin, "TAX_RUC")

    response = upload(producer_admin, "REINFO", supersedes=ruc["id"])

    assert field_errors(response).get("supersedes") == "not_same_type"
    assert Evidence.objects.count() == 1
    assert Evidence.objects.get(pk=ruc["id"]).status == "submitted"


def test_a_buyer_uploads_its_kyc_but_not_a_producer_type(buyer):
    assert uploaded(buyer, "KYC_COMPANY_REG")["status"] == "submitted"

    response = upload(buyer, "TAX_RUC")

    assert field_errors(response).get("evidence_type") == "wrong_subject"
    assert Evidence.objects.count() == 1


def test_a_network_reviewer_cannot_upload(reviewer):
    before = AuditEvent.objects.count()

    response = upload(reviewer, "TAX_RUC")

    assert response.status_code == 403, response.content
    assert_nothing_stored(before)


def test_a_network_reviewer_is_refused_before_the_files_are_read(reviewer):
    # The role is checked before the body: a reviewer learns nothing about what the checks would say.
    before = AuditEvent.objects.count()

    response = upload(reviewer, "TAX_RUC", [raw_upload("constancia.pdf", ELF)])

    assert response.status_code == 403, response.content
    assert_nothing_stored(before)


def test_staff_act_for_no_organisation_and_cannot_upload(staff):
    before = AuditEvent.objects.count()

    response = upload(staff, "TAX_RUC")

    assert response.status_code == 403, response.content
    assert_nothing_stored(before)


def test_any_member_of_the_organisation_can_upload(producer_member, buyer_member, coop, buyer_org):
    assert uploaded(producer_member, "HG_DECL")["organization"] == str(coop.pk)
    assert uploaded(buyer_member, "KYC_UBO")["organization"] == str(buyer_org.pk)


def test_anonymous_cannot_upload(anon):
    response = upload(anon, "TAX_RUC")

    assert_problem(response, 401, "not_authenticated")
    assert_nothing_stored(0)


# --- Download ---------------------------------------------------------------------------------------------


def test_a_download_is_byte_exact_as_an_attachment_with_the_sanitized_name(producer_admin):
    content = make_test_pdf("Ficha RUC")
    body = uploaded(producer_admin, "TAX_RUC", [raw_upload("Ficha\u202e RUC\x07 2026.pdf", content)])
    assert body["files"][0]["original_name"] == "Ficha RUC 2026.pdf"

    response = producer_admin.get(body["files"][0]["download"])

    assert response.status_code == 200
    assert response.content == content
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="Ficha RUC 2026.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_download_name_outside_ascii_is_encoded_not_mangled(producer_admin):
    body = uploaded(producer_admin, "REINFO", [pdf_upload("Constancia inscripción.pdf")])

    response = producer_admin.get(body["files"][0]["download"])

    assert response.status_code == 200
    assert response["Content-Disposition"] == "attachment; filename*=utf-8''Constancia%20inscripci%C3%B3n.pdf"


def test_each_file_of_an_item_downloads_by_its_position(producer_admin, producer_member):
    files = [pdf_upload("uno.pdf", "uno"), image_upload("dos.webp", "WEBP")]
    contents = [f.read() for f in files]
    for f in files:
        f.seek(0)
    body = uploaded(producer_admin, "PPE_RECORD", files)

    first = producer_member.get(f"{EVIDENCE_URL}{body['id']}/files/1/")
    second = producer_member.get(f"{EVIDENCE_URL}{body['id']}/files/2/")

    assert (first.status_code, second.status_code) == (200, 200)
    assert [first.content, second.content] == contents
    assert second["Content-Type"] == "image/webp"
    assert second["Content-Disposition"] == 'attachment; filename="dos.webp"'


def test_reviewers_and_staff_can_download(producer_admin, reviewer, staff):
    content = make_test_pdf("Constancia")
    body = uploaded(producer_admin, "REINFO", [raw_upload("reinfo.pdf", content)])

    for actor in (reviewer, staff):
        response = actor.get(body["files"][0]["download"])
        assert response.status_code == 200
        assert response.content == content


def test_another_organisation_cannot_download_or_see_the_item(producer_admin, other_producer, buyer, anon):
    body = uploaded(producer_admin, "REINFO")
    download = body["files"][0]["download"]

    for actor in (other_producer, buyer):
        assert_problem(actor.get(download), 404, "not_found")
        assert_problem(actor.get(f"{EVIDENCE_URL}{body['id']}/"), 404, "not_found")
    assert_problem(anon.get(download), 401, "not_authenticated")


def test_a_position_out_of_range_is_404(producer_admin):
    body = uploaded(producer_admin, "REINFO")

    assert_problem(producer_admin.get(f"{EVIDENCE_URL}{body['id']}/files/2/"), 404, "not_found")
    assert producer_admin.get(f"{EVIDENCE_URL}{body['id']}/files/0/").status_code == 404


def test_a_file_changed_in_storage_is_never_served(producer_admin, reviewer):
    body = uploaded(producer_admin, "REINFO", [pdf_upload("reinfo.pdf", "Constancia REINFO vigente")])
    stored = stored_path(EvidenceFile.objects.get(evidence_id=body["id"]))
    forged = make_test_pdf("Constancia REINFO vigente (adulterada)")
    stored.write_bytes(forged)

    for actor in (producer_admin, reviewer):
        response = actor.get(body["files"][0]["download"])
        assert_problem(response, 500, "file_integrity_error")
        assert forged not in response.content

    events = AuditEvent.objects.filter(action="compliance.evidence.integrity_failed", target_id=body["id"])
    assert events.count() == 2
    assert events.first().data == {"position": 1, "sha256": body["files"][0]["sha256"]}


def test_a_file_missing_from_storage_is_an_integrity_error(producer_admin):
    body = uploaded(producer_admin, "REINFO")
    stored_path(EvidenceFile.objects.get(evidence_id=body["id"])).unlink()

    assert_problem(producer_admin.get(body["files"][0]["download"]), 500, "file_integrity_error")
    assert AuditEvent.objects.filter(action="compliance.evidence.integrity_failed", target_id=body["id"]).exists()


# --- Reading and immutability -----------------------------------------------------------------------------


def test_an_organisation_lists_and_reads_only_its_own_items(producer_admin, producer_member, other_producer):
    ours = uploaded(producer_admin, "TAX_RUC")
    theirs = uploaded(other_producer, "TAX_RUC")

    listed = ok(producer_member.get(EVIDENCE_URL))["results"]
    assert [item["id"] for item in listed] == [ours["id"]]
    assert ok(producer_member.get(f"{EVIDENCE_URL}{ours['id']}/"))["files"] == ours["files"]
    assert_problem(producer_member.get(f"{EVIDENCE_URL}{theirs['id']}/"), 404, "not_found")


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_evidence_cannot_be_edited_or_deleted(producer_admin, staff, method):
    body = uploaded(producer_admin, "TAX_RUC", document_number="RUC-1")
    url = f"{EVIDENCE_URL}{body['id']}/"

    for actor in (producer_admin, staff):
        response = getattr(actor, method)(url, {"document_number": "RUC-2", "status": "approved"}, format="json")
        assert_problem(response, 405, "method_not_allowed")

    evidence = Evidence.objects.get(pk=body["id"])
    assert (evidence.document_number, evidence.status) == ("RUC-1", "submitted")
    assert EvidenceFile.objects.filter(evidence=evidence).count() == 1
    assert len(stored_files()) == 1
