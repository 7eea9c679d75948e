"""Shared helpers for the compliance API tests: producer profiles and sites, real files, uploads and decisions.

Everything here builds real things: PDFs and images that the upload check accepts, files written to the
per-test evidence folder (see the autouse fixture in tests/conftest.py), and API calls as the named actors.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Organization, Role
from compliance.models import Evidence, EvidenceFile, EvidenceType
from compliance.standing import standings_refresh
from core import clock
from core.uploads import check_upload, store
from marketplace.demo_files import make_test_image, make_test_pdf
from producers.models import Producer, Site
from tests.conftest import ActorClient, make_client
from tests.factories import MembershipFactory, UserFactory, make_ruc

EVIDENCE_URL = "/api/v1/evidence/"
HUEPETUHE_POINT = {"type": "Point", "coordinates": [-70.51, -12.98]}


# --- Time -----------------------------------------------------------------------------------------------
def today() -> dt.date:
    return clock.today_lima()


def day(offset: int) -> dt.date:
    """Today in Lima, moved by `offset` days."""
    return today() + dt.timedelta(days=offset)


def iso(offset: int) -> str:
    return day(offset).isoformat()


# --- Producers, sites, people -----------------------------------------------------------------------------
def make_producer(organization: Organization, legal_kind: str = "cooperative") -> Producer:
    return Producer.objects.create(
        organization=organization,
        legal_kind=legal_kind,
        legal_category="REINFO",
        ruc=make_ruc(),
        district="huepetuhe",
    )


def make_site(producer: Producer, concession_code: str = "010203405", name: str = "Playa Huepetuhe Alto") -> Site:
    return Site.objects.create(
        producer=producer,
        name=name,
        concession_code=concession_code,
        district="huepetuhe",
        geometry=HUEPETUHE_POINT,
        latitude=-12.98,
        longitude=-70.51,
    )


def add_member(organization: Organization, role: str, email: str, language: str = "es") -> ActorClient:
    """One more person in an organisation, with their own API client."""
    user = UserFactory(email=email, preferred_language=language)
    MembershipFactory(organization=organization, role=role, user=user)
    return make_client(user, organization)


def add_reviewer(network: Organization, email: str = "rosa@red.test") -> ActorClient:
    return add_member(network, Role.REVIEWER, email)


# --- Files ------------------------------------------------------------------------------------------------
def pdf_bytes(text: str = "Ficha RUC 20527145661") -> bytes:
    return make_test_pdf(text)


def pdf_upload(name: str = "ficha-ruc.pdf", text: str = "Ficha RUC 20527145661") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, pdf_bytes(text), content_type="application/pdf")


def image_upload(name: str, fmt: str = "JPEG", size: tuple[int, int] = (320, 240)) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, make_test_image(fmt, size), content_type="image/jpeg")


def raw_upload(name: str, content: bytes, content_type: str = "application/pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def evidence_folder() -> Path:
    """The per-test folder the evidence storage writes to."""
    return Path(settings.STORAGES["evidence"]["OPTIONS"]["location"])


def stored_files() -> list[Path]:
    folder = evidence_folder()
    return sorted(path for path in folder.rglob("*") if path.is_file()) if folder.exists() else []


def stored_path(evidence_file: EvidenceFile) -> Path:
    """Where the storage in force keeps this file (the model field's storage was bound at import)."""
    return Path(storages["evidence"].path(evidence_file.file.name))


# --- The API ----------------------------------------------------------------------------------------------
def upload(actor: ActorClient, evidence_type: str, files: list[Any] | None = None, **fields: Any) -> Any:
    """POST /api/v1/evidence/ as a multipart form; `issue_date` defaults to ten days ago."""
    data: dict[str, Any] = {"evidence_type": evidence_type, "issue_date": fields.pop("issue_date", iso(-10))}
    data.update({key: value for key, value in fields.items() if value is not None})
    if files is None:
        files = [pdf_upload()]
    if files:
        data["files"] = files
    return actor.post(EVIDENCE_URL, data, format="multipart")


def uploaded(actor: ActorClient, evidence_type: str, files: list[Any] | None = None, **fields: Any) -> dict:
    """Upload and return the body, which must be 201."""
    response = upload(actor, evidence_type, files, **fields)
    assert response.status_code == 201, response.content[:2000]
    return response.json()


def move(actor: ActorClient, evidence_id: Any, action: str, body: dict | None = None, **headers: str) -> Any:
    """POST an action (claim, approve, reject, request-changes, revoke) on an item."""
    return actor.post(f"{EVIDENCE_URL}{evidence_id}/{action}/", body or {}, format="json", **headers)


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.content[:2000]
    return response.json()


def decide(
    reviewer: ActorClient, evidence_id: Any, action: str = "approve", headers: dict | None = None, **body: Any
) -> Any:
    """Claim, then decide: the response of the decision."""
    ok(move(reviewer, evidence_id, "claim", **(headers or {})))
    return move(reviewer, evidence_id, action, body, **(headers or {}))


# --- Rows, for states the API reaches only over weeks ------------------------------------------------------
def make_evidence(
    organization: Organization,
    evidence_type: str,
    *,
    submitted_by: Any,
    status: str = "submitted",
    issue_date: dt.date | None = None,
    expiry_date: dt.date | None = None,
    valid_until: dt.date | None = None,
    site: Site | None = None,
    document_number: str = "",
    claimed_by: Any = None,
    attributes: dict[str, Any] | None = None,
) -> Evidence:
    """An evidence item with one real PDF in the evidence storage, in any state."""
    checked = check_upload(pdf_upload(f"{evidence_type.lower()}.pdf"), max_bytes=10**7, max_pixels=10**7)
    evidence = Evidence.objects.create(
        organization=organization,
        evidence_type=EvidenceType.objects.get(pk=evidence_type),
        site=site,
        document_number=document_number,
        issue_date=issue_date or day(-10),
        expiry_date=expiry_date,
        status=status,
        submitted_by=submitted_by,
        claimed_by=claimed_by,
        valid_until=valid_until,
        attributes=attributes or {},
    )
    if status == "approved":
        standings_refresh(organization_ids=[organization.pk])  # what the approving service does
    EvidenceFile.objects.create(
        evidence=evidence,
        position=1,
        file=store(checked, storage=storages["evidence"], prefix=str(organization.pk)),
        sha256=checked.sha256,
        size=checked.size,
        content_type=checked.content_type,
        original_name=checked.original_name,
    )
    return evidence
