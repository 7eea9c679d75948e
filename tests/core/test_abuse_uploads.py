"""Hostile uploads on every upload endpoint of the API (evidence files, listing photos, lot assay certificates,
custody documents and the files of red flags): each is refused with a
clear problem (413 for sizes) and leaves nothing behind, no row, no audit event, no file in storage.

`UPLOAD_ENDPOINTS` names every operation of the committed schema that takes multipart/form-data; a new one
fails `test_every_upload_endpoint_of_the_schema_is_covered` until it is added here.
"""

from __future__ import annotations

import datetime as dt
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from audit.models import AuditEvent
from compliance.models import Evidence, EvidenceFile
from core import clock
from diligence.models import RedFlag, RedFlagAnswer, RedFlagAttachment
from listings.models import ListingPhoto
from listings.services import MAX_PHOTOS
from marketplace.demo_files import make_test_image, make_test_pdf
from provenance.models import AssayCertificate, CustodyEvent, Lot
from tests.compliance.helpers import make_producer, stored_files
from tests.conftest import ActorClient, make_client
from tests.factories import UserFactory
from tests.problems import assert_problem
from tests.trade.helpers import make_approved_site, make_listing

pytestmark = pytest.mark.django_db

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "openapi" / "schema.yaml"


# --- Hostile files ------------------------------------------------------------------------------------------
def pdf_html_polyglot() -> bytes:
    """A real one-page PDF that a browser sniffing the first KiB would render as a web page."""
    header, rest = make_test_pdf("Constancia REINFO").split(b"\n", 1)
    return header + b"\n%<html><body><script>fetch('/api/v1/me/')</script></body></html>\n" + rest


HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="10" height="10"/></svg>'


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def decompression_bomb() -> bytes:
    """A valid 1-bit PNG of 20,000 x 20,000 pixels (400 million) in a few tens of KB."""
    width = height = 20_000
    row = bytes(1 + (width + 7) // 8)
    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")


def truncated_jpeg() -> bytes:
    jpeg = make_test_image("JPEG", (320, 240))
    return jpeg[: len(jpeg) * 2 // 3]


# (name sent, bytes, status, code): every one answered the same on every endpoint.
HOSTILE_FILES = {
    "pdf-html-polyglot": ("constancia.pdf", pdf_html_polyglot(), 400, "unsupported_file_type"),
    "html-renamed-pdf": ("constancia.pdf", HTML, 400, "unsupported_file_type"),
    "svg-renamed-pdf": ("constancia.pdf", SVG, 400, "unsupported_file_type"),
    "html-renamed-jpg": ("foto.jpg", HTML, 400, "unsupported_file_type"),
    "svg-renamed-jpg": ("foto.jpg", SVG, 400, "unsupported_file_type"),
    "html-renamed-png": ("foto.png", HTML, 400, "unsupported_file_type"),
    "svg-renamed-png": ("foto.png", SVG, 400, "unsupported_file_type"),
    "decompression-bomb": ("bomba.png", decompression_bomb(), 400, "image_too_large"),
    "truncated-jpeg": ("foto.jpg", truncated_jpeg(), 400, "corrupt_file"),
    "empty": ("vacio.jpg", b"", 400, "empty_file"),
}


# --- The endpoints ------------------------------------------------------------------------------------------
@dataclass
class UploadEndpoint:
    post: Callable[[list[Any]], Any]
    stored: Callable[[], tuple[int, list[Path]]]  # rows and files the endpoint keeps
    max_files: int


def evidence_endpoint(producer_admin: ActorClient, media: Path) -> UploadEndpoint:
    make_producer(producer_admin.organization)

    def post(files: list[Any]) -> Any:
        data = {"evidence_type": "PPE_RECORD", "issue_date": "2026-01-05", "files": files}
        return producer_admin.post("/api/v1/evidence/", data, format="multipart")

    def stored() -> tuple[int, list[Path]]:
        return Evidence.objects.count() + EvidenceFile.objects.count(), stored_files()

    return UploadEndpoint(post=post, stored=stored, max_files=settings.EVIDENCE_MAX_FILES)


def photos_endpoint(producer_admin: ActorClient, media: Path) -> UploadEndpoint:
    producer = make_producer(producer_admin.organization)
    listing = make_listing(producer, make_approved_site(producer), status="draft")

    def post(files: list[Any]) -> Any:
        return producer_admin.post(f"/api/v1/listings/{listing.pk}/photos/", {"files": files}, format="multipart")

    def stored() -> tuple[int, list[Path]]:
        return ListingPhoto.objects.count(), sorted(p for p in media.rglob("*") if p.is_file())

    return UploadEndpoint(post=post, stored=stored, max_files=MAX_PHOTOS)


def _lot_of(producer_admin: ActorClient) -> Lot:
    producer = make_producer(producer_admin.organization)
    today = clock.today_lima()
    lot = Lot.objects.create(
        producer=producer,
        code="L-0412",
        form="dore",
        gross_grams=Decimal("480"),
        declared_fineness=Decimal("920"),
        production_from=today,
        production_to=today,
        processing_methods=["shaking_table"],
        recorded_by=producer_admin.user,
    )
    CustodyEvent.objects.create(
        lot=lot,
        seq=1,
        kind="recorded",
        occurred_at=timezone.now() - dt.timedelta(hours=1),
        organization_id=producer.pk,
        user=producer_admin.user,
        weight_grams=Decimal("480"),
    )
    return lot


def assay_endpoint(producer_admin: ActorClient, media: Path) -> UploadEndpoint:
    lot = _lot_of(producer_admin)

    def post(files: list[Any]) -> Any:
        data = {
            "laboratory": "Laboratorio Regional",
            "method": "fire_assay",
            "au_per_mille": "921.4",
            "ag_per_mille": "61.2",
            "certificate_number": "LR-0412",
            "assayed_on": clock.today_lima().isoformat(),
            "file": files,
        }
        return producer_admin.post(f"/api/v1/lots/{lot.pk}/assays/", data, format="multipart")

    def stored() -> tuple[int, list[Path]]:
        return AssayCertificate.objects.count(), stored_files()

    return UploadEndpoint(post=post, stored=stored, max_files=1)


def custody_document_endpoint(producer_admin: ActorClient, media: Path) -> UploadEndpoint:
    lot = _lot_of(producer_admin)

    def post(files: list[Any]) -> Any:
        data = {"kind": "sealed", "occurred_at": timezone.now().isoformat(), "seal_number": "004417", "document": files}
        return producer_admin.post(f"/api/v1/lots/{lot.pk}/custody-events/", data, format="multipart")

    def stored() -> tuple[int, list[Path]]:
        return CustodyEvent.objects.filter(seq__gt=1).count(), stored_files()

    return UploadEndpoint(post=post, stored=stored, max_files=1)


def _flag_on(producer_admin: ActorClient) -> RedFlag:
    """A reviewer's open flag on the admin's producer (medium: it suspends nothing)."""
    make_producer(producer_admin.organization)
    return RedFlag.objects.create(
        subject_kind="producer",
        organization=producer_admin.organization,
        category_id="inconsistent_documents",
        severity="medium",
        facts="The REINFO record names another district.",
        opened_by=UserFactory(),
    )


def red_flag_answer_endpoint(producer_admin: ActorClient, media: Path) -> UploadEndpoint:
    flag = _flag_on(producer_admin)

    def post(files: list[Any]) -> Any:
        data = {"text": "The district was corrected: see the new record.", "file": files}
        return producer_admin.post(f"/api/v1/red-flags/{flag.pk}/answers/", data, format="multipart")

    def stored() -> tuple[int, list[Path]]:
        return RedFlagAnswer.objects.count() + RedFlagAttachment.objects.count(), stored_files()

    return UploadEndpoint(post=post, stored=stored, max_files=settings.EVIDENCE_MAX_FILES)


def red_flag_attachment_endpoint(producer_admin: ActorClient, media: Path) -> UploadEndpoint:
    flag = _flag_on(producer_admin)

    def post(files: list[Any]) -> Any:
        return producer_admin.post(f"/api/v1/red-flags/{flag.pk}/attachments/", {"file": files}, format="multipart")

    def stored() -> tuple[int, list[Path]]:
        return RedFlagAttachment.objects.count(), stored_files()

    return UploadEndpoint(post=post, stored=stored, max_files=1)


UPLOAD_ENDPOINTS: dict[tuple[str, str], Callable[[ActorClient, Path], UploadEndpoint]] = {
    ("post", "/api/v1/evidence/"): evidence_endpoint,
    ("post", "/api/v1/listings/{id}/photos/"): photos_endpoint,
    ("post", "/api/v1/lots/{id}/assays/"): assay_endpoint,
    ("post", "/api/v1/lots/{id}/custody-events/"): custody_document_endpoint,
    ("post", "/api/v1/red-flags/{id}/answers/"): red_flag_answer_endpoint,
    ("post", "/api/v1/red-flags/{id}/attachments/"): red_flag_attachment_endpoint,
}
# Endpoints that take several files in one request; the others take one file (more is `too_many_files`).
MULTI_FILE = [
    ("post", "/api/v1/evidence/"),
    ("post", "/api/v1/listings/{id}/photos/"),
    ("post", "/api/v1/red-flags/{id}/answers/"),
]
IDS = {
    ("post", "/api/v1/evidence/"): "evidence",
    ("post", "/api/v1/listings/{id}/photos/"): "listing-photos",
    ("post", "/api/v1/lots/{id}/assays/"): "lot-assay",
    ("post", "/api/v1/lots/{id}/custody-events/"): "custody-document",
    ("post", "/api/v1/red-flags/{id}/answers/"): "red-flag-answer",
    ("post", "/api/v1/red-flags/{id}/attachments/"): "red-flag-attachment",
}


def _endpoint(request: Any, producer_admin: ActorClient, settings: Any, tmp_path: Path) -> UploadEndpoint:
    media = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(media)}},
    }
    return UPLOAD_ENDPOINTS[request.param](producer_admin, media)


