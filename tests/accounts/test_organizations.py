"""me/, the acting organisation, organisations and their members."""

from __future__ import annotations

import uuid

import pytest

from accounts.models import Membership, Role
from audit.models import AuditEvent
from notifications.models import Notification
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def test_me_lists_every_membership(producer_admin, buyer_org):
    MembershipFactory(user=producer_admin.user, organization=buyer_org, role=Role.MEMBER)

    body = producer_admin.get("/api/v1/me/").json()

    assert body["email"] == "president@example.test"
    assert {(m["organization"]["legal_name"], m["role"]) for m in body["memberships"]} == {
        ("Cooperativa Mujeres de Oro de Huepetuhe", "admin"),
        ("Helvetia Responsible Refining SA", "member"),
    }


def test_me_updates_name_and_language_only(buyer):
    response = buyer.patch(
        "/api/v1/me/",
        {"full_name": "Anna K.", "preferred_language": "en", "is_staff": True, "email": "evil@x.test"},
        format="json",
    )

    assert response.status_code == 200
    buyer.user.refresh_from_db()
    assert (buyer.user.full_name, buyer.user.preferred_language) == ("Anna K.", "en")
    assert (buyer.user.is_staff, buyer.user.email) == (False, "buyer@example.test")


class TestActingOrganization:
    def test_several_memberships_need_the_header(self, producer_admin, buyer_org):
        MembershipFactory(user=producer_admin.user, organization=buyer_org, role=Role.ADMIN)

        without = producer_admin.get("/api/v1/organizations/")
        with_header = producer_admin.get(
            f"/api/v1/organizations/{buyer_org.pk}/members/", HTTP_X_ORGANIZATION=str(buyer_org.pk)
        )

        assert without.status_code == 400
        assert without.json()["code"] == "organization_required"
        assert with_header.status_code == 200

    def test_an_organisation_you_do_not_belong_to_is_refused(self, producer_admin, buyer_org):
        response = producer_admin.get("/api/v1/organizations/", HTTP_X_ORGANIZATION=str(buyer_org.pk))

        assert response.status_code == 403
        assert response.json()["code"] == "not_a_member"

    def test_an_unknown_organisation_looks_the_same(self, producer_admin):
        response = producer_admin.get("/api/v1/organizations/", HTTP_X_ORGANIZATION=str(uuid.uuid4()))

        assert (response.status_code, response.json()["code"]) == (403, "not_a_member")

    def test_a_malformed_header_is_400(self, producer_admin):
        response = producer_admin.get("/api/v1/organizations/", HTTP_X_ORGANIZATION="1 OR 1=1")

        assert (response.status_code, response.json()["code"]) == (400, "invalid_organization_header")


def test_organisations_are_scoped(producer_admin, other_producer, reviewer, coop):
    mine = producer_admin.get("/api/v1/organizations/").json()["results"]
    all_of_them = reviewer.get("/api/v1/organizations/?page_size=100").json()["results"]

    assert [o["id"] for o in mine] == [str(coop.pk)]
    assert {str(coop.pk), str(other_producer.organization.pk)} <= {o["id"] for o in all_of_them}
    assert other_producer.get(f"/api/v1/organizations/{coop.pk}/").status_code == 404


def test_an_admin_updates_contact_fields_only(producer_admin, producer_member, coop):
    body = {"contact_phone": "+51 982 000 111", "legal_name": "Renamed", "kind": "buyer"}

    by_member = producer_member.patch(f"/api/v1/organizations/{coop.pk}/", body, format="json")
    by_admin = producer_admin.patch(f"/api/v1/organizations/{coop.pk}/", body, format="json")

    assert by_member.status_code == 403
    assert by_admin.status_code == 200
    coop.refresh_from_db()
    assert (coop.contact_phone, coop.legal_name, coop.kind) == (
        "+51 982 000 111",
        "Cooperativa Mujeres de Oro de Huepetuhe",
        "producer",
    )
    assert AuditEvent.objects.filter(action="accounts.organization.updated").count() == 1


class TestMembers:
    def test_an_admin_changes_a_role_and_the_member_is_told(self, producer_admin, producer_member, coop):
        membership = Membership.objects.get(user=producer_member.user)

        response = producer_admin.patch(
            f"/api/v1/organizations/{coop.pk}/members/{membership.pk}/", {"role": "admin"}, format="json"
        )
        repeated = producer_admin.patch(
            f"/api/v1/organizations/{coop.pk}/members/{membership.pk}/", {"role": "admin"}, format="json"
        )

        assert response.status_code == repeated.status_code == 200
        assert Membership.objects.get(pk=membership.pk).role == "admin"
        assert Notification.objects.filter(recipient=producer_member.user, kind="membership_role_changed").count() == 1
        assert AuditEvent.objects.filter(action="accounts.membership.role_changed").count() == 1

    def test_a_member_cannot_change_roles(self, producer_admin, producer_member, coop):
        membership = Membership.objects.get(user=producer_member.user)

        response = producer_member.patch(
            f"/api/v1/organizations/{coop.pk}/members/{membership.pk}/", {"role": "admin"}, format="json"
        )

        assert response.status_code == 403
        assert Membership.objects.get(pk=membership.pk).role == "member"

    def test_the_last_admin_cannot_leave_or_be_demoted(self, producer_admin, coop):
        own = Membership.objects.get(user=producer_admin.user)

        demote = producer_admin.patch(
            f"/api/v1/organizations/{coop.pk}/members/{own.pk}/", {"role": "member"}, format="json"
        )
        leave = producer_admin.delete(f"/api/v1/organizations/{coop.pk}/members/{own.pk}/")

        assert (demote.status_code, demote.json()["code"]) == (409, "last_admin")
        assert (leave.status_code, leave.json()["code"]) == (409, "last_admin")
        assert Membership.objects.get(pk=own.pk).role == "admin"

    def test_an_admin_removes_a_member_and_a_member_may_leave(self, producer_admin, producer_member, coop):
        other = MembershipFactory(organization=coop, role=Role.MEMBER)
        own = Membership.objects.get(user=producer_member.user)

        removed = producer_admin.delete(f"/api/v1/organizations/{coop.pk}/members/{other.pk}/")
        left = producer_member.delete(f"/api/v1/organizations/{coop.pk}/members/{own.pk}/")

        assert removed.status_code == left.status_code == 204
        assert list(Membership.objects.filter(organization=coop).values_list("role", flat=True)) == ["admin"]
        assert AuditEvent.objects.filter(action="accounts.membership.removed").count() == 2

    def test_members_of_another_organisation_are_404(self, producer_admin, other_producer, coop):
        theirs = Membership.objects.get(user=other_producer.user)
        url = f"/api/v1/organizations/{other_producer.organization.pk}/members/{theirs.pk}/"

        assert producer_admin.get(url).status_code == 404
        assert producer_admin.delete(url).status_code == 404
        assert producer_admin.get(f"/api/v1/organizations/{coop.pk}/members/{theirs.pk}/").status_code == 404
        assert Membership.objects.filter(pk=theirs.pk).exists()
