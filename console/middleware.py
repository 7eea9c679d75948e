"""Spanish first: the console's pages speak Spanish to a browser that states no language we have (the API keeps
English as its default, `LANGUAGE_CODE`). A choice made with the language switch (its cookie) or an
`Accept-Language` naming English still wins."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.translation import trans_real

CONSOLE_LANGUAGE = "es"
NOT_CONSOLE = ("/api/", "/admin/", "/static/", "/healthz", "/readyz")


class SpanishFirstMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path_info.startswith(NOT_CONSOLE) and not _language_stated(request):
            translation.activate(CONSOLE_LANGUAGE)
            request.LANGUAGE_CODE = CONSOLE_LANGUAGE
        return self.get_response(request)


def _language_stated(request: HttpRequest) -> bool:
    if request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) in dict(settings.LANGUAGES):
        return True
    accepted = request.META.get("HTTP_ACCEPT_LANGUAGE", "")
    for code, _quality in trans_real.parse_accept_lang_header(accepted):
        if code != "*" and code.split("-")[0].lower() in dict(settings.LANGUAGES):
            return True
    return False
