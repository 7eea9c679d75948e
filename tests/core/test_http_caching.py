"""gzip and conditional reads (docs/architecture.md, "Caching"; docs/security.md, "Compression").

Answers are gzipped for clients that accept it, except those that carry a secret; every successful read carries
a weak ETag, a hash of its body, and `If-None-Match` with it answers 304 with no body. Writes and errors carry
none.
"""

from __future__ import annotations

import gzip

import pytest
from django.http import HttpResponse, JsonResponse
from django.test import RequestFactory

from core.http import CompressionMiddleware, ConditionalReadsMiddleware, body_etag, carries_secret
from tests.factories import PASSWORD, UserFactory
from tests.problems import assert_problem

pytestmark = pytest.mark.django_db

CATALOGUE = "/api/v1/requirements/"  # public, long, seeded by the migrations
GZIP = {"HTTP_ACCEPT_ENCODING": "gzip, deflate, br"}


def vary(response) -> set[str]:
    return {part.strip().lower() for part in response.get("Vary", "").split(",") if part.strip()}


# --- gzip ----------------------------------------------------------------------------------------------------
def test_a_long_json_answer_is_gzipped_for_a_client_that_accepts_it_and_decompresses_to_the_same_bytes(anon):
    plain = anon.get(CATALOGUE)
    compressed = anon.get(CATALOGUE, **GZIP)

    assert plain.status_code == compressed.status_code == 200
    assert len(plain.content) > 5_000
    assert "Content-Encoding" not in plain
    assert compressed["Content-Encoding"] == "gzip"
    assert int(compressed["Content-Length"]) == len(compressed.content) < len(plain.content) / 3
    assert gzip.decompress(compressed.content) == plain.content
    assert "accept-encoding" in vary(plain)
    assert "accept-encoding" in vary(compressed)


def test_a_signed_in_readers_list_is_gzipped_too(producer_admin):
    plain = producer_admin.client.get("/api/v1/evidence-types/")
    compressed = producer_admin.client.get("/api/v1/evidence-types/", **GZIP)

    assert compressed["Content-Encoding"] == "gzip"
    assert gzip.decompress(compressed.content) == plain.content
    assert compressed["Cache-Control"] == "private, no-store"


def test_the_schema_is_gzipped(anon):
    response = anon.get("/api/schema/", **GZIP)

    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    assert response["Content-Disposition"].startswith("inline")
    assert gzip.decompress(response.content).startswith(b"openapi:")


def test_a_short_answer_is_left_alone(anon):
    response = anon.get("/healthz", **GZIP)

    assert response.status_code == 200
    assert "Content-Encoding" not in response


def test_the_admin_is_never_compressed(anon):
    """The admin is authenticated by a cookie the browser sends by itself, with a CSRF token in its forms."""
    response = anon.client.get("/admin/login/", **GZIP)

    assert response.status_code == 200
    assert len(response.content) > 200
    assert "Content-Encoding" not in response


def test_sign_in_answers_the_token_uncompressed_and_says_no_transform(anon):
    UserFactory(email="ana@example.test")

    response = anon.post("/api/v1/auth/login/", {"email": "ana@example.test", "password": PASSWORD}, **GZIP)

    assert response.status_code == 200
    assert len(response.content) > 200  # long enough that it would have been compressed
    assert "Content-Encoding" not in response
    assert response["Cache-Control"] == "no-transform, private, no-store"
    assert response.json()["token"]


def test_a_refresh_answers_the_new_token_uncompressed(buyer):
    response = buyer.post("/api/v1/auth/tokens/refresh/", **GZIP)

    assert response.status_code == 200
    assert "Content-Encoding" not in response
    assert "no-transform" in response["Cache-Control"]


def test_a_signed_in_answer_without_a_secret_is_compressed(buyer):
    response = buyer.get("/api/v1/me/", **GZIP)

    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"


def _long_json(request):
    return JsonResponse({"rows": ["oro responsable sin mercurio"] * 50})


def test_an_answer_marked_as_carrying_a_secret_is_not_compressed():
    request = RequestFactory().get("/api/v1/anything/", HTTP_ACCEPT_ENCODING="gzip")

    marked = CompressionMiddleware(lambda r: carries_secret(_long_json(r)))(request)
    unmarked = CompressionMiddleware(_long_json)(request)

    assert "Content-Encoding" not in marked
    assert unmarked["Content-Encoding"] == "gzip"


def test_files_are_served_byte_exact():
    """Attachments and binary types (PDFs, photos) are sent as stored: their SHA-256 is what the client checks."""
    request = RequestFactory().get("/api/v1/evidence/x/files/1/", HTTP_ACCEPT_ENCODING="gzip")

    def pdf(r):
        response = HttpResponse(b"%PDF-1.4 " + b"a" * 2000, content_type="application/pdf")
        return response

    def text_attachment(r):
        response = HttpResponse(b"a" * 2000, content_type="text/csv")
        response["Content-Disposition"] = 'attachment; filename="x.csv"'
        return response

    assert "Content-Encoding" not in CompressionMiddleware(pdf)(request)
    assert "Content-Encoding" not in CompressionMiddleware(text_attachment)(request)


