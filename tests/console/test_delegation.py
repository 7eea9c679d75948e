"""A field officer in the console: acts for the cooperative that delegated to her, within her delegation's
scopes (evidence, sites) and refused everything else with the API's refusal; her upload is audited as hers
for the cooperative."""

from __future__ import annotations

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from PIL import Image

from accounts.delegation import delegation_revoke
from accounts.models import Delegation, User
from core import clock
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


def test_the_presidents_page_grants_and_revokes_and_refuses_as_the_api(db: None) -> None:
    call_command("seed_demo")
    delegation = Delegation.objects.get(officer__email="officer@demo.test")
    president = browser("en")
    sign_in(president, "coop-admin@demo.test", "oro-limpio-2026")
    token = president.cookies["csrftoken"].value

    listed = president.get("/coop/delegations/").content.decode()
    assert "officer@demo.test" in listed or delegation.officer.full_name in listed
    again = president.post(
        "/coop/delegations/",
        {"officer_email": "officer@demo.test", "scopes": ["evidence"], "csrfmiddlewaretoken": token},
    )
    assert again.status_code == 409
    assert 'data-code="delegation_exists"' in again.content.decode()

    revoked = president.post(f"/coop/delegations/{delegation.pk}/revoke/", {"csrfmiddlewaretoken": token})
    assert revoked.status_code == 302
    granted = president.post(
        "/coop/delegations/",
        {"officer_email": "officer@demo.test", "scopes": ["sites"], "csrfmiddlewaretoken": token},
    )
    assert granted.status_code == 302
    active = Delegation.objects.get(officer__email="officer@demo.test", status=Delegation.Status.ACTIVE)
    assert active.scopes == ["sites"]

    member = browser("en")
    sign_in(member, "coop-member@demo.test", "oro-limpio-2026")
    assert member.get("/coop/delegations/").status_code == 403


def test_the_audit_trail_says_who_did_it_for_whom(db: None) -> None:
    call_command("seed_demo")
    delegation = Delegation.objects.select_related("organization", "support_organization").get(
        officer__email="officer@demo.test"
    )
    officer = browser("en")
    sign_in(officer, "officer@demo.test", "oro-limpio-2026")
    token = officer.cookies["csrftoken"].value
    officer.post("/organization/", {"organization": str(delegation.organization_id), "csrfmiddlewaretoken": token})
    form = officer.get("/coop/evidence/new/?type=OHS_TRAINING").content.decode()
    key = re.search(r'name="idempotency_key" value="([^"]+)"', form)
    assert key is not None
    photo = SimpleUploadedFile("training.png", png_bytes(), content_type="image/png")
    uploaded = officer.post(
        "/coop/evidence/new/",
        {
            "evidence_type": "OHS_TRAINING",
            "issue_date": clock.today_lima().isoformat(),
            "files": photo,
            "idempotency_key": key.group(1),
            "csrfmiddlewaretoken": token,
        },
    )
    assert uploaded.status_code == 302

    reviewer = browser("en")
    sign_in(reviewer, "reviewer@demo.test", "oro-limpio-2026")
    trail = reviewer.get("/review/audit/", {"organization": str(delegation.organization_id)}).content.decode()
    assert (
        f"of {delegation.support_organization.legal_name}, for {delegation.organization.legal_name} by delegation"
        in trail
    )


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (20, 120, 60)).save(buffer, format="PNG")
    return buffer.getvalue()
