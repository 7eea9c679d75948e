"""Sanctions lists as data: reading a consolidated list from a file, and the keys names are compared by.

Two formats are read (docs/diligence.md describes both):

- **`un-xml`**: the United Nations Security Council consolidated list, as published in XML
  (`<CONSOLIDATED_LIST>` with `<INDIVIDUALS>`/`<INDIVIDUAL>` and `<ENTITIES>`/`<ENTITY>`; a person's name is
  `FIRST_NAME` to `FOURTH_NAME`, an entity's is its `FIRST_NAME`; aliases in `*_ALIAS/ALIAS_NAME`; identity
  documents in `INDIVIDUAL_DOCUMENT/NUMBER`; the list's own id in `REFERENCE_NUMBER`).
- **`csv`**: one entry a row, UTF-8, with the header `reference,kind,name,aliases,documents` (`kind` is
  `individual` or `entity`; aliases and document numbers separated by `;`), for any other list an operator
  converts (a national list, a bank's list).

Reading is all or nothing: the first problem raises `SanctionsFormatError` with its line, and the caller keeps
the list in force. The XML is read by expat with any document type declaration refused, so no entity can be
declared (nothing to expand, nothing external to fetch): a list has no reason to carry one.

Names are compared by `name_key`: accents and case folded, punctuation dropped, and the words sorted, so
"QUISPE MAMANI, Rosa" and "Rosa Quispe Mamaní" are the same person to the screening. Document numbers by
`document_key`: letters and digits only, upper case.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from xml.parsers import expat

FORMATS = ("un-xml", "csv")
KINDS = ("individual", "entity")
CSV_HEADER = ("reference", "kind", "name", "aliases", "documents")
MAX_NAME = 300
MAX_ENTRIES = 200_000

_NOT_WORD = re.compile(r"[^0-9a-z]+")
_NOT_ALNUM = re.compile(r"[^0-9A-Z]+")


class SanctionsFormatError(ValueError):
    """The file cannot be read as a list of this format: `line` (1-based; 0 when the file as a whole is wrong)."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}" if line else message)
        self.line = line
        self.message = message


@dataclass(frozen=True)
class Entry:
    reference: str
    kind: str  # "individual" | "entity"
    name: str
    aliases: tuple[str, ...] = ()
    documents: tuple[str, ...] = ()
    line: int = 0

    def name_keys(self) -> frozenset[str]:
        return frozenset(key for key in (name_key(n) for n in (self.name, *self.aliases)) if key)

    def document_keys(self) -> frozenset[str]:
        return frozenset(key for key in (document_key(d) for d in self.documents) if key)


