"""Sign-up, login and logout: tokens are hashed, expire, and die with logout."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from knox.models import AuthToken

from accounts.models import Membership, Organization, User
from audit.models import AuditEvent
from tests.factories import PASSWORD, UserFactory
from tests.problems import assert_problem

pytestmark = pytest.mark.django_db

SIGNUP = {
    "email": "Compras@Helvetia.example",
    "password": "Refinar-oro-limpio-7",
    "full_name": "Anna Keller",
    "preferred_language": "en",
    "organization": {
        "legal_name": "Helvetia Refining SA",
        "country": "CH",
        "tax_id": "CHE-123.456.789",
        "buyer_type": "refiner",
    },
}


def test_buyer_signup_creates_the_admin_and_an_unverified_buyer(anon):
    response = anon.post("/api/v1/auth/signup/", SIGNUP, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["user"]["email"] == "compras@helvetia.example"
    assert body["organization"]["kind"] == "buyer"
    assert body["organization"]["kyc_status"] == "unverified"
    membership = Membership.objects.get(user__email="compras@helvetia.example")
    assert membership.role == "admin"
    assert AuditEvent.objects.filter(action="accounts.buyer.signed_up").count() == 1


def test_signup_never_accepts_a_role_or_a_kind(anon):
    payload = {
        **SIGNUP,
        "role": "reviewer",
        "is_staff": True,
        "organization": {**SIGNUP["organization"], "kind": "network", "kyc_status": "verified"},
    }

    response = anon.post("/api/v1/auth/signup/", payload, format="json")

    assert response.status_code == 201
    user = User.objects.get(email="compras@helvetia.example")
    assert not user.is_staff
    organization = Organization.objects.get(pk=response.json()["organization"]["id"])
    assert (organization.kind, organization.kyc_status) == ("buyer", "unverified")
    assert user.memberships.get().role == "admin"


def test_signup_refuses_a_taken_email_whatever_its_case(anon):
    UserFactory(email="compras@helvetia.example")

    response = anon.post("/api/v1/auth/signup/", SIGNUP, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "email", "code": "email_taken", "message": "An account with this e-mail address already exists."}
    ]
    assert Organization.objects.count() == 0


def test_signup_of_a_peruvian_buyer_checks_the_ruc_digit(anon):
    payload = {**SIGNUP, "organization": {**SIGNUP["organization"], "country": "PE", "tax_id": "20100070971"}}

    response = anon.post("/api/v1/auth/signup/", payload, format="json")

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "organization.tax_id"
    assert User.objects.count() == 0


def test_signup_refuses_a_weak_password_in_spanish(client_for, db):
    client = client_for(language="es")

    response = client.post("/api/v1/auth/signup/", {**SIGNUP, "password": "12345678"}, format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error"
    assert body["title"] == "Solicitud incorrecta"
    assert {e["field"] for e in body["errors"]} == {"password"}
    assert "contraseña" in body["errors"][0]["message"].lower()
    assert User.objects.count() == 0


def test_login_returns_an_expiring_token_stored_only_as_a_hash(anon):
    user = UserFactory(email="ana@example.test")

    response = anon.post("/api/v1/auth/login/", {"email": "ANA@example.test", "password": PASSWORD}, format="json")

    assert response.status_code == 200
    body = response.json()
    token = body["token"]
    stored = AuthToken.objects.get(user=user)
    assert token not in (stored.digest, stored.token_key)
    assert stored.expiry is not None
    assert stored.expiry > timezone.now()
    assert body["user"]["email"] == "ana@example.test"


def test_a_failed_login_is_refused_alike_and_audited(anon):
    UserFactory(email="ana@example.test")

    wrong_password = anon.post(
        "/api/v1/auth/login/", {"email": "ana@example.test", "password": "nope-nope-1"}, format="json"
    )
    unknown_user = anon.post(
        "/api/v1/auth/login/", {"email": "nadie@example.test", "password": "nope-nope-1"}, format="json"
    )

    assert wrong_password.status_code == unknown_user.status_code == 401
    assert wrong_password.json()["code"] == unknown_user.json()["code"] == "invalid_credentials"
    assert wrong_password["WWW-Authenticate"] == "Token"
    failed = AuditEvent.objects.filter(action="accounts.login.failed").order_by("seq")
    assert [e.data["email"] for e in failed] == ["ana@example.test", "nadie@example.test"]
    assert AuthToken.objects.count() == 0


def test_an_inactive_user_cannot_log_in(anon):
    UserFactory(email="ana@example.test", is_active=False)

    response = anon.post("/api/v1/auth/login/", {"email": "ana@example.test", "password": PASSWORD}, format="json")

    assert response.status_code == 401


def test_a_token_is_refused_after_logout(buyer):
    assert buyer.get("/api/v1/me/").status_code == 200

    assert buyer.post("/api/v1/auth/logout/").status_code == 204

    response = buyer.get("/api/v1/me/")
    assert_problem(response, 401, "authentication_failed")


def test_logout_all_revokes_every_device(buyer, client_for):
    second_device = client_for(buyer.user)

    assert buyer.post("/api/v1/auth/logout-all/").status_code == 204

    assert second_device.get("/api/v1/me/").status_code == 401
    assert AuthToken.objects.filter(user=buyer.user).count() == 0


def test_an_expired_token_is_refused(buyer):
    AuthToken.objects.filter(user=buyer.user).update(expiry=timezone.now() - dt.timedelta(seconds=1))

    response = buyer.get("/api/v1/me/")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_no_token_answers_401_not_403(anon):
    response = anon.get("/api/v1/me/")

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
