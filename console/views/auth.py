"""Signing in and out with a session cookie, and choosing the organisation one acts for. The sign-in is limited
exactly as the API's is: the same throttles (`login` per client address, `login_account` failures per e-mail
address), counted in the same cache, so the two doors share one count."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts import selectors as account_selectors
from accounts import services as account_services
from accounts.delegation import delegations_for
from accounts.models import Delegation
from console.views.base import ORGANIZATION_KEY, Refusal, page, safe_next
from core.actor import Actor
from core.errors import DomainError
from core.throttling import LoginFailuresPerAccount, ScopedThrottle


class SignInForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"), max_length=254)
    password = forms.CharField(label=_("Password"), strip=False, widget=forms.PasswordInput, max_length=4096)


@dataclass
class _Attempt:
    """What DRF's throttles read of a request and of its view, for the console's form."""

    request: HttpRequest
    throttle_scope: str = "login"
    META: dict[str, Any] = field(init=False)
    headers: Any = field(init=False)
    user: Any = field(init=False)
    data: Any = field(init=False)

    def __post_init__(self) -> None:
        self.META, self.headers = self.request.META, self.request.headers
        self.user, self.data = self.request.user, self.request.POST


def _throttled(attempt: _Attempt) -> float | None:
    """Seconds to wait when a limit is reached, else None. Like DRF, every throttle counts the attempt."""
    waits = [
        throttle.wait() or 1.0
        for throttle in (ScopedThrottle(), LoginFailuresPerAccount())
        if not throttle.allow_request(attempt, attempt)
    ]
    return max(waits) if waits else None


@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    home = reverse("console:home")
    if request.method == "GET":
        if request.user.is_authenticated:
            return HttpResponseRedirect(safe_next(request, home))
        return page(request, "console/sign_in.html", {"form": SignInForm(), "next": request.GET.get("next", "")})
    form = SignInForm(request.POST)
    attempt = _Attempt(request)
    wait = _throttled(attempt)
    if wait is not None:
        message = _("Too many attempts. Try again in %(seconds)d seconds.") % {"seconds": math.ceil(wait)}
        response = page(request, "console/sign_in.html", {"form": form, "refusal_message": message}, status=429)
        response["Retry-After"] = str(math.ceil(wait))
        return response
    refusal = None
    if form.is_valid():
        try:
            account_services.session_sign_in(request=request, **form.cleaned_data)
        except DomainError as error:
            refusal = Refusal.of(error)  # counted against the account: a wrong password
        else:
            LoginFailuresPerAccount().give_back(attempt, attempt)
            return HttpResponseRedirect(safe_next(request, home))
    else:
        LoginFailuresPerAccount().give_back(attempt, attempt)
    context = {"form": form, "refusal": refusal, "next": request.POST.get("next", "")}
    return page(request, "console/sign_in.html", context, status=400 if refusal is None else 401)


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    account_services.session_sign_out(request=request)
    return HttpResponseRedirect(reverse("console:sign-in"))


@require_http_methods(["GET", "POST"])
def choose_organization(request: HttpRequest) -> HttpResponse:
    """For a person in several organisations: which one they act for in this session (the API's X-Organization)."""
    if not request.user.is_authenticated:
        return HttpResponseRedirect(reverse("console:sign-in"))
    memberships = list(account_selectors.memberships_of_user(user=request.user))
    # A field officer may also act for the producers that delegated to them (the API's resolver checks again).
    delegations = list(
        delegations_for(actor=Actor(user=request.user)).filter(status=Delegation.Status.ACTIVE).order_by("granted_at")
    )
    if request.method == "POST":
        chosen = request.POST.get("organization", "")
        choices = {str(m.organization_id) for m in memberships} | {str(d.organization_id) for d in delegations}
        if chosen in choices:
            request.session[ORGANIZATION_KEY] = chosen
            return HttpResponseRedirect(reverse("console:home"))
    return page(request, "console/organization.html", {"memberships": memberships, "delegations": delegations})
