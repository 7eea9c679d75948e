"""The producers API over HTTP: profile, directory, verification, mining sites and the member roster.

Each test checks what a user sees (status and body) and what the database holds afterwards, including the
audit trail: every write records exactly one event, every refusal none (docs/architecture.md, conventions).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Role
from audit.models import AuditEvent
from core import clock
from notifications.models import Notification
from producers.models import MemberMiner, Producer, Site
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory, make_ruc
from tests.problems import assert_problem, field_errors
from tests.producers.factories import MemberMinerFactory, ProducerFactory, SiteFactory

pytestmark = pytest.mark.django_db

PRODUCERS = "/api/v1/producers/"

PUBLIC_KEYS = {
    "id",
    "legal_name",
    "legal_kind",
    "legal_category",
    "district",
    "description_es",
    "description_en",
    "verification_status",
    "verified_at",
    "women_led",
    "women_count",
    "members_count",
    "compliant",
    "compliant_until",
    "badges",
    "offers_today",
}
PRIVATE_ONLY_KEYS = {
    "ruc",
    "dni",
    "holder_sex",
    "reinfo_code",
    "contact_phone",
    "verification_reason",
    "verification_changed_at",
    "created_at",
    "updated_at",
}
PRIVATE_KEYS = PUBLIC_KEYS | PRIVATE_ONLY_KEYS
SITE_KEYS = {
    "id",
    "name",
    "approximate_location",
    "concession_code",
    "district",
    "geometry",
    "source_crs",
    "latitude",
    "longitude",
    "area_hectares",
    "flagged",
    "overlaps",
    "status",
    "review_reason",
    "reviewed_at",
    "created_at",
    "updated_at",
}
PUBLIC_SITE_KEYS = {"id", "name", "district", "approximate_location", "status"}
MEMBER_KEYS = {"id", "full_name", "dni", "birth_year", "sex", "role", "active", "created_at"}

STATES = ("draft", "submitted", "verified", "changes_requested", "rejected", "suspended", "revoked")
# The verification lifecycle as the design draws it: move -> (states it starts from, state it leads to).
MOVES: dict[str, tuple[tuple[str, ...], str]] = {
    "submit": (("draft", "changes_requested", "rejected"), "submitted"),
    "verify": (("submitted",), "verified"),
    "request-changes": (("submitted",), "changes_requested"),
    "reject": (("submitted",), "rejected"),
    "suspend": (("verified",), "suspended"),
    "reinstate": (("suspended",), "verified"),
    "revoke": (("verified", "suspended"), "revoked"),
}
ALLOWED = [(start, move, to) for move, (starts, to) in MOVES.items() for start in starts]
FORBIDDEN = [(start, move) for move, (starts, to) in MOVES.items() for start in STATES if start not in (*starts, to)]
REASON_REQUIRED = ("request-changes", "reject", "suspend", "revoke")

HUEPETUHE_POINT = {"type": "Point", "coordinates": [-70.5123, -12.9876]}
HUEPETUHE_SQUARE = {
    "type": "Polygon",
    "coordinates": [[[-70.52, -12.99], [-70.50, -12.99], [-70.50, -12.97], [-70.52, -12.97], [-70.52, -12.99]]],
}
ROSA = {"full_name": "Rosa Quispe Huamán", "dni": "41234567", "birth_year": 1985, "sex": "female", "role": "pallaquera"}


# --- helpers --------------------------------------------------------------------------------------
def producer_url(producer: Any, action: str = "") -> str:
    pk = producer.pk if hasattr(producer, "pk") else producer
    return f"{PRODUCERS}{pk}/" + (f"{action}/" if action else "")


def sites_url(producer: Any, site: Any = None, action: str = "") -> str:
    url = f"{PRODUCERS}{producer.pk}/sites/"
    if site is not None:
        url += f"{site.pk if hasattr(site, 'pk') else site}/"
    return url + (f"{action}/" if action else "")


def members_url(producer: Any, member: Any = None) -> str:
    url = f"{PRODUCERS}{producer.pk}/members/"
    return url + (f"{member.pk if hasattr(member, 'pk') else member}/" if member is not None else "")


def actions() -> list[str]:
    """Every audit event recorded so far, oldest first."""
    return list(AuditEvent.objects.order_by("seq").values_list("action", flat=True))


def ids(response: Any) -> set[str]:
    assert response.status_code == 200, response.content[:1000]
    return {row["id"] for row in response.json()["results"]}


def bad_check_digit(prefix: str) -> str:
    ruc = make_ruc(prefix)
    return ruc[:10] + str((int(ruc[10]) + 1) % 10)


def cooperative_body(**overrides: Any) -> dict[str, Any]:
    return {
        "legal_kind": "cooperative",
        "legal_category": "REINFO",
        "ruc": make_ruc("20"),
        "reinfo_code": "REINFO-MDD-2024-0173",
        "district": "huepetuhe",
        "contact_phone": "+51 982 123 456",
        "description_es": "Cooperativa de mujeres mineras de oro aluvial sin mercurio.",
        "description_en": "A cooperative of women miners working alluvial gold without mercury.",
        **overrides,
    }


def individual_body(ruc: str | None = None, **overrides: Any) -> dict[str, Any]:
    ruc = ruc or make_ruc("10")
    return {
        "legal_kind": "individual",
        "legal_category": "PMA",
        "ruc": ruc,
        "dni": ruc[2:10],
        "holder_sex": "female",
        "district": "inambari",
        **overrides,
    }


def site_body(**overrides: Any) -> dict[str, Any]:
    return {
        "name": "Playa Huepetuhe Alto",
        "concession_code": "010203405",
        "district": "huepetuhe",
        "geometry": HUEPETUHE_POINT,
        **overrides,
    }


def as_network(network: Any) -> dict[str, str]:
    return {"HTTP_X_ORGANIZATION": str(network.pk)}


@pytest.fixture
def draft(coop):
    """coop's own profile, in draft, with one pending site."""
    producer = ProducerFactory(organization=coop)
    SiteFactory(producer=producer)
    return producer


@pytest.fixture
def verified(coop):
    producer = ProducerFactory(organization=coop, verified=True)
    SiteFactory(producer=producer, approved=True)
    return producer


# --- Profile: creation ----------------------------------------------------------------------------
def test_an_admin_creates_a_cooperative_profile(producer_admin, coop):
    body = cooperative_body()

    response = producer_admin.post(PRODUCERS, body, format="json")

    assert response.status_code == 201, response.json()
    data = response.json()
    assert set(data) == PRIVATE_KEYS
    assert data["id"] == str(coop.pk)
    assert data["legal_name"] == coop.legal_name
    assert data["verification_status"] == "draft"
    assert (data["legal_kind"], data["ruc"], data["dni"], data["holder_sex"]) == ("cooperative", body["ruc"], "", "")
    producer = Producer.objects.get(pk=coop.pk)
    assert (producer.legal_kind, producer.legal_category, producer.ruc) == ("cooperative", "REINFO", body["ruc"])
    assert (producer.reinfo_code, producer.district, producer.contact_phone) == (
        "REINFO-MDD-2024-0173",
        "huepetuhe",
        "+51 982 123 456",
    )
    coop.refresh_from_db()
    assert coop.tax_id == body["ruc"]
    assert actions() == ["producers.producer.created"]
    event = AuditEvent.objects.get()
    assert (event.actor_id, event.actor_organization_id, event.target_id) == (
        producer_admin.user.pk,
        coop.pk,
        str(coop.pk),
    )


