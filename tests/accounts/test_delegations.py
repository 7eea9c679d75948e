"""Delegations: a producer's admin lets a support organisation's field officer act for it, within scopes.

Granting, listing and revoking (tests/accounts/test_delegation_concurrency.py races two grants); acting for the
producer within the scopes and the refusals outside them; the "officer for producer, through support
organisation" in the audit trail.
"""

from __future__ import annotations

import datetime as dt

import pytest

from accounts.models import Delegation, Organization, Role
from audit.models import AuditEvent
from audit.verification import verify_chain
from compliance.models import Evidence
from core import clock
from notifications.models import Notification
from producers.models import Site
from tests.compliance.helpers import upload
from tests.conftest import make_client
from tests.factories import (
    ContractVersionFactory,
    DelegationFactory,
    DepositFactory,
    MembershipFactory,
    SupportOrganizationFactory,
)
from tests.problems import assert_problem, field_errors
from tests.producers.factories import ProducerFactory
from tests.producers.test_producers_api import site_body
from tests.trade.helpers import make_approved_site, make_listing

pytestmark = pytest.mark.django_db

URL = "/api/v1/delegations/"


def grant(actor, **overrides):
    return actor.post(
        URL, {"officer_email": "officer@example.test", "scopes": ["evidence"], **overrides}, format="json"
    )


@pytest.fixture
def producer(coop):
    return ProducerFactory(organization=coop)


# --- Granting ------------------------------------------------------------------------------------------------
def test_a_producer_admin_grants_a_delegation_recorded_audited_and_notified(producer_admin, officer, coop):
    until = clock.today_lima() + dt.timedelta(days=30)

    response = grant(producer_admin, scopes=["evidence", "sites"], valid_until=until.isoformat())

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["organization"]["id"] == str(coop.pk)
    assert body["officer"]["email"] == "officer@example.test"
    assert body["support_organization"]["id"] == str(officer.organization.pk)
    assert (body["scopes"], body["status"], body["valid_until"]) == (["evidence", "sites"], "active", until.isoformat())
    assert (body["granted_by"], body["revoked_by"], body["revoked_at"]) == ("president@example.test", None, None)
    delegation = Delegation.objects.get()
    event = AuditEvent.objects.get(action="accounts.delegation.granted")
    assert (event.actor_id, event.subject_organization_id, event.target_id) == (
        producer_admin.user.pk,
        coop.pk,
        str(delegation.pk),
    )
    assert event.data["scopes"] == ["evidence", "sites"]
    notification = Notification.objects.get(recipient=officer.user)
    assert notification.kind == "delegation_granted"
    assert notification.params["organization"] == coop.legal_name


def test_a_grant_with_the_same_idempotency_key_is_answered_once(producer_admin, officer):
    body = {"officer_email": "officer@example.test", "scopes": ["sites"]}
    first = producer_admin.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="grant-1")
    again = producer_admin.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="grant-1")

    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json() == again.json()
    assert Delegation.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"scopes": []}, "scopes", "empty"),
        ({"scopes": ["payments"]}, "scopes.0", "invalid_choice"),
        ({"officer_email": "no es un correo"}, "officer_email", "invalid"),
        ({"valid_until": "2020-01-01"}, "valid_until", "valid_until_past"),
        ({"officer_email": "nadie@example.test"}, "officer_email", "not_a_support_officer"),
    ],
)
def test_a_bad_grant_is_a_400_and_changes_nothing(producer_admin, officer, body, field, code):
    response = grant(producer_admin, **body)

    assert field_errors(response) == {field: code}
    assert not Delegation.objects.exists()


def test_delegating_to_somebody_who_is_not_a_support_officer_is_a_400_of_its_own(producer_admin, buyer):
    response = grant(producer_admin, officer_email=buyer.user.email)

    assert field_errors(response) == {"officer_email": "not_a_support_officer"}
    assert not Delegation.objects.exists()


