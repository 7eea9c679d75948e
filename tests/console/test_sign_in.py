"""The console's sign-in: a session cookie behind CSRF, the API's check and audit, the API's throttles, Spanish
first, and a refusal that reads as the API's does."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from audit.models import AuditEvent
from tests.factories import PASSWORD
from tests.producers.factories import ProducerFactory

pytestmark = pytest.mark.django_db

SIGN_IN = "/sign-in/"


def browser(language: str | None = None, **kwargs: Any) -> Client:
    headers = {"HTTP_ACCEPT": "text/html"}
    if language:
        headers["HTTP_ACCEPT_LANGUAGE"] = language
    return Client(enforce_csrf_checks=True, **headers, **kwargs)


def csrf_of(client: Client, path: str = SIGN_IN) -> str:
    response = client.get(path)
    assert response.status_code == 200
    return response.cookies["csrftoken"].value if "csrftoken" in response.cookies else client.cookies["csrftoken"].value


def sign_in(client: Client, email: str, password: str = PASSWORD, **extra: str) -> Any:
    token = csrf_of(client)
    return client.post(SIGN_IN, {"email": email, "password": password, "csrfmiddlewaretoken": token, **extra})


def test_the_sign_in_page_speaks_spanish_to_a_browser_that_states_no_language(db: None) -> None:
    response = browser().get(SIGN_IN)

    assert response.status_code == 200
    assert response["Content-Language"] == "es"
    assert '<html lang="es">' in response.content.decode()
    assert "Correo electrónico" in response.content.decode()


def test_english_when_the_browser_asks_for_it(db: None) -> None:
    response = browser("en-GB,en;q=0.8").get(SIGN_IN)

    assert response["Content-Language"] == "en"
    assert "E-mail address" in response.content.decode()


def test_a_cooperative_signs_in_and_lands_on_its_standing(producer_admin: Any) -> None:
    ProducerFactory(organization=producer_admin.organization)
    client = browser()

    response = sign_in(client, "president@example.test")

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/")["Location"] == "/coop/"
    page = client.get("/coop/")
    assert page.status_code == 200
    assert "Mi situación" in page.content.decode()
    event = AuditEvent.objects.filter(action="accounts.login.succeeded").get()
    assert event.data == {"session": True}


def test_a_wrong_password_reads_as_the_apis_refusal_and_is_audited(producer_admin: Any, anon: Any) -> None:
    page = sign_in(browser(), "president@example.test", "not-the-password")
    api = anon.client.post(
        "/api/v1/auth/login/",
        {"email": "president@example.test", "password": "not-the-password"},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="es",
    )

    assert page.status_code == api.status_code == 401
    assert api.json()["detail"] in page.content.decode()
    assert 'data-code="invalid_credentials"' in page.content.decode()
    assert AuditEvent.objects.filter(action="accounts.login.failed").count() == 2


def test_a_post_without_the_csrf_token_is_refused(producer_admin: Any) -> None:
    client = browser()
    response = client.post(SIGN_IN, {"email": "president@example.test", "password": PASSWORD})

    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_the_sign_in_is_throttled_per_account_like_the_apis(producer_admin: Any, rates: Any) -> None:
    rates(login_account="2/15min")
    client = browser()
    for _ in range(2):
        assert sign_in(client, "president@example.test", "wrong-password-1").status_code == 401

    refused = sign_in(client, "president@example.test", PASSWORD)

    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "_auth_user_id" not in client.session


def test_next_never_leads_to_another_site(producer_admin: Any) -> None:
    response = sign_in(browser(), "president@example.test", next="https://evil.example/phish")

    assert response.status_code == 302
    assert response["Location"] == "/"


def test_a_page_asks_to_sign_in_and_comes_back_after(producer_admin: Any) -> None:
    ProducerFactory(organization=producer_admin.organization)
    client = browser()

    assert client.get("/coop/")["Location"] == "/sign-in/?next=%2Fcoop%2F"
    response = sign_in(client, "president@example.test", next="/coop/")

    assert response["Location"] == "/coop/"


def test_signing_out_ends_the_session_and_is_audited(producer_admin: Any) -> None:
    client = browser()
    sign_in(client, "president@example.test")
    token = client.cookies["csrftoken"].value

    response = client.post("/sign-out/", {"csrfmiddlewaretoken": token})

    assert response.status_code == 302
    assert client.get("/coop/").status_code == 302
    assert AuditEvent.objects.filter(action="accounts.logout", data={"session": True}).count() == 1


def test_an_unknown_page_is_an_html_page_for_a_browser_and_a_problem_for_the_api(anon: Any) -> None:
    page = browser().get("/no-such-page/")
    api = browser().get("/api/v1/no-such-thing/")

    assert page.status_code == api.status_code == 404
    assert page["Content-Type"].startswith("text/html")
    assert api["Content-Type"] == "application/problem+json"


def test_no_template_syntax_leaks_into_a_page(producer_admin: Any) -> None:
    ProducerFactory(organization=producer_admin.organization)
    client = browser()
    sign_in(client, "president@example.test")

    for path in ("/sign-in/", "/coop/", "/coop/offers/", "/coop/offers/new/", "/offers/", "/inquiries/"):
        body = client.get(path, follow=True).content.decode()
        assert "{#" not in body, path
        assert "{%" not in body, path
        assert "{{" not in body, path