def test_an_admin_creates_the_profile_of_an_individual_woman_miner(producer_admin, coop):
    body = individual_body()

    response = producer_admin.post(PRODUCERS, body, format="json")

    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["legal_kind"], data["ruc"], data["dni"], data["holder_sex"]) == (
        "individual",
        body["ruc"],
        body["dni"],
        "female",
    )
    producer = Producer.objects.get(pk=coop.pk)
    assert (producer.ruc, producer.dni, producer.holder_sex) == (body["ruc"], body["ruc"][2:10], "female")
    assert actions() == ["producers.producer.created"]


def test_an_organisation_sending_a_dni_and_sex_keeps_neither(producer_admin, coop):
    response = producer_admin.post(PRODUCERS, cooperative_body(dni="41234567", holder_sex="female"), format="json")

    assert response.status_code == 201, response.json()
    assert (response.json()["dni"], response.json()["holder_sex"]) == ("", "")
    assert Producer.objects.filter(pk=coop.pk, dni="", holder_sex="").exists()


@pytest.mark.parametrize(
    ("make_body", "field", "code"),
    [
        pytest.param(lambda: cooperative_body(ruc=bad_check_digit("20")), "ruc", "invalid_ruc", id="check-digit"),
        pytest.param(lambda: individual_body(ruc=bad_check_digit("10")), "ruc", "invalid_ruc", id="check-digit-10"),
        pytest.param(lambda: cooperative_body(ruc=make_ruc("20")[:10]), "ruc", "invalid_ruc", id="ten-digits"),
        pytest.param(lambda: cooperative_body(ruc="2O527145661"), "ruc", "invalid_ruc", id="letter-o"),
        pytest.param(lambda: individual_body(ruc=make_ruc("20")), "ruc", "ruc_kind_mismatch", id="individual-20"),
        pytest.param(lambda: cooperative_body(ruc=make_ruc("10")), "ruc", "ruc_kind_mismatch", id="cooperative-10"),
        pytest.param(
            lambda: cooperative_body(legal_kind="association", ruc=make_ruc("10")),
            "ruc",
            "ruc_kind_mismatch",
            id="association-10",
        ),
        pytest.param(lambda: individual_body(dni="12345678"), "dni", "dni_ruc_mismatch", id="dni-not-in-ruc"),
        pytest.param(lambda: individual_body(dni=""), "dni", "required_for_individual", id="individual-without-dni"),
        pytest.param(lambda: individual_body(dni="1234567"), "dni", "invalid_dni", id="seven-digit-dni"),
        pytest.param(
            lambda: individual_body(holder_sex=""), "holder_sex", "required_for_individual", id="no-holder-sex"
        ),
        pytest.param(
            lambda: {k: v for k, v in individual_body().items() if k != "holder_sex"},
            "holder_sex",
            "required_for_individual",
            id="holder-sex-missing",
        ),
        pytest.param(lambda: individual_body(holder_sex="other"), "holder_sex", "invalid_choice", id="bad-sex"),
        pytest.param(lambda: cooperative_body(district="lima"), "district", "invalid_choice", id="bad-district"),
        pytest.param(lambda: cooperative_body(legal_kind="ngo"), "legal_kind", "invalid_choice", id="bad-kind"),
    ],
)
def test_a_profile_with_bad_identity_is_400_with_field_errors(producer_admin, coop, make_body, field, code):
    response = producer_admin.post(PRODUCERS, make_body(), format="json")

    assert response.status_code == 400, response.json()
    assert field_errors(response) == {field: code}
    assert not Producer.objects.exists()
    assert actions() == []


def test_a_ruc_already_used_by_another_producer_is_400(producer_admin, coop):
    taken = ProducerFactory()

    response = producer_admin.post(PRODUCERS, cooperative_body(ruc=taken.ruc), format="json")

    assert response.status_code == 400, response.json()
    assert field_errors(response) == {"ruc": "ruc_taken"}
    assert list(Producer.objects.values_list("pk", flat=True)) == [taken.pk]
    assert actions() == []


def test_a_ruc_held_by_another_peruvian_organisation_is_400(producer_admin, coop, other_buyer):
    """The RUC of a Lima jeweller (a buyer) cannot become a cooperative's: it names another legal entity."""
    jeweller_ruc = other_buyer.organization.tax_id

    response = producer_admin.post(PRODUCERS, cooperative_body(ruc=jeweller_ruc), format="json")

    assert response.status_code == 400, response.content[:500]
    assert field_errors(response) == {"ruc": "ruc_taken"}
    assert not Producer.objects.exists()
    coop.refresh_from_db()
    assert coop.tax_id != jeweller_ruc
    assert actions() == []