def test_an_officer_of_several_support_organisations_is_named_with_one(producer_admin, officer, coop):
    second = SupportOrganizationFactory()
    MembershipFactory(organization=second, user=officer.user, role=Role.ADMIN)

    unnamed = grant(producer_admin)
    named = grant(producer_admin, support_organization=str(second.pk))

    assert field_errors(unnamed) == {"support_organization": "support_organization_required"}
    assert named.status_code == 201, named.content
    assert named.json()["support_organization"]["id"] == str(second.pk)


def test_a_second_active_delegation_to_the_same_officer_is_409(producer_admin, officer):
    assert grant(producer_admin).status_code == 201

    assert_problem(grant(producer_admin, scopes=["sites"]), 409, "delegation_exists")
    assert Delegation.objects.count() == 1


def test_a_grant_ends_an_expired_delegation_to_the_same_officer(producer_admin, officer, coop):
    expired = DelegationFactory(
        organization=coop,
        officer=officer.user,
        support_organization=officer.organization,
        valid_until=clock.today_lima() - dt.timedelta(days=1),
    )

    response = grant(producer_admin)

    assert response.status_code == 201, response.content
    expired.refresh_from_db()
    assert (expired.status, expired.revoked_by_id) == ("revoked", producer_admin.user.pk)
    assert AuditEvent.objects.get(action="accounts.delegation.granted").data["replaces"] == str(expired.pk)


@pytest.mark.parametrize(
    ("who", "code"),
    [
        ("producer_member", "not_admin"),
        ("buyer", "not_producer"),
        ("officer", "not_producer"),
        ("reviewer", "not_producer"),
    ],
)
def test_only_a_producer_admin_grants(request, officer, who, code):
    actor = request.getfixturevalue(who)

    assert_problem(grant(actor), 403, code)
    assert not Delegation.objects.exists()


def test_an_admin_cannot_delegate_to_themselves(producer_admin, coop):
    MembershipFactory(organization=SupportOrganizationFactory(), user=producer_admin.user, role=Role.MEMBER)
    client = make_client(producer_admin.user, coop, header=True)

    assert_problem(grant(client, officer_email=producer_admin.user.email), 403, "delegation_to_self")


def test_the_officer_as_a_delegate_cannot_grant(delegate):
    assert_problem(grant(delegate("evidence", "sites")), 403, "delegation_out_of_scope")
    assert Delegation.objects.count() == 1


# --- Reading -------------------------------------------------------------------------------------------------
def test_the_producer_and_the_officer_list_the_delegation_and_others_do_not(
    producer_admin, producer_member, officer, other_producer, buyer, reviewer
):
    delegation_id = grant(producer_admin).json()["id"]

    def ids(actor):
        response = actor.get(URL)
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["results"]]

    assert ids(producer_admin) == ids(producer_member) == ids(officer) == ids(reviewer) == [delegation_id]
    assert ids(other_producer) == ids(buyer) == []
    assert officer.get(f"{URL}{delegation_id}/").status_code == 200
    assert_problem(other_producer.get(f"{URL}{delegation_id}/"), 404, "not_found")
    assert_problem(buyer.get(f"{URL}{delegation_id}/"), 404, "not_found")


def test_another_officer_does_not_see_the_delegation(producer_admin, officer, support_org):
    delegation_id = grant(producer_admin).json()["id"]
    colleague = make_client(MembershipFactory(organization=support_org, role=Role.MEMBER).user, support_org)

    assert colleague.get(URL).json()["results"] == []
    assert_problem(colleague.get(f"{URL}{delegation_id}/"), 404, "not_found")


# --- Revoking ------------------------------------------------------------------------------------------------
def test_revoking_records_who_and_when_notifies_and_a_repeat_changes_nothing(producer_admin, officer, coop):
    delegation_id = grant(producer_admin).json()["id"]

    first = producer_admin.post(f"{URL}{delegation_id}/revoke/")
    again = producer_admin.post(f"{URL}{delegation_id}/revoke/")

    assert (first.status_code, again.status_code) == (200, 200)
    assert first.json()["status"] == "revoked"
    assert first.json()["revoked_by"] == "president@example.test"
    assert again.json()["revoked_at"] == first.json()["revoked_at"]
    assert AuditEvent.objects.filter(action="accounts.delegation.revoked").count() == 1
    assert Notification.objects.filter(recipient=officer.user, kind="delegation_revoked").count() == 1


