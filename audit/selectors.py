from __future__ import annotations

from django.db.models import QuerySet

from audit.models import AuditEvent
from core.actor import Actor


def audit_events_for(*, actor: Actor) -> QuerySet[AuditEvent]:
    """Reviewers and staff read the whole trail; an organisation reads the events it took part in."""
    events = AuditEvent.objects.select_related("actor")
    if actor.is_staff or actor.is_reviewer:
        return events
    return events.visible_to_organization(actor.organization_id)