def test_a_second_profile_is_409(producer_admin, coop):
    existing = ProducerFactory(organization=coop)

    response = producer_admin.post(PRODUCERS, cooperative_body(), format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "profile_exists"
    assert Producer.objects.get().ruc == existing.ruc
    assert actions() == []


@pytest.mark.parametrize(
    ("actor", "code"), [("producer_member", "not_admin"), ("buyer", "not_producer"), ("reviewer", "not_producer")]
)
def test_only_a_producer_admin_creates_the_profile(request, actor, code):
    client = request.getfixturevalue(actor)

    response = client.post(PRODUCERS, cooperative_body(), format="json")

    assert response.status_code == 403
    assert response.json()["code"] == code
    assert not Producer.objects.exists()
    assert actions() == []


@pytest.mark.parametrize("actor", ["producer_member", "buyer", "reviewer"])
def test_the_role_is_checked_before_the_body(request, actor):
    """A role that may never create a profile learns nothing about the fields: 403, not 400."""
    client = request.getfixturevalue(actor)

    response = client.post(PRODUCERS, {}, format="json")

    assert response.status_code == 403, response.json()
    assert not Producer.objects.exists()


def test_an_anonymous_visitor_cannot_create_a_profile(anon):
    response = anon.post(PRODUCERS, cooperative_body(), format="json")

    assert response.status_code == 401
    assert not Producer.objects.exists()


# --- Profile: changes -----------------------------------------------------------------------------
def test_a_draft_profile_corrects_its_identity(producer_admin, draft):
    new_ruc = make_ruc("20")

    response = producer_admin.patch(
        producer_url(draft), {"ruc": new_ruc, "legal_category": "PPM", "legal_kind": "association"}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert (response.json()["ruc"], response.json()["legal_category"]) == (new_ruc, "PPM")
    draft.refresh_from_db()
    assert (draft.ruc, draft.legal_category, draft.legal_kind) == (new_ruc, "PPM", "association")
    assert actions() == ["producers.producer.updated"]


def test_a_draft_individual_who_registers_her_cooperative_instead_loses_dni_and_sex(producer_admin, coop):
    producer = ProducerFactory(organization=coop, individual=True)
    new_ruc = make_ruc("20")

    response = producer_admin.patch(
        producer_url(producer), {"legal_kind": "cooperative", "ruc": new_ruc}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert (response.json()["dni"], response.json()["holder_sex"]) == ("", "")
    producer.refresh_from_db()
    assert (producer.legal_kind, producer.ruc, producer.dni, producer.holder_sex) == ("cooperative", new_ruc, "", "")
    assert actions() == ["producers.producer.updated"]


def test_the_organisation_tax_id_follows_a_corrected_ruc(producer_admin, coop, draft):
    """Creating the profile copies the RUC to the organisation; correcting it in draft must too."""
    new_ruc = make_ruc("20")

    response = producer_admin.patch(producer_url(draft), {"ruc": new_ruc}, format="json")

    assert response.status_code == 200, response.json()
    coop.refresh_from_db()
    assert coop.tax_id == new_ruc


def test_a_patch_to_a_ruc_already_used_by_another_producer_is_400(producer_admin, draft):
    taken = ProducerFactory(verified=True)
    before = draft.ruc

    response = producer_admin.patch(producer_url(draft), {"ruc": taken.ruc}, format="json")

    assert response.status_code == 400
    assert field_errors(response) == {"ruc": "ruc_taken"}
    draft.refresh_from_db()
    assert draft.ruc == before
    assert actions() == []


def test_a_patch_with_a_bad_ruc_is_400_and_changes_nothing(producer_admin, draft):
    before = draft.ruc

    response = producer_admin.patch(producer_url(draft), {"ruc": bad_check_digit("20")}, format="json")

    assert response.status_code == 400
    assert field_errors(response) == {"ruc": "invalid_ruc"}
    draft.refresh_from_db()
    assert draft.ruc == before
    assert actions() == []


def test_a_patch_that_changes_nothing_records_nothing(producer_admin, draft):
    response = producer_admin.patch(producer_url(draft), {"district": draft.district}, format="json")

    assert response.status_code == 200
    assert actions() == []


@pytest.mark.parametrize("status", ["submitted", "verified", "suspended"])
@pytest.mark.parametrize(
    "change",
    [
        {"ruc": make_ruc("20")},
        {"legal_kind": "association"},
        {"legal_category": "PPM"},
        {"reinfo_code": "REINFO-MDD-2025-9999"},
    ],
    ids=["ruc", "legal_kind", "legal_category", "reinfo_code"],
)
def test_identity_is_locked_once_submitted_or_verified(producer_admin, coop, status, change):
    producer = ProducerFactory(organization=coop, verification_status=status)
    before = Producer.objects.filter(pk=producer.pk).values().get()

    response = producer_admin.patch(producer_url(producer), change, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "profile_locked"
    assert Producer.objects.filter(pk=producer.pk).values().get() == before
    assert actions() == []


@pytest.mark.parametrize("status", ["submitted", "verified"])
def test_description_and_phone_still_change_once_submitted_or_verified(producer_admin, coop, status):
    producer = ProducerFactory(organization=coop, verification_status=status)

    response = producer_admin.patch(
        producer_url(producer),
        {"description_es": "Ahora con mesa vibratoria.", "contact_phone": "+51 999 888 777", "ruc": producer.ruc},
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert response.json()["description_es"] == "Ahora con mesa vibratoria."
    producer.refresh_from_db()
    assert (producer.description_es, producer.contact_phone) == ("Ahora con mesa vibratoria.", "+51 999 888 777")
    assert producer.verification_status == status
    assert actions() == ["producers.producer.updated"]


def test_the_verification_state_never_changes_through_patch(producer_admin, draft):
    response = producer_admin.patch(
        producer_url(draft), {"verification_status": "verified", "description_en": "Gold"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["verification_status"] == "draft"
    draft.refresh_from_db()
    assert (draft.verification_status, draft.verified_at, draft.description_en) == ("draft", None, "Gold")


def test_another_producer_patching_a_draft_profile_gets_404(other_producer, draft):
    response = other_producer.patch(producer_url(draft), {"description_es": "Hackeado"}, format="json")

    assert response.status_code == 404
    draft.refresh_from_db()
    assert draft.description_es != "Hackeado"
    assert actions() == []


@pytest.mark.parametrize("actor", ["other_producer", "buyer"])
def test_another_organisation_cannot_patch_a_verified_profile(request, actor, verified):
    response = request.getfixturevalue(actor).patch(producer_url(verified), {"description_es": "X"}, format="json")

    assert_problem(response, 403, "not_admin")  # a verified profile is public: readable, so not a 404
    verified.refresh_from_db()
    assert verified.description_es != "X"
    assert actions() == []


@pytest.mark.parametrize(("actor", "status"), [("producer_member", 403), ("reviewer", 403), ("anon", 401)])
def test_only_the_admin_patches_the_profile(request, draft, actor, status):
    response = request.getfixturevalue(actor).patch(producer_url(draft), {"description_es": "X"}, format="json")

    assert response.status_code == status
    draft.refresh_from_db()
    assert draft.description_es != "X"
    assert actions() == []


# --- Directory ------------------------------------------------------------------------------------
def test_the_public_directory_shows_verified_producers_with_public_fields_only(anon):
    shown = {ProducerFactory(verified=True), ProducerFactory(verified=True, individual=True)}
    hidden = {ProducerFactory(verification_status=status) for status in STATES if status != "verified"}

    response = anon.get(PRODUCERS)

    assert ids(response) == {str(p.pk) for p in shown}
    for row in response.json()["results"]:
        assert set(row) == PUBLIC_KEYS
    for producer in shown:
        assert set(anon.get(producer_url(producer)).json()) == PUBLIC_KEYS
    for producer in hidden:
        assert anon.get(producer_url(producer)).status_code == 404


def test_a_draft_producers_own_people_see_it_with_private_fields(producer_admin, producer_member, draft):
    neighbour = ProducerFactory(verified=True)

    for client in (producer_admin, producer_member):
        response = client.get(PRODUCERS)
        assert ids(response) == {str(draft.pk), str(neighbour.pk)}
        rows = {row["id"]: row for row in response.json()["results"]}
        assert set(rows[str(draft.pk)]) == PRIVATE_KEYS
        assert set(rows[str(neighbour.pk)]) == PUBLIC_KEYS
        detail = client.get(producer_url(draft)).json()
        assert set(detail) == PRIVATE_KEYS
        assert (detail["ruc"], detail["verification_status"]) == (draft.ruc, "draft")


@pytest.mark.parametrize("actor", ["other_producer", "buyer", "anon"])
def test_another_organisation_gets_404_on_a_draft_producer(request, actor, draft):
    client = request.getfixturevalue(actor)

    assert client.get(producer_url(draft)).status_code == 404
    assert str(draft.pk) not in ids(client.get(PRODUCERS))


def test_another_organisation_sees_a_verified_producer_publicly(other_producer, buyer, verified):
    for client in (other_producer, buyer):
        assert set(client.get(producer_url(verified)).json()) == PUBLIC_KEYS


def test_reviewers_see_every_producer_and_filter_the_queue(reviewer, draft):
    waiting = [ProducerFactory(verification_status="submitted") for _ in range(2)]
    done = ProducerFactory(verified=True)

    everything = reviewer.get(PRODUCERS)
    queue = reviewer.get(f"{PRODUCERS}?verification_status=submitted")

    assert ids(everything) == {str(p.pk) for p in [draft, *waiting, done]}
    assert all(set(row) == PRIVATE_KEYS for row in everything.json()["results"])
    assert ids(queue) == {str(p.pk) for p in waiting}
    assert set(reviewer.get(producer_url(draft)).json()) == PRIVATE_KEYS


def test_the_directory_filters_by_district_and_legal_kind(anon):
    coop_huepetuhe = ProducerFactory(verified=True, district="huepetuhe")
    woman_inambari = ProducerFactory(verified=True, individual=True, district="inambari")
    association_tambopata = ProducerFactory(verified=True, legal_kind="association", district="tambopata")
    ProducerFactory(district="huepetuhe")  # a draft: never in the public directory

    assert ids(anon.get(f"{PRODUCERS}?district=huepetuhe")) == {str(coop_huepetuhe.pk)}
    assert ids(anon.get(f"{PRODUCERS}?district=inambari")) == {str(woman_inambari.pk)}
    assert ids(anon.get(f"{PRODUCERS}?legal_kind=individual")) == {str(woman_inambari.pk)}
    assert ids(anon.get(f"{PRODUCERS}?legal_kind=association")) == {str(association_tambopata.pk)}
    assert ids(anon.get(f"{PRODUCERS}?legal_kind=cooperative&district=tambopata")) == set()


def test_the_directory_searches_by_name(anon):
    candelaria = ProducerFactory(verified=True, organization=OrganizationFactory(legal_name="Asociación Candelaria"))
    ProducerFactory(verified=True, organization=OrganizationFactory(legal_name="Cooperativa Oro Verde"))
    ProducerFactory(organization=OrganizationFactory(legal_name="Candelaria en borrador"))

    assert ids(anon.get(f"{PRODUCERS}?name=candelaria")) == {str(candelaria.pk)}


def test_an_unknown_filter_value_is_400(anon):
    response = anon.get(f"{PRODUCERS}?district=lima")

    assert response.status_code == 400
    assert "district" in field_errors(response)


def _coop_with_roster(*, women: int, men: int, inactive_women: int = 0, inactive_men: int = 0, **kwargs: Any):
    producer = ProducerFactory(**kwargs)
    for sex, count, active in (
        ("female", women, True),
        ("male", men, True),
        ("female", inactive_women, False),
        ("male", inactive_men, False),
    ):
        MemberMinerFactory.create_batch(count, producer=producer, sex=sex, active=active)
    return producer


def test_the_roster_figures_count_active_members_and_back_no_badge(anon, reviewer):
    """The directory shows the active roster's counts; the women-led badge rests on approved evidence only
    (tests/compliance/test_women_led.py)."""
    three_of_five = _coop_with_roster(women=3, men=2, verified=True)
    inactive_women_do_not_count = _coop_with_roster(women=2, men=2, inactive_women=3, verified=True)
    unverified = _coop_with_roster(women=5, men=0, verification_status="submitted")

    rows = {row["id"]: row for row in anon.get(PRODUCERS).json()["results"]}
    by_reviewer = {row["id"]: row for row in reviewer.get(PRODUCERS).json()["results"]}

    assert (rows[str(three_of_five.pk)]["women_count"], rows[str(three_of_five.pk)]["members_count"]) == (3, 5)
    inactive = rows[str(inactive_women_do_not_count.pk)]
    assert (inactive["women_count"], inactive["members_count"]) == (2, 4)
    assert (by_reviewer[str(unverified.pk)]["women_count"], by_reviewer[str(unverified.pk)]["members_count"]) == (5, 5)
    assert not any(row["women_led"] for row in by_reviewer.values())
    assert ids(anon.get(f"{PRODUCERS}?women_led=true")) == set()
    assert ids(anon.get(f"{PRODUCERS}?women_led=false")) == {str(three_of_five.pk), str(inactive_women_do_not_count.pk)}


def _add_verified_producers(count: int) -> None:
    for _ in range(count):
        producer = _coop_with_roster(women=2, men=1, verified=True)
        SiteFactory(producer=producer, approved=True)


def _count_queries(client: Any, url: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return len(context.captured_queries), len(response.json()["results"])


@pytest.mark.parametrize("actor", ["anon", "reviewer", "producer_admin"])
def test_the_directory_runs_the_same_queries_for_2_and_12_producers(request, actor):
    client = request.getfixturevalue(actor)
    _add_verified_producers(2)
    few, few_rows = _count_queries(client, PRODUCERS)
    _add_verified_producers(10)
    many, many_rows = _count_queries(client, PRODUCERS)

    assert (few_rows, many_rows) == (2, 12)
    assert many == few


@pytest.mark.parametrize("actor", ["anon", "reviewer"])
def test_the_site_list_runs_the_same_queries_for_2_and_12_sites(request, actor, coop):
    client = request.getfixturevalue(actor)
    producer = ProducerFactory(organization=coop, verified=True)
    SiteFactory.create_batch(2, producer=producer, approved=True)
    few, few_rows = _count_queries(client, sites_url(producer))
    SiteFactory.create_batch(10, producer=producer, approved=True)
    many, many_rows = _count_queries(client, sites_url(producer))

    assert (few_rows, many_rows) == (2, 12)
    assert many == few


def test_the_roster_runs_the_same_queries_for_2_and_12_members(producer_admin, coop):
    producer = ProducerFactory(organization=coop)
    MemberMinerFactory.create_batch(2, producer=producer)
    few, few_rows = _count_queries(producer_admin, members_url(producer))
    MemberMinerFactory.create_batch(10, producer=producer)
    many, many_rows = _count_queries(producer_admin, members_url(producer))

    assert (few_rows, many_rows) == (2, 12)
    assert many == few


# --- Verification lifecycle -----------------------------------------------------------------------
def _mover(move: str, producer_admin: Any, reviewer: Any) -> Any:
    return producer_admin if move == "submit" else reviewer


def _move_body(move: str) -> dict[str, str]:
    return {} if move == "submit" else {"reason": f"Motivo de {move}: revisión de la ficha RUC."}


@pytest.mark.parametrize(("start", "move", "to"), ALLOWED)
def test_each_allowed_move(producer_admin, reviewer, coop, start, move, to):
    producer = ProducerFactory(organization=coop, verification_status=start)
    SiteFactory(producer=producer)
    client = _mover(move, producer_admin, reviewer)

    response = client.post(producer_url(producer, move), _move_body(move), format="json")

    assert response.status_code == 200, response.json()
    assert response.json()["verification_status"] == to
    producer.refresh_from_db()
    assert producer.verification_status == to
    assert producer.verification_changed_by == client.user
    assert producer.verification_changed_at is not None
    assert producer.verification_reason == _move_body(move).get("reason", "")
    if to == "verified":
        assert producer.verified_at is not None
    assert actions() == [f"producers.producer.{move.replace('-', '_')}"]
    event = AuditEvent.objects.get()
    assert (event.actor_id, event.subject_organization_id) == (client.user.pk, coop.pk)
    assert (event.data["from"], event.data["to"]) == (start, to)


@pytest.mark.parametrize(("start", "move"), FORBIDDEN)
def test_each_forbidden_move_is_409(producer_admin, reviewer, coop, start, move):
    producer = ProducerFactory(organization=coop, verification_status=start)
    SiteFactory(producer=producer)
    before = Producer.objects.filter(pk=producer.pk).values().get()

    response = _mover(move, producer_admin, reviewer).post(
        producer_url(producer, move), _move_body(move), format="json"
    )

    assert response.status_code == 409, response.json()
    assert response.json()["code"] == "invalid_transition"
    assert Producer.objects.filter(pk=producer.pk).values().get() == before
    assert actions() == []
    assert not Notification.objects.exists()


@pytest.mark.parametrize("move", list(MOVES))
def test_a_repeated_move_is_a_no_op(producer_admin, reviewer, coop, move):
    start, to = MOVES[move][0][0], MOVES[move][1]
    producer = ProducerFactory(organization=coop, verification_status=start)
    SiteFactory(producer=producer)
    client = _mover(move, producer_admin, reviewer)
    first = client.post(producer_url(producer, move), _move_body(move), format="json")
    after_first = Producer.objects.filter(pk=producer.pk).values().get()
    notifications = Notification.objects.count()

    again = client.post(producer_url(producer, move), _move_body(move), format="json")

    assert first.status_code == again.status_code == 200, again.json()
    assert again.json()["verification_status"] == to
    assert Producer.objects.filter(pk=producer.pk).values().get() == after_first
    assert AuditEvent.objects.filter(action=f"producers.producer.{move.replace('-', '_')}").count() == 1
    assert actions() == [f"producers.producer.{move.replace('-', '_')}"]
    assert Notification.objects.count() == notifications > 0


def test_submitting_without_a_site_is_409(producer_admin, coop):
    producer = ProducerFactory(organization=coop)

    response = producer_admin.post(producer_url(producer, "submit"))

    assert response.status_code == 409
    assert response.json()["code"] == "no_site"
    producer.refresh_from_db()
    assert producer.verification_status == "draft"
    assert actions() == []


@pytest.mark.parametrize("move", REASON_REQUIRED)
@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}], ids=["missing", "empty", "blank"])
def test_a_reason_is_required(reviewer, coop, move, body):
    producer = ProducerFactory(organization=coop, verification_status=MOVES[move][0][0])
    SiteFactory(producer=producer)

    response = reviewer.post(producer_url(producer, move), body, format="json")

    assert response.status_code == 400
    assert field_errors(response) == {"reason": "required"}
    producer.refresh_from_db()
    assert producer.verification_status == MOVES[move][0][0]
    assert actions() == []


def test_a_reviewer_who_belongs_to_the_producer_cannot_decide(reviewer, network, coop):
    producer = ProducerFactory(organization=coop, verification_status="submitted")
    site = SiteFactory(producer=producer)
    MembershipFactory(user=reviewer.user, organization=coop, role=Role.MEMBER)

    verify = reviewer.post(producer_url(producer, "verify"), {"reason": "ok"}, format="json", **as_network(network))
    approve = reviewer.post(sites_url(producer, site, "approve"), {}, format="json", **as_network(network))

    assert verify.status_code == approve.status_code == 403
    assert verify.json()["code"] == approve.json()["code"] == "own_organization"
    producer.refresh_from_db()
    site.refresh_from_db()
    assert (producer.verification_status, site.status) == ("submitted", "pending")
    assert actions() == []


@pytest.mark.parametrize(
    ("actor", "start", "move", "status"),
    [
        ("producer_admin", "submitted", "verify", 403),
        ("producer_admin", "verified", "suspend", 403),
        ("producer_member", "draft", "submit", 403),
        ("producer_member", "submitted", "verify", 403),
        ("reviewer", "draft", "submit", 403),
        ("other_producer", "draft", "submit", 404),
        ("other_producer", "submitted", "verify", 404),
        ("other_producer", "verified", "suspend", 403),
        ("buyer", "submitted", "reject", 404),
        ("buyer", "verified", "revoke", 403),
        ("anon", "draft", "submit", 401),
        ("anon", "verified", "revoke", 401),
    ],
)
def test_the_wrong_actor_cannot_move_a_producer(request, coop, actor, start, move, status):
    producer = ProducerFactory(organization=coop, verification_status=start)
    SiteFactory(producer=producer)

    response = request.getfixturevalue(actor).post(producer_url(producer, move), {"reason": "porque sí"}, format="json")

    assert response.status_code == status
    producer.refresh_from_db()
    assert producer.verification_status == start
    assert actions() == []


def test_producer_admins_are_told_of_a_decision_in_their_language(
    producer_admin, producer_member, reviewer, coop, mailoutbox, django_capture_on_commit_callbacks
):
    english_admin = MembershipFactory(
        organization=coop, role=Role.ADMIN, user=UserFactory(email="treasurer@example.test", preferred_language="en")
    ).user
    assert producer_admin.user.preferred_language == "es"
    producer = ProducerFactory(organization=coop, verification_status="submitted")
    SiteFactory(producer=producer)

    with django_capture_on_commit_callbacks(execute=True):
        response = reviewer.post(producer_url(producer, "verify"), {"reason": "RUC activo y habido."}, format="json")

    assert response.status_code == 200
    sent = Notification.objects.filter(kind="producer_verification_changed")
    assert {n.recipient_id for n in sent} == {producer_admin.user.pk, english_admin.pk}
    assert all(n.params["status"] == "verified" and n.organization_id == coop.pk for n in sent)
    mails = {mail.to[0]: mail for mail in mailoutbox}
    assert set(mails) == {producer_admin.user.email, english_admin.email}
    english, spanish = mails[english_admin.email], mails[producer_admin.user.email]
    assert "Verified" in english.subject
    assert "RUC activo y habido." in english.body
    assert "Verificada" in spanish.subject
    assert "RUC activo y habido." in spanish.body
    assert "verification" not in spanish.subject.lower()
    assert "The network" not in spanish.body


def test_reviewers_are_told_of_a_submission(producer_admin, reviewer, draft):
    response = producer_admin.post(producer_url(draft, "submit"))

    assert response.status_code == 200
    assert list(Notification.objects.filter(kind="producer_submitted").values_list("recipient", flat=True)) == [
        reviewer.user.pk
    ]
    assert not Notification.objects.filter(kind="producer_verification_changed").exists()


# --- Sites ----------------------------------------------------------------------------------------
def test_an_admin_adds_a_site_with_a_point(producer_admin, coop):
    producer = ProducerFactory(organization=coop)

    response = producer_admin.post(sites_url(producer), site_body(), format="json")

    assert response.status_code == 201, response.json()
    data = response.json()
    assert set(data) == SITE_KEYS
    assert (data["status"], data["geometry"], data["area_hectares"]) == ("pending", HUEPETUHE_POINT, None)
    assert (data["source_crs"], data["flagged"], data["overlaps"]) == ("EPSG:4326", False, [])
    assert (data["latitude"], data["longitude"]) == (-12.9876, -70.5123)
    site = Site.objects.get()
    assert (site.producer_id, site.concession_code, site.status) == (producer.pk, "010203405", "pending")
    assert (site.latitude, site.longitude) == (-12.9876, -70.5123)
    assert actions() == ["producers.site.created"]


def test_an_admin_adds_a_site_with_a_polygon(producer_admin, coop):
    producer = ProducerFactory(organization=coop)

    response = producer_admin.post(sites_url(producer), site_body(geometry=HUEPETUHE_SQUARE), format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["geometry"] == HUEPETUHE_SQUARE
    site = Site.objects.get()
    assert site.geometry == HUEPETUHE_SQUARE
    assert (site.latitude, site.longitude) == (pytest.approx(-12.98), pytest.approx(-70.51))
    assert actions() == ["producers.site.created"]


BOW_TIE = [[-70.52, -12.99], [-70.50, -12.97], [-70.50, -12.99], [-70.52, -12.97], [-70.52, -12.99]]
# Its two loops differ in size, so its signed area is not zero: only the crossing test can refuse it.
LOPSIDED_BOW_TIE = [[-70.52, -12.99], [-70.50, -12.97], [-70.50, -12.99], [-70.52, -12.98], [-70.52, -12.99]]


@pytest.mark.parametrize(
    ("geometry", "code"),
    [
        pytest.param({"type": "Point", "coordinates": [2.35, 48.85]}, "outside_peru", id="paris"),
        pytest.param({"type": "Point", "coordinates": [-12.6, -69.2]}, "outside_peru", id="latitude-first"),
        pytest.param(
            {"type": "Polygon", "coordinates": [HUEPETUHE_SQUARE["coordinates"][0][:-1]]},
            "invalid_geometry",
            id="polygon-not-closed",
        ),
        pytest.param(
            {"type": "Polygon", "coordinates": [[[-70.52, -12.99], [-70.50, -12.99], [-70.52, -12.99]]]},
            "invalid_geometry",
            id="three-positions",
        ),
        pytest.param({"type": "Polygon", "coordinates": [BOW_TIE]}, "invalid_geometry", id="bow-tie"),
        pytest.param({"type": "Polygon", "coordinates": [LOPSIDED_BOW_TIE]}, "invalid_geometry", id="lopsided-bow-tie"),
        pytest.param({"type": "Point", "coordinates": ["-70.5", "-12.9"]}, "invalid_geometry", id="strings"),
        pytest.param({"type": "Point", "coordinates": [True, False]}, "invalid_geometry", id="booleans"),
        pytest.param(
            {"type": "LineString", "coordinates": [[-70.5, -12.9], [-70.4, -12.9]]}, "invalid_geometry", id="linestring"
        ),
        pytest.param("POINT(-70.5 -12.9)", "invalid_geometry", id="wkt"),
    ],
)
def test_a_bad_geometry_is_400(producer_admin, coop, geometry, code):
    producer = ProducerFactory(organization=coop)

    response = producer_admin.post(sites_url(producer), site_body(geometry=geometry), format="json")

    assert response.status_code == 400, response.json()
    assert field_errors(response) == {"geometry": code}
    assert not Site.objects.exists()
    assert actions() == []


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"district": "lima"}, "district"),
        ({"concession_code": "01;DROP"}, "concession_code"),
        ({"crs": "EPSG:3857"}, "crs"),
        ({"name": ""}, "name"),
    ],
)
def test_bad_site_fields_are_400(producer_admin, coop, override, field):
    producer = ProducerFactory(organization=coop)

    response = producer_admin.post(sites_url(producer), site_body(**override), format="json")

    assert response.status_code == 400
    assert set(field_errors(response)) == {field}
    assert not Site.objects.exists()


def test_a_missing_geometry_is_400(producer_admin, coop):
    producer = ProducerFactory(organization=coop)
    body = site_body()
    del body["geometry"]

    response = producer_admin.post(sites_url(producer), body, format="json")

    assert response.status_code == 400
    assert field_errors(response) == {"geometry": "required"}


def test_a_duplicate_concession_code_is_400(producer_admin, coop):
    producer = ProducerFactory(organization=coop)
    SiteFactory(producer=producer, concession_code="010203405")

    response = producer_admin.post(sites_url(producer), site_body(concession_code="010203405"), format="json")

    assert response.status_code == 400
    assert field_errors(response) == {"concession_code": "concession_taken"}
    assert Site.objects.count() == 1
    assert actions() == []


@pytest.mark.parametrize(
    ("actor", "status"),
    [("producer_member", 403), ("reviewer", 403), ("other_producer", 404), ("buyer", 404), ("anon", 401)],
)
def test_only_the_admin_adds_sites(request, coop, actor, status):
    producer = ProducerFactory(organization=coop)

    response = request.getfixturevalue(actor).post(sites_url(producer), site_body(), format="json")

    assert response.status_code == status
    assert not Site.objects.exists()


def test_a_reviewer_approves_a_site(producer_admin, reviewer, draft):
    site = draft.sites.get()

    response = reviewer.post(sites_url(draft, site, "approve"), {}, format="json")

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "approved"
    site.refresh_from_db()
    assert (site.status, site.reviewed_by, site.reviewed_at is not None) == ("approved", reviewer.user, True)
    assert actions() == ["producers.site.approve"]
    assert list(Notification.objects.filter(kind="site_reviewed").values_list("recipient", flat=True)) == [
        producer_admin.user.pk
    ]


def test_a_reviewer_rejects_a_site_with_a_reason(reviewer, draft):
    site = draft.sites.get()

    missing = reviewer.post(sites_url(draft, site, "reject"), {}, format="json")
    blank = reviewer.post(sites_url(draft, site, "reject"), {"reason": "  "}, format="json")
    assert missing.status_code == blank.status_code == 400
    assert field_errors(missing) == field_errors(blank) == {"reason": "required"}
    site.refresh_from_db()
    assert site.status == "pending"
    assert actions() == []

    response = reviewer.post(
        sites_url(draft, site, "reject"), {"reason": "Dentro de la zona reservada."}, format="json"
    )

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["review_reason"]) == ("rejected", "Dentro de la zona reservada.")
    site.refresh_from_db()
    assert (site.status, site.review_reason) == ("rejected", "Dentro de la zona reservada.")
    assert actions() == ["producers.site.reject"]


@pytest.mark.parametrize(("first", "second"), [("approve", "reject"), ("reject", "approve")])
def test_a_second_decision_the_other_way_is_409(reviewer, draft, first, second):
    site = draft.sites.get()
    reason = {"reason": "Revisado en campo."}
    assert reviewer.post(sites_url(draft, site, first), reason, format="json").status_code == 200
    decided = Site.objects.filter(pk=site.pk).values().get()

    response = reviewer.post(sites_url(draft, site, second), reason, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"
    assert Site.objects.filter(pk=site.pk).values().get() == decided
    assert actions() == [f"producers.site.{first}"]


@pytest.mark.parametrize("move", ["approve", "reject"])
def test_a_repeated_site_decision_is_a_no_op(producer_admin, reviewer, draft, move):
    site = draft.sites.get()
    reason = {"reason": "Revisado en campo."}

    first = reviewer.post(sites_url(draft, site, move), reason, format="json")
    again = reviewer.post(sites_url(draft, site, move), reason, format="json")

    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    assert actions() == [f"producers.site.{move}"]
    assert Notification.objects.filter(kind="site_reviewed").count() == 1


@pytest.mark.parametrize(("actor", "status"), [("producer_admin", 403), ("other_producer", 404), ("buyer", 404)])
def test_only_reviewers_decide_on_sites(request, draft, actor, status):
    site = draft.sites.get()

    response = request.getfixturevalue(actor).post(sites_url(draft, site, "approve"), {}, format="json")

    assert response.status_code == status
    site.refresh_from_db()
    assert site.status == "pending"
    assert actions() == []


def test_an_approved_site_is_locked(producer_admin, verified):
    site = verified.sites.get()
    before = Site.objects.filter(pk=site.pk).values().get()

    response = producer_admin.patch(sites_url(verified, site), {"name": "Otro nombre"}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "site_locked"
    assert Site.objects.filter(pk=site.pk).values().get() == before
    assert actions() == []


def test_correcting_a_rejected_site_sends_it_back_to_review(producer_admin, coop):
    producer = ProducerFactory(organization=coop)
    site = SiteFactory(producer=producer, rejected=True)

    response = producer_admin.patch(sites_url(producer, site), {"geometry": HUEPETUHE_SQUARE}, format="json")

    assert response.status_code == 200, response.json()
    assert (response.json()["status"], response.json()["review_reason"]) == ("pending", "")
    site.refresh_from_db()
    assert (site.status, site.review_reason, site.geometry) == ("pending", "", HUEPETUHE_SQUARE)
    assert (site.latitude, site.longitude) == (pytest.approx(-12.98), pytest.approx(-70.51))
    assert actions() == ["producers.site.updated"]


def test_the_review_state_of_a_site_never_changes_through_patch(producer_admin, draft):
    site = draft.sites.get()

    response = producer_admin.patch(sites_url(draft, site), {"status": "approved", "name": "Nuevo"}, format="json")

    assert response.status_code == 200
    site.refresh_from_db()
    assert (site.status, site.name, site.reviewed_by) == ("pending", "Nuevo", None)


def test_a_pending_site_patched_with_a_bad_geometry_is_400(producer_admin, draft):
    site = draft.sites.get()
    before = Site.objects.filter(pk=site.pk).values().get()

    response = producer_admin.patch(
        sites_url(draft, site), {"geometry": {"type": "Point", "coordinates": [-12.6, -69.2]}}, format="json"
    )

    assert response.status_code == 400
    assert field_errors(response) == {"geometry": "outside_peru"}
    assert Site.objects.filter(pk=site.pk).values().get() == before


def test_patching_a_site_to_a_concession_code_already_used_is_400(producer_admin, draft):
    site = draft.sites.get()
    SiteFactory(producer=draft, concession_code="010203405")

    response = producer_admin.patch(sites_url(draft, site), {"concession_code": "010203405"}, format="json")

    assert response.status_code == 400
    assert field_errors(response) == {"concession_code": "concession_taken"}
    site.refresh_from_db()
    assert site.concession_code != "010203405"
    assert actions() == []


@pytest.mark.parametrize(("actor", "status"), [("producer_member", 403), ("other_producer", 404), ("anon", 401)])
def test_only_the_admin_patches_a_site(request, draft, actor, status):
    site = draft.sites.get()

    response = request.getfixturevalue(actor).patch(sites_url(draft, site), {"name": "Otro"}, format="json")

    assert response.status_code == status
    site.refresh_from_db()
    assert site.name != "Otro"


@pytest.fixture
def three_sites(verified):
    approved = verified.sites.get()
    pending = SiteFactory(producer=verified, lon=-70.4567, lat=-12.8765)
    rejected = SiteFactory(producer=verified, rejected=True, lon=-70.3456, lat=-12.7654)
    return approved, pending, rejected


@pytest.mark.parametrize("actor", ["anon", "other_producer", "buyer"])
def test_the_public_sees_approved_sites_located_to_a_tenth_of_a_degree(request, actor, verified, three_sites):
    client = request.getfixturevalue(actor)
    approved, pending, rejected = three_sites

    response = client.get(sites_url(verified))

    assert ids(response) == {str(approved.pk)}
    (row,) = response.json()["results"]
    assert set(row) == PUBLIC_SITE_KEYS
    assert row["approximate_location"] == {"type": "Point", "coordinates": [-70.5, -13.0]}
    assert "-70.5123" not in response.content.decode()
    assert "-12.9876" not in response.content.decode()
    detail = client.get(sites_url(verified, approved))
    assert detail.status_code == 200
    assert set(detail.json()) == PUBLIC_SITE_KEYS
    assert client.get(sites_url(verified, pending)).status_code == 404
    assert client.get(sites_url(verified, rejected)).status_code == 404


@pytest.mark.parametrize("actor", ["reviewer", "producer_admin", "producer_member"])
def test_reviewers_and_the_producers_own_people_see_every_site_exactly(request, actor, verified, three_sites):
    response = request.getfixturevalue(actor).get(sites_url(verified))

    assert ids(response) == {str(site.pk) for site in three_sites}
    assert all(set(row) == SITE_KEYS for row in response.json()["results"])


@pytest.mark.parametrize("actor", ["anon", "other_producer", "buyer"])
def test_the_sites_of_a_draft_producer_are_404_to_others(request, actor, draft):
    client = request.getfixturevalue(actor)

    assert client.get(sites_url(draft)).status_code == 404
    assert client.get(sites_url(draft, draft.sites.get())).status_code == 404


# --- Roster ---------------------------------------------------------------------------------------
def test_an_admin_manages_the_roster(producer_admin, coop):
    producer = ProducerFactory(organization=coop)

    created = producer_admin.post(members_url(producer), ROSA, format="json")
    assert created.status_code == 201, created.json()
    assert set(created.json()) == MEMBER_KEYS
    assert {k: created.json()[k] for k in ROSA} == ROSA
    assert created.json()["active"] is True
    member = MemberMiner.objects.get()
    assert (member.producer_id, member.dni, member.role) == (producer.pk, "41234567", "pallaquera")

    listed = producer_admin.get(members_url(producer))
    assert ids(listed) == {str(member.pk)}
    assert producer_admin.get(members_url(producer, member)).json()["full_name"] == "Rosa Quispe Huamán"

    changed = producer_admin.patch(members_url(producer, member), {"role": "titular", "active": False}, format="json")
    assert changed.status_code == 200, changed.json()
    member.refresh_from_db()
    assert (member.role, member.active) == ("titular", False)

    removed = producer_admin.delete(members_url(producer, member))
    assert removed.status_code == 204
    assert not MemberMiner.objects.exists()
    assert actions() == [
        "producers.member_miner.added",
        "producers.member_miner.updated",
        "producers.member_miner.removed",
    ]


def test_the_roster_takes_adults_only(producer_admin, coop):
    producer = ProducerFactory(organization=coop)
    this_year = clock.today_lima().year

    minor = producer_admin.post(members_url(producer), {**ROSA, "birth_year": this_year - 17}, format="json")
    eighteen_this_year = producer_admin.post(
        members_url(producer), {**ROSA, "birth_year": this_year - 18}, format="json"
    )

    assert minor.status_code == 400
    assert field_errors(minor) == {"birth_year": "under_age"}
    assert eighteen_this_year.status_code == 201, eighteen_this_year.json()
    assert list(MemberMiner.objects.values_list("birth_year", flat=True)) == [this_year - 18]
    assert actions() == ["producers.member_miner.added"]


def test_a_member_cannot_be_made_younger_than_18(producer_admin, coop):
    producer = ProducerFactory(organization=coop)
    member = MemberMinerFactory(producer=producer, birth_year=1990)

    response = producer_admin.patch(
        members_url(producer, member), {"birth_year": clock.today_lima().year - 10}, format="json"
    )

    assert response.status_code == 400
    assert field_errors(response) == {"birth_year": "under_age"}
    member.refresh_from_db()
    assert member.birth_year == 1990
    assert actions() == []


def test_a_dni_is_on_the_roster_once(producer_admin, coop):
    producer = ProducerFactory(organization=coop)
    MemberMinerFactory(producer=producer, dni=ROSA["dni"])
    other = MemberMinerFactory(producer=producer)

    duplicate = producer_admin.post(members_url(producer), ROSA, format="json")
    patched = producer_admin.patch(members_url(producer, other), {"dni": ROSA["dni"]}, format="json")

    assert duplicate.status_code == patched.status_code == 400
    assert field_errors(duplicate) == field_errors(patched) == {"dni": "dni_taken"}
    assert MemberMiner.objects.filter(dni=ROSA["dni"]).count() == 1
    assert actions() == []


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"dni": "1234567"}, "dni"),
        ({"dni": "4123456a"}, "dni"),
        ({"sex": "x"}, "sex"),
        ({"role": "boss"}, "role"),
        ({"birth_year": "ochenta"}, "birth_year"),
        ({"full_name": ""}, "full_name"),
    ],
)
def test_bad_roster_fields_are_400(producer_admin, coop, override, field):
    producer = ProducerFactory(organization=coop)

    response = producer_admin.post(members_url(producer), {**ROSA, **override}, format="json")

    assert response.status_code == 400
    assert set(field_errors(response)) == {field}
    assert not MemberMiner.objects.exists()