@pytest.mark.parametrize("who", ["producer_member", "officer", "reviewer"])
def test_only_the_producers_admins_revoke(request, producer_admin, officer, who):
    delegation_id = grant(producer_admin).json()["id"]
    actor = request.getfixturevalue(who)

    assert_problem(actor.post(f"{URL}{delegation_id}/revoke/"), 403, "not_admin")
    assert Delegation.objects.get().status == "active"


def test_another_producer_gets_404_revoking(producer_admin, officer, other_producer):
    delegation_id = grant(producer_admin).json()["id"]

    assert_problem(other_producer.post(f"{URL}{delegation_id}/revoke/"), 404, "not_found")
    assert Delegation.objects.get().status == "active"


# --- Acting for the producer ---------------------------------------------------------------------------------
def test_a_delegate_uploads_evidence_and_the_trail_says_who_for_whom_through_what(delegate, producer, coop, officer):
    client = delegate("evidence")

    response = upload(client, "TAX_RUC", document_number="20527145661")

    assert response.status_code == 201, response.content
    item = Evidence.objects.get()
    assert (item.organization_id, item.submitted_by_id) == (coop.pk, officer.user.pk)
    event = AuditEvent.objects.filter(target_id=str(item.pk)).get()
    delegation = Delegation.objects.get()
    assert (event.actor_id, event.actor_organization_id, event.subject_organization_id) == (
        officer.user.pk,
        coop.pk,
        coop.pk,
    )
    assert (event.delegation_id, event.delegate_organization_id) == (delegation.pk, officer.organization.pk)
    assert verify_chain().ok


def test_the_producers_audit_trail_shows_the_delegation(delegate, producer, producer_admin, officer):
    upload(delegate("evidence"), "TAX_RUC", document_number="20527145661")

    rows = producer_admin.get("/api/v1/audit-events/?action=compliance.evidence.submitted").json()["results"]

    assert len(rows) == 1
    assert rows[0]["actor_email"] == "officer@example.test"
    assert rows[0]["delegation"] == str(Delegation.objects.get().pk)
    assert rows[0]["delegate_organization"] == str(officer.organization.pk)


def test_a_delegate_for_evidence_reads_the_evidence_and_what_it_must_meet(delegate, producer, producer_admin):
    item = upload(producer_admin, "TAX_RUC", document_number="20527145661").json()
    client = delegate("evidence")

    assert client.get("/api/v1/evidence/").json()["results"][0]["id"] == item["id"]
    assert client.get(f"/api/v1/evidence/{item['id']}/").status_code == 200
    assert client.get(f"/api/v1/evidence/{item['id']}/files/1/").status_code == 200
    assert client.get(f"/api/v1/producers/{producer.pk}/compliance/").status_code == 200
    assert client.get("/api/v1/requirements/").status_code == 200
    assert client.get("/api/v1/evidence-types/").status_code == 200


def test_a_delegate_for_sites_adds_and_edits_a_site(delegate, producer, coop):
    client = delegate("sites")

    created = client.post(f"/api/v1/producers/{coop.pk}/sites/", site_body(), format="json")

    assert created.status_code == 201, created.content
    site = Site.objects.get()
    changed = client.patch(f"/api/v1/producers/{coop.pk}/sites/{site.pk}/", {"name": "Playa Nueva"}, format="json")
    assert changed.status_code == 200, changed.content
    assert client.get(f"/api/v1/producers/{coop.pk}/sites/{site.pk}/").json()["geometry"] is not None
    event = AuditEvent.objects.filter(action__startswith="producers.site").last()
    assert event is not None
    assert event.delegation_id == Delegation.objects.get().pk


