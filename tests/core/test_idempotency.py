"""Idempotency-Key: a retry gets the first answer; the key with another body is 422."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Invitation, Organization, User
from core.models import IdempotencyRecord
from tests.accounts.test_auth import SIGNUP

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
