"""A producer's page and its due-diligence pack on the test client: the buyer that trades with the cooperative
asks for the pack, the cooperative's admin agrees, and the buyer reads it (page, PDF, a file through its signed
link) with the digest the API gives for the same facts; every step audited, every refusal the API's."""

from __future__ import annotations

import hashlib
import html
import re
import uuid

import pytest
from django.core.management import call_command
from django.test import Client

from accounts.models import Organization
from audit.models import AuditEvent
from diligence.consent import basis_of
from diligence.models import PackConsent
from producers.models import Producer
from tests.console.test_contracts import api_token, signed_in_as
from tests.console.test_sign_in import browser

pytestmark = pytest.mark.django_db


@pytest.fixture
def coop(db: None) -> Producer:
    call_command("seed_demo")
    return Producer.objects.select_related("organization").get(
        organization__memberships__user__email="coop-admin@demo.test"
    )


def _api(method: str, path: str, email: str, **data: str) -> dict:
    client = Client(HTTP_ACCEPT_LANGUAGE="en", HTTP_AUTHORIZATION=f"Token {api_token(email)}")
    response = getattr(client, method)(path, data, content_type="application/json")
    return {"status": response.status_code, **(response.json() if response.content else {})}


def test_anyone_reads_a_producer_with_its_badges_and_offers_as_the_api_shows_them(coop: Producer) -> None:
    page = browser("en").get(f"/producers/{coop.pk}/")
    api = Client().get(f"/api/v1/producers/{coop.pk}/").json()

    text = page.content.decode()
    assert page.status_code == 200
    assert api["legal_name"] in text
    assert api["badges"], "the demo cooperative holds badges"
    assert text.count('class="badge"') >= len(api["badges"])
    assert f"<dd>{api['offers_today']}</dd>" in text
    assert "Due-diligence pack" not in text  # nobody signed in: no buyer to ask


def test_a_producer_nobody_may_see_is_the_apis_404(coop: Producer) -> None:
    unknown = uuid.uuid4()
    page = browser("en").get(f"/producers/{unknown}/")
    assert page.status_code == Client().get(f"/api/v1/producers/{unknown}/").status_code == 404


