"""Every write of the webhooks app (docs/webhooks.md): the endpoints and their secrets (audited), the dispatcher that
turns the audit chain into events and deliveries, and one delivery attempt."""

from __future__ import annotations

import datetime as dt
import json
import logging
import secrets as secrets_module
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization
from accounts.selectors import organization_admins
from audit.models import AuditEvent
from audit.services import audit_record
from core.actor import Actor
from core.errors import Conflict, PermissionDenied, field_error
from jobs.services import enqueue
from notifications.services import notify
from webhooks import transport
from webhooks.events import EVENT_TYPES, MAPPING, AuditFacts, type_of
from webhooks.models import (
    DeliveryState,
    DisabledReason,
    DispatchCursor,
    EndpointState,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    WebhookSecret,
)

logger = logging.getLogger(__name__)

DISPATCH_BATCH = 500
# The `webhooks.deliver` job's attempts (tasks.py): 1 minute doubling to 8 hours, the last 2 to 4 days after the first.
DELIVER_MAX_ATTEMPTS = 21
MAX_OVERLAP_HOURS = 168


def new_secret() -> str:
    return "whsec_" + secrets_module.token_hex(32)


def require_admin(actor: Actor) -> None:
    if not (actor.is_org_admin or actor.is_staff):
        raise PermissionDenied(
            _("Only your organisation's administrators manage its webhook endpoints."), code="not_org_admin"
        )


def require_registrar(actor: Actor) -> uuid.UUID:
    """An endpoint is an organisation's: registering one takes an admin acting for it (staff acting for none
    manage the endpoints that exist, but register none)."""
    require_admin(actor)
    if actor.organization_id is None:
        raise PermissionDenied(
            _("Act for an organisation (X-Organization) to register its webhook endpoint."),
            code="organization_required",
        )
    return actor.organization_id


def _check_event_types(event_types: list[str]) -> list[str]:
    unknown = sorted(set(event_types) - set(EVENT_TYPES))
    if unknown:
        raise field_error(
            "event_types", "unknown_event_type", _("Unknown event types: %(types)s.") % {"types": ", ".join(unknown)}
        )
    if not event_types:
        raise field_error("event_types", "required", _("Subscribe to at least one event type."))
    return [name for name in EVENT_TYPES if name in set(event_types)]  # one each, in the catalogue's order