# --- ETag and 304 --------------------------------------------------------------------------------------------
def test_a_read_carries_a_weak_etag_of_its_body_the_same_whatever_the_encoding(anon):
    plain = anon.get(CATALOGUE)
    compressed = anon.get(CATALOGUE, **GZIP)
    head = anon.client.head(CATALOGUE)

    assert plain["ETag"] == body_etag(plain.content)
    assert plain["ETag"].startswith('W/"')
    assert compressed["ETag"] == plain["ETag"]
    assert head.status_code == 200
    assert head["ETag"] == plain["ETag"]


def test_if_none_match_with_the_current_etag_answers_304_with_no_body(anon):
    etag = anon.get(CATALOGUE)["ETag"]

    response = anon.get(CATALOGUE, HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag
    assert {"accept-encoding", "accept-language", "authorization", "x-organization"} <= vary(response)


@pytest.mark.parametrize(
    "sent",
    [
        lambda etag: etag.removeprefix("W/"),  # the strong form: If-None-Match compares weakly
        lambda etag: f'"other", {etag}',
        lambda etag: "*",
    ],
    ids=["strong form", "in a list", "any"],
)
def test_if_none_match_compares_weakly(anon, sent):
    etag = anon.get(CATALOGUE)["ETag"]

    assert anon.get(CATALOGUE, HTTP_IF_NONE_MATCH=sent(etag), **GZIP).status_code == 304


def test_a_head_request_is_revalidated_too(anon):
    etag = anon.get(CATALOGUE)["ETag"]

    assert anon.client.head(CATALOGUE, HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_another_etag_gets_the_full_answer(anon):
    response = anon.get(CATALOGUE, HTTP_IF_NONE_MATCH='W/"not-this-one"')

    assert response.status_code == 200
    assert response.content


def test_a_changed_resource_gets_a_new_etag_and_a_200(buyer):
    first = buyer.client.get("/api/v1/me/")
    assert buyer.patch("/api/v1/me/", {"full_name": "Anna Keller-Meier"}, format="json").status_code == 200

    response = buyer.client.get("/api/v1/me/", HTTP_IF_NONE_MATCH=first["ETag"])

    assert response.status_code == 200
    assert response["ETag"] != first["ETag"]
    assert response.json()["full_name"] == "Anna Keller-Meier"
    assert buyer.client.get("/api/v1/me/", HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304


def test_a_private_answer_keeps_its_etag_and_its_304_and_is_still_not_stored(buyer):
    first = buyer.client.get("/api/v1/me/")

    again = buyer.client.get("/api/v1/me/", HTTP_IF_NONE_MATCH=first["ETag"])

    assert first["Cache-Control"] == again["Cache-Control"] == "private, no-store"
    assert again.status_code == 304
    assert again.content == b""


def test_the_etag_is_a_hash_of_the_body_alone_so_anonymous_and_signed_in_readers_of_the_same_bytes_agree(anon, buyer):
    anonymous = anon.get(CATALOGUE)
    signed_in = buyer.client.get(CATALOGUE)

    assert anonymous.content == signed_in.content
    assert anonymous["ETag"] == signed_in["ETag"]
    assert "Cache-Control" not in anonymous
    assert signed_in["Cache-Control"] == "private, no-store"
    assert {"authorization", "x-organization", "accept-language"} <= vary(anonymous)


def test_a_write_carries_no_etag_and_is_never_304(buyer):
    etag = buyer.client.get("/api/v1/me/")["ETag"]

    response = buyer.patch("/api/v1/me/", {}, format="json", HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 200
    assert "ETag" not in response


def test_sign_in_carries_no_etag(anon):
    UserFactory(email="ana@example.test")

    response = anon.post(
        "/api/v1/auth/login/", {"email": "ana@example.test", "password": PASSWORD}, HTTP_IF_NONE_MATCH="*"
    )

    assert response.status_code == 200
    assert "ETag" not in response


def test_an_error_carries_no_etag_and_is_never_304(buyer, anon):
    missing = "/api/v1/organizations/00000000-0000-0000-0000-000000000000/"

    not_found = buyer.client.get(missing, HTTP_IF_NONE_MATCH="*")
    unauthenticated = anon.get("/api/v1/me/", HTTP_IF_NONE_MATCH="*")

    assert_problem(not_found, 404, "not_found")
    assert_problem(unauthenticated, 401, "not_authenticated")
    assert "ETag" not in not_found
    assert "ETag" not in unauthenticated


def test_a_problem_answered_with_200_would_carry_no_etag_either():
    """The rule is on the content type too, not only on the status."""
    request = RequestFactory().get("/api/v1/anything/", HTTP_IF_NONE_MATCH="*")

    def view(r):
        return JsonResponse({"code": "x"}, content_type="application/problem+json")

    response = ConditionalReadsMiddleware(view)(request)

    assert response.status_code == 200
    assert "ETag" not in response
