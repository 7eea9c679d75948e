"""The Spanish catalogue is complete, compiled, and in step with the code.

Spanish is the producers' language, so an untranslated, stale or uncompiled message is a bug. When one of
these tests fails, run `make messages`, translate what it added, and commit both django.po and django.mo.
"""

from __future__ import annotations

import ast
import gettext
import re
from collections import Counter
from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parents[2]
LC_MESSAGES = ROOT / "locale" / "es" / "LC_MESSAGES"
PO_PATH = LC_MESSAGES / "django.po"
MO_PATH = LC_MESSAGES / "django.mo"

EXPECTED_APPS = {"core", "accounts", "audit", "notifications", "openapi", "marketplace"}
NOT_SCANNED = {"tests", "bench", "staticfiles", "locale", "docs", "node_modules"}

# How makemessages reads each gettext function: (index of the context argument or None, index of the msgid).
GETTEXT_FUNCTIONS: dict[str, tuple[int | None, int]] = {
    "_": (None, 0),
    "gettext": (None, 0),
    "gettext_lazy": (None, 0),
    "gettext_noop": (None, 0),
    "ngettext": (None, 0),
    "ngettext_lazy": (None, 0),
    "pgettext": (0, 1),
    "pgettext_lazy": (0, 1),
    "npgettext": (0, 1),
    "npgettext_lazy": (0, 1),
}

# printf-style placeholders as Python's % operator reads them: %(name)s, %(x)d, %s, %5.2f...; "%%" is a literal.
PLACEHOLDER = re.compile(r"%(?:\((?P<name>[^)]*)\))?[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[diouxXeEfFgGcrsa%]")


def placeholders(text: str) -> Counter[str]:
    return Counter(match.group(0) for match in PLACEHOLDER.finditer(text) if match.group(0) != "%%")


@pytest.fixture(scope="module")
def catalogue() -> polib.POFile:
    return polib.pofile(str(PO_PATH))


def translated_entries(po: polib.POFile) -> list[polib.POEntry]:
    return [entry for entry in po if not entry.obsolete]


def describe(entry: polib.POEntry) -> str:
    return f"{entry.msgctxt + ' | ' if entry.msgctxt else ''}{entry.msgid!r}"


# --- (a) every entry is translated --------------------------------------------------------------------------------
def test_the_header_declares_spanish_in_utf8(catalogue):
    assert catalogue.metadata.get("Language") == "es"
    assert "charset=UTF-8" in catalogue.metadata.get("Content-Type", "")
    assert catalogue.metadata.get("Plural-Forms", "").replace(" ", "") == "nplurals=2;plural=(n!=1);"
    assert not catalogue.metadata_is_fuzzy, "the header is marked fuzzy"


def test_the_catalogue_is_not_empty(catalogue):
    assert len(translated_entries(catalogue)) > 50


def test_every_entry_is_translated(catalogue):
    untranslated = []
    for entry in translated_entries(catalogue):
        if entry.msgid_plural:
            forms = entry.msgstr_plural
            if sorted(forms) != [0, 1] or not all(forms[i].strip() for i in forms):
                untranslated.append(describe(entry))
        elif not entry.msgstr.strip():
            untranslated.append(describe(entry))
    assert not untranslated, "untranslated messages:\n" + "\n".join(untranslated)


def test_no_entry_is_fuzzy_or_obsolete(catalogue):
    fuzzy = [describe(entry) for entry in catalogue if "fuzzy" in entry.flags]
    obsolete = [describe(entry) for entry in catalogue.obsolete_entries()]
    assert not fuzzy, "fuzzy messages (check and unmark them):\n" + "\n".join(fuzzy)
    assert not obsolete, "obsolete messages (delete them):\n" + "\n".join(obsolete)