def test_a_producer_member_who_is_not_admin_gets_403_on_the_roster(producer_member, coop):
    producer = ProducerFactory(organization=coop)
    member = MemberMinerFactory(producer=producer)

    responses = [
        producer_member.get(members_url(producer)),
        producer_member.get(members_url(producer, member)),
        producer_member.post(members_url(producer), ROSA, format="json"),
        producer_member.patch(members_url(producer, member), {"role": "titular"}, format="json"),
        producer_member.delete(members_url(producer, member)),
    ]

    assert [r.status_code for r in responses] == [403] * 5
    assert list(MemberMiner.objects.values_list("pk", "role")) == [(member.pk, "member")]
    assert actions() == []


@pytest.mark.parametrize("actor", ["other_producer", "buyer", "buyer_member"])
@pytest.mark.parametrize("state", ["draft", "verified"])
def test_other_organisations_get_404_on_the_roster(request, coop, actor, state):
    client = request.getfixturevalue(actor)
    producer = ProducerFactory(organization=coop, verification_status=state)
    member = MemberMinerFactory(producer=producer)

    responses = [
        client.get(members_url(producer)),
        client.get(members_url(producer, member)),
        client.post(members_url(producer), ROSA, format="json"),
        client.patch(members_url(producer, member), {"role": "titular"}, format="json"),
        client.delete(members_url(producer, member)),
    ]

    assert [r.status_code for r in responses] == [404] * 5
    assert list(MemberMiner.objects.values_list("pk", "role")) == [(member.pk, "member")]
    assert actions() == []