def test_the_pack_from_request_to_reading_with_the_apis_digest(coop: Producer) -> None:
    buyer, buyer_csrf = signed_in_as("buyer2@demo.test")
    assert buyer.get(f"/producers/{coop.pk}/pack/").status_code == 404  # not asked yet: as the API

    asked = buyer.post(f"/producers/{coop.pk}/pack/request/", {"csrfmiddlewaretoken": buyer_csrf})
    assert asked.status_code == 302
    consent = PackConsent.objects.get(producer_id=coop.pk)
    assert consent.status == "requested"
    assert AuditEvent.objects.filter(action="diligence.pack_consent.requested", target_id=str(consent.pk)).count() == 1
    again = buyer.post(f"/producers/{coop.pk}/pack/request/", {"csrfmiddlewaretoken": buyer_csrf})
    assert again.status_code == 302
    assert PackConsent.objects.filter(producer_id=coop.pk).count() == 1

    member, member_csrf = signed_in_as("coop-member@demo.test")
    refused = member.post(f"/coop/pack-requests/{consent.pk}/grant/", {"csrfmiddlewaretoken": member_csrf})
    api_refused = _api("post", f"/api/v1/pack-requests/{consent.pk}/grant/", "coop-member@demo.test")
    assert refused.status_code == api_refused["status"] == 403
    assert html.escape(api_refused["detail"]) in refused.content.decode()

    admin, admin_csrf = signed_in_as("coop-admin@demo.test")
    listed = admin.get("/coop/pack-requests/")
    assert "Agree" in listed.content.decode()
    assert consent.buyer.legal_name in listed.content.decode()
    no_reason = admin.post(
        f"/coop/pack-requests/{consent.pk}/decline/", {"reason": " ", "csrfmiddlewaretoken": admin_csrf}
    )
    api_no_reason = _api("post", f"/api/v1/pack-requests/{consent.pk}/decline/", "coop-admin@demo.test", reason=" ")
    assert no_reason.status_code == api_no_reason["status"] == 400
    assert all(html.escape(error["message"]) in no_reason.content.decode() for error in api_no_reason["errors"])
    granted = admin.post(f"/coop/pack-requests/{consent.pk}/grant/", {"csrfmiddlewaretoken": admin_csrf})
    assert granted.status_code == 302
    consent.refresh_from_db()
    assert consent.status == "granted"

    shown = buyer.get(f"/producers/{coop.pk}/pack/")
    api_pack = _api("get", f"/api/v1/producers/{coop.pk}/pack/", "buyer2@demo.test")
    text = shown.content.decode()
    assert shown.status_code == 200
    assert api_pack["status"] == 200
    assert "no-store" in shown["Cache-Control"]
    assert api_pack["sha256"] in text  # the same facts, the same digest
    assert [e["action"] for e in AuditEvent.objects.filter(action="diligence.pack.read").values("action", "data")] == [
        "diligence.pack.read"
    ] * 2
    assert {e.data["format"] for e in AuditEvent.objects.filter(action="diligence.pack.read")} == {"html", "json"}

    links = re.findall(r'href="(/pack-files/[^"]+/)"', text)
    files = [f for item in api_pack["evidence"] for f in item["files"]]
    assert len(links) == len(files) > 0
    downloaded = buyer.get(links[0])
    assert downloaded.status_code == 200
    assert (
        hashlib.sha256(
            b"".join(downloaded.streaming_content if downloaded.streaming else [downloaded.content])
        ).hexdigest()
        == files[0]["sha256"]
    )
    assert AuditEvent.objects.filter(action="diligence.pack.file_downloaded").count() == 1
    assert browser("en").get(links[0]).status_code == 302  # signed out: to the sign-in page
    token = links[0].removeprefix("/pack-files/").removesuffix("/")
    assert buyer.get(f"/pack-files/{token[:-2]}xx/").status_code == 404  # altered: the API's 404
    assert buyer.get("/pack-files/%27%3Cscript%3E/").status_code == 404
    other, _ = signed_in_as("buyer@demo.test")
    assert other.get(links[0]).status_code == 404  # another buyer: the link is not theirs

    pdf = buyer.get(f"/producers/{coop.pk}/pack.pdf")
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")

    revoked = admin.post(f"/coop/pack-requests/{consent.pk}/revoke/", {"reason": "", "csrfmiddlewaretoken": admin_csrf})
    assert revoked.status_code == 302
    assert buyer.get(f"/producers/{coop.pk}/pack/").status_code == 404
    assert buyer.get(links[0]).status_code == 404


def test_a_buyer_without_an_inquiry_or_contract_is_refused_as_the_api_refuses(coop: Producer) -> None:
    other = Organization.objects.get(memberships__user__email="buyer@demo.test")
    assert basis_of(other.pk, coop.pk) is None, "the demo's first buyer does not trade with the cooperative"
    client, csrf = signed_in_as("buyer@demo.test")
    page = client.post(f"/producers/{coop.pk}/pack/request/", {"csrfmiddlewaretoken": csrf})
    api = _api("post", f"/api/v1/producers/{coop.pk}/pack-requests/", "buyer@demo.test")
    assert page.status_code == api["status"] == 404
    assert not PackConsent.objects.filter(buyer=other).exists()


def test_pack_pages_are_for_buyers_and_answers_only_for_producers(coop: Producer) -> None:
    reviewer, _ = signed_in_as("reviewer@demo.test")
    assert reviewer.get(f"/producers/{coop.pk}/pack/").status_code == 404
    assert reviewer.get(f"/producers/{coop.pk}/").status_code == 200
    admin, csrf = signed_in_as("coop-admin@demo.test")
    assert admin.post(f"/coop/pack-requests/{coop.pk}/jump/", {"csrfmiddlewaretoken": csrf}).status_code == 404
