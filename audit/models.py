"""Audit events. Rows are written once and never changed: the ORM refuses, and PostgreSQL refuses by trigger.

Each row stores the hash of the previous row, so altering or removing any row breaks every later link;
`manage.py verify_audit_chain` recomputes the chain and names the first broken link.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any, NoReturn

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

GENESIS_HASH = "0" * 64

# How new actions are named: `<app>.<entity>.<event>`, all snake_case, where the event ends with a past
# participle (what happened, not what to do): `accounts.invitation.accepted`, `accounts.membership.role_changed`,
# `trade.deposit.payment_held`, `accounts.buyer.signed_up`, `listings.listing.sold_out`. Names recorded before
# this rule keep their spelling (stored rows and the clients that filter on them rely on it):
# tests/audit/test_action_names.py lists them.
ACTION_PATTERN = re.compile(
    r"^(?P<app>[a-z]+)\.(?P<entity>[a-z]+(?:_[a-z]+)*)\."
    r"(?P<event>(?:[a-z]+_)*(?:[a-z]+ed|[a-z]*sent|read|held|paid|sold|withdrawn|made|done)(?:_up|_out)?)$"
)


class AuditEventIsAppendOnly(Exception):
    pass


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AuditEventIsAppendOnly("audit events cannot be updated")

    def delete(self) -> NoReturn:  # type: ignore[override]
        raise AuditEventIsAppendOnly("audit events cannot be deleted")

    def visible_to_organization(self, organization_id: Any) -> AuditEventQuerySet:
        return self.filter(
            models.Q(actor_organization_id=organization_id) | models.Q(subject_organization_id=organization_id)
        )


class AuditEvent(models.Model):
    id = models.BigAutoField(primary_key=True)
    # Position in the chain: 1, 2, 3... assigned under the chain lock, so it has no gaps.
    seq = models.PositiveBigIntegerField(unique=True)
    occurred_at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_organization = models.ForeignKey(
        "accounts.Organization", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The organisation the event is about (whose trail it belongs to), when it differs from the actor's.
    subject_organization = models.ForeignKey(
        "accounts.Organization", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # A write done by a support organisation's field officer for a producer: the delegation it went through and
    # the officer's support organisation (`actor_organization` is then the producer acted for).
    delegation = models.ForeignKey(
        "accounts.Delegation", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    delegate_organization = models.ForeignKey(
        "accounts.Organization", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=80)  # ACTION_PATTERN, e.g. "accounts.invitation.accepted"
    target_type = models.CharField(max_length=80, blank=True)  # "accounts.organization"
    target_id = models.CharField(max_length=64, blank=True)
    data = models.JSONField(default=dict, encoder=DjangoJSONEncoder)
    request_id = models.CharField(max_length=64, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["seq"]
        indexes = [
            models.Index(fields=["actor_organization", "seq"], name="audit_actor_org_idx"),
            models.Index(fields=["subject_organization", "seq"], name="audit_subject_org_idx"),
            models.Index(fields=["target_type", "target_id"], name="audit_target_idx"),
            models.Index(fields=["action"], name="audit_action_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AuditEventIsAppendOnly("audit events cannot be updated")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AuditEventIsAppendOnly("audit events cannot be deleted")

    def canonical(self) -> bytes:
        """The bytes that the hash covers: every field but the hash itself, in a fixed JSON form.

        `delegation` and `delegate_organization` are in it only for an event done through a delegation: every
        other event, and every event recorded before delegations existed, hashes exactly as it always did."""
        payload: dict[str, Any] = {
            "seq": self.seq,
            "occurred_at": self.occurred_at.isoformat(timespec="microseconds"),
            "actor": str(self.actor_id) if self.actor_id else None,
            "actor_organization": str(self.actor_organization_id) if self.actor_organization_id else None,
            "subject_organization": str(self.subject_organization_id) if self.subject_organization_id else None,
            "action": self.action,
            "target_type": self.target_type,
            "target_id": self.target_id,
            "data": self.data,
            "request_id": self.request_id,
            "prev_hash": self.prev_hash,
        }
        if self.delegation_id is not None or self.delegate_organization_id is not None:
            payload["delegation"] = str(self.delegation_id) if self.delegation_id else None
            payload["delegate_organization"] = (
                str(self.delegate_organization_id) if self.delegate_organization_id else None
            )
        return json.dumps(payload, sort_keys=True, separators=(",", ":"), cls=DjangoJSONEncoder).encode()

    def compute_hash(self) -> str:
        return hashlib.sha256(self.canonical()).hexdigest()
