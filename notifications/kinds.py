"""What each kind of notification says, in every language we speak.

Texts are lazy translations with named parameters; the feed renders them in the reader's language and the
e-mail in the recipient's preferred language. Apps add their kinds with `register` when they load.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.encoding import force_str
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Kind:
    title: Any
    body: Any
    email: bool = True


KINDS: dict[str, Kind] = {}


def register(code: str, *, title: Any, body: Any, email: bool = True) -> None:
    KINDS[code] = Kind(title=title, body=body, email=email)


def render(code: str, params: dict[str, Any]) -> tuple[str, str]:
    kind = KINDS.get(code)
    if kind is None:
        return code, ""
    try:
        return force_str(kind.title) % params, force_str(kind.body) % params
    except (KeyError, TypeError, ValueError):
        return force_str(kind.title), force_str(kind.body)


register(
    "invitation_accepted",
    title=_("%(email)s joined %(organization)s"),
    body=_("%(email)s accepted the invitation and joined %(organization)s as %(role)s."),
)
register(
    "membership_role_changed",
    title=_("Your role in %(organization)s changed"),
    body=_("You are now %(role)s in %(organization)s."),
)
register(
    "membership_removed",
    title=_("You no longer belong to %(organization)s"),
    body=_("An administrator removed you from %(organization)s."),
)
register(
    "welcome",
    title=_("Welcome to Oro Responsable"),
    body=_("Your organisation %(organization)s is registered. Submit your KYC documents to start trading."),
)
