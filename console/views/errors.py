"""Error pages: a person's browser asking for a console page gets a page in its language; every other caller
(the API's clients, anything under /api/, a client that does not ask for HTML) gets the API's problem details."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

from core import errors as problems
from core.http import API_PREFIX

PAGES: dict[int, tuple[Any, Any]] = {
    400: (_("Something in the request was wrong"), _("Go back and try again.")),
    403: (_("This is not yours to see"), _("Your organisation may not do this. Ask its administrator.")),
    404: (_("There is nothing here"), _("The address may be mistyped, or what it showed was removed.")),
    500: (_("Something went wrong on our side"), _("It has been logged. Try again in a moment.")),
}


def _wants_a_page(request: HttpRequest) -> bool:
    return not request.path_info.startswith(API_PREFIX) and "text/html" in request.META.get("HTTP_ACCEPT", "")


def _page(request: HttpRequest, status: int) -> HttpResponse:
    title, advice = PAGES[status]
    body = render_to_string("console/error.html", {"status": status, "title": title, "advice": advice}, request=None)
    return HttpResponse(body, status=status)


def _either(status: int, api: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    def handler(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
        if _wants_a_page(request):
            return _page(request, status)
        return api(request, exception) if status != 500 else api(request)

    return handler


bad_request = _either(400, problems.bad_request)
permission_denied = _either(403, problems.permission_denied)
page_not_found = _either(404, problems.page_not_found)


def server_error(request: HttpRequest) -> HttpResponse:
    return _page(request, 500) if _wants_a_page(request) else problems.server_error(request)
