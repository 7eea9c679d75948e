"""Which audit events become which webhook events, and who receives them with what (docs/webhooks.md).

The table `MAPPING` is the whole rule: an audit action (exactly as the chain records it) → the webhook event type
and the function that names the receiving organisations with each one's `data`. A receiver is only a party that
can already read the object through the API, and `data` carries ids, kinds and states: never personal data, free
text of the other party or a reviewer's notes. Actions not in the table (and every `webhooks.*` action) are read
and skipped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from compliance.models import Evidence
from diligence.models import RedFlag
from listings.models import Listing
from provenance.models import Lot
from trade.models import Contract, ContractLot, Deposit, Inquiry

# The public list (GET /api/v1/webhook-event-types/), in the order the docs give them.
EVENT_TYPES: dict[str, Any] = {
    "evidence.decided": _(
        "A reviewer decided on an evidence item of your organisation (approved, rejected, changes requested, revoked)."
    ),
    "listing.visible": _("Your listing is offered: published, resumed, released by a reviewer or reopened."),
    "listing.hidden": _("Your listing is no longer offered: paused, withdrawn or sold out."),
    "inquiry.message": _("A message was posted in an inquiry between your organisation and another."),
    "contract.proposed": _("A version of a contract's terms was proposed (by either party)."),
    "contract.accepted": _("A contract was signed: its latest version accepted by the other party."),
    "contract.cancelled": _("A signed contract was cancelled."),
    "deposit.state": _("A contract's deposit changed state (created, held, failed, released, refunded...)."),
    "lot.custody_event": _("A custody event was recorded on a lot: yours, or one a contract of yours delivers."),
    "red_flag.opened": _("A reviewer opened a red flag against your producer, one of its sites or lots."),
    "red_flag.closed": _("A red flag against your producer, one of its sites or lots was closed."),
}

Receipt = tuple[Any, dict[str, Any]]  # (organisation id, data)


@dataclass(frozen=True)
class AuditFacts:
    seq: int
    action: str
    target_id: str
    data: dict[str, Any]


def _suffix(action: str) -> str:
    return action.rsplit(".", 1)[1]


# A decision that changes the item's status. Not `first_approval`: a type that needs two reviewers stays in review
# after the first one (nor `claim`, a reviewer taking the item).
EVIDENCE_DECISIONS = {
    "approve": "approved",
    "reject": "rejected",
    "request_changes": "changes_requested",
    "revoke": "revoked",
}


def _evidence(facts: AuditFacts) -> list[Receipt]:
    row = Evidence.objects.filter(pk=facts.target_id).values("organization_id", "evidence_type_id").first()
    if row is None:
        return []
    data: dict[str, Any] = {
        "object": "evidence",
        "id": facts.target_id,
        "evidence_type": row["evidence_type_id"],
        "status": EVIDENCE_DECISIONS[_suffix(facts.action)],
    }
    if facts.data.get("superseded"):  # the organisation's older items of the type this approval replaced
        data["superseded"] = facts.data["superseded"]
    return [(row["organization_id"], data)]


def _listing(facts: AuditFacts) -> list[Receipt]:
    row = Listing.objects.filter(pk=facts.target_id).values("producer_id").first()
    if row is None:
        return []
    return [(row["producer_id"], {"object": "listing", "id": facts.target_id, "status": facts.data.get("to")})]


def _listing_type(facts: AuditFacts) -> str | None:
    """Offered (published) now and not before: visible; the other way round: hidden; otherwise nothing (a
    publish held for a reviewer, a withdrawn draft)."""
    before, after = facts.data.get("from"), facts.data.get("to")
    if after == "published" and before != "published":
        return "listing.visible"
    if before == "published" and after != "published":
        return "listing.hidden"
    return None


def _parties(buyer_id: Any, producer_id: Any, data: dict[str, Any]) -> list[Receipt]:
    return [(buyer_id, data), (producer_id, data)]


def _inquiry_message(facts: AuditFacts) -> list[Receipt]:
    row = Inquiry.objects.filter(pk=facts.target_id).values("buyer_id", "producer_id").first()
    if row is None:
        return []
    data = {
        "object": "inquiry",
        "id": facts.target_id,
        "message": facts.data.get("message"),
        "side": facts.data.get("side"),
    }
    return _parties(row["buyer_id"], row["producer_id"], data)


def _contract(facts: AuditFacts) -> list[Receipt]:
    row = (
        Contract.objects.filter(pk=facts.target_id)
        .values("buyer_id", "producer_id", "listing_id", "inquiry_id")
        .first()
    )
    if row is None:
        return []
    data: dict[str, Any] = {
        "object": "contract",
        "id": facts.target_id,
        "state": facts.data.get("to", "negotiating"),
        "listing": str(row["listing_id"]),
        "inquiry": str(row["inquiry_id"]),
    }
    if "version" in facts.data:
        data["version"] = facts.data["version"]
        data["proposed_by_side"] = facts.data.get("side")
    return _parties(row["buyer_id"], row["producer_id"], data)


# The state a deposit is in after an event whose audit data has no `to`.
DEPOSIT_STATE_AFTER = {
    "created": "requires_payment",
    "cancelled": "cancelled",
    "released": "released",
    "refunded": "refunded",
    "refund_reserved": "held",  # the refund is asked of Stripe; the deposit stays held until it answers
    "refund_failed": "held",
}


def _deposit(facts: AuditFacts) -> list[Receipt]:
    row = (
        Deposit.objects.filter(pk=facts.target_id)
        .values("contract_id", "contract__buyer_id", "contract__producer_id")
        .first()
    )
    if row is None:
        return []
    event = _suffix(facts.action)
    data = {
        "object": "deposit",
        "id": facts.target_id,
        "contract": str(row["contract_id"]),
        "event": event,
        "state": facts.data.get("to") or DEPOSIT_STATE_AFTER.get(event),
    }
    return _parties(row["contract__buyer_id"], row["contract__producer_id"], data)


def _custody(facts: AuditFacts) -> list[Receipt]:
    row = Lot.objects.filter(pk=facts.target_id).values("producer_id").first()
    if row is None:
        return []
    data = {
        "object": "lot",
        "id": facts.target_id,
        "custody_kind": facts.data.get("kind"),
        "custody_seq": facts.data.get("seq"),
    }
    receipts: list[Receipt] = [(row["producer_id"], {**data, "contracts": []})]
    # The buyers of the contracts that deliver the lot (not released by a cancellation) read it on their contract.
    contracts: dict[Any, list[str]] = {}
    for buyer_id, contract_id in ContractLot.objects.filter(lot_id=facts.target_id, released=False).values_list(
        "contract__buyer_id", "contract_id"
    ):
        contracts.setdefault(buyer_id, []).append(str(contract_id))
    receipts[0][1]["contracts"] = sorted(c for ids in contracts.values() for c in ids)
    receipts += [(buyer_id, {**data, "contracts": sorted(ids)}) for buyer_id, ids in contracts.items()]
    return receipts


PRODUCER_SIDE_FLAGS = ("producer", "site", "lot")


def _red_flag(facts: AuditFacts) -> list[Receipt]:
    """Only a flag against a producer, its site or its lot, and only to that producer (who reads it in the API).
    A flag against a buyer goes to nobody: the buyer is not told (docs/diligence.md)."""
    row = (
        RedFlag.objects.filter(pk=facts.target_id)
        .values("subject_kind", "organization_id", "site_id", "lot_id", "category_id", "severity")
        .first()
    )
    if row is None or row["subject_kind"] not in PRODUCER_SIDE_FLAGS:
        return []
    data = {
        "object": "red_flag",
        "id": facts.target_id,
        "subject_kind": row["subject_kind"],
        "site": str(row["site_id"]) if row["site_id"] else None,
        "lot": str(row["lot_id"]) if row["lot_id"] else None,
        "category": row["category_id"],
        "severity": row["severity"],
        "status": "open" if facts.action.endswith("opened") else "closed",
    }
    return [(row["organization_id"], data)]


@dataclass(frozen=True)
class Rule:
    type: str | Callable[[AuditFacts], str | None]
    receivers: Callable[[AuditFacts], list[Receipt]]
    who: str  # for the docs and the tests


_EVIDENCE = Rule("evidence.decided", _evidence, "the evidence's organisation")
_LISTING = Rule(_listing_type, _listing, "the listing's producer")
_CONTRACT = "both parties of the contract"

# audit action → rule. The table in docs/webhooks.md says the same (a test compares them).
MAPPING: dict[str, Rule] = {
    **{f"compliance.evidence.{move}": _EVIDENCE for move in EVIDENCE_DECISIONS},
    **{
        f"listings.listing.{move}": _LISTING
        for move in ("publish", "release", "resume", "reopened", "pause", "withdraw", "sold_out")
    },
    "trade.inquiry.message_posted": Rule("inquiry.message", _inquiry_message, "both parties of the inquiry"),
    "trade.contract.proposed": Rule("contract.proposed", _contract, _CONTRACT),
    "trade.contract.signed": Rule("contract.accepted", _contract, _CONTRACT),
    "trade.contract.cancel": Rule("contract.cancelled", _contract, _CONTRACT),
    **{
        f"trade.deposit.{event}": Rule("deposit.state", _deposit, "both parties of the deposit's contract")
        for event in (
            "created",
            "payment_processing",
            "payment_held",
            "payment_failed",
            "payment_cancelled",
            "payment_retried",
            "cancelled",
            "released",
            "refund_reserved",
            "refund_failed",
            "refunded",
        )
    },
    **{
        f"provenance.custody.{verb}": Rule(
            "lot.custody_event", _custody, "the lot's producer and the buyers of the contracts delivering it"
        )
        for verb in ("sealed", "handed", "exported", "received")
    },
    "diligence.red_flag.opened": Rule("red_flag.opened", _red_flag, "the flagged producer (never a flagged buyer)"),
    "diligence.red_flag.closed": Rule("red_flag.closed", _red_flag, "the flagged producer (never a flagged buyer)"),
}


def type_of(rule: Rule, facts: AuditFacts) -> str | None:
    return rule.type(facts) if callable(rule.type) else rule.type
