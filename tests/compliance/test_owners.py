"""Producers' KYC: beneficial owners and politically exposed persons declared as evidence (OWNERS_DECL),
checked on upload (a bad declaration stores nothing), confirmed by a reviewer's approval, and read by
`confirmed_owners` for screening and the due-diligence pack."""

from __future__ import annotations

import copy
import datetime as dt
import json
from decimal import Decimal

import pytest

from audit.models import AuditEvent
from compliance.models import Evidence, EvidenceType, Policy
from compliance.selectors import confirmed_owners
from producers.models import Producer
from tests.compliance.helpers import day, decide, make_producer, ok, stored_files, upload, uploaded
from tests.factories import make_ruc
from tests.problems import assert_problem, field_errors

pytestmark = pytest.mark.django_db

DECLARATION = {
    "owners": [
        {
            "name": "Rosa Quispe Mamani",
            "document_type": "DNI",
            "document_number": "40123456",
            "share_percent": "60.00",
            "pep": False,
        },
        {
            "name": "  Lucía Huamán Ccori ",
            "document_type": "CE",
            "document_number": "ab12345",
            "share_percent": "39.5",
            "pep": True,
        },
    ],
    "peps": [{"name": "Juan Quispe", "position": "Consejero regional", "relation": "Hermano de Rosa Quispe"}],
}


def declaration(**changes) -> dict:
    body = copy.deepcopy(DECLARATION)
    body.update(changes)
    return body


def with_owner(index: int, **changes) -> dict:
    body = declaration()
    body["owners"][index].update(changes)
    return body


def declare(actor, attributes) -> object:
    return upload(actor, "OWNERS_DECL", attributes=json.dumps(attributes))


def nothing_stored() -> tuple[int, int, int]:
    return Evidence.objects.count(), len(stored_files()), AuditEvent.objects.count()


def test_the_type_is_seeded_for_producers_for_twelve_months_and_not_required_yet():
    owners = EvidenceType.objects.get(code="OWNERS_DECL")
    assert (owners.subject, owners.area, owners.validity, owners.validity_days) == (
        "producer",
        "organisation",
        "days",
        365,
    )
    assert owners.declares_owners is True
    assert [r.code for r in owners.requirements.all()] == ["BENEFICIAL_OWNERS"]
    assert not Policy.objects.filter(requirements__code="BENEFICIAL_OWNERS").exists()


def test_a_producer_declares_its_owners_and_a_reviewer_confirms_them(producer_admin, reviewer, coop):
    make_producer(coop)
    item = ok(declare(producer_admin, DECLARATION), 201)

    assert item["status"] == "submitted"
    owners = item["attributes"]["owners"]
    # Stored as checked: names trimmed, documents upper-case, shares with two decimals.
    assert [(o["name"], o["document_number"], o["share_percent"]) for o in owners] == [
        ("Rosa Quispe Mamani", "40123456", "60.00"),
        ("Lucía Huamán Ccori", "AB12345", "39.50"),
    ]
    submitted = AuditEvent.objects.get(action="compliance.evidence.submitted", target_id=item["id"])
    assert (submitted.data["owners"], submitted.data["peps"]) == (2, 1)
    assert "Rosa Quispe Mamani" not in json.dumps(submitted.data)  # counts only in the permanent trail
    assert confirmed_owners(coop.pk) is None  # not confirmed yet

    approved = ok(decide(reviewer, item["id"], "approve"))

    assert approved["status"] == "approved"
    confirmed = confirmed_owners(coop.pk)
    assert confirmed is not None
    assert (confirmed.source, str(confirmed.evidence_id)) == ("declaration", item["id"])
    assert confirmed.valid_until == dt.date.fromisoformat(approved["valid_until"])
    assert [(o.name, o.document_type, o.share_percent, o.pep) for o in confirmed.owners] == [
        ("Rosa Quispe Mamani", "DNI", Decimal("60.00"), False),
        ("Lucía Huamán Ccori", "CE", Decimal("39.50"), True),
    ]
    assert [(p.name, p.position, p.relation) for p in confirmed.peps] == [
        ("Juan Quispe", "Consejero regional", "Hermano de Rosa Quispe")
    ]
    last_day = dt.date.fromisoformat(approved["valid_until"])
    assert confirmed_owners(coop.pk, last_day) is not None
    assert confirmed_owners(coop.pk, last_day + dt.timedelta(days=1)) is None  # lapsed


