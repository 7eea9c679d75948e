"""Idempotency-Key: a retry gets the first answer; the key with another body is 422."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.parsers import MultiPartParser

from accounts.models import Invitation, Organization, User
from compliance.models import Evidence, EvidenceFile
from core.models import IdempotencyRecord
from producers.models import Site
from tests.accounts.test_auth import SIGNUP
from tests.compliance.helpers import EVIDENCE_URL, iso, make_producer, pdf_bytes, stored_files
from tests.problems import assert_problem

pytestmark = pytest.mark.django_db


def test_a_retried_signup_gets_the_first_answer_and_creates_one_organisation(anon):
    first = anon.post("/api/v1/auth/signup/", SIGNUP, format="json", HTTP_IDEMPOTENCY_KEY="signup-1")
    retry = anon.post("/api/v1/auth/signup/", SIGNUP, format="json", HTTP_IDEMPOTENCY_KEY="signup-1")

    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert retry["Idempotent-Replayed"] == "true"
    assert Organization.objects.count() == User.objects.count() == 1


def test_the_same_key_with_another_body_is_422_and_changes_nothing(anon):
    anon.post("/api/v1/auth/signup/", SIGNUP, format="json", HTTP_IDEMPOTENCY_KEY="signup-1")

    other = {**SIGNUP, "email": "otra@helvetia.example"}
    response = anon.post("/api/v1/auth/signup/", other, format="json", HTTP_IDEMPOTENCY_KEY="signup-1")

    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert User.objects.count() == 1


def test_a_failed_request_releases_its_key(anon):
    bad = anon.post("/api/v1/auth/signup/", {**SIGNUP, "password": "123"}, format="json", HTTP_IDEMPOTENCY_KEY="k")
    good = anon.post("/api/v1/auth/signup/", SIGNUP, format="json", HTTP_IDEMPOTENCY_KEY="k")

    assert bad.status_code == 400
    assert good.status_code == 201


def test_a_key_still_in_progress_answers_409(anon):
    first = anon.post("/api/v1/auth/signup/", SIGNUP, format="json", HTTP_IDEMPOTENCY_KEY="slow")
    IdempotencyRecord.objects.filter(key="slow").update(state="in_progress")

    response = anon.post("/api/v1/auth/signup/", SIGNUP, format="json", HTTP_IDEMPOTENCY_KEY="slow")

    assert first.status_code == 201
    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_in_progress"


def test_a_key_left_in_progress_by_a_dead_request_is_taken_over_after_its_lease(anon, settings):
    """A worker killed mid-request never releases its claim: after the lease a retry runs and completes once."""
    settings.IDEMPOTENCY_IN_PROGRESS_LEASE = timedelta(seconds=30)
    IdempotencyRecord.objects.create(
        scope="anonymous", key="killed", fingerprint="0" * 64, expires_at=timezone.now() + timedelta(hours=24)
    )
    IdempotencyRecord.objects.filter(key="killed").update(created_at=timezone.now() - timedelta(seconds=31))

    retry = anon.post("/api/v1/auth/signup/", SIGNUP, format="json", HTTP_IDEMPOTENCY_KEY="killed")
    replay = anon.post("/api/v1/auth/signup/", SIGNUP, format="json", HTTP_IDEMPOTENCY_KEY="killed")

    assert retry.status_code == replay.status_code == 201
    assert replay["Idempotent-Replayed"] == "true"
    assert replay.json() == retry.json()
    assert Organization.objects.count() == User.objects.count() == 1
    assert IdempotencyRecord.objects.get(key="killed").state == "completed"


def test_a_key_in_progress_within_its_lease_is_not_taken_over(anon, settings):
    settings.IDEMPOTENCY_IN_PROGRESS_LEASE = timedelta(seconds=30)
    IdempotencyRecord.objects.create(
        scope="anonymous", key="running", fingerprint="0" * 64, expires_at=timezone.now() + timedelta(hours=24)
    )
    IdempotencyRecord.objects.filter(key="running").update(created_at=timezone.now() - timedelta(seconds=29))

    response = anon.post("/api/v1/auth/signup/", SIGNUP, format="json", HTTP_IDEMPOTENCY_KEY="running")

    assert response.status_code == 422  # the running request's body differs: the key stays its own
    assert User.objects.count() == 0


def test_keys_do_not_cross_users(producer_admin, other_producer):
    body = {"email": "socia@example.test", "role": "member"}

    mine = producer_admin.post("/api/v1/invitations/", body, format="json", HTTP_IDEMPOTENCY_KEY="inv-1")
    theirs = other_producer.post("/api/v1/invitations/", body, format="json", HTTP_IDEMPOTENCY_KEY="inv-1")

    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["id"] != theirs.json()["id"]
    assert Invitation.objects.count() == 2


def test_a_retried_invitation_sends_one_email(producer_admin, mailoutbox, django_capture_on_commit_callbacks):
    body = {"email": "socia@example.test", "role": "member"}
    with django_capture_on_commit_callbacks(execute=True):
        first = producer_admin.post("/api/v1/invitations/", body, format="json", HTTP_IDEMPOTENCY_KEY="inv-1")
        retry = producer_admin.post("/api/v1/invitations/", body, format="json", HTTP_IDEMPOTENCY_KEY="inv-1")

    assert retry.json() == first.json()
    assert len(mailoutbox) == 1
    assert Invitation.objects.count() == 1


@pytest.mark.parametrize("key", ["", "x" * 256, "clé-ñ", "with space"])
def test_a_malformed_key_is_refused(anon, key):
    response = anon.post("/api/v1/auth/signup/", SIGNUP, format="json", HTTP_IDEMPOTENCY_KEY=key)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_idempotency_key"
    assert User.objects.count() == 0


# --- Uploads: the fingerprint covers the files' bytes ------------------------------------------------------
RUC_PDF = pdf_bytes("Ficha RUC 20527145661")


def _evidence_form(content: bytes = RUC_PDF, name: str = "ficha-ruc.pdf") -> dict:
    """A fresh form each time (an uploaded file is read once), with the same fields."""
    return {"evidence_type": "TAX_RUC", "issue_date": iso(-10), "files": [SimpleUploadedFile(name, content)]}


def _upload(actor, key: str, **form) -> object:
    return actor.post(EVIDENCE_URL, _evidence_form(**form), format="multipart", HTTP_IDEMPOTENCY_KEY=key)


@pytest.fixture
def producer(coop):
    return make_producer(coop)


def test_an_upload_retried_after_a_dropped_connection_stores_one_item_and_answers_the_first_answer(
    producer, producer_admin
):
    """The phone loses the signal after sending: the server stored the item and answered, the answer never
    arrived. The app sends the same upload again with the same key."""
    lost = _upload(producer_admin, "upload-ruc-1")  # completed on the server; the client never reads it
    retry = _upload(producer_admin, "upload-ruc-1")

    assert lost.status_code == retry.status_code == 201
    assert retry["Idempotent-Replayed"] == "true"
    assert retry.json() == lost.json()
    assert Evidence.objects.count() == EvidenceFile.objects.count() == len(stored_files()) == 1
    assert retry.json()["id"] == str(Evidence.objects.get().pk)


def test_the_same_key_with_another_file_of_the_same_name_is_422_and_stores_nothing(producer, producer_admin):
    _upload(producer_admin, "upload-ruc-1")

    other = _upload(producer_admin, "upload-ruc-1", content=pdf_bytes("Ficha RUC 20100000001"))

    assert_problem(other, 422, "idempotency_key_reused")
    assert Evidence.objects.count() == len(stored_files()) == 1


def test_the_same_key_with_the_same_bytes_under_another_name_is_422(producer, producer_admin):
    _upload(producer_admin, "upload-ruc-1")

    other = _upload(producer_admin, "upload-ruc-1", name="ruc-escaneado.pdf")

    assert_problem(other, 422, "idempotency_key_reused")
    assert Evidence.objects.count() == 1


def test_a_failed_upload_releases_its_key_for_the_corrected_one(producer, producer_admin):
    refused = _upload(producer_admin, "upload-ruc-1", content=b"not a pdf")
    corrected = _upload(producer_admin, "upload-ruc-1")

    assert_problem(refused, 400, "unsupported_file_type")
    assert corrected.status_code == 201, corrected.content[:1000]
    assert "Idempotent-Replayed" not in corrected
    assert Evidence.objects.count() == 1


def test_an_upload_over_the_limit_is_413_before_its_body_is_read_to_fingerprint_it(
    producer, producer_admin, settings, monkeypatch
):
    settings.EVIDENCE_MAX_REQUEST_BYTES = 1024
    parsed = []
    monkeypatch.setattr(MultiPartParser, "parse", lambda *args, **kwargs: parsed.append(args))
    large = pdf_bytes("x" * 2000) + b"%" * (70 * 1024)  # beyond the limit and the multipart allowance

    response = _upload(producer_admin, "upload-big", content=large)

    assert_problem(response, 413, "request_too_large")
    assert parsed == []
    assert IdempotencyRecord.objects.count() == Evidence.objects.count() == 0


# --- JSON creates ------------------------------------------------------------------------------------------
SITE = {
    "name": "Playa Huepetuhe Alto",
    "concession_code": "010203405",
    "district": "huepetuhe",
    "geometry": {"type": "Point", "coordinates": [-70.5123, -12.9876]},
}


def test_a_retried_site_creates_one_site(producer, producer_admin):
    url = f"/api/v1/producers/{producer.pk}/sites/"

    lost = producer_admin.post(url, SITE, format="json", HTTP_IDEMPOTENCY_KEY="site-1")
    retry = producer_admin.post(url, SITE, format="json", HTTP_IDEMPOTENCY_KEY="site-1")
    other = producer_admin.post(url, {**SITE, "name": "Playa Baja"}, format="json", HTTP_IDEMPOTENCY_KEY="site-1")

    assert lost.status_code == retry.status_code == 201
    assert retry.json() == lost.json()
    assert_problem(other, 422, "idempotency_key_reused")
    assert Site.objects.filter(producer=producer).count() == 1


def test_without_a_key_each_request_creates_as_before(producer, producer_admin):
    url = f"/api/v1/producers/{producer.pk}/sites/"

    first = producer_admin.post(url, SITE, format="json")
    second = producer_admin.post(url, {**SITE, "concession_code": "010203406"}, format="json")

    assert first.status_code == second.status_code == 201
    assert Site.objects.filter(producer=producer).count() == 2
    assert IdempotencyRecord.objects.count() == 0


def test_the_hourly_prune_deletes_expired_keys_and_their_answers_only(anon, settings):
    from jobs import services as jobs

    anon.post("/api/v1/auth/signup/", SIGNUP, format="json", HTTP_IDEMPOTENCY_KEY="signup-1")
    assert IdempotencyRecord.objects.get(key="signup-1").response_body is not None  # what a replay answers
    now = timezone.now()
    for number in range(3):
        IdempotencyRecord.objects.create(
            scope="anonymous", key=f"old-{number}", fingerprint="x", expires_at=now - timedelta(seconds=1 + number)
        )
    scheduled = {entry["args"][0] for entry in settings.CELERY_BEAT_SCHEDULE.values() if entry.get("args")}
    assert "jobs.prune_idempotency_keys" in scheduled

    job = jobs.enqueue("jobs.prune_idempotency_keys")
    jobs.run_job(str(job.pk))

    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["signup-1"]
    retry = anon.post("/api/v1/auth/signup/", SIGNUP, format="json", HTTP_IDEMPOTENCY_KEY="signup-1")
    assert retry["Idempotent-Replayed"] == "true"  # a key still honoured keeps its answer