def _endpoint_data(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return {"url": endpoint.url, "event_types": endpoint.event_types, "state": endpoint.state}


@transaction.atomic
def endpoint_create(
    *, actor: Actor, url: str, event_types: list[str], description: str = ""
) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint for the acting organisation. Answers it with its secret, shown this once."""
    organization_id = require_registrar(actor)
    types = _check_event_types(event_types)
    transport.check_url(url)
    organization = Organization.objects.get(pk=organization_id)
    endpoint = WebhookEndpoint.objects.create(
        organization=organization, url=url, description=description, event_types=types, created_by=actor.user
    )
    secret = WebhookSecret.objects.create(endpoint=endpoint, secret=new_secret())
    audit_record(
        action="webhooks.endpoint.created",
        actor=actor,
        subject_organization=organization,
        target=endpoint,
        data={**_endpoint_data(endpoint), "description": description},
    )
    return endpoint, secret.secret


def _locked(endpoint: WebhookEndpoint) -> WebhookEndpoint:
    return WebhookEndpoint.objects.select_for_update().select_related("organization").get(pk=endpoint.pk)


@transaction.atomic
def endpoint_update(
    *,
    actor: Actor,
    endpoint: WebhookEndpoint,
    url: str | None = None,
    event_types: list[str] | None = None,
    description: str | None = None,
    disable: bool = False,
) -> WebhookEndpoint:
    """Change the URL (checked again), the types, the description, or disable it (`state: disabled`)."""
    require_admin(actor)
    locked = _locked(endpoint)
    changed: dict[str, Any] = {}
    if url is not None and url != locked.url:
        transport.check_url(url)
        changed["url"] = locked.url = url
    if event_types is not None:
        types = _check_event_types(event_types)
        if types != locked.event_types:
            changed["event_types"] = locked.event_types = types
    if description is not None and description != locked.description:
        changed["description"] = locked.description = description
    if disable and locked.state == EndpointState.ACTIVE:
        locked.state, locked.disabled_at, locked.disabled_reason = (
            EndpointState.DISABLED,
            timezone.now(),
            DisabledReason.BY_ADMIN,
        )
        changed["state"] = EndpointState.DISABLED
    if not changed:
        return locked
    locked.save()
    audit_record(
        action="webhooks.endpoint.updated",
        actor=actor,
        subject_organization=locked.organization,
        target=locked,
        data={"changed": changed},
    )
    return locked


@transaction.atomic
def endpoint_delete(*, actor: Actor, endpoint: WebhookEndpoint) -> None:
    """Delete the endpoint with its secrets and its delivery log; pending deliveries stop."""
    require_admin(actor)
    locked = _locked(endpoint)
    audit_record(
        action="webhooks.endpoint.deleted",
        actor=actor,
        subject_organization=locked.organization,
        target=locked,
        data=_endpoint_data(locked),
    )
    locked.delete()


@transaction.atomic
def endpoint_rotate_secret(*, actor: Actor, endpoint: WebhookEndpoint, overlap_hours: int) -> tuple[str, datetime]:
    """A new current secret; the ones still signing stop `overlap_hours` from now (0: at once). Answers the new
    secret, shown this once, and when the previous ones stop signing."""
    require_admin(actor)
    if not 0 <= overlap_hours <= MAX_OVERLAP_HOURS:
        raise field_error(
            "overlap_hours", "out_of_range", _("Between 0 and %(max)s hours.") % {"max": MAX_OVERLAP_HOURS}
        )
    locked = _locked(endpoint)
    now = timezone.now()
    ends = now + timedelta(hours=overlap_hours)
    WebhookSecret.objects.filter(endpoint=locked).filter(Q(expires_at__isnull=True) | Q(expires_at__gt=ends)).update(
        expires_at=ends
    )
    secret = WebhookSecret.objects.create(endpoint=locked, secret=new_secret())
    audit_record(
        action="webhooks.endpoint.secret_rotated",
        actor=actor,
        subject_organization=locked.organization,
        target=locked,
        data={"overlap_hours": overlap_hours, "previous_expire_at": ends.isoformat()},
    )
    return secret.secret, ends


@transaction.atomic
def endpoint_enable(*, actor: Actor, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """Enable a disabled endpoint again (its URL checked again); enabling an active one changes nothing."""
    require_admin(actor)
    locked = _locked(endpoint)
    if locked.state == EndpointState.ACTIVE:
        return locked
    transport.check_url(locked.url)
    previous = locked.disabled_reason
    locked.state, locked.disabled_at, locked.disabled_reason, locked.failing_since = (
        EndpointState.ACTIVE,
        None,
        "",
        None,
    )
    locked.save()
    audit_record(
        action="webhooks.endpoint.enabled",
        actor=actor,
        subject_organization=locked.organization,
        target=locked,
        data={"disabled_reason": previous},
    )
    return locked


@transaction.atomic
def delivery_replay(*, actor: Actor, delivery: WebhookDelivery) -> WebhookDelivery:
    """A new delivery of the same event (same event id) to the same endpoint, tried now."""
    require_admin(actor)
    endpoint = _locked(delivery.endpoint)
    if endpoint.state != EndpointState.ACTIVE:
        raise Conflict(_("Enable the endpoint before replaying to it."), code="webhook_endpoint_disabled")
    replay = WebhookDelivery.objects.create(event_id=delivery.event_id, endpoint=endpoint, replay_of=delivery)
    enqueue("webhooks.deliver", args={"delivery": str(replay.pk)})
    audit_record(
        action="webhooks.delivery.replayed",
        actor=actor,
        subject_organization=endpoint.organization,
        target=replay,
        data={"event": str(delivery.event_id), "endpoint": str(endpoint.pk), "replay_of": str(delivery.pk)},
    )
    return WebhookDelivery.objects.select_related("event").prefetch_related("attempts").get(pk=replay.pk)


# --- The dispatcher --------------------------------------------------------------------------------------------


class Dispatched(NamedTuple):
    read: int  # audit events read (the cursor moved past them)
    deliveries: int  # deliveries asked for


@transaction.atomic
def dispatch_events(*, batch: int = DISPATCH_BATCH) -> Dispatched:
    """Read the audit events after the cursor (at most `batch`, in order), write one event per receiving
    organisation that has an active endpoint subscribed to its type and one delivery (and its job) per such
    endpoint, and move the cursor past what was read: one transaction, under the cursor's row lock, so two runs
    at once take turns and nothing is written twice or skipped.

    Audit sequence numbers are given under a lock held until the writer commits, so no event can later appear
    below the cursor. An endpoint receives only events that happened after it was registered."""
    DispatchCursor.objects.get_or_create(pk=1)
    cursor = DispatchCursor.objects.select_for_update().get(pk=1)
    rows = list(
        AuditEvent.objects.filter(seq__gt=cursor.seq)
        .order_by("seq")
        .values("seq", "action", "target_id", "data", "occurred_at")[:batch]
    )
    if not rows:
        return Dispatched(0, 0)
    endpoints: dict[Any, list[WebhookEndpoint]] = {}
    for endpoint in WebhookEndpoint.objects.filter(state=EndpointState.ACTIVE):
        endpoints.setdefault(endpoint.organization_id, []).append(endpoint)
    deliveries = 0
    if endpoints:
        for row in rows:
            rule = MAPPING.get(row["action"])
            if rule is None:
                continue
            facts = AuditFacts(row["seq"], row["action"], row["target_id"], row["data"])
            event_type = type_of(rule, facts)
            if event_type is None:
                continue
            for organization_id, data in rule.receivers(facts):
                subscribed = [
                    endpoint
                    for endpoint in endpoints.get(organization_id, [])
                    if event_type in endpoint.event_types and endpoint.created_at <= row["occurred_at"]
                ]
                if subscribed:
                    deliveries += _write_event(row, event_type, organization_id, data, subscribed)
    DispatchCursor.objects.filter(pk=1).update(seq=rows[-1]["seq"], updated_at=timezone.now())
    return Dispatched(len(rows), deliveries)


def _write_event(
    row: Mapping[str, Any],
    event_type: str,
    organization_id: Any,
    data: dict[str, Any],
    endpoints: list[WebhookEndpoint],
) -> int:
    event = WebhookEvent(type=event_type, organization_id=organization_id, audit_seq=row["seq"])
    event.payload = {
        "id": str(event.id),
        "type": event_type,
        "created": row["occurred_at"].astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
        "data": data,
    }
    event.save(force_insert=True)
    for endpoint in endpoints:
        delivery = WebhookDelivery.objects.create(event=event, endpoint=endpoint)
        enqueue("webhooks.deliver", args={"delivery": str(delivery.pk)})
    return len(endpoints)


# --- One delivery attempt -------------------------------------------------------------------------------------


class DeliveryFailed(Exception):
    """An attempt that did not get a 2xx: the job tries again later."""


def body_of(event: WebhookEvent) -> bytes:
    return json.dumps(event.payload, sort_keys=True, separators=(",", ":")).encode()


def signing_secrets(endpoint_id: Any) -> list[str]:
    now = timezone.now()
    return list(
        WebhookSecret.objects.filter(endpoint_id=endpoint_id)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .order_by("-created_at", "-id")
        .values_list("secret", flat=True)
    )


def deliver(delivery_id: str) -> str:
    """One attempt (the `webhooks.deliver` job): skip a delivery already settled or whose endpoint is disabled or
    gone; check the URL again and POST to the address checked; record the attempt. No transaction is open during
    the call. Raises DeliveryFailed on anything but a 2xx, so that the job retries."""
    delivery = WebhookDelivery.objects.select_related("event", "endpoint").filter(pk=delivery_id).first()
    if delivery is None:
        return "gone"
    if delivery.state != DeliveryState.PENDING:
        return delivery.state
    endpoint = delivery.endpoint
    if endpoint.state != EndpointState.ACTIVE:
        WebhookDelivery.objects.filter(pk=delivery.pk, state=DeliveryState.PENDING).update(state=DeliveryState.SKIPPED)
        return "skipped"
    body = body_of(delivery.event)
    started = timezone.now()
    try:
        target = transport.check_url(endpoint.url)
    except transport.AddressRefused as refusal:
        outcome = transport.Outcome(None, f"refused: {refusal.code}", 0, "")
    else:
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "OroResponsable-Webhooks/1",
            "Oro-Event-Id": str(delivery.event_id),
            "Oro-Event-Type": delivery.event.type,
            "Oro-Signature": transport.signature_header(signing_secrets(endpoint.pk), body),
        }
        outcome = transport.post(target, body, headers)
    return _record(delivery, started, outcome)


@transaction.atomic
def _record(delivery: WebhookDelivery, started: Any, outcome: transport.Outcome) -> str:
    WebhookAttempt.objects.create(
        delivery=delivery,
        at=started,
        status_code=outcome.status_code,
        error=outcome.error,
        latency_ms=outcome.latency_ms,
        response_excerpt=outcome.excerpt,
    )
    endpoint = (
        WebhookEndpoint.objects.select_for_update()
        .select_related("organization")
        .filter(pk=delivery.endpoint_id)
        .first()
    )
    if endpoint is None:
        return "gone"
    now = timezone.now()
    if outcome.ok:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(state=DeliveryState.DELIVERED, delivered_at=now)
        if endpoint.failing_since is not None:
            WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=None)
        return "delivered"
    failing_since = endpoint.failing_since or started
    if endpoint.failing_since is None:
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=failing_since)
    attempts = WebhookAttempt.objects.filter(delivery=delivery).count()
    if attempts >= DELIVER_MAX_ATTEMPTS:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(state=DeliveryState.FAILED)
    days = settings.WEBHOOKS_DISABLE_AFTER_DAYS
    if endpoint.state == EndpointState.ACTIVE and now - failing_since >= timedelta(days=days):
        _disable_failing(endpoint, days)
        WebhookDelivery.objects.filter(pk=delivery.pk, state=DeliveryState.PENDING).update(state=DeliveryState.FAILED)
        return "disabled"
    if attempts >= DELIVER_MAX_ATTEMPTS:
        return "failed"
    return "retry"  # the job raises after this transaction commits, so that the attempt stays logged


def _disable_failing(endpoint: WebhookEndpoint, days: int) -> None:
    """No delivery accepted for `days`: disable it, tell the organisation's admins (audited, no actor)."""
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        state=EndpointState.DISABLED, disabled_at=timezone.now(), disabled_reason=DisabledReason.FAILING
    )
    audit_record(
        action="webhooks.endpoint.disabled",
        actor=None,
        subject_organization=endpoint.organization,
        target=endpoint,
        data={
            "reason": DisabledReason.FAILING,
            "failing_since": endpoint.failing_since.isoformat() if endpoint.failing_since else None,
        },
    )
    notify(
        recipients=organization_admins(organization_id=endpoint.organization_id),
        kind="webhook_endpoint_disabled",
        params={"url": endpoint.url, "days": days},
        organization=endpoint.organization,
        target=endpoint,
    )