def test_a_newer_approved_declaration_replaces_the_older_one(producer_admin, reviewer, coop):
    first = ok(declare(producer_admin, DECLARATION), 201)
    ok(decide(reviewer, first["id"], "approve"))
    sole = declaration(
        owners=[DECLARATION["owners"][0] | {"share_percent": "100"}],
        peps=[],
    )
    second = ok(declare(producer_admin, sole), 201)
    ok(decide(reviewer, second["id"], "approve"))

    confirmed = confirmed_owners(coop.pk)
    assert str(confirmed.evidence_id) == second["id"]
    assert [(o.name, o.share_percent) for o in confirmed.owners] == [("Rosa Quispe Mamani", Decimal("100.00"))]
    assert confirmed.peps == ()
    assert Evidence.objects.get(pk=first["id"]).status == "superseded"


def test_shares_over_100_percent_in_total_are_refused_with_the_total(producer_admin):
    before = nothing_stored()

    response = declare(producer_admin, with_owner(1, share_percent="40.01"))

    body = assert_problem(response, 400, "owner_shares_over_100", field="attributes.owners")
    assert body["total_percent"] == "100.01"
    assert "100.01" in body["detail"]
    assert nothing_stored() == before


@pytest.mark.parametrize(
    ("attributes", "field", "code"),
    [
        (with_owner(0, share_percent="0"), "attributes.owners.0.share_percent", "out_of_range"),
        (with_owner(0, share_percent="0.00"), "attributes.owners.0.share_percent", "out_of_range"),
        (with_owner(0, share_percent="100.01"), "attributes.owners.0.share_percent", "out_of_range"),
        (with_owner(0, share_percent="-5"), "attributes.owners.0.share_percent", "invalid"),
        (with_owner(0, share_percent="12.345"), "attributes.owners.0.share_percent", "invalid"),
        (with_owner(0, share_percent=25), "attributes.owners.0.share_percent", "invalid"),
        (with_owner(0, share_percent="025"), "attributes.owners.0.share_percent", "invalid"),
        (with_owner(1, name="   "), "attributes.owners.1.name", "blank"),
        (with_owner(1, name=""), "attributes.owners.1.name", "blank"),
        (with_owner(0, name="x" * 201), "attributes.owners.0.name", "max_length"),
        (with_owner(1, document_type="CE", document_number="AB12345 ".lower()), None, None),  # the same once cleaned
        (
            with_owner(1, document_type="DNI", document_number="40123456"),
            "attributes.owners.1.document_number",
            "duplicate",
        ),
        (with_owner(0, document_number="4012345"), "attributes.owners.0.document_number", "invalid"),
        (with_owner(0, document_type="RUC"), "attributes.owners.0.document_type", "invalid_choice"),
        (with_owner(0, pep="no"), "attributes.owners.0.pep", "invalid"),
        (declaration(owners=[]), "attributes.owners", "invalid"),
        (declaration(owners=[DECLARATION["owners"][0]] * 21), "attributes.owners", "invalid"),
        (
            declaration(peps=[{"name": "Juan", "position": "", "relation": "Hermano"}]),
            "attributes.peps.0.position",
            "blank",
        ),
        (declaration(peps=[{"name": "Juan", "position": "Alcalde"}]), "attributes.peps.0", "invalid"),
        (declaration(peps="Juan"), "attributes.peps", "invalid"),
        ({"peps": []}, "attributes", "required_by_evidence_type"),
        (declaration(ecological=True), "attributes", "required_by_evidence_type"),
        ({}, "attributes", "required_by_evidence_type"),
    ],
    ids=[
        "share zero",
        "share zero with decimals",
        "share over 100",
        "share negative",
        "share with three decimals",
        "share as a JSON number",
        "share with a leading zero",
        "blank name",
        "empty name",
        "name too long",
        "a clean valid declaration",
        "duplicate document",
        "a DNI of seven digits",
        "unknown document type",
        "pep not a boolean",
        "no owners",
        "too many owners",
        "pep without a position",
        "pep without a relation",
        "peps not a list",
        "no owners key",
        "other keys",
        "nothing declared",
    ],
)
def test_a_bad_declaration_is_refused_and_nothing_is_stored(producer_admin, attributes, field, code):
    before = nothing_stored()

    response = declare(producer_admin, attributes)

    if field is None:  # the control: the same shape, valid, is accepted
        ok(response, 201)
        return
    assert field_errors(response) == {field: code}
    assert nothing_stored() == before


