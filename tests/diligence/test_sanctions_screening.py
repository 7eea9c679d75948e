"""Sanctions lists imported by the management command, and what a hit does: a high red flag that suspends the
producer's offers at once; a bad file changes nothing (docs/diligence.md)."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from audit.models import AuditEvent
from diligence.models import RedFlag, SanctionsList, SanctionsMatch, Screening
from diligence.screening import latest_screening
from tests.compliance.helpers import decide, upload
from tests.diligence.helpers import close, ok, search_ids

pytestmark = pytest.mark.django_db

SOURCE = "UN Security Council consolidated list"
HEADER = "reference,kind,name,aliases,documents\n"


def import_list(tmp_path: Path, reviewer, text: str, name: str = "list.csv", source: str = SOURCE) -> str:
    path = tmp_path / name
    path.write_bytes(text.encode())
    out = StringIO()
    call_command("import_sanctions", str(path), source=source, by=reviewer.user.email, stdout=out)
    return out.getvalue()


def un_list(*entities: tuple[str, str]) -> str:
    records = "".join(
        f"<ENTITY><DATAID>{i}</DATAID><FIRST_NAME>{name}</FIRST_NAME><REFERENCE_NUMBER>{ref}</REFERENCE_NUMBER></ENTITY>"
        for i, (ref, name) in enumerate(entities)
    )
    head = '<?xml version="1.0" encoding="UTF-8"?>\n'
    return f"{head}<CONSOLIDATED_LIST><ENTITIES>{records}</ENTITIES></CONSOLIDATED_LIST>\n"


def test_a_listed_name_flags_the_producer_and_hides_its_offers_in_the_next_search(trade, reviewer, anon, tmp_path):
    listing_id = str(trade.listing.pk)
    assert listing_id in search_ids(anon)
    legal_name = trade.producer.organization.legal_name
    # The list spells it in capitals, without accents, the words in another order.
    listed = " ".join(reversed(legal_name.upper().split())).replace("É", "E").replace("Ó", "O")

    out = import_list(tmp_path, reviewer, un_list(("QDe.901", listed), ("QDe.902", "Someone Else Entirely")), "un.xml")

    assert "2 entries in force" in out
    assert "1 new red flag" in out
    assert listing_id not in search_ids(anon)  # the very next request
    flag = RedFlag.objects.get(organization=trade.producer.organization)
    assert (flag.category_id, flag.severity, flag.status, flag.subject_kind) == (
        "sanctions_hit",
        "high",
        "open",
        "producer",
    )
    assert "QDe.901" in flag.facts
    assert legal_name in flag.facts
    screening = latest_screening(trade.producer.pk)
    assert screening is not None
    assert [(h["reference"], h["match"], h["role"]) for h in screening.hits] == [("QDe.901", "name", "organisation")]
    assert screening.lists[0]["source"] == SOURCE
    assert screening.lists[0]["entries"] == 2
    imported = AuditEvent.objects.get(action="diligence.sanctions.imported")
    assert imported.data["flags_opened"] == 1
    assert imported.data["entries"] == 2


def test_the_next_import_does_not_flag_the_same_entry_again_and_a_closed_false_match_stays_closed(
    trade, reviewer, second_reviewer, anon, tmp_path
):
    legal_name = trade.producer.organization.legal_name
    import_list(tmp_path, reviewer, HEADER + f"PE-7,entity,{legal_name},,\n")
    [flag] = RedFlag.objects.filter(organization=trade.producer.organization)
    first_list = SanctionsList.objects.get()

    out = import_list(tmp_path, reviewer, HEADER + f"PE-7,entity,{legal_name},,\nPE-8,individual,Ana Nadie,,\n")
    assert "0 new red flag" in out
    assert RedFlag.objects.filter(organization=trade.producer.organization).count() == 1
    first_list.refresh_from_db()
    assert first_list.superseded_at is not None  # the earlier list of the source is no longer in force
    assert SanctionsList.objects.filter(superseded_at__isnull=True).count() == 1

    body = {"id": str(flag.pk)}
    ok(close(reviewer, body, "Homonym: different RUC and address, checked with SUNAT."))
    ok(close(second_reviewer, body, "Agreed: not the listed entity."))
    assert str(trade.listing.pk) in search_ids(anon)
    import_list(tmp_path, reviewer, HEADER + f"PE-7,entity,{legal_name},,\n")
    assert RedFlag.objects.filter(organization=trade.producer.organization, status="open").count() == 0
    assert SanctionsMatch.objects.count() == 1
    assert str(trade.listing.pk) in search_ids(anon)


def test_a_listed_tax_id_matches_as_a_document(trade, reviewer, tmp_path):
    ruc = trade.producer.organization.tax_id
    assert ruc
    import_list(tmp_path, reviewer, HEADER + f"PE-9,entity,Nombre Distinto SAC,,{ruc[:4]}-{ruc[4:]}\n")
    [hit] = latest_screening(trade.producer.pk).hits
    assert (hit["match"], hit["reference"]) == ("document", "PE-9")


def test_a_buyer_is_screened_too(trade, reviewer, buyer, tmp_path):
    import_list(tmp_path, reviewer, HEADER + f"PE-10,entity,{buyer.organization.legal_name.lower()},,\n")
    flag = RedFlag.objects.get(organization=buyer.organization)
    assert (flag.subject_kind, flag.category_id) == ("buyer", "sanctions_hit")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (HEADER + "PE-1,individual,Rosa Quispe,,\nPE-2,pirate,Oro Negro,,\n", "line 3: kind 'pirate'"),
        ("<CONSOLIDATED_LIST><ENTITIES><ENTITY>", "line 1: not well-formed XML"),
        (HEADER, "no entries"),
    ],
)
def test_a_bad_file_names_its_line_and_the_list_in_force_stays(trade, reviewer, anon, tmp_path, text, words):
    legal_name = trade.producer.organization.legal_name
    import_list(tmp_path, reviewer, HEADER + "PE-1,individual,Ana Nadie,,\n")
    in_force = SanctionsList.objects.get()
    screenings, events = Screening.objects.count(), AuditEvent.objects.count()

    with pytest.raises(CommandError) as caught:
        import_list(tmp_path, reviewer, text.replace("Oro Negro", legal_name), "bad.csv")

    assert words in str(caught.value)
    assert "Nothing was changed" in str(caught.value)
    assert list(SanctionsList.objects.all()) == [in_force]
    assert in_force.superseded_at is None
    assert (Screening.objects.count(), AuditEvent.objects.count()) == (screenings, events)
    assert not RedFlag.objects.exists()
    assert str(trade.listing.pk) in search_ids(anon)


def test_only_reviewers_and_staff_import(trade, producer_admin, tmp_path):
    path = tmp_path / "list.csv"
    path.write_text(HEADER + "PE-1,individual,Ana Nadie,,\n")
    with pytest.raises(CommandError, match="only the network's reviewers and staff"):
        call_command("import_sanctions", str(path), source=SOURCE, by=producer_admin.user.email)
    with pytest.raises(CommandError, match="no active user"):
        call_command("import_sanctions", str(path), source=SOURCE, by="nobody@example.test")
    assert not SanctionsList.objects.exists()


def declare_owner(producer_admin, reviewer, name: str) -> dict:
    owners = {
        "owners": [
            {"name": name, "document_type": "DNI", "document_number": "41234567", "share_percent": "100", "pep": False}
        ],
        "peps": [],
    }
    item = ok(upload(producer_admin, "OWNERS_DECL", attributes=json.dumps(owners)), 201)
    ok(decide(reviewer, item["id"], "approve"))
    return item


def test_owners_approved_after_the_import_are_screened_at_once(trade, reviewer, producer_admin, anon, tmp_path):
    import_list(tmp_path, reviewer, HEADER + "QDi.78,individual,Pedro Listado Ruiz,,\n")
    before = latest_screening(trade.producer.pk)
    assert before is not None
    assert before.hits == []

    item = declare_owner(producer_admin, reviewer, "Pedro Ruiz Listado")

    assert str(trade.listing.pk) not in search_ids(anon)
    after = latest_screening(trade.producer.pk)
    assert str(after.owners_evidence) == item["id"]
    assert [(h["reference"], h["role"]) for h in after.hits] == [("QDi.78", "owner")]
    event = AuditEvent.objects.get(action="diligence.sanctions.screened")
    assert (event.data["reason"], event.data["hits"], event.data["flags_opened"]) == ("owners_confirmed", 1, 1)


def test_owners_approved_with_no_list_in_force_record_no_screening(trade, reviewer, producer_admin):
    declare_owner(producer_admin, reviewer, "Pedro Ruiz Listado")
    assert not Screening.objects.exists()
    assert not AuditEvent.objects.filter(action="diligence.sanctions.screened").exists()


def test_a_beneficial_owner_on_the_list_flags_the_producer_and_hides_its_offers(
    trade, reviewer, producer_admin, anon, tmp_path
):
    owners = {
        "owners": [
            {
                "name": "Lucía Huamán Ccori",
                "document_type": "DNI",
                "document_number": "41234567",
                "share_percent": "100",
                "pep": False,
            }
        ],
        "peps": [],
    }
    item = ok(upload(producer_admin, "OWNERS_DECL", attributes=json.dumps(owners)), 201)
    ok(decide(reviewer, item["id"], "approve"))
    listing_id = str(trade.listing.pk)
    assert listing_id in search_ids(anon)

    # Accents and case folded, the words in another order: the same person to the screening.
    import_list(tmp_path, reviewer, HEADER + "QDi.77,individual,HUAMAN CCORI LUCIA,La Contadora,\n")

    assert listing_id not in search_ids(anon)  # the next request that reads search
    flag = RedFlag.objects.get(organization=trade.producer.organization)
    assert (flag.category_id, flag.severity) == ("sanctions_hit", "high")
    assert "an owner" in flag.facts
    assert "QDi.77" in flag.facts
    screening = latest_screening(trade.producer.pk)
    assert str(screening.owners_evidence) == item["id"]
    assert [(h["name"], h["role"], h["match"]) for h in screening.hits] == [("Lucía Huamán Ccori", "owner", "name")]
    assert {c["role"] for c in screening.checked} == {"organisation", "owner"}
