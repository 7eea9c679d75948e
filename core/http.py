"""HTTP behaviour every response shares, whatever view answered it.

- `Cache-Control: private, no-store` on every answer that may carry personal data;
- gzip for the clients that accept it, except on an answer that carries a secret (BREACH, docs/security.md);
- a weak ETag on every successful read, and 304 Not Modified to `If-None-Match` (docs/architecture.md, "Caching");
- problem details instead of Django's HTML error pages anywhere under `/api/`, whatever DEBUG says.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseNotModified, JsonResponse
from django.middleware.gzip import GZipMiddleware
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.http import parse_etags
from django.utils.translation import gettext_lazy as _

from core.errors import PROBLEM_CONTENT_TYPE, problem

API_PREFIX = "/api/"
ADMIN_PREFIX = "/admin/"


class PrivateResponsesMiddleware:
    """Answers that may carry personal data are never stored by a browser or a shared cache.

    That is every answer to a request that carried credentials (a token, or the admin's session cookie), and every
    answer to a write (signing in answers a token without having sent one). Anonymous reads keep what the view
    says: the public catalogue (a visible listing's photos are `public, max-age=3600`) stays cacheable.
    """

    SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        credentials = "HTTP_AUTHORIZATION" in request.META or settings.SESSION_COOKIE_NAME in request.COOKIES
        if credentials or request.method not in self.SAFE_METHODS:
            patch_cache_control(response, private=True, no_store=True)
        return response


class ApiProblemPagesMiddleware:
    """Under `/api/`, a 404 or 405 that Django answered itself (an unknown address; with DEBUG on, its HTML page
    that lists every URL pattern) becomes problem details like every other error of the API.

    It sits after CommonMiddleware, which still turns a 404 for an address missing its final slash into a redirect.
    """

    PREFIX = API_PREFIX

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code not in (404, 405) or not request.path_info.startswith(self.PREFIX):
            return response
        if response.get("Content-Type", "").startswith((PROBLEM_CONTENT_TYPE, "application/json")):
            return response
        if response.status_code == 404:
            body = problem(404, "not_found", _("There is nothing at this address."))
        else:
            body = problem(405, "method_not_allowed", _("This method is not allowed on this resource."))
        replacement = JsonResponse(body, status=response.status_code, content_type=PROBLEM_CONTENT_TYPE)
        if response.has_header("Allow"):
            replacement["Allow"] = response["Allow"]
        return replacement


# --- Compression ---------------------------------------------------------------------------------------------
R = TypeVar("R", bound=HttpResponseBase)


def carries_secret(response: R) -> R:
    """Mark an answer whose body carries a secret (a token, a payment's client secret, signed download links):
    `Cache-Control: no-transform`, so that neither `CompressionMiddleware` nor a proxy or CDN on the way compresses
    it. A compressed secret next to text an attacker chose can be read back from the answers' sizes (BREACH)."""
    patch_cache_control(response, no_transform=True)
    return response


def uncompressed(view_method: Callable[..., R]) -> Callable[..., R]:
    """Decorate a view method whose answers carry a secret (see `carries_secret`); put it outside `@idempotent`,
    so that a replayed answer is marked too."""

    @functools.wraps(view_method)
    def wrapper(*args: Any, **kwargs: Any) -> R:
        return carries_secret(view_method(*args, **kwargs))

    return wrapper


def _no_transform(response: HttpResponseBase) -> bool:
    return any(part.strip().lower() == "no-transform" for part in response.get("Cache-Control", "").split(","))


class CompressionMiddleware(GZipMiddleware):
    """Django's gzip (which pads each answer with up to 100 random bytes, against length attacks), for text only,
    and never for an answer that carries a secret or for the admin.

    - `Cache-Control: no-transform` (`carries_secret`): sign-in and token refresh (the new token), a deposit's
      Stripe client secret, the due-diligence pack's signed links. They stay as sent.
    - `/admin/`: the one part of the site a browser authenticates by itself (the session cookie), so the one
      where a page from another site could make the browser send chosen text (a search) beside a secret (the
      CSRF token). Staff pages gain nothing worth that from compression.
    - only text (JSON, problem details, HTML, CSS, JavaScript, YAML, XML): files (PDFs, photos, evidence) are
      served byte-exact as attachments, most of them compressed already.

    It sits below WhiteNoise, whose static answers are compressed ahead of time (`.gz`, `.br`) and never reach it,
    and above every middleware that writes a body, so it compresses the final one.
    """

    TEXT_TYPES = frozenset(
        {"application/json", PROBLEM_CONTENT_TYPE, "application/javascript", "application/xml", "image/svg+xml"}
    )

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        content_type = response.get("Content-Type", "").split(";")[0].strip().lower()
        compressible = (
            content_type in self.TEXT_TYPES
            or content_type.startswith("text/")
            or content_type.startswith("application/vnd.oai.openapi")  # the schema, in YAML or JSON
        )
        if (
            not compressible
            or response.get("Content-Disposition", "").startswith("attachment")
            or _no_transform(response)
            or request.path_info.startswith(ADMIN_PREFIX)
        ):
            return response
        return super().process_response(request, response)


# --- Conditional reads ---------------------------------------------------------------------------------------
# What an API answer depends on besides its address: a cache that keeps one must key it on these too.
API_VARY = ("Accept-Encoding", "Accept-Language", "Authorization", "X-Organization")
# The headers a 304 repeats from the 200 it stands for (RFC 9110, 15.4.5).
_NOT_MODIFIED_KEEPS = ("Cache-Control", "Content-Location", "Date", "ETag", "Expires", "Last-Modified", "Vary")


def body_etag(content: bytes) -> str:
    """A weak entity tag of an answer's body (RFC 9110, 8.8.3): the SHA-256 of the bytes, before compression.

    Weak because the same tag names the gzip and the identity encodings of one answer: a client may send back
    the tag it got with either, and a 304 carries the same tag whatever the encoding of the answer it replaces.
    """
    return f'W/"{hashlib.sha256(content).hexdigest()[:32]}"'


def _opaque(tag: str) -> str:
    return tag.removeprefix("W/")


class ConditionalReadsMiddleware:
    """An ETag on every successful read (GET, HEAD), a hash of its body, and 304 Not Modified with no body to an
    `If-None-Match` that names it (weak comparison, RFC 9110 13.1.2: `W/"x"` matches `"x"`).

    - never on a write, an error (problem details) or another success than 200: nothing to revalidate;
    - the tag is a hash of the body alone, so an anonymous reader and a signed-in one who read the same bytes get
      the same tag; bodies that differ (another language, another organisation's view) get different tags;
    - it sits below `CompressionMiddleware` (the tag is computed on the uncompressed body, and is already weak,
      so gzip keeps it) and below `PrivateResponsesMiddleware`: an answer to a request with a token still gets its
      tag and its 304, and is then marked `private, no-store` (a client that keeps its own copy may revalidate it;
      no cache stores it);
    - every `/api/` answer says what it varies on (`API_VARY`), a 304 too;
    - `If-Match`, `If-Modified-Since` and the other preconditions are not evaluated on reads (no `Last-Modified`
      is given): a client revalidates with the ETag.
    """

    SAFE = frozenset({"GET", "HEAD"})

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path_info.startswith(API_PREFIX):
            patch_vary_headers(response, API_VARY)
        if (
            request.method not in self.SAFE
            or response.status_code != 200
            or response.streaming
            or response.get("Content-Type", "").startswith(PROBLEM_CONTENT_TYPE)
        ):
            return response
        if not response.has_header("ETag"):
            if not response.content:
                return response
            response["ETag"] = body_etag(response.content)
        wanted = parse_etags(request.headers.get("If-None-Match", ""))
        if wanted and (wanted == ["*"] or _opaque(response["ETag"]) in {_opaque(tag) for tag in wanted}):
            return self._not_modified(response)
        return response

    @staticmethod
    def _not_modified(response: HttpResponse) -> HttpResponse:
        not_modified = HttpResponseNotModified()
        for header in _NOT_MODIFIED_KEEPS:
            if header in response:
                not_modified[header] = response[header]
        not_modified.cookies = response.cookies
        return not_modified
