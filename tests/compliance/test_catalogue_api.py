"""The public evidence catalogue (`/api/v1/evidence-types/`), the data it rests on (every type serves a
requirement or says why it exists, and names the norms that ask for it), and the validity rules that are
data: "no expiry" printed on a document, and deadlines set by law."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest

from audit.models import AuditEvent
from compliance import catalogue
from compliance.deadlines import validity_deadline_add, validity_deadlines_apply
from compliance.models import NO_EXPIRY, Evidence, EvidenceBasis, EvidenceType, ValidityDeadline
from core import clock
from core.errors import BadRequest
from tests.compliance.helpers import decide, iso, make_evidence, make_producer, make_site, ok, today, upload, uploaded
from tests.problems import assert_problem, field_errors

pytestmark = pytest.mark.django_db

TYPES_URL = "/api/v1/evidence-types/"


@pytest.fixture
def producer(coop):
    return make_producer(coop)


@pytest.fixture
def site(producer):
    return make_site(producer)


def _all(client, url: str = TYPES_URL) -> list[dict]:
    rows, next_url = [], url
    while next_url:
        body = ok(client.get(next_url))
        rows += body["results"]
        next_url = body["next"]
    return rows


# --- The catalogue as data ------------------------------------------------------------------------------------
def test_every_type_serves_a_requirement_or_says_why_it_exists():
    for evidence_type in EvidenceType.objects.prefetch_related("requirements"):
        if evidence_type.requirements.exists():
            continue
        assert evidence_type.purpose, f"{evidence_type.code} serves no requirement and gives no purpose"
        assert evidence_type.purpose_note_en, evidence_type.code
        assert evidence_type.purpose_note_es, evidence_type.code


def test_every_type_names_at_least_one_norm_that_asks_for_it():
    without = set(EvidenceType.objects.values_list("code", flat=True)) - set(
        EvidenceBasis.objects.values_list("evidence_type_id", flat=True)
    )
    assert without == set()
    assert not EvidenceBasis.objects.filter(citation="").exists()


def test_the_nine_types_no_requirement_asks_for_say_why():
    purposes = dict(EvidenceType.objects.filter(requirements__isnull=True).values_list("code", "purpose"))
    assert purposes == {
        "VIGENCIA_PAY": "supporting",
        "PPM_PMA": "supporting",
        "ANP_COMPAT": "supporting",
        "CLOSURE_EVID": "supporting",
        "OHS_PROG": "supporting",
        "GRIEVANCE": "good_practice",
        "PROD_DECL": "production",
        "LOT_ASSAY": "per_lot",
        "LOT_ORIGIN": "per_lot",
    }


# --- The endpoint -------------------------------------------------------------------------------------------
def test_anyone_lists_every_type_page_by_page(anon):
    rows = _all(anon, f"{TYPES_URL}?page_size=10")

    assert sorted(row["code"] for row in rows) == sorted(EvidenceType.objects.values_list("code", flat=True))
    assert all(row["basis"] for row in rows)


def test_a_type_says_what_it_proves_who_issues_it_how_long_it_counts_and_why(anon):
    reinfo = ok(anon.get(f"{TYPES_URL}REINFO/"))

    assert reinfo["name"] == "Formalization registry record"
    assert reinfo["proves"].startswith("That the miner is registered")
    assert reinfo["issuer"] == "MINEM (DGFM)"
    assert reinfo["validity"] == {
        "kind": "days",
        "description": "A number of days from the issue date",
        "days": 30,
        "deadline": None,
        "allows_no_expiry": False,
    }
    assert reinfo["per"] == "organisation"
    assert reinfo["requirements"] == [
        {
            "code": "FORMALIZATION",
            "name": "Formalization: REINFO registration or authorisation to start exploitation",
            "claims": [],
        }
    ]
    assert reinfo["purpose"] == ""
    citations = [basis["citation"] for basis in reinfo["basis"]]
    assert citations[:2] == ["D.L. 1293", "D.S. 018-2017-EM"]


def test_the_igafom_counts_until_the_formalization_deadline_in_force(anon):
    igafom = ok(anon.get(f"{TYPES_URL}IGAFOM/"))

    assert igafom["per"] == "site"
    assert igafom["validity"]["kind"] == "deadline"
    assert igafom["validity"]["deadline"] == {
        "code": "formalization",
        "date": "2025-12-31",
        "effective_from": "2025-01-01",
        "norm": "D.S. 012-2025-EM",
    }
    assert igafom["basis"][0] == {
        "citation": "D.L. 1336",
        "clause": "",
        "url": "",
        "to_confirm": False,
        "note": "creates the IGAFOM",
    }


def test_the_claims_a_type_backs_and_the_types_that_exist_for_one_lot(anon):
    fairmined = ok(anon.get(f"{TYPES_URL}CERT_FAIRMINED/"))
    members = ok(anon.get(f"{TYPES_URL}ORG_MEMBERS/"))
    assay = ok(anon.get(f"{TYPES_URL}LOT_ASSAY/"))

    assert fairmined["claims"] == ["fairmined", "fairmined_ecological"]
    assert fairmined["validity"]["allows_no_expiry"] is False  # a certificate always ends
    assert members["claims"] == ["women_led"]
    assert (assay["per"], assay["purpose"], assay["requirements"]) == ("lot", "per_lot", [])


def test_names_and_texts_follow_the_callers_language(client_for):
    spanish = client_for(language="es")

    body = ok(spanish.get(f"{TYPES_URL}VIGENCIA_PAY/"))

    assert body["name"] == "Constancia de pago del derecho de vigencia"
    assert body["proves"].startswith("Que se pagó el derecho de vigencia")
    assert body["purpose_note"].startswith("Apoya la revisión del derecho a explotar")
    assert body["validity"]["description"] == "Hasta el fin del año calendario de emisión"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("per=lot", {"LOT_ASSAY", "LOT_ORIGIN"}),
        ("area=kyc", {"KYC_COMPANY_REG", "KYC_UBO", "KYC_SANCTIONS", "KYC_DD_POLICY"}),
        ("subject=buyer&per=organisation", {"KYC_COMPANY_REG", "KYC_UBO", "KYC_SANCTIONS", "KYC_DD_POLICY"}),
        ("area=environment&per=site", {"ANP_COMPAT", "IGAFOM", "ENV_CERT", "CLOSURE_EVID"}),
    ],
)
def test_filters(anon, query, expected):
    assert {row["code"] for row in _all(anon, f"{TYPES_URL}?{query}")} == expected


def test_an_unknown_filter_value_or_type_is_refused(anon):
    assert "per" in field_errors(anon.get(f"{TYPES_URL}?per=galaxy"))
    assert_problem(anon.get(f"{TYPES_URL}NOPE/"), 404, "not_found")


# --- "No expiry" printed on a document -------------------------------------------------------------------------
def test_a_document_that_says_it_never_expires_is_approved_without_an_invented_date(producer, producer_admin, reviewer):
    item = uploaded(producer_admin, "ID_DNI", issue_date=iso(-3000), no_expiry="true")

    assert (item["no_expiry"], item["expiry_date"]) == (True, None)  # the reviewer sees it
    body = ok(decide(reviewer, item["id"], "approve"))

    assert body["valid_until"] is None
    assert Evidence.objects.get(pk=item["id"]).valid_until == NO_EXPIRY


def test_no_expiry_and_an_expiry_date_together_are_refused(producer, producer_admin):
    response = upload(producer_admin, "ID_DNI", no_expiry="true", expiry_date=iso(300))

    assert field_errors(response) == {"no_expiry": "expiry_date_and_no_expiry"}
    assert not Evidence.objects.exists()


@pytest.mark.parametrize("code", ["CERT_FAIRMINED", "TAX_RUC"])
def test_a_type_that_forbids_no_expiry_refuses_it(producer, producer_admin, code):
    response = upload(producer_admin, code, no_expiry="true")

    assert field_errors(response) == {"no_expiry": "no_expiry_not_allowed"}
    assert not Evidence.objects.exists()


def test_a_document_expiry_type_still_needs_a_date_or_no_expiry(producer, producer_admin):
    assert field_errors(upload(producer_admin, "ID_DNI")) == {"expiry_date": "required_by_evidence_type"}


def test_member_counts_are_whole_numbers_given_together(producer, producer_admin):
    response = upload(producer_admin, "ORG_MEMBERS", attributes='{"women": "23"}')

    assert field_errors(response) == {"attributes": "invalid_member_counts"}


# --- Deadlines set by law ------------------------------------------------------------------------------------
def test_the_formalization_deadline_in_force_is_the_latest_row_dated_on_or_before_the_day():
    validity_deadline_add(
        actor=None, code="formalization", deadline=dt.date(2027, 6, 30), effective_from=today(), norm="D.S. 999-2026-EM"
    )

    assert catalogue.deadline_in_force("formalization", dt.date(2025, 6, 1)).deadline == dt.date(2025, 12, 31)
    assert catalogue.deadline_in_force("formalization", today()).deadline == dt.date(2027, 6, 30)
    assert catalogue.deadline_in_force("formalization", dt.date(2024, 12, 31)) is None


def test_an_igafom_counts_until_the_deadline_in_force_or_its_expiry_if_sooner(producer, producer_admin, reviewer, site):
    later = today() + dt.timedelta(days=200)
    validity_deadline_add(actor=None, code="formalization", deadline=later, effective_from=today(), norm="D.S. test")
    plain = uploaded(producer_admin, "IGAFOM", site=str(site.pk))["id"]
    expiring = uploaded(producer_admin, "IGAFOM", site=str(site.pk), expiry_date=iso(50))["id"]

    assert ok(decide(reviewer, plain, "approve"))["valid_until"] == later.isoformat()
    assert ok(decide(reviewer, expiring, "approve"))["valid_until"] == iso(50)


def test_an_igafom_past_the_deadline_in_force_cannot_be_approved(producer, producer_admin, reviewer, site):
    assert today() > dt.date(2025, 12, 31)  # the seeded deadline has passed
    item = uploaded(producer_admin, "IGAFOM", site=str(site.pk))["id"]

    assert field_errors(decide(reviewer, item, "approve")) == {"valid_until": "already_lapsed"}
    assert Evidence.objects.get(pk=item).status == "in_review"


def test_a_decree_that_moves_the_deadline_moves_the_items_granted_the_old_one(coop, producer, site, reviewer):
    first = today() + dt.timedelta(days=20)
    second = today() + dt.timedelta(days=400)
    validity_deadline_add(actor=None, code="formalization", deadline=first, effective_from=today(), norm="D.S. 1")
    granted = make_evidence(coop, "IGAFOM", submitted_by=reviewer.user, status="approved", valid_until=first, site=site)
    sooner = first - dt.timedelta(days=5)
    shortened = make_evidence(
        coop, "IGAFOM", submitted_by=reviewer.user, status="approved", valid_until=sooner, site=site
    )
    expiring = make_evidence(
        coop,
        "IGAFOM",
        submitted_by=reviewer.user,
        status="approved",
        valid_until=first,
        expiry_date=today() + dt.timedelta(days=100),
        site=site,
    )
    tomorrow = today() + dt.timedelta(days=1)
    validity_deadline_add(actor=None, code="formalization", deadline=second, effective_from=tomorrow, norm="D.S. 2")

    assert validity_deadlines_apply(today=today()) == 0  # not in force yet
    with mock.patch.object(clock, "today_lima", return_value=tomorrow):
        assert validity_deadlines_apply() == 2
        assert validity_deadlines_apply() == 0  # safe to repeat

    until = dict(Evidence.objects.values_list("pk", "valid_until"))
    assert until[granted.pk] == second
    assert until[shortened.pk] == first - dt.timedelta(days=5)  # a reviewer's shorter grant stays
    assert until[expiring.pk] == today() + dt.timedelta(days=100)  # never past the document's expiry
    moves = AuditEvent.objects.filter(action="compliance.evidence.validity_moved")
    assert sorted(event.data["to"] for event in moves) == sorted([second.isoformat(), iso(100)])


# --- Nothing edits the past ------------------------------------------------------------------------------------
def test_a_deadline_dated_before_today_is_refused_and_changes_nothing():
    before = (ValidityDeadline.objects.count(), AuditEvent.objects.count())

    yesterday = today() - dt.timedelta(days=1)
    with pytest.raises(BadRequest) as refused:
        validity_deadline_add(
            actor=None, code="formalization", deadline=dt.date(2030, 1, 1), effective_from=yesterday, norm="x"
        )

    assert refused.value.errors == [
        {
            "field": "effective_from",
            "code": "edits_the_past",
            "message": "A new deadline cannot take effect before today: date it today or later.",
        }
    ]
    assert (ValidityDeadline.objects.count(), AuditEvent.objects.count()) == before


def test_a_deadline_in_force_is_never_edited_or_deleted():
    row = ValidityDeadline.objects.get(code="formalization")
    row.deadline = dt.date(2030, 1, 1)

    with pytest.raises(catalogue_in_force()) as refused:
        row.save()
    assert refused.value.code == "edits_the_past"
    with pytest.raises(catalogue_in_force()):
        row.delete()
    with pytest.raises(catalogue_in_force()):
        ValidityDeadline(
            code="formalization", deadline=dt.date(2030, 1, 1), effective_from=dt.date(2026, 1, 1), norm="x"
        ).save()

    assert ValidityDeadline.objects.get(pk=row.pk).deadline == dt.date(2025, 12, 31)
    assert ValidityDeadline.objects.count() == 1


def test_a_policy_in_force_is_never_edited_and_a_new_one_never_starts_before_today():
    from compliance.models import Policy

    policy = Policy.objects.get(subject="organization", version=1)
    policy.notes = "edited"
    with pytest.raises(catalogue_in_force()):
        policy.save()
    with pytest.raises(catalogue_in_force()):
        Policy(subject="organization", version=2, effective_from=today() - dt.timedelta(days=1)).save()

    assert Policy.objects.get(pk=policy.pk).notes != "edited"
    assert not Policy.objects.filter(version=2).exists()


def test_the_validity_rule_of_a_type_a_policy_in_force_requires_is_never_edited():
    ruc = EvidenceType.objects.get(pk="TAX_RUC")
    ruc.validity_days = 60

    with pytest.raises(catalogue_in_force()):
        ruc.save()

    assert EvidenceType.objects.get(pk="TAX_RUC").validity_days == 30
    ruc = EvidenceType.objects.get(pk="TAX_RUC")
    ruc.issuer = "SUNAT (Superintendencia Nacional de Aduanas y de Administración Tributaria)"
    ruc.save()  # what is not its validity stays editable
    fairtrade = EvidenceType.objects.get(pk="CERT_FAIRTRADE")  # backs a claim only: no policy requires it
    fairtrade.allows_no_expiry = True
    fairtrade.save()


def test_the_admin_refuses_a_policy_or_deadline_dated_before_today():
    from django.test import Client

    from compliance.models import Policy
    from tests.factories import UserFactory

    client = Client()
    client.force_login(UserFactory(email="ops@example.test", is_staff=True, is_superuser=True))
    yesterday = (today() - dt.timedelta(days=1)).isoformat()
    before = (Policy.objects.count(), ValidityDeadline.objects.count(), AuditEvent.objects.count())

    policy = client.post(
        "/admin/compliance/policy/add/", {"subject": "organization", "version": "9", "effective_from": yesterday}
    )
    deadline = client.post(
        "/admin/compliance/validitydeadline/add/",
        {"code": "formalization", "deadline": "2030-01-01", "effective_from": yesterday, "norm": "D.S. x"},
    )

    for response in (policy, deadline):
        assert response.status_code == 200  # the form again, with the error
        assert b"cannot take effect before today" in response.content
    assert (Policy.objects.count(), ValidityDeadline.objects.count(), AuditEvent.objects.count()) == before
    row = ValidityDeadline.objects.get(code="formalization")
    assert client.get(f"/admin/compliance/validitydeadline/{row.pk}/change/").status_code == 200  # read only
    assert (
        client.post(
            f"/admin/compliance/validitydeadline/{row.pk}/change/",
            {"code": "formalization", "deadline": "2030-01-01", "effective_from": "2025-01-01", "norm": "x"},
        ).status_code
        == 403
    )
    assert ValidityDeadline.objects.get(pk=row.pk).deadline == dt.date(2025, 12, 31)


def catalogue_in_force() -> type[Exception]:
    from compliance.models import CatalogueInForce

    return CatalogueInForce
