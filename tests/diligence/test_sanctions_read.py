"""Reading sanctions lists: the UN consolidated XML and the documented CSV, all or nothing, with the line."""

from __future__ import annotations

import pytest

from diligence.sanctions import SanctionsFormatError, document_key, name_key, read_list

UN_XML = b"""<?xml version="1.0" encoding="UTF-8"?>
<CONSOLIDATED_LIST dateGenerated="2026-11-30T10:00:00">
  <INDIVIDUALS>
    <INDIVIDUAL>
      <DATAID>6908555</DATAID>
      <FIRST_NAME>JUAN</FIRST_NAME>
      <SECOND_NAME>P\xc3\x89REZ</SECOND_NAME>
      <THIRD_NAME>ORO</THIRD_NAME>
      <UN_LIST_TYPE>Example</UN_LIST_TYPE>
      <REFERENCE_NUMBER>XXi.001</REFERENCE_NUMBER>
      <INDIVIDUAL_ALIAS><QUALITY>Good</QUALITY><ALIAS_NAME>Juanito del Oro</ALIAS_NAME></INDIVIDUAL_ALIAS>
      <INDIVIDUAL_ALIAS><QUALITY>Low</QUALITY><ALIAS_NAME></ALIAS_NAME></INDIVIDUAL_ALIAS>
      <INDIVIDUAL_DOCUMENT><TYPE_OF_DOCUMENT>Passport</TYPE_OF_DOCUMENT>
        <NUMBER>pe-123 456</NUMBER></INDIVIDUAL_DOCUMENT>
    </INDIVIDUAL>
  </INDIVIDUALS>
  <ENTITIES>
    <ENTITY>
      <DATAID>110404</DATAID>
      <FIRST_NAME>Minera Fantasma S.A.C.</FIRST_NAME>
      <REFERENCE_NUMBER>XXe.002</REFERENCE_NUMBER>
      <ENTITY_ALIAS><ALIAS_NAME>Fantasma Gold</ALIAS_NAME></ENTITY_ALIAS>
    </ENTITY>
  </ENTITIES>
</CONSOLIDATED_LIST>
"""


def test_the_un_list_gives_people_and_entities_with_aliases_and_documents() -> None:
    fmt, entries = read_list(UN_XML)
    assert fmt == "un-xml"
    person, entity = entries
    assert (person.reference, person.kind, person.name) == ("XXi.001", "individual", "JUAN PÉREZ ORO")
    assert person.aliases == ("Juanito del Oro",)
    assert person.documents == ("pe-123 456",)
    assert person.document_keys() == {"PE123456"}
    assert person.line == 4
    assert (entity.reference, entity.kind, entity.name, entity.aliases) == (
        "XXe.002",
        "entity",
        "Minera Fantasma S.A.C.",
        ("Fantasma Gold",),
    )


def test_names_match_whatever_the_accents_case_punctuation_and_order() -> None:
    assert name_key("QUISPE MAMANÍ, Rosa") == name_key("rosa quispe mamani") == "mamani quispe rosa"
    assert name_key("Pérez Oro Juan") == name_key("JUAN PÉREZ ORO")
    assert name_key("Juan Perez") != name_key("Juan Perez Oro")
    assert document_key("  40.123-456 ") == "40123456"


def test_a_csv_list_is_read_with_its_lines() -> None:
    data = (
        b"reference,kind,name,aliases,documents\n"
        b"PE-1,individual,Rosa Quispe Mamani,La Rosa; Rosita,40123456\n"
        b"\n"
        b'PE-2,entity,"Oro Negro, S.A.",,\n'
    )
    fmt, entries = read_list(data)
    assert fmt == "csv"
    assert [(e.reference, e.kind, e.line) for e in entries] == [("PE-1", "individual", 2), ("PE-2", "entity", 4)]
    assert entries[0].aliases == ("La Rosa", "Rosita")
    assert entries[1].name == "Oro Negro, S.A."


@pytest.mark.parametrize(
    ("data", "line", "words"),
    [
        (b"name,kind\nx,individual\n", 1, "header"),
        (b"reference,kind,name,aliases,documents\nPE-1,person,Rosa,,\n", 2, "neither individual nor entity"),
        (b"reference,kind,name,aliases,documents\nPE-1,individual,Rosa,,\nPE-2,entity,,,\n", 3, "no name"),
        (b"reference,kind,name,aliases,documents\nPE-1,individual,Rosa\n", 2, "3 columns"),
        (b"reference,kind,name,aliases,documents\nPE-1,individual,Rosa,,\nPE-1,entity,Oro,,\n", 3, "twice"),
        (b"reference,kind,name,aliases,documents\nPE-1,individual,Ros\xe1,,\n", 2, "UTF-8"),
        (b"reference,kind,name,aliases,documents\n", 0, "no entries"),
        (b"<?xml version='1.0'?>\n<CONSOLIDATED_LIST>\n<INDIVIDUALS>\n<INDIVIDUAL>\n</CONSOLIDATED_LIST>\n", 5, "XML"),
        (b"<LIST>\n</LIST>\n", 1, "CONSOLIDATED_LIST"),
        (
            b"<CONSOLIDATED_LIST>\n<ENTITIES>\n<ENTITY><FIRST_NAME>X</FIRST_NAME></ENTITY>\n</ENTITIES>\n"
            b"</CONSOLIDATED_LIST>\n",
            3,
            "no reference",
        ),
    ],
)
def test_a_bad_file_names_its_line_and_what_is_wrong(data: bytes, line: int, words: str) -> None:
    with pytest.raises(SanctionsFormatError) as caught:
        read_list(data)
    assert caught.value.line == line
    assert words in str(caught.value)


def test_entities_cannot_be_declared_so_nothing_expands_or_is_fetched() -> None:
    laughs = (
        b'<?xml version="1.0"?>\n<!DOCTYPE CONSOLIDATED_LIST [\n<!ENTITY lol "lol">\n'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">\n]>\n'
        b"<CONSOLIDATED_LIST><ENTITIES><ENTITY><FIRST_NAME>&lol2;</FIRST_NAME>"
        b"<REFERENCE_NUMBER>1</REFERENCE_NUMBER></ENTITY></ENTITIES></CONSOLIDATED_LIST>"
    )
    with pytest.raises(SanctionsFormatError, match="document type declaration"):
        read_list(laughs)
    external = (
        b'<?xml version="1.0"?>\n<!DOCTYPE x SYSTEM "file:///etc/passwd">\n<CONSOLIDATED_LIST></CONSOLIDATED_LIST>'
    )
    with pytest.raises(SanctionsFormatError, match="document type declaration"):
        read_list(external)


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(SanctionsFormatError, match="unknown format"):
        read_list(b"x", "ofac-sdn")
