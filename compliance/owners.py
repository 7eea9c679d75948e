"""Producers' beneficial owners and politically exposed persons (PEPs), declared as evidence.

A type with `declares_owners` (OWNERS_DECL) carries them in the item's `attributes`:

    {"owners": [{"name": "Rosa Quispe Mamani", "document_type": "DNI", "document_number": "40123456",
                 "share_percent": "60.00", "pep": false}, ...],
     "peps": [{"name": "Juan Quispe", "position": "Regional councillor", "relation": "Brother of an owner"}]}

1 to 20 owners, each with a name, an identity document (a DNI of 8 digits, a foreigner's card or a passport)
that appears once, a share in percent as a string with at most two decimals, more than 0 and at most 100,
and whether the owner is a PEP; their shares add up to at most 100. `peps` (optional, at most 10) names the
PEPs who are not owners, with their position and their relation to the producer. Anything else is refused
on upload, and nothing is stored. A reviewer confirms the declaration by approving the item; the approved,
valid item is what `compliance.selectors.confirmed_owners` reads.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from core.errors import BadRequest

MAX_OWNERS = 20
MAX_PEPS = 10
MAX_TEXT = 200
HUNDRED = Decimal("100")
SHARE_TEXT = re.compile(r"(?:0|[1-9][0-9]{0,2})(?:\.[0-9]{1,2})?")
DOCUMENT_PATTERNS = {
    "DNI": re.compile(r"\d{8}"),  # Peru's national identity card
    "CE": re.compile(r"[A-Z0-9]{6,12}"),  # carné de extranjería
    "PASSPORT": re.compile(r"[A-Z0-9]{5,20}"),
}
OWNER_KEYS = {"name", "document_type", "document_number", "share_percent", "pep"}
PEP_KEYS = {"name", "position", "relation"}


def _invalid(field: str, code: str, message: str) -> BadRequest:
    return BadRequest(
        _("Some fields are invalid: see `errors`."),
        code="validation_error",
        errors=[{"field": field, "code": code, "message": message}],
    )


def _text(entry: dict[str, Any], key: str, where: str) -> str:
    value = entry[key]
    if not isinstance(value, str):
        raise _invalid(f"{where}.{key}", "invalid", _("Write this as text."))
    value = value.strip()
    if not value:
        raise _invalid(f"{where}.{key}", "blank", _("This may not be blank."))
    if len(value) > MAX_TEXT:
        raise _invalid(f"{where}.{key}", "max_length", _("At most %(max)s characters.") % {"max": MAX_TEXT})
    return value


def _share(value: Any, where: str) -> Decimal:
    if not isinstance(value, str) or not SHARE_TEXT.fullmatch(value):
        raise _invalid(where, "invalid", _('A share is a percentage as a string with at most two decimals: "25.50".'))
    share = Decimal(value)
    if not Decimal(0) < share <= HUNDRED:
        raise _invalid(where, "out_of_range", _("A share is more than 0 and at most 100 percent."))
    return share


def _owner(entry: Any, where: str, seen: set[tuple[str, str]]) -> dict[str, Any]:
    if not isinstance(entry, dict) or set(entry) != OWNER_KEYS:
        raise _invalid(
            where,
            "invalid",
            _("Each owner has name, document_type, document_number, share_percent and pep, and nothing else."),
        )
    name = _text(entry, "name", where)
    document_type = entry["document_type"]
    if document_type not in DOCUMENT_PATTERNS:
        raise _invalid(
            f"{where}.document_type",
            "invalid_choice",
            _("The document is one of: %(choices)s.") % {"choices": ", ".join(DOCUMENT_PATTERNS)},
        )
    number = entry["document_number"]
    if not isinstance(number, str) or not DOCUMENT_PATTERNS[document_type].fullmatch(number.strip().upper()):
        message = (
            _("A DNI has exactly 8 digits.")
            if document_type == "DNI"
            else _("Letters and digits only, as printed on the document.")
        )
        raise _invalid(f"{where}.document_number", "invalid", message)
    number = number.strip().upper()
    if (document_type, number) in seen:
        raise _invalid(
            f"{where}.document_number", "duplicate", _("Each owner appears once: this document is repeated.")
        )
    seen.add((document_type, number))
    share = _share(entry["share_percent"], f"{where}.share_percent")
    if not isinstance(entry["pep"], bool):
        raise _invalid(f"{where}.pep", "invalid", _("Say true or false: is this owner a politically exposed person?"))
    return {
        "name": name,
        "document_type": document_type,
        "document_number": number,
        "share_percent": f"{share:.2f}",
        "pep": entry["pep"],
    }


def _pep(entry: Any, where: str) -> dict[str, str]:
    if not isinstance(entry, dict) or set(entry) != PEP_KEYS:
        raise _invalid(where, "invalid", _("Each politically exposed person has name, position and relation."))
    return {key: _text(entry, key, where) for key in ("name", "position", "relation")}


def parse_owners(attributes: Any) -> dict[str, Any]:
    """The declaration checked and normalised (names trimmed, documents upper-case, shares with two
    decimals), or a 400 naming the first problem."""
    field = "attributes"
    if not isinstance(attributes, dict) or "owners" not in attributes or not set(attributes) <= {"owners", "peps"}:
        raise _invalid(
            field, "required_by_evidence_type", _('Declare the owners: {"owners": [...], "peps": [...]}, nothing else.')
        )
    owners, peps = attributes["owners"], attributes.get("peps", [])
    if not isinstance(owners, list) or not 1 <= len(owners) <= MAX_OWNERS:
        raise _invalid(f"{field}.owners", "invalid", _("Give from 1 to %(max)s owners.") % {"max": MAX_OWNERS})
    if not isinstance(peps, list) or len(peps) > MAX_PEPS:
        raise _invalid(f"{field}.peps", "invalid", _("Give at most %(max)s persons.") % {"max": MAX_PEPS})
    seen: set[tuple[str, str]] = set()
    checked = [_owner(entry, f"{field}.owners.{index}", seen) for index, entry in enumerate(owners)]
    total = sum((Decimal(owner["share_percent"]) for owner in checked), Decimal(0))
    if total > HUNDRED:
        raise BadRequest(
            _("The owners' shares add up to %(total)s percent: at most 100.") % {"total": f"{total:.2f}"},
            code="owner_shares_over_100",
            errors=[
                {
                    "field": f"{field}.owners",
                    "code": "owner_shares_over_100",
                    "message": _("The shares add up to more than 100 percent."),
                }
            ],
            extra={"total_percent": f"{total:.2f}"},
        )
    return {"owners": checked, "peps": [_pep(entry, f"{field}.peps.{index}") for index, entry in enumerate(peps)]}
