"""What each kind of notification says, in every language we speak.

Texts are lazy translations with named parameters; the feed renders them in the reader's language and the
e-mail in the recipient's preferred language. Parameters that are codes (a role, a state) are stored as
codes and translated when rendered, through the kind's `labels`. Each app registers its own kinds when it
loads (`accounts/notification_kinds.py`...).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.encoding import force_str
from django.utils.translation import get_language, override


@dataclass(frozen=True)
class Kind:
    title: Any
    body: Any
    email: bool = True
    labels: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # parameter -> {code: label}


KINDS: dict[str, Kind] = {}


def register(
    code: str, *, title: Any, body: Any, email: bool = True, labels: Mapping[str, Mapping[str, Any]] | None = None
) -> None:
    KINDS[code] = Kind(title=title, body=body, email=email, labels=dict(labels or {}))


_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def placeholders(code: str, language: str = "en") -> set[str]:
    """The parameters the kind's title and body name, in `language`."""
    kind = KINDS[code]
    with override(language):
        return set(_PLACEHOLDER.findall(force_str(kind.title))) | set(_PLACEHOLDER.findall(force_str(kind.body)))


def _given(params: Mapping[str, Any]) -> set[str]:
    """The parameters `params` fills: `type_es` and `type_en` fill `type` (see `render`)."""
    return set(params) | {key[: -len("_es")] for key in params if key.endswith(("_es", "_en"))}


def check_params(code: str, params: Mapping[str, Any], *, allow_extra: bool = False) -> None:
    """Raise ValueError when `params` leaves a parameter of the kind's texts unfilled, or (unless
    `allow_extra`) brings one the texts never show."""
    if code not in KINDS:
        raise ValueError(f"unknown notification kind {code!r}")
    needed = placeholders(code)
    missing = needed - _given(params)
    extra = {key for key in params if key not in needed and key[:-3] not in needed}
    if missing or (extra and not allow_extra):
        raise ValueError(
            f"notification {code!r}: missing parameters {sorted(missing)}, unused parameters {sorted(extra)}"
        )


def render(code: str, params: dict[str, Any]) -> tuple[str, str]:
    """Title and body in the active language. A parameter the texts name and `params` lacks is an error
    (`notify` refuses such a notification before it is stored), never a text shown with `%(name)s` in it."""
    kind = KINDS.get(code)
    if kind is None:
        return code, ""
    values = {key: force_str(kind.labels.get(key, {}).get(value, value)) for key, value in params.items()}
    # Data written in both languages travels as `<name>_es` and `<name>_en`: pick the reader's.
    language = "es" if (get_language() or "en").startswith("es") else "en"
    for key in [k[: -len("_es")] for k in params if k.endswith("_es")]:
        values.setdefault(key, values.get(f"{key}_{language}", ""))
    return force_str(kind.title) % values, force_str(kind.body) % values