def fold(text: str) -> str:
    """Accents and case folded, punctuation turned into spaces, spaces collapsed."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(_NOT_WORD.sub(" ", bare.casefold()).split())


def name_key(name: str) -> str:
    """The words of a name, folded and sorted: the order of given names and surnames does not matter."""
    return " ".join(sorted(fold(name).split()))


def document_key(number: str) -> str:
    decomposed = unicodedata.normalize("NFKD", number)
    return _NOT_ALNUM.sub("", "".join(ch for ch in decomposed if not unicodedata.combining(ch)).upper())


def detect_format(data: bytes) -> str:
    """`un-xml` when the file starts (after a BOM and blank space) with `<`, else `csv`."""
    head = data[:64].lstrip(b"\xef\xbb\xbf").lstrip()
    return "un-xml" if head.startswith(b"<") else "csv"


def read_list(data: bytes, list_format: str | None = None) -> tuple[str, list[Entry]]:
    """Every entry of the file, or `SanctionsFormatError` at the first problem."""
    list_format = list_format or detect_format(data)
    if list_format not in FORMATS:
        raise SanctionsFormatError(0, f"unknown format {list_format!r}: use one of {', '.join(FORMATS)}")
    entries = read_un_xml(data) if list_format == "un-xml" else read_csv(data)
    if not entries:
        raise SanctionsFormatError(0, "the file has no entries: an empty list would lift every sanction")
    seen: dict[str, int] = {}
    for entry in entries:
        if entry.reference in seen:
            raise SanctionsFormatError(
                entry.line, f"reference {entry.reference!r} appears twice (first on line {seen[entry.reference]})"
            )
        seen[entry.reference] = entry.line
    return list_format, entries


# --- CSV --------------------------------------------------------------------------------------------
def _split(cell: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in cell.split(";") if part.strip())


def read_csv(data: bytes) -> list[Entry]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SanctionsFormatError(line, "not UTF-8 text") from None
    rows = csv.reader(io.StringIO(text, newline=""), strict=True)
    entries: list[Entry] = []
    try:
        header = next(rows, None)
        if header is None or tuple(cell.strip().lower() for cell in header) != CSV_HEADER:
            raise SanctionsFormatError(1, f"the header must be {','.join(CSV_HEADER)}")
        for row in rows:
            line = rows.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(CSV_HEADER):
                raise SanctionsFormatError(line, f"{len(row)} columns where the header has {len(CSV_HEADER)}")
            reference, kind, name, aliases, documents = (cell.strip() for cell in row)
            entries.append(_entry(line, reference, kind.lower(), name, _split(aliases), _split(documents)))
            if len(entries) > MAX_ENTRIES:
                raise SanctionsFormatError(line, f"more than {MAX_ENTRIES} entries")
    except csv.Error as exc:
        raise SanctionsFormatError(rows.line_num, f"not CSV: {exc}") from None
    return entries


def _entry(
    line: int, reference: str, kind: str, name: str, aliases: tuple[str, ...], documents: tuple[str, ...]
) -> Entry:
    if not reference:
        raise SanctionsFormatError(line, "the entry has no reference")
    if kind not in KINDS:
        raise SanctionsFormatError(line, f"kind {kind!r} is neither individual nor entity")
    if not fold(name):
        raise SanctionsFormatError(line, "the entry has no name")
    for text in (name, *aliases):
        if len(text) > MAX_NAME:
            raise SanctionsFormatError(line, f"a name is longer than {MAX_NAME} characters")
    return Entry(reference[:80], kind, name, aliases, documents, line)


# --- UN XML -----------------------------------------------------------------------------------------
NAME_PARTS = ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")
RECORDS = {"INDIVIDUAL": "individual", "ENTITY": "entity"}
ALIASES = {"INDIVIDUAL_ALIAS", "ENTITY_ALIAS"}


@dataclass
class _Record:
    kind: str
    line: int
    fields: dict[str, str] = field(default_factory=dict)
    aliases: list[str] = field(default_factory=list)
    documents: list[str] = field(default_factory=list)


class _UnReader:
    """Streams the XML with expat: each INDIVIDUAL or ENTITY becomes an Entry when its element closes."""

    def __init__(self) -> None:
        self.parser = expat.ParserCreate(encoding=None)
        self.parser.StartDoctypeDeclHandler = self._doctype
        self.parser.EntityDeclHandler = self._entity
        self.parser.StartElementHandler = self._start
        self.parser.EndElementHandler = self._end
        self.parser.CharacterDataHandler = self._text
        self.path: list[str] = []
        self.text: list[str] = []
        self.record: _Record | None = None
        self.root_seen = False
        self.entries: list[Entry] = []

    def _line(self) -> int:
        return int(self.parser.CurrentLineNumber)

    def _doctype(self, *args: object) -> None:
        raise SanctionsFormatError(self._line(), "a document type declaration is not accepted in a sanctions list")

    def _entity(self, *args: object) -> None:
        raise SanctionsFormatError(self._line(), "entity declarations are not accepted in a sanctions list")

    def _start(self, tag: str, attrs: dict[str, str]) -> None:
        if not self.path:
            if tag != "CONSOLIDATED_LIST":
                raise SanctionsFormatError(self._line(), f"the root element is {tag}, not CONSOLIDATED_LIST")
            self.root_seen = True
        self.path.append(tag)
        self.text = []
        if tag in RECORDS:
            if self.record is not None:
                raise SanctionsFormatError(self._line(), f"{tag} inside another record")
            self.record = _Record(RECORDS[tag], self._line())

    def _text(self, data: str) -> None:
        self.text.append(data)

    def _end(self, tag: str) -> None:
        text = "".join(self.text).strip()
        self.text = []
        parent = self.path[-2] if len(self.path) > 1 else ""
        record = self.record
        if record is not None:
            if parent in RECORDS and tag in (*NAME_PARTS, "REFERENCE_NUMBER", "DATAID"):
                record.fields[tag] = text
            elif tag == "ALIAS_NAME" and parent in ALIASES and text:
                record.aliases.append(text)
            elif tag == "NUMBER" and parent == "INDIVIDUAL_DOCUMENT" and text:
                record.documents.append(text)
            elif tag in RECORDS:
                self._close(record)
                self.record = None
        self.path.pop()

    def _close(self, record: _Record) -> None:
        name = " ".join(record.fields.get(part, "") for part in NAME_PARTS).strip()
        reference = record.fields.get("REFERENCE_NUMBER") or record.fields.get("DATAID", "")
        self.entries.append(
            _entry(record.line, reference, record.kind, name, tuple(record.aliases), tuple(record.documents))
        )
        if len(self.entries) > MAX_ENTRIES:
            raise SanctionsFormatError(record.line, f"more than {MAX_ENTRIES} entries")

    def read(self, data: bytes) -> list[Entry]:
        try:
            self.parser.Parse(data, True)
        except expat.ExpatError as exc:
            raise SanctionsFormatError(exc.lineno, f"not well-formed XML: {expat.errors.messages[exc.code]}") from None
        if not self.root_seen:
            raise SanctionsFormatError(0, "no CONSOLIDATED_LIST element")
        return self.entries


def read_un_xml(data: bytes) -> list[Entry]:
    return _UnReader().read(data)


def iter_keys(entries: list[Entry]) -> Iterator[tuple[str, str, Entry]]:
    """("name", key, entry) and ("document", key, entry) for every key of every entry."""
    for entry in entries:
        for key in sorted(entry.name_keys()):
            yield "name", key, entry
        for key in sorted(entry.document_keys()):
            yield "document", key, entry
