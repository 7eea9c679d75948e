"""What each kind of notification says, in every language we speak.

Texts are lazy translations with named parameters; the feed renders them in the reader's language and the
e-mail in the recipient's preferred language. Parameters that are codes (a role, a state) are stored as
codes and translated when rendered, through the kind's `labels`. Each app registers its own kinds when it
loads (`accounts/notification_kinds.py`...).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.encoding import force_str
from django.utils.translation import get_language


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


def render(code: str, params: dict[str, Any]) -> tuple[str, str]:
    """Title and body in the active language."""
    kind = KINDS.get(code)
    if kind is None:
        return code, ""
    values = {key: force_str(kind.labels.get(key, {}).get(value, value)) for key, value in params.items()}
    # Data written in both languages travels as `<name>_es` and `<name>_en`: pick the reader's.
    language = "es" if (get_language() or "en").startswith("es") else "en"
    for key in [k[: -len("_es")] for k in params if k.endswith("_es")]:
        values.setdefault(key, values.get(f"{key}_{language}", ""))
    try:
        return force_str(kind.title) % values, force_str(kind.body) % values
    except (KeyError, TypeError, ValueError):
        return force_str(kind.title), force_str(kind.body)
