from __future__ import annotations

from typing import Any, cast

from django.db.models import QuerySet

from audit.models import AuditEvent, AuditEventQuerySet
from core.actor import Actor


def audit_events_for(*, actor: Actor) -> QuerySet[AuditEvent]:
    """Reviewers and staff read the whole trail; an organisation reads the events it took part in."""
    events = AuditEvent.objects.select_related("actor")
    if actor.is_staff or actor.is_reviewer:
        return events
    return events.visible_to_organization(actor.organization_id)


def audit_trail(*, actor: Actor, target: str = "", organization: Any = None) -> QuerySet[AuditEvent]:
    """Newest first, what the caller may read of the events about one object (`target`: its id, as the API's
    `target_id` filter) or one organisation (the events it took part in, as the API's `organization` filter)."""
    events = audit_events_for(actor=actor).select_related(
        "actor_organization", "subject_organization", "delegate_organization"
    )
    if target:
        events = events.filter(target_id=target)
    if organization is not None:
        events = cast(AuditEventQuerySet, events).visible_to_organization(organization)
    return events.order_by("-seq")
