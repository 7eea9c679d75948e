"""Reads of the webhooks app, scoped to the caller: an organisation's admins see its endpoints and deliveries,
staff every one; another organisation's is missing (404)."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from core.actor import Actor
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from webhooks.services import require_admin


def endpoints_for(actor: Actor) -> QuerySet[WebhookEndpoint]:
    require_admin(actor)
    endpoints = WebhookEndpoint.objects.select_related("organization")
    if actor.organization_id is None:
        return endpoints if actor.is_staff else endpoints.none()
    return endpoints.filter(organization_id=actor.organization_id)


def deliveries_of(endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    return (
        WebhookDelivery.objects.filter(endpoint=endpoint)
        .select_related("event")
        .prefetch_related(Prefetch("attempts", queryset=WebhookAttempt.objects.order_by("at", "id")))
    )


def deliveries_for(actor: Actor) -> QuerySet[WebhookDelivery]:
    require_admin(actor)
    deliveries = WebhookDelivery.objects.select_related("event", "endpoint__organization")
    if actor.organization_id is None:
        return deliveries if actor.is_staff else deliveries.none()
    return deliveries.filter(endpoint__organization_id=actor.organization_id)
