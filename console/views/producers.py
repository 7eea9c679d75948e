"""A producer as buyers see it: who it is, its standing and the badges it holds with the evidence types behind
each, and what it offers today; and, for a buyer that trades with it, the due-diligence pack: asking the producer
for it, then reading it (the page, the PDF, each file through its signed link) while the consent is in force.
The API's serializer, selectors and services: the same people read the same things, every read is audited."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST

from compliance import catalogue
from console.views.base import Refusal, actor_or_anonymous, page, signed_in
from core.actor import Actor
from core.downloads import attachment_response
from core.errors import DomainError
from core.http import carries_secret
from diligence import consent as consents
from diligence import pack, reads
from diligence.models import PackConsent
from listings import cards, selectors
from producers.api.serializers import serialize_producers
from producers.selectors import producer_get

OFFERS_SHOWN = 20


def _consent_of(actor: Actor, producer_id: Any) -> PackConsent | None:
    """The buyer's latest request for this producer's pack (none for anyone else)."""
    if actor.organization_kind != "buyer":
        return None
    return consents.consents_for(actor=actor).filter(producer_id=producer_id).order_by("-requested_at").first()


def _producer_page(request: HttpRequest, actor: Actor, producer_id: Any, **extra: Any) -> HttpResponse:
    try:
        producer = producer_get(actor=actor, producer_id=producer_id)
    except DomainError as error:
        return page(request, "console/refused.html", {"refusal": Refusal.of(error)}, status=error.status)
    entries = selectors.entries_today().filter(producer_id=producer.pk).order_by("-created_key")[:OFFERS_SHOWN]
    market = selectors.current_market()
    consent = _consent_of(actor, producer.pk)
    context = {
        "producer": serialize_producers([producer], actor, many=False),
        "offers": [cards.shown(entry, market) for entry in entries],
        "names": catalogue.names(),
        "consent": consent,
        "pack_readable": consent is not None
        and consent == consents.consent_in_force(buyer_id=actor.organization_id, producer_id=producer.pk),
        **extra,
    }
    refusal = extra.get("refusal")
    return page(request, "console/producers/producer.html", context, status=refusal.status if refusal else 200)


def producer(request: HttpRequest, producer_id: Any) -> HttpResponse:
    """Anyone (as the API's producer directory): a verified producer; its own people and reviewers any state."""
    actor = actor_or_anonymous(request)
    request.actor = actor  # type: ignore[attr-defined]
    return _producer_page(request, actor, producer_id)


@require_POST
@signed_in
def pack_request(request: HttpRequest, producer_id: Any) -> HttpResponse:
    """A buyer's member asks for the pack: the API's service (404 without an open inquiry or a contract with the
    producer; asking again while one is pending or granted changes nothing)."""
    actor = request.actor  # type: ignore[attr-defined]
    try:
        consents.pack_request(actor=actor, producer_id=producer_id)
    except DomainError as error:
        return _producer_page(request, actor, producer_id, refusal=Refusal.of(error))
    return HttpResponseRedirect(reverse("console:producer", args=[producer_id]))


def _file_address(token: str) -> str:
    return reverse("console:pack-file", args=[token])


@signed_in
def pack_page(request: HttpRequest, producer_id: Any) -> HttpResponse:
    """The pack as a page, its files downloaded through this console with the pack's signed links; audited as a
    read (`format` html), with the digest the API and the PDF give for the same facts."""
    actor = request.actor  # type: ignore[attr-defined]
    try:
        _consent, _content, body = reads.pack_read(actor, producer_id, "html", link=_file_address)
    except DomainError as error:
        return page(request, "console/refused.html", {"refusal": Refusal.of(error)}, status=error.status)
    response = page(request, "console/producers/pack.html", {"pack": body, "names": catalogue.names()})
    response["Cache-Control"] = "private, no-store"  # signed links, and facts that may change tomorrow
    return carries_secret(response)


@signed_in
def pack_pdf(request: HttpRequest, producer_id: Any) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    try:
        _consent, content, body = reads.pack_read(actor, producer_id, "pdf")
    except DomainError as error:
        return page(request, "console/refused.html", {"refusal": Refusal.of(error)}, status=error.status)
    response = HttpResponse(pack.render_pdf(content, body["sha256"], body["generated_at"]), "application/pdf")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=f"pack-{content['producer']['ruc']}-{content['as_of']}.pdf"
    )
    response["Cache-Control"] = "private, no-store"
    return response


@signed_in
def pack_file(request: HttpRequest, token: str) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    try:
        file, content = reads.pack_file_read(actor, token)
    except DomainError as error:
        return page(request, "console/refused.html", {"refusal": Refusal.of(error)}, status=error.status)
    return attachment_response(content, file.content_type, file.original_name)