def test_anonymous_visitors_get_401_on_the_roster(anon, verified):
    member = MemberMinerFactory(producer=verified)

    assert anon.get(members_url(verified)).status_code == 401
    assert anon.get(members_url(verified, member)).status_code == 401
    assert anon.post(members_url(verified), ROSA, format="json").status_code == 401
    assert MemberMiner.objects.count() == 1


def test_reviewers_read_the_roster_but_do_not_edit_it(reviewer, coop):
    producer = ProducerFactory(organization=coop, verification_status="submitted")
    member = MemberMinerFactory(producer=producer, dni="41234567")

    listed = reviewer.get(members_url(producer))
    created = reviewer.post(members_url(producer), {**ROSA, "dni": "47654321"}, format="json")
    removed = reviewer.delete(members_url(producer, member))

    assert ids(listed) == {str(member.pk)}
    assert listed.json()["results"][0]["dni"] == "41234567"
    assert (created.status_code, removed.status_code) == (403, 403)
    assert list(MemberMiner.objects.values_list("pk", flat=True)) == [member.pk]
    assert actions() == []


@pytest.mark.parametrize("actor", ["anon", "other_producer", "buyer"])
def test_personal_data_never_appears_in_the_public_endpoints(request, actor, verified):
    client = request.getfixturevalue(actor)
    MemberMinerFactory(producer=verified, full_name="Rosa Quispe Huamán", dni="41234567", birth_year=1985)
    woman = ProducerFactory(verified=True, individual=True)

    pages = [
        client.get(PRODUCERS),
        client.get(producer_url(verified)),
        client.get(producer_url(woman)),
        client.get(sites_url(verified)),
        client.get(f"{PRODUCERS}?women_led=true"),
    ]

    assert all(page.status_code == 200 for page in pages)
    for page in pages:
        text = page.content.decode()
        for secret in ("Rosa Quispe", "41234567", verified.ruc, woman.ruc, woman.dni, verified.contact_phone):
            assert secret not in text, (page.request["PATH_INFO"], secret)