def test_a_delegate_for_evidence_does_not_touch_sites_nor_the_other_way(delegate, producer, coop):
    client = delegate("evidence")

    assert_problem(
        client.post(f"/api/v1/producers/{coop.pk}/sites/", site_body(), format="json"), 403, "delegation_out_of_scope"
    )
    Delegation.objects.update(scope_evidence=False, scope_sites=True)
    assert_problem(upload(client, "TAX_RUC"), 403, "delegation_out_of_scope")
    assert not Site.objects.exists()
    assert not Evidence.objects.exists()


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/api/v1/listings/{listing}/publish/"),
        ("post", "/api/v1/listings/{listing}/reprice/"),
        ("get", "/api/v1/contracts/"),
        ("get", "/api/v1/inquiries/"),
        ("get", "/api/v1/lots/"),
        ("get", "/api/v1/pack-requests/"),
        ("get", "/api/v1/webhook-endpoints/"),
        ("get", "/api/v1/organizations/{coop}/members/"),
        ("get", "/api/v1/producers/{coop}/members/"),
        ("post", "/api/v1/delegations/"),
        ("get", "/api/v1/audit-events/"),
        ("get", "/api/v1/me/"),
    ],
)
def test_a_delegate_of_every_scope_is_refused_everything_else(delegate, coop, method, path):
    producer = ProducerFactory(organization=coop, verified=True)
    listing = make_listing(producer, make_approved_site(producer), status="draft")
    client = delegate("evidence", "sites")
    before = AuditEvent.objects.count()

    response = getattr(client, method)(path.format(listing=listing.pk, coop=coop.pk), {}, format="json")

    assert_problem(response, 403, "delegation_out_of_scope")
    assert AuditEvent.objects.count() == before


def test_a_delegate_never_reads_contracts_payments_or_deposits(delegate, coop):
    contract = ContractVersionFactory(contract__producer=ProducerFactory(organization=coop)).contract
    DepositFactory(contract=contract)
    client = delegate("evidence", "sites")

    for path in ("", "payments/", "deposit/", "balance/"):
        assert_problem(client.get(f"/api/v1/contracts/{contract.pk}/{path}"), 403, "delegation_out_of_scope")
    assert_problem(client.post(f"/api/v1/contracts/{contract.pk}/deposit/"), 403, "delegation_out_of_scope")


def test_a_revoked_delegation_stops_working_at_once(delegate, producer, producer_admin):
    client = delegate("evidence")
    assert client.get("/api/v1/evidence/").status_code == 200

    producer_admin.post(f"{URL}{Delegation.objects.get().pk}/revoke/")

    assert_problem(client.get("/api/v1/evidence/"), 403, "not_a_member")
    assert_problem(upload(client, "TAX_RUC"), 403, "not_a_member")


def test_an_expired_delegation_stops_working_the_day_after_its_last(delegate, producer, monkeypatch):
    last_day = clock.today_lima()
    client = delegate("evidence", valid_until=last_day)
    assert client.get("/api/v1/evidence/").status_code == 200

    monkeypatch.setattr(clock, "today_lima", lambda: last_day + dt.timedelta(days=1))

    assert_problem(client.get("/api/v1/evidence/"), 403, "not_a_member")
    assert Delegation.objects.get().effective_status(last_day + dt.timedelta(days=1)) == "expired"


def test_an_officer_who_left_the_support_organisation_no_longer_acts(delegate, producer, officer):
    client = delegate("evidence")

    officer.user.memberships.all().delete()

    assert_problem(client.get("/api/v1/evidence/"), 403, "not_a_member")


def test_a_delegation_of_another_producer_gives_nothing_here(officer, coop, producer):
    other = Organization.objects.create(kind="producer", legal_name="Otra Cooperativa", country="PE")
    DelegationFactory(organization=other, officer=officer.user, support_organization=officer.organization)
    client = make_client(officer.user, coop, header=True)

    assert_problem(client.get("/api/v1/evidence/"), 403, "not_a_member")


def test_an_officer_for_their_support_organisation_uploads_no_evidence(officer):
    assert_problem(upload(officer, "TAX_RUC"), 403, "not_allowed")
    assert not Evidence.objects.exists()
