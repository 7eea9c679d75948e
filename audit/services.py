"""Writing to the audit trail. Every service that changes state calls `audit_record` in its transaction."""

from __future__ import annotations

import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction

from audit.models import GENESIS_HASH, AuditEvent
from core import clock
from core.actor import Actor
from core.middleware import current_request_id

# pg_advisory_xact_lock key for "the audit chain head" (any constant bigint; this one spells "audit").
_CHAIN_LOCK_KEY = 0x6175646974


def _lock_chain() -> None:
    """Serialise appends so each event links to the one committed before it.

    On PostgreSQL a transaction-level advisory lock is held until commit. SQLite allows one writer at a time,
    and the unique `seq` refuses a fork if two writers ever read the same head.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])


def _as_json(data: dict[str, Any] | None) -> dict[str, Any]:
    # Store exactly what a later read returns, so the hash recomputes identically.
    return json.loads(json.dumps(data or {}, cls=DjangoJSONEncoder))


@transaction.atomic
def audit_record(
    *,
    action: str,
    actor: Actor | Any = None,
    actor_organization: Any = None,
    subject_organization: Any = None,
    target: models.Model | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event.

    `actor` is the request's `Actor`: the user and the organisation they act for are both taken from it. Events
    with no acting organisation (sign-in, sign-up, a provider's webhook) pass the bare user, or None for an
    anonymous failed login, with `actor_organization` when there is one. The subject organisation (whose trail
    the event belongs to) defaults to the actor's. A delegate's event also names the delegation and the
    officer's support organisation, so that it reads "the officer, of that support organisation, for the
    producer".
    """
    delegation_id = delegate_organization_id = None
    if isinstance(actor, Actor):
        if actor_organization is not None:
            raise TypeError("an Actor carries its organisation: pass no actor_organization with it")
        user, actor_organization_id = actor.user, actor.organization_id
        if actor.delegation is not None:
            delegation_id = actor.delegation.id
            delegate_organization_id = actor.delegation.support_organization_id
    else:
        user, actor_organization_id = actor, getattr(actor_organization, "pk", None)
    subject_organization_id = getattr(subject_organization, "pk", None) or actor_organization_id
    _lock_chain()
    head = AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first()
    seq, prev_hash = (head[0] + 1, head[1]) if head else (1, GENESIS_HASH)
    event = AuditEvent(
        seq=seq,
        occurred_at=clock.now(),
        actor=user if user is not None and getattr(user, "is_authenticated", True) else None,
        actor_organization_id=actor_organization_id,
        subject_organization_id=subject_organization_id,
        delegation_id=delegation_id,
        delegate_organization_id=delegate_organization_id,
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        data=_as_json(data),
        request_id=current_request_id() if current_request_id() != "-" else "",
        prev_hash=prev_hash,
    )
    event.hash = event.compute_hash()
    event.save(force_insert=True)
    return event
