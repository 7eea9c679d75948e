"""HTTP behaviour every response shares, whatever view answered it.

- `Cache-Control: private, no-store` on every answer that may carry personal data;
- problem details instead of Django's HTML error pages anywhere under `/api/`, whatever DEBUG says.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext_lazy as _

from core.errors import PROBLEM_CONTENT_TYPE, problem


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

    PREFIX = "/api/"

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
