"""Every audit action name the code can record follows one pattern (audit.models.ACTION_PATTERN).

The names are collected from the source: the literal `action=` of every `audit_record` call, and for the calls
that build the name (`f"producers.producer.{move}"`) every value the name can take, from the same transition
tables and literal arguments the code uses. A new f-string template fails
`test_every_template_is_expanded` until this file says where its values come from.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

from audit.models import ACTION_PATTERN
from compliance.kyc import KYC_TRANSITIONS
from compliance.models import EVIDENCE_TRANSITIONS
from listings.models import TRANSITIONS as LISTING_TRANSITIONS
from producers.models import SITE_TRANSITIONS, VERIFICATION_TRANSITIONS
from provenance.services import CUSTODY_VERBS
from trade.deposits.stripe_sync import INTENT_STATUS_TO_DEPOSIT
from trade.models import TRANSITIONS as CONTRACT_TRANSITIONS
from trade.models import DepositStatus

ROOT = Path(__file__).resolve().parents[2]
APPS = (
    "core",
    "audit",
    "notifications",
    "accounts",
    "producers",
    "compliance",
    "prices",
    "provenance",
    "diligence",
    "listings",
    "payments",
    "trade",
    "settlement",
    "webhooks",
)

# Names recorded before the pattern was written down. Stored events keep these names, and clients filter the
# trail by them (`?action=`, `?action_prefix=`): renaming would split one kind of event into two names across
# the history, so they stay as they are. No new name may join this list.
LEGACY_ACTIONS = frozenset(
    {
        "accounts.logout",  # two parts
        "accounts.logout_all",  # two parts
        "notifications.notification.read_all",
        "demo.seeded",  # the demo seed command (marketplace), two parts
        # Transitions named by their move (imperative) rather than by what happened.
        "producers.producer.submit",
        "producers.producer.verify",
        "producers.producer.request_changes",
        "producers.producer.reject",
        "producers.producer.suspend",
        "producers.producer.reinstate",
        "producers.producer.revoke",
        "producers.site.approve",
        "producers.site.reject",
        "compliance.evidence.claim",
        "compliance.evidence.first_approval",
        "compliance.evidence.approve",
        "compliance.evidence.reject",
        "compliance.evidence.request_changes",
        "compliance.evidence.revoke",
        "compliance.kyc.submit",
        "compliance.kyc.verify",
        "compliance.kyc.reject",
        "listings.listing.publish",
        "listings.listing.release",
        "listings.listing.pause",
        "listings.listing.resume",
        "listings.listing.withdraw",
        "trade.contract.decline",
        "trade.contract.withdraw",
        "trade.contract.cancel",
        "trade.contract.complete",
        "trade.deposit.payment_processing",  # the intent's state, not an event
    }
)


def _source_files() -> list[Path]:
    files = [path for app in APPS for path in (ROOT / app).rglob("*.py") if "migrations" not in path.parts]
    return [*files, *(ROOT / "marketplace").rglob("*.py")]


def _calls(name: str) -> list[ast.Call]:
    found = []
    for path in _source_files():
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Call):
                func = node.func
                called = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
                if called == name:
                    found.append(node)
    return found


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((kw.value for kw in call.keywords if kw.arg == name), None)


def _literal_keywords(function: str, keyword: str) -> set[str]:
    values = set()
    for call in _calls(function):
        value = _keyword(call, keyword)
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            values.add(value.value)
    return values


def _deposit_events() -> set[str]:
    """`audit_deposit(deposit, "released", ...)` in trade/deposits/, and `"payment_" + target` for each status a
    PaymentIntent moves a deposit to."""
    events = set()
    for call in _calls("audit_deposit"):
        event = call.args[1]
        if isinstance(event, ast.Constant):
            events.add(event.value)
        else:
            assert isinstance(event, ast.BinOp), ast.dump(event)
            assert isinstance(event.left, ast.Constant), ast.dump(event)
            targets = {*INTENT_STATUS_TO_DEPOSIT.values(), DepositStatus.FAILED}
            events |= {event.left.value + status for status in targets}
    return events


@functools.cache
def _templates() -> dict[str, set[str]]:
    """Each f-string template of an `audit_record(action=...)` with the values its placeholder takes."""
    return {
        "producers.producer.{}": set(VERIFICATION_TRANSITIONS),
        "producers.site.{}": set(SITE_TRANSITIONS),
        # Decisions are recorded by `_record_decision(action=...)`; superseding is recorded by the newer item.
        "compliance.evidence.{}": (set(EVIDENCE_TRANSITIONS) - {"supersede"})
        | _literal_keywords("_record_decision", "action"),
        "compliance.kyc.{}": set(KYC_TRANSITIONS),
        "listings.listing.{}": set(LISTING_TRANSITIONS),
        # Accepting the last version records `signed` (a literal `_record_move(move="signed")`), not `accept`.
        "trade.contract.{}": (set(CONTRACT_TRANSITIONS) - {"accept"}) | _literal_keywords("_record_move", "move"),
        "trade.deposit.{}": _deposit_events(),
        # A custody event records the verb of its kind (`recorded` is the lot's own event).
        "provenance.custody.{}": set(CUSTODY_VERBS.values()),
        # diligence/consent.py: `_audit("requested", ...)` and the past tense of each move.
        "diligence.pack_consent.{}": _literal_first_arguments("_audit", "diligence/consent.py")
        | {"granted", "declined", "revoked"},
        # accounts/delegation.py: `_audit("granted", ...)`, `_audit("revoked", ...)`.
        "accounts.delegation.{}": _literal_first_arguments("_audit", "accounts/delegation.py"),
        # audit/admin_mixins.py: each model kept in the admin with AuditedAdmin, and what the admin did to it.
        "{}.{}.admin_{}": _admin_events(),
    }


def _literal_first_arguments(name: str, path: str) -> set[str]:
    """The string literals passed first to the calls of `name` in one file."""
    tree = ast.parse((ROOT / path).read_text())
    return {
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == name
        and node.args
        and isinstance(node.args[0], ast.Constant)
    }


def _admin_events() -> set[tuple[str, str, str]]:
    from django.contrib import admin

    from audit.admin_mixins import AuditedAdmin

    verbs = ("added", "changed", "deleted", "password_changed")
    return {
        (model._meta.app_label, model._meta.model_name, verb)
        for model, model_admin in admin.site._registry.items()
        if isinstance(model_admin, AuditedAdmin)
        for verb in verbs
    }


def _template_of(node: ast.JoinedStr) -> str:
    return "".join(part.value if isinstance(part, ast.Constant) else "{}" for part in node.values)


def _action_arguments() -> tuple[set[str], set[str]]:
    literals, templates = set(), set()
    for call in _calls("audit_record"):
        action = _keyword(call, "action")
        if isinstance(action, ast.Constant):
            literals.add(action.value)
        elif isinstance(action, ast.JoinedStr):
            templates.add(_template_of(action))
    return literals, templates


def emitted_actions() -> set[str]:
    literals, _ = _action_arguments()
    expanded = {
        template.format(*value) if isinstance(value, tuple) else template.format(value)
        for template, values in _templates().items()
        for value in values
    }
    return literals | expanded


def test_every_template_is_expanded():
    _, templates = _action_arguments()

    assert templates == set(_templates())
    assert all(values for values in _templates().values())


def test_the_scan_finds_the_names_the_code_records():
    actions = emitted_actions()

    assert {"accounts.invitation.accepted", "producers.producer.verify", "trade.deposit.payment_held"} <= actions
    assert "trade.contract.signed" in actions
    assert len(actions) > 60


def test_every_action_name_follows_the_pattern():
    offenders = sorted(name for name in emitted_actions() - LEGACY_ACTIONS if not ACTION_PATTERN.match(name))

    assert offenders == []


def test_the_legacy_list_holds_only_names_still_recorded_that_break_the_pattern():
    assert sorted(LEGACY_ACTIONS - emitted_actions()) == []
    assert sorted(name for name in LEGACY_ACTIONS if ACTION_PATTERN.match(name)) == []


def test_the_pattern_reads_as_documented():
    good = ("accounts.invitation.accepted", "accounts.membership.role_changed", "accounts.buyer.signed_up")
    bad = ("accounts.invitation.accept", "accounts.logout", "Accounts.invitation.accepted", "a.b.c.accepted")

    assert all(ACTION_PATTERN.match(name) for name in good)
    assert not any(ACTION_PATTERN.match(name) for name in bad)
