"""A signed contract's deposit: both parties (and reviewers and staff) see what the signed terms ask, where the
deposit stands (waiting for the card, processing, held, failed, refunded, released to the producer) and its
refunds; the buyer's admin pays it by card. The API's selectors and services; the amount comes from the signed
terms, never from the page.

Paying: the POST starts the deposit (`deposit_start`: the deposit row, then its Stripe PaymentIntent, or the
active one again) and answers the card form with the intent's client secret, as the API's POST answers it.
Stripe.js, loaded from Stripe on this page only (the Content-Security-Policy is widened here, and only here, to
Stripe's origins), takes the card in Stripe's own frame and confirms the payment (`console/deposit.js`); the
card number never reaches this server. The deposit is marked held by Stripe's signed webhook, never by the
browser: the page shows it when it arrives. Refunds and the release to the producer are staff's moves, in the
API and the admin."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_http_methods

from console.views.base import Refusal, page, signed_in
from core.errors import DomainError
from core.http import carries_secret
from trade import selectors
from trade.api.serializers import DepositSerializer
from trade.deposits.create import deposit_amount_for, deposit_start
from trade.deposits.selectors import deposit_of_contract
from trade.models import Contract


def stripe_sources() -> dict[str, list[str]]:
    """What the deposit page adds to the policy: Stripe.js's origin for its script, frames and calls, and Stripe's
    API and 3-D Secure frames (https://docs.stripe.com/security/guide#content-security-policy)."""
    parts = urlsplit(settings.STRIPE_JS_URL)
    origin = f"{parts.scheme}://{parts.netloc}"
    return {
        "script-src": [origin],
        "frame-src": [origin, "https://hooks.stripe.com"],
        "connect-src": [origin, "https://api.stripe.com"],
    }


def _asked(contract: Contract) -> tuple[dict[str, Any] | None, Refusal | None]:
    """What the signed terms ask for, or why no deposit can be paid (the service's words)."""
    if contract.signed_version is None:
        return None, None
    try:
        amount, currency = deposit_amount_for(contract)
    except DomainError as error:
        return None, Refusal.of(error)
    return {"amount_minor": amount, "currency": currency}, None


@require_http_methods(["GET", "POST"])
@signed_in
def deposit(request: HttpRequest, contract_id: Any) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    try:
        contract = selectors.contract_get(actor=actor, contract_id=contract_id)
    except DomainError as error:
        return page(request, "console/refused.html", {"refusal": Refusal.of(error)}, status=error.status)
    asked, why_not = _asked(contract)
    context: dict[str, Any] = {
        "contract": contract,
        "asked": asked,
        "why_not": why_not,
        "may_pay": contract.side_of(actor.organization_id) == "buyer" and actor.is_org_admin,
        "card_ready": bool(settings.STRIPE_PUBLISHABLE_KEY),
        "stripe_publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
        "stripe_js_url": settings.STRIPE_JS_URL,
    }
    status = 200
    if request.method == "POST":
        try:
            started = deposit_start(actor=actor, contract=contract)
            context["client_secret"] = started.client_secret
        except DomainError as error:
            context["refusal"] = Refusal.of(error)
            status = error.status
    try:
        context["deposit"] = DepositSerializer(deposit_of_contract(actor=actor, contract=contract)).data
    except DomainError:
        context["deposit"] = None  # none yet: the page offers to pay it
    response = page(request, "console/contracts/deposit.html", context, status=status)
    if context.get("client_secret") and context["card_ready"]:
        response._csp_update = stripe_sources()  # type: ignore[attr-defined]  # django-csp reads it
    response["Cache-Control"] = "private, no-store"
    return carries_secret(response)
