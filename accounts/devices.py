"""The name of the device a token is issued to: the one the client gives, or one read from its User-Agent."""

from __future__ import annotations

import re

from accounts.models import DEVICE_NAME_MAX_LENGTH

# Checked in this order: Edge and Opera also say "Chrome", and Chrome also says "Safari".
_BROWSERS = (
    ("EdgA/", "Edge"),
    ("EdgiOS/", "Edge"),
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("SamsungBrowser/", "Samsung Internet"),
    ("FxiOS/", "Firefox"),
    ("Firefox/", "Firefox"),
    ("CriOS/", "Chrome"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
# iPhones and iPads also say "Mac OS X", and Android also says "Linux".
_SYSTEMS = (
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("Windows", "Windows"),
    ("CrOS", "ChromeOS"),
    ("Mac OS X", "macOS"),
    ("Macintosh", "macOS"),
    ("Linux", "Linux"),
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def shorten(text: str, limit: int = DEVICE_NAME_MAX_LENGTH) -> str:
    """`text` without control characters and surrounding spaces, cut to `limit` characters (with an ellipsis)."""
    text = " ".join(_CONTROL.sub(" ", text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def device_name_from_user_agent(user_agent: str) -> str:
    """A short name for the device behind a User-Agent: "Chrome (Android)", "Safari (iPhone)", "Firefox", or the
    first product of an unknown one ("okhttp/4.12.0", "curl/8.5.0"); "" when there is none."""
    browser = next((name for token, name in _BROWSERS if token in user_agent), "")
    system = next((name for token, name in _SYSTEMS if token in user_agent), "")
    if browser and system:
        return f"{browser} ({system})"
    if browser or system:
        return browser or system
    words = shorten(user_agent).split(" ", 1)
    return shorten(words[0]) if words[0] else ""


def device_name(given: str | None, user_agent: str) -> str:
    """The name the client gave (spaces trimmed, control characters removed), else one from its User-Agent."""
    named = shorten(given or "")
    return named or device_name_from_user_agent(user_agent)