def test_translations_keep_the_placeholders(catalogue):
    mismatched = []
    for entry in translated_entries(catalogue):
        if entry.msgid_plural:
            pairs = [(entry.msgid, entry.msgstr_plural.get(0, ""))] + [
                (entry.msgid_plural, text) for index, text in sorted(entry.msgstr_plural.items()) if index > 0
            ]
        else:
            pairs = [(entry.msgid, entry.msgstr)]
        for source, translation in pairs:
            if placeholders(source) != placeholders(translation):
                mismatched.append(
                    f"{describe(entry)}: {sorted(placeholders(source).elements())} "
                    f"!= {sorted(placeholders(translation).elements())} in {translation!r}"
                )
    assert not mismatched, "placeholders differ between msgid and msgstr:\n" + "\n".join(mismatched)


# --- (b) the committed .mo is compiled from this .po -----------------------------------------------------------------
def test_the_compiled_catalogue_matches_the_po(catalogue):
    assert MO_PATH.exists(), f"{MO_PATH.relative_to(ROOT)} is missing: run `make messages`"
    with MO_PATH.open("rb") as mo_file:
        compiled = gettext.GNUTranslations(mo_file)

    stale = []
    for entry in translated_entries(catalogue):
        if entry.msgid_plural:
            for n, form in ((1, 0), (2, 1)):
                expected = entry.msgstr_plural.get(form, "")
                if entry.msgctxt is not None:
                    got = compiled.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, n)
                else:
                    got = compiled.ngettext(entry.msgid, entry.msgid_plural, n)
                if got != expected:
                    stale.append(f"{describe(entry)} (n={n}): {got!r} != {expected!r}")
        else:
            if entry.msgctxt is not None:
                got = compiled.pgettext(entry.msgctxt, entry.msgid)
            else:
                got = compiled.gettext(entry.msgid)
            if got != entry.msgstr:
                stale.append(f"{describe(entry)}: {got!r} != {entry.msgstr!r}")
    assert not stale, "django.mo is out of date with django.po (run `make messages`):\n" + "\n".join(stale)


# --- (c) every message in the code is in the catalogue ----------------------------------------------------------
def app_folders() -> list[Path]:
    return sorted(
        path
        for path in ROOT.iterdir()
        if path.is_dir()
        and not path.name.startswith(".")
        and path.name not in NOT_SCANNED
        and (path / "apps.py").is_file()
    )


def source_files() -> list[Path]:
    return [
        path
        for folder in app_folders()
        for path in sorted(folder.rglob("*.py"))
        if "migrations" not in path.relative_to(ROOT).parts and "__pycache__" not in path.parts
    ]


def function_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):  # translation.gettext(...)
        return call.func.attr
    return None


def literal(call: ast.Call, index: int | None) -> str | None:
    if index is None or index >= len(call.args):
        return None
    argument = call.args[index]
    # ast joins implicitly concatenated literals ("a" "b") into one Constant, as xgettext does.
    if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
        return argument.value
    return None


def messages_in_code() -> dict[tuple[str | None, str], list[str]]:
    """(context, msgid) -> where it is used, for every gettext call whose message is a string literal."""
    found: dict[tuple[str | None, str], list[str]] = {}
    for path in source_files():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = function_name(node)
            if name not in GETTEXT_FUNCTIONS:
                continue
            context_index, msgid_index = GETTEXT_FUNCTIONS[name]
            msgid = literal(node, msgid_index)
            if not msgid:
                continue
            context = literal(node, context_index)
            found.setdefault((context, msgid), []).append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_all_the_apps_are_scanned():
    assert {folder.name for folder in app_folders()} >= EXPECTED_APPS


def test_every_message_in_the_code_is_in_the_catalogue(catalogue):
    found = messages_in_code()
    assert len(found) > 50, "the scan found suspiciously few messages"
    known = {(entry.msgctxt, entry.msgid) for entry in translated_entries(catalogue)}
    missing = [
        f"{', '.join(places)}: {msgid!r}" + (f" (context {context!r})" if context else "")
        for (context, msgid), places in sorted(found.items(), key=lambda item: item[1][0])
        if (context, msgid) not in known
    ]
    assert not missing, (
        "messages missing from locale/es/LC_MESSAGES/django.po (run `make messages` and translate them):\n"
        + "\n".join(missing)
    )
