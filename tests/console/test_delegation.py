"""A field officer in the console: acts for the cooperative that delegated to her, within her delegation's
scopes (evidence, sites) and refused everything else with the API's refusal; her upload is audited as hers
for the cooperative."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from accounts.delegation import delegation_revoke
from accounts.models import Delegation, User
from marketplace.demo_compliance import actor_for
from tests.console.test_sign_in import browser, sign_in

pytestmark = pytest.mark.django_db


def test_an_officer_chooses_the_cooperative_and_stays_in_her_scopes(db: None) -> None:
    call_command("seed_demo")
    delegation = Delegation.objects.select_related("organization").get(officer__email="officer@demo.test")
    client = browser("en")
    sign_in(client, "officer@demo.test", "oro-limpio-2026")
    token = client.cookies["csrftoken"].value

    assert client.get("/")["Location"] == "/organization/"
    choice = client.get("/organization/").content.decode()
    assert delegation.organization.legal_name in choice
    chosen = client.post(
        "/organization/", {"organization": str(delegation.organization_id), "csrfmiddlewaretoken": token}
    )
    assert chosen["Location"] == "/"

    assert client.get("/coop/").status_code == 200  # the standing: what to upload
    assert client.get("/coop/evidence/new/").status_code == 200
    assert client.get("/coop/sites/").status_code == 200
    for out_of_scope in ("/coop/offers/", "/contracts/", "/inquiries/", "/coop/offers/new/"):
        refused = client.get(out_of_scope)
        assert refused.status_code == 403, out_of_scope
        assert 'data-code="delegation_out_of_scope"' in refused.content.decode()


def test_a_revoked_delegation_stops_working_at_once(db: None) -> None:
    call_command("seed_demo")
    delegation = Delegation.objects.get(officer__email="officer@demo.test")
    client = browser("en")
    sign_in(client, "officer@demo.test", "oro-limpio-2026")
    token = client.cookies["csrftoken"].value
    client.post("/organization/", {"organization": str(delegation.organization_id), "csrfmiddlewaretoken": token})
    assert client.get("/coop/").status_code == 200

    president = actor_for(User.objects.get(email="coop-admin@demo.test"), delegation.organization)
    delegation_revoke(actor=president, delegation=delegation)

    assert client.get("/coop/")["Location"] == "/organization/"  # no longer hers to act for
