"""What every console page shares: who is signed in and for which organisation they act, the refusals of the
services shown as they are, and the page's frame."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.encoding import force_str
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.module_loading import import_string

from core.actor import Actor
from core.errors import DomainError

ORGANIZATION_KEY = "console.organization"  # the session's choice, for a person in several organisations


@dataclass(frozen=True)
class _AsTheApiSeesIt:
    """What the API's actor resolver reads of a request: the user, and the organisation chosen, given the way the
    API is given it (the `X-Organization` header), so the console resolves who acts with the API's own rules."""

    user: Any
    headers: Mapping[str, str]


def console_actor(request: HttpRequest) -> Actor:
    chosen = request.session.get(ORGANIZATION_KEY)
    headers = {"X-Organization": chosen} if chosen else {}
    return import_string(settings.ACTOR_RESOLVER)(_AsTheApiSeesIt(request.user, headers))


def signed_in(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The page needs a signed-in person acting for an organisation: otherwise to the sign-in page (and back
    here after it), or to the choice of organisation."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return HttpResponseRedirect(f"{reverse('console:sign-in')}?{urlencode({'next': request.get_full_path()})}")
        try:
            actor = console_actor(request)
        except DomainError:  # several organisations and none chosen, or one no longer theirs
            request.session.pop(ORGANIZATION_KEY, None)
            return HttpResponseRedirect(reverse("console:organization"))
        request.actor = actor  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)

    return wrapper


def safe_next(request: HttpRequest, fallback: str) -> str:
    """Where to go after a form: the `next` asked for if it is a path of this site, else `fallback`."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=False):
        return target
    return fallback


@dataclass(frozen=True)
class Refusal:
    """A service's refusal as the page shows it: the API's problem `detail`, `code` and field `errors`."""

    status: int
    code: str
    message: str
    errors: list[dict[str, Any]]

    @classmethod
    def of(cls, error: DomainError) -> Refusal:
        return cls(error.status, error.code, force_str(error.detail), list(error.errors or []))

    def for_field(self, name: str) -> list[str]:
        return [str(e.get("message", "")) for e in self.errors if e.get("field") == name]


def shows_refusals(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A refusal a page's service or selector raises (404 for what the person may not see, 403 for what they may
    not do) is shown as the API's problem would say it, with the API's status."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except DomainError as error:
            return page(request, "console/refused.html", {"refusal": Refusal.of(error)}, status=error.status)

    return wrapper


def page(
    request: HttpRequest, template: str, context: dict[str, Any] | None = None, *, status: int = 200
) -> HttpResponse:
    return render(request, template, {"actor": getattr(request, "actor", None), **(context or {})}, status=status)


def new_idempotency_key() -> str:
    """The key a form carries from the moment it is shown: a retry of the same submission sends it again."""
    return str(uuid.uuid4())
