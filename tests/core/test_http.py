"""What every response shares: no caching of personal data, problem details for unknown API addresses."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("debug", [True, False], ids=["DEBUG on", "DEBUG off"])
@pytest.mark.parametrize("path", ["/api/nothing-here", "/api/v1/nothing/", "/api/v1/producers/not-a-uuid/x/"])
def test_an_unknown_api_address_is_a_problem_whatever_debug_says(anon, settings, debug, path):
    settings.DEBUG = debug

    response = anon.get(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json() == {
        "type": "urn:oro-responsable:problem:not_found",
        "title": "Not found",
        "status": 404,
        "detail": "There is nothing at this address.",
        "code": "not_found",
    }


def test_the_unknown_address_problem_follows_accept_language(anon, settings):
    settings.DEBUG = True

    response = anon.get("/api/v1/nothing/", HTTP_ACCEPT_LANGUAGE="es")

    assert response.status_code == 404
    assert response.json()["detail"] == "No hay nada en esta dirección."


def test_a_missing_final_slash_still_redirects(anon, settings):
    settings.DEBUG = True

    response = anon.get("/api/v1/producers")

    assert response.status_code == 301
    assert response["Location"] == "/api/v1/producers/"


def test_a_method_the_api_does_not_answer_is_a_problem(anon, settings):
    settings.DEBUG = True

    response = anon.client.delete("/api/v1/requirements/")

    assert response.status_code == 405
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "method_not_allowed"


def test_a_405_page_of_django_under_the_api_becomes_a_problem_that_keeps_allow():
    from django.http import HttpResponseNotAllowed
    from django.test import RequestFactory

    from core.http import ApiProblemPagesMiddleware

    def view(request):
        return HttpResponseNotAllowed(["GET"])

    under_api = ApiProblemPagesMiddleware(view)(RequestFactory().delete("/api/v1/anything/"))
    elsewhere = ApiProblemPagesMiddleware(view)(RequestFactory().delete("/healthz"))

    assert under_api.status_code == 405
    assert under_api["Content-Type"] == "application/problem+json"
    assert under_api["Allow"] == "GET"
    assert json.loads(under_api.content)["code"] == "method_not_allowed"
    assert elsewhere["Content-Type"] == "text/html; charset=utf-8"


def test_an_authenticated_answer_is_private_and_not_stored(buyer):
    response = buyer.client.get("/api/v1/me/")

    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"


def test_an_error_to_an_authenticated_request_is_not_stored_either(buyer):
    response = buyer.client.get("/api/v1/organizations/00000000-0000-0000-0000-000000000000/")

    assert response.status_code == 404
    assert response["Cache-Control"] == "private, no-store"


def test_an_answer_to_a_bad_token_is_not_stored(anon):
    response = anon.client.get("/api/v1/me/", HTTP_AUTHORIZATION="Token nope")

    assert response.status_code == 401
    assert response["Cache-Control"] == "private, no-store"


def test_signing_in_is_never_stored(anon, buyer):
    response = anon.post("/api/v1/auth/login/", {"email": buyer.user.email, "password": "wrong password!"})

    assert response.status_code == 401
    assert response["Cache-Control"] == "private, no-store"


def test_the_public_catalogue_sets_no_cache_control_for_anonymous_readers(anon):
    response = anon.get("/api/v1/producers/")

    assert response.status_code == 200
    assert "Cache-Control" not in response


def test_a_public_header_a_view_set_is_made_private_for_a_signed_in_reader(buyer):
    from django.http import HttpResponse
    from django.test import RequestFactory

    from core.http import PrivateResponsesMiddleware

    def view(request):
        response = HttpResponse(b"photo")
        response["Cache-Control"] = "public, max-age=3600"
        return response

    with_token = RequestFactory().get("/api/v1/listings/x/photos/1/", HTTP_AUTHORIZATION="Token abc")
    anonymous = RequestFactory().get("/api/v1/listings/x/photos/1/")

    assert PrivateResponsesMiddleware(view)(with_token)["Cache-Control"] == "max-age=3600, private, no-store"
    assert PrivateResponsesMiddleware(view)(anonymous)["Cache-Control"] == "public, max-age=3600"
