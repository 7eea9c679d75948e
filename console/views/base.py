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
from django.utils.translation import gettext_lazy as _

from core.actor import Actor
from core.errors import BadRequest, DomainError, flatten_validation_errors
from core.idempotency import canonical_form, fingerprint_of, once
from core.permissions import out_of_scope

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


def actor_or_anonymous(request: HttpRequest) -> Actor:
    """Who reads a page anyone may read (as the API's public reads): the person signed in, or nobody."""
    return console_actor(request) if request.user.is_authenticated else Actor(user=request.user)


def signed_in(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The page needs a signed-in person acting for an organisation: otherwise to the sign-in page (and back
    here after it), or to the choice of organisation. A field officer acting for a producer through a delegation
    is refused (403 `delegation_out_of_scope`, the API's refusal) unless the page declares a scope of their
    delegation with `delegable(scope)`: deny by default, as in the API."""

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
        scopes = set(getattr(wrapper, "delegable_scopes", ()))
        if actor.delegation is not None and not scopes & set(actor.delegation.scopes):
            refusal = Refusal.of(out_of_scope())
            return page(request, "console/refused.html", {"refusal": refusal}, status=refusal.status)
        return view(request, *args, **kwargs)

    return wrapper


def delegable(*scopes: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Open a `signed_in` page to delegates whose delegation covers one of `scopes` (put it right above
    `signed_in`)."""

    def mark(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        view.delegable_scopes = scopes  # type: ignore[attr-defined]
        return view

    return mark


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
    extra: dict[str, Any] | None = None  # the problem's other members (`missing`: a publication's obstacles)

    @classmethod
    def of(cls, error: DomainError) -> Refusal:
        return cls(error.status, error.code, force_str(error.detail), list(error.errors or []), dict(error.extra))

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
    response = render(request, template, {"actor": getattr(request, "actor", None), **(context or {})}, status=status)
    if getattr(request, "htmx", False) and request.method == "GET":
        # A boosted form's POST answered by a redirect ends with this GET: the address bar shows where it landed.
        response["HX-Push-Url"] = request.get_full_path()
    return response


def new_idempotency_key() -> str:
    """The key a form carries from the moment it is shown: a retry of the same submission sends it again."""
    return str(uuid.uuid4())


def checked(serializer_class: Any, data: Mapping[str, Any]) -> Any:
    """The API's input serializer run on a form's values: the serializer, valid, or the API's refusal with the
    API's field errors (code and message), which the page shows beside the fields."""
    serializer = serializer_class(data=data)
    if not serializer.is_valid():
        raise BadRequest(
            _("Some fields need another look."),
            code="validation_error",
            errors=flatten_validation_errors(serializer.errors),
        )
    return serializer


FORM_KEY = "idempotency_key"  # the hidden field each create form carries ({% form_key %})


def once_per_form(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A create form's POST acts once per key (core.idempotency.once, the API's rule): the same submission sent
    again (a retry after a dropped connection, a second tap) lands where the first one did, instead of creating
    a second item; the same key with other values is refused (422), and a refusal releases the key. Put it right
    under `signed_in`. The view answers a redirect when it created something."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        key = request.POST.get(FORM_KEY, "") if request.method == "POST" else ""
        if not key:
            return view(request, *args, **kwargs)
        answered: list[HttpResponse] = []

        def act() -> tuple[int, Any]:
            response = view(request, *args, **kwargs)
            answered.append(response)
            if response.status_code >= 400:
                return response.status_code, None
            return 201, {"location": response.get("Location") or request.get_full_path()}

        try:
            fingerprint = fingerprint_of("POST", request.path, canonical_form(request.POST, request.FILES))
            answer = once(scope=f"user:{request.user.pk}", key=key, fingerprint=fingerprint, act=act)
        except DomainError as error:
            return page(request, "console/refused.html", {"refusal": Refusal.of(error)}, status=error.status)
        if answer.replayed:
            return HttpResponseRedirect(answer.body["location"])
        return answered[0]

    return wrapper