@pytest.fixture(params=list(UPLOAD_ENDPOINTS), ids=[IDS[key] for key in UPLOAD_ENDPOINTS])
def endpoint(request, producer_admin, settings, tmp_path) -> UploadEndpoint:
    return _endpoint(request, producer_admin, settings, tmp_path)


@pytest.fixture(params=MULTI_FILE, ids=[IDS[key] for key in MULTI_FILE])
def multi_file_endpoint(request, producer_admin, settings, tmp_path) -> UploadEndpoint:
    return _endpoint(request, producer_admin, settings, tmp_path)


def jpeg(name: str = "foto.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, make_test_image("JPEG", (320, 240)), content_type="image/jpeg")


def refused_and_nothing_kept(endpoint: UploadEndpoint, files: list[Any], status: int, code: str) -> dict[str, Any]:
    audit_before = AuditEvent.objects.count()

    body = assert_problem(endpoint.post(files), status, code)

    assert endpoint.stored() == (0, [])
    assert AuditEvent.objects.count() == audit_before
    return body


# --- Tests --------------------------------------------------------------------------------------------------
def test_every_upload_endpoint_of_the_schema_is_covered():
    schema = yaml.safe_load(SCHEMA_FILE.read_text())
    multipart = {
        (method, path)
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if "multipart/form-data" in operation.get("requestBody", {}).get("content", {})
    }

    assert multipart == set(UPLOAD_ENDPOINTS)


def test_a_real_photo_is_accepted_by_every_endpoint(endpoint):
    response = endpoint.post([jpeg()])

    assert response.status_code == 201, response.content[:1000]
    rows, files = endpoint.stored()
    assert rows >= 1
    assert len(files) == 1


@pytest.mark.parametrize("case", list(HOSTILE_FILES))
def test_a_hostile_file_is_refused_and_nothing_is_kept(endpoint, case):
    name, content, status, code = HOSTILE_FILES[case]

    body = refused_and_nothing_kept(endpoint, [SimpleUploadedFile(name, content)], status, code)

    assert name in body["detail"]  # says which file


@pytest.mark.parametrize("case", ["pdf-html-polyglot", "truncated-jpeg"])
def test_one_hostile_file_after_good_ones_refuses_them_all(multi_file_endpoint, case):
    name, content, status, code = HOSTILE_FILES[case]

    refused_and_nothing_kept(
        multi_file_endpoint, [jpeg("a.jpg"), jpeg("b.jpg"), SimpleUploadedFile(name, content)], status, code
    )


def test_a_file_over_the_size_limit_is_413_and_nothing_is_kept(endpoint, settings):
    photo = jpeg()
    settings.EVIDENCE_MAX_FILE_BYTES = photo.size - 1

    refused_and_nothing_kept(endpoint, [photo], 413, "file_too_large")


def test_files_over_the_request_limit_together_are_413_and_nothing_is_kept(multi_file_endpoint, settings):
    first, second = jpeg("a.jpg"), jpeg("b.jpg")
    settings.EVIDENCE_MAX_REQUEST_BYTES = first.size + second.size - 1

    refused_and_nothing_kept(multi_file_endpoint, [first, second], 413, "request_too_large")


def test_a_body_declared_over_the_request_limit_is_413_before_it_is_read(endpoint, settings):
    settings.EVIDENCE_MAX_REQUEST_BYTES = 1000
    padding = SimpleUploadedFile("relleno.jpg", bytes(200_000))  # over the limit and the multipart allowance

    body = refused_and_nothing_kept(endpoint, [padding], 413, "request_too_large")

    assert body["limit"] == 1000


def test_too_many_files_in_one_request_are_refused_and_nothing_is_kept(endpoint):
    files = [jpeg(f"{n}.jpg") for n in range(endpoint.max_files + 1)]

    refused_and_nothing_kept(endpoint, files, 400, "too_many_files")


def test_more_files_than_the_server_parses_are_refused_and_nothing_is_kept(endpoint, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 3

    refused_and_nothing_kept(endpoint, [jpeg(f"{n}.jpg") for n in range(4)], 400, "too_many_files")


def test_too_many_files_is_said_in_spanish(producer_admin, settings):
    make_producer(producer_admin.organization)
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 1
    data = {"evidence_type": "PPE_RECORD", "issue_date": "2026-01-05", "files": [jpeg("a.jpg"), jpeg("b.jpg")]}

    spanish = make_client(producer_admin.user, producer_admin.organization, language="es")

    response = spanish.post("/api/v1/evidence/", data, format="multipart")

    assert assert_problem(response, 400, "too_many_files")["detail"] == "La solicitud tiene demasiados archivos."