def test_the_owners_entry_must_have_exactly_its_fields(producer_admin):
    before = nothing_stored()
    extra = with_owner(0, nationality="PE")
    missing = declaration()
    del missing["owners"][0]["pep"]

    for attributes in (extra, missing):
        assert field_errors(declare(producer_admin, attributes)) == {"attributes.owners.0": "invalid"}
    assert nothing_stored() == before


def test_only_an_owners_declaration_carries_owners_and_only_producers_upload_it(producer_admin, buyer):
    before = nothing_stored()

    other_type = upload(producer_admin, "NO_CHILD_DECL", attributes=json.dumps(DECLARATION))
    by_a_buyer = declare(buyer, DECLARATION)

    assert field_errors(other_type) == {"attributes": "not_allowed"}
    assert field_errors(by_a_buyer) == {"evidence_type": "wrong_subject"}
    assert nothing_stored() == before
    uploaded(producer_admin, "ORG_MEMBERS", attributes=json.dumps({"women": 3, "men": 1}))  # other facts still fine


def test_the_declaration_is_private_to_the_producer_and_reviewers(producer_admin, reviewer, other_producer, buyer):
    item = ok(declare(producer_admin, DECLARATION), 201)

    assert (
        ok(reviewer.get(f"/api/v1/evidence/{item['id']}/"))["attributes"]["owners"][0]["name"] == "Rosa Quispe Mamani"
    )
    for outsider in (other_producer, buyer):
        assert_problem(outsider.get(f"/api/v1/evidence/{item['id']}/"), 404, "not_found")


def test_an_individual_miner_needs_no_declaration_she_is_her_own_owner(coop):
    ruc = make_ruc("10")
    miner = Producer.objects.create(
        organization=coop,
        legal_kind="individual",
        legal_category="PMA",
        ruc=ruc,
        dni=ruc[2:10],
        holder_sex="female",
        district="tambopata",
    )

    confirmed = confirmed_owners(coop.pk)

    assert confirmed is not None
    assert (confirmed.source, confirmed.evidence_id, confirmed.valid_until) == ("individual_miner", None, None)
    assert [(o.name, o.document_type, o.document_number, o.share_percent, o.pep) for o in confirmed.owners] == [
        (coop.legal_name, "DNI", miner.dni, Decimal("100"), None)
    ]


def test_a_cooperative_without_a_confirmed_declaration_has_no_known_owners(coop, producer_admin, reviewer):
    make_producer(coop)
    rejected = ok(declare(producer_admin, DECLARATION), 201)
    ok(decide(reviewer, rejected["id"], "reject", reason="La participación de Lucía no coincide con SUNARP."))

    assert confirmed_owners(coop.pk) is None
    assert confirmed_owners(coop.pk, day(0)) is None