# --- Audit trail ----------------------------------------------------------------------------------
def test_a_whole_onboarding_records_one_event_per_write(producer_admin, reviewer, coop):
    def ok(response: Any, status: int = 200) -> dict[str, Any]:
        assert response.status_code == status, response.content[:500]
        return response.json()

    producer = ok(producer_admin.post(PRODUCERS, cooperative_body(), format="json"), 201)
    producer_obj = Producer.objects.get(pk=producer["id"])
    ok(producer_admin.patch(producer_url(producer_obj), {"description_en": "Hello"}, format="json"))
    site = ok(producer_admin.post(sites_url(producer_obj), site_body(), format="json"), 201)
    ok(producer_admin.post(members_url(producer_obj), ROSA, format="json"), 201)
    ok(producer_admin.post(producer_url(producer_obj, "submit")))
    ok(reviewer.post(producer_url(producer_obj, "verify"), {"reason": "Todo en regla."}, format="json"))
    ok(reviewer.post(sites_url(producer_obj, site["id"], "approve"), {}, format="json"))

    assert actions() == [
        "producers.producer.created",
        "producers.producer.updated",
        "producers.site.created",
        "producers.member_miner.added",
        "producers.producer.submit",
        "producers.producer.verify",
        "producers.site.approve",
    ]
    assert set(AuditEvent.objects.values_list("subject_organization", flat=True)) == {coop.pk}
    assert OrganizationFactory._meta.model.objects.get(pk=coop.pk).tax_id == producer["ruc"]
