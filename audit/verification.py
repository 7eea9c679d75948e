"""Proving the chain: every hash recomputes, and every event links to the one before it.

One function, `verify_chain`, serves the `verify_audit_chain` command (the whole chain) and the API's
`audit-events/verify/` (a bounded range). docs/audit.md says what the hash covers, so anyone holding the
events can check them without this code.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from audit.models import GENESIS_HASH, AuditEvent

# Why a link is broken: a stable code, and the sentence the command and the API show.
REASONS = {
    "event_missing": _("event #%(seq)d is missing"),
    "link_broken": _("it does not link to the event before it"),
    "hash_mismatch": _("its content does not match its hash"),
}


@dataclass(frozen=True)
class ChainReport:
    checked: int
    head: str  # the hash the next event must link to: the last checked event's, or the one before the range
    first_seq: int | None = None  # the range that was checked
    last_seq: int | None = None
    broken_at: int | None = None  # seq of the first event that fails
    reason_code: str | None = None

    @property
    def ok(self) -> bool:
        return self.broken_at is None

    @property
    def reason(self) -> str:
        if self.reason_code is None:
            return ""
        return str(REASONS[self.reason_code] % {"seq": self.broken_at})


def chain_head_seq() -> int:
    """The seq of the newest event (0 for an empty chain)."""
    return AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def verify_chain(*, from_seq: int = 1, to_seq: int | None = None, batch_size: int = 2000) -> ChainReport:
    """Recompute the events from `from_seq` to `to_seq` (the head when None), both included.

    The first event of the range must link to the stored hash of the event before it (the genesis value
    for event 1); that earlier event is checked by verifying a range that holds it.
    """
    if from_seq < 1:
        raise ValueError("from_seq starts at 1")
    last = chain_head_seq() if to_seq is None else min(to_seq, chain_head_seq())
    if from_seq == 1:
        expected_prev = GENESIS_HASH
    else:
        before = AuditEvent.objects.filter(seq=from_seq - 1).values_list("hash", flat=True).first()
        if before is None:
            if from_seq - 1 > chain_head_seq():
                return ChainReport(0, "")  # nothing recorded in this range yet
            return ChainReport(0, "", broken_at=from_seq - 1, reason_code="event_missing")
        expected_prev = before
    if from_seq > last:
        return ChainReport(0, expected_prev)
    expected_seq, checked = from_seq, 0

    def broken(at: int, reason_code: str) -> ChainReport:
        last_good = from_seq + checked - 1 if checked else None
        return ChainReport(
            checked, expected_prev, first_seq=from_seq, last_seq=last_good, broken_at=at, reason_code=reason_code
        )

    events = AuditEvent.objects.filter(seq__gte=from_seq, seq__lte=last).order_by("seq")
    for event in events.iterator(chunk_size=batch_size):
        if event.seq != expected_seq:
            return broken(expected_seq, "event_missing")
        if event.prev_hash != expected_prev:
            return broken(event.seq, "link_broken")
        if event.compute_hash() != event.hash:
            return broken(event.seq, "hash_mismatch")
        expected_prev, expected_seq, checked = event.hash, expected_seq + 1, checked + 1
    if expected_seq <= last:
        return broken(expected_seq, "event_missing")
    return ChainReport(checked, expected_prev, first_seq=from_seq, last_seq=last)
