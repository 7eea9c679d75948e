"""The reviewer's pages: the queue, one item (its document beside the checklist, claimed and decided with the API's
services), a producer's compliance, mass balance and red flags, buyers' KYC and the audit trail. A producer or a
buyer gets what the API would give them (403 or 404), and a refusal reads the same on the page as in the API."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.core.files.storage import storages
from django.test import Client
from django.utils import timezone

from accounts.models import Organization, Role
from audit.models import AuditEvent
from audit.services import audit_record
from compliance.models import DeclaredProduction, Evidence, EvidenceType, ReviewReason
from diligence.models import RedFlag
from tests.compliance.helpers import (
    add_reviewer,
    day,
    make_evidence,
    make_producer,
    make_site,
    move,
    ok,
    stored_path,
)
from tests.conftest import ActorClient, make_client
from tests.factories import BuyerOrganizationFactory, MembershipFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db

QUEUE = "/review/"


def browser_of(actor: ActorClient, language: str = "es") -> Client:
    """The person behind an API client, signed in to the console in a browser that asks for `language`."""
    client = Client(HTTP_ACCEPT="text/html", HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(actor.user)
    return client


def in_spanish(actor: ActorClient) -> ActorClient:
    """The same person's API client asking for Spanish (a client's credentials carry its language)."""
    return make_client(actor.user, actor.organization, language="es")


def item_url(evidence: Evidence, action: str = "") -> str:
    return f"/review/evidence/{evidence.pk}/{action + '/' if action else ''}"


def text(response: Any) -> str:
    return response.content.decode()


@pytest.fixture
def producer(coop: Organization) -> Any:
    return make_producer(coop)


@pytest.fixture
def site(producer: Any) -> Any:
    return make_site(producer)


@pytest.fixture
def submitter(coop: Organization) -> Any:
    return MembershipFactory(organization=coop, role=Role.ADMIN).user


def waiting(organization: Organization, code: str, submitter: Any, days_ago: int, **fields: Any) -> Evidence:
    item = make_evidence(organization, code, submitted_by=submitter, **fields)
    Evidence.objects.filter(pk=item.pk).update(created_at=timezone.now() - dt.timedelta(days=days_ago))
    item.refresh_from_db()
    return item


# --- The queue ---------------------------------------------------------------------------------------------
def test_a_reviewer_lands_on_the_queue_oldest_first(reviewer: ActorClient, coop: Organization, submitter: Any) -> None:
    make_producer(coop)
    newer = waiting(coop, "TAX_RUC", submitter, 2, document_number="NEW-1")
    older = waiting(coop, "CRAFT_REPORT", submitter, 9, document_number="OLD-1")
    waiting(coop, "TAX_RUC", submitter, 30, status="approved", valid_until=day(100))  # decided: not waiting
    client = browser_of(reviewer)

    assert client.get("/")["Location"] == QUEUE
    page = client.get(QUEUE)

    assert page.status_code == 200
    body = text(page)
    assert "Evidencia que espera revisión" in body
    assert body.index(str(older.pk)) < body.index(str(newer.pk))
    assert body.count("/review/evidence/") == 2


def test_the_queue_filters_as_the_reviewer_asks(
    reviewer: ActorClient, coop: Organization, submitter: Any, site: Any
) -> None:
    other = OrganizationFactory(legal_name="Asociación Laberinto")
    laberinto = make_producer(other)
    laberinto.district = "laberinto"
    laberinto.save()
    other_admin = MembershipFactory(organization=other, role=Role.ADMIN).user
    huepetuhe_photo = waiting(coop, "CLOSURE_EVID", submitter, 5, site=site)
    craft = waiting(coop, "CRAFT_REPORT", submitter, 1)
    in_laberinto = waiting(other, "CRAFT_REPORT", other_admin, 10, claimed_by=reviewer.user, status="in_review")
    client = browser_of(reviewer)

    def listed(**query: str) -> set[str]:
        body = text(client.get(QUEUE, query))
        return {str(e.pk) for e in (huepetuhe_photo, craft, in_laberinto) if str(e.pk) in body}

    assert listed(district="laberinto") == {str(in_laberinto.pk)}
    assert listed(district="huepetuhe", evidence_type="CRAFT_REPORT") == {str(craft.pk)}
    assert listed(producer=str(coop.pk)) == {str(huepetuhe_photo.pk), str(craft.pk)}
    assert listed(unclaimed="on") == {str(huepetuhe_photo.pk), str(craft.pk)}
    assert listed(waiting="7") == {str(in_laberinto.pk)}
    assert listed(second_review="on") == set()
    Evidence.objects.filter(pk=in_laberinto.pk).update(first_approved_by=UserFactory(), claimed_by=None)
    assert listed(second_review="on") == {str(in_laberinto.pk)}


def test_an_unknown_filter_value_is_a_clear_400(reviewer: ActorClient) -> None:
    page = browser_of(reviewer).get(QUEUE, {"district": "atlantis"})

    assert page.status_code == 400
    assert 'aria-invalid="true"' in text(page)


def test_the_queue_reads_a_bounded_number_of_queries(
    reviewer: ActorClient, coop: Organization, submitter: Any, site: Any, django_assert_max_num_queries: Any
) -> None:
    for n in range(8):
        waiting(coop, "CLOSURE_EVID" if n % 2 else "CRAFT_REPORT", submitter, n, site=site, claimed_by=reviewer.user)
    client = browser_of(reviewer)
    client.get(QUEUE)  # the session and the catalogue's first read

    with django_assert_max_num_queries(14):
        page = client.get(QUEUE)

    assert text(page).count("/review/evidence/") == 8


def test_producers_and_buyers_get_what_the_api_would_give_them(
    producer_admin: ActorClient, buyer: ActorClient, other_producer: ActorClient, coop: Organization, submitter: Any
) -> None:
    make_producer(coop)
    own = waiting(coop, "CRAFT_REPORT", submitter, 1)
    coop_page, buyer_page = browser_of(producer_admin), browser_of(buyer)

    assert coop_page.get(QUEUE).status_code == 403
    assert buyer_page.get(QUEUE).status_code == 403
    assert buyer_page.get("/review/kyc/").status_code == 403
    assert buyer_page.get(item_url(own)).status_code == 404  # the API's evidence/{id}/ is 404 too
    assert ok(producer_admin.get(f"/api/v1/evidence/{own.pk}/"))["id"] == str(own.pk)
    assert coop_page.get(item_url(own)).status_code == 403  # its own, but not to review
    assert browser_of(other_producer).get(item_url(own)).status_code == 404
    assert coop_page.post(item_url(own, "claim")).status_code == 403
    assert Evidence.objects.get(pk=own.pk).status == "submitted"
    assert coop_page.get(f"/review/producers/{coop.pk}/").status_code == 403
    assert browser_of(other_producer).get(f"/review/producers/{coop.pk}/").status_code == 404
    assert coop_page.get("/review/audit/", {"target": str(own.pk)}).status_code == 403


# --- One item ----------------------------------------------------------------------------------------------
def test_a_pdf_is_shown_as_images_of_its_pages_beside_the_checklist(
    reviewer: ActorClient, coop: Organization, submitter: Any
) -> None:
    make_producer(coop)
    item = waiting(coop, "TAX_RUC", submitter, 3, document_number="20527145661")
    client = browser_of(reviewer)

    page = client.get(item_url(item))

    assert page.status_code == 200
    body = text(page)
    assert f"/review/evidence/{item.pk}/files/1/pages/1.png" in body
    assert EvidenceType.objects.get(pk="TAX_RUC").proves_es in body
    assert "Reclamar este ítem" in body
    image = client.get(f"/review/evidence/{item.pk}/files/1/pages/1.png")
    assert image.status_code == 200
    assert image["Content-Type"] == "image/png"
    assert image.content.startswith(b"\x89PNG")
    assert image["Content-Security-Policy"] == "default-src 'none'; sandbox"
    sha = item.files.get().sha256
    assert storages["previews"].exists(f"{sha[:2]}/{sha}/1000-1.png")  # rendered once, kept by the file's hash
    assert client.get(f"/review/evidence/{item.pk}/files/1/pages/2.png").status_code == 404
    original = client.get(f"/review/evidence/{item.pk}/files/1/?download=1")
    assert original["Content-Disposition"].startswith("attachment")
    assert original.content.startswith(b"%PDF")


def test_an_altered_file_is_not_shown_and_the_trail_says_so(
    reviewer: ActorClient, coop: Organization, submitter: Any
) -> None:
    make_producer(coop)
    item = waiting(coop, "TAX_RUC", submitter, 3)
    stored_path(item.files.get()).write_bytes(b"%PDF-1.4 something else")
    client = browser_of(reviewer)

    page = client.get(item_url(item))
    image = client.get(f"/review/evidence/{item.pk}/files/1/pages/1.png")

    assert page.status_code == 200
    assert 'data-code="file_integrity_error"' in text(page)
    assert image.status_code == 500
    assert AuditEvent.objects.filter(action="compliance.evidence.integrity_failed", target_id=str(item.pk)).exists()


def test_a_photo_is_shown_inline_to_a_reviewer(reviewer: ActorClient, coop: Organization, submitter: Any) -> None:
    from tests.compliance.helpers import image_upload, uploaded

    make_producer(coop)
    producer_api = _admin_client(coop, submitter)
    site = make_site(coop.producer)
    photo = uploaded(producer_api, "CLOSURE_EVID", [image_upload("cierre.jpg")], site=str(site.pk))
    client = browser_of(reviewer)

    page = client.get(f"/review/evidence/{photo['id']}/")
    shown = client.get(f"/review/evidence/{photo['id']}/files/1/")

    assert f'src="/review/evidence/{photo["id"]}/files/1/"' in text(page)
    assert shown.status_code == 200
    assert shown["Content-Type"] == "image/jpeg"
    assert shown["Content-Disposition"] == "inline"
    assert shown["X-Content-Type-Options"] == "nosniff"


def _admin_client(coop: Organization, user: Any) -> ActorClient:
    return make_client(user, coop)


def test_a_reviewer_claims_confirms_and_approves(reviewer: ActorClient, coop: Organization, submitter: Any) -> None:
    make_producer(coop)
    item = waiting(coop, "TAX_RUC", submitter, 3, document_number="20527145661")
    client = browser_of(reviewer)

    assert client.post(item_url(item, "claim"))["Location"] == item_url(item)
    unconfirmed = client.post(item_url(item, "approve"), {"confirm_holder": "on"})
    assert unconfirmed.status_code == 400
    assert Evidence.objects.get(pk=item.pk).status == "in_review"
    approved = client.post(
        item_url(item, "approve"),
        {"confirm_holder": "on", "confirm_number": "on", "confirm_dates": "on", "reason": "Coincide con SUNAT."},
    )

    assert approved["Location"] == QUEUE
    item.refresh_from_db()
    assert (item.status, item.decided_by_id) == ("approved", reviewer.user.pk)
    assert item.decision_reason == "Coincide con SUNAT."
    assert AuditEvent.objects.filter(action="compliance.evidence.approve", target_id=str(item.pk)).exists()


def test_a_production_declaration_is_approved_with_the_grams_confirmed(
    reviewer: ActorClient, coop: Organization, submitter: Any, site: Any
) -> None:
    item = waiting(coop, "PROD_DECL", submitter, 3, site=site)
    month = day(0).replace(day=1)
    DeclaredProduction.objects.create(evidence=item, site=site, month=month, declared_grams="2100.000")
    client = browser_of(reviewer)
    client.post(item_url(item, "claim"))
    confirm = {"confirm_holder": "on", "confirm_dates": "on"}

    too_many = client.post(item_url(item, "approve"), {**confirm, f"grams_{month:%Y-%m}": "2500.000"})
    approved = client.post(item_url(item, "approve"), {**confirm, f"grams_{month:%Y-%m}": "2000.000"})

    assert too_many.status_code == 400
    assert 'data-code="more_than_declared"' in text(too_many)
    assert approved.status_code == 302
    assert str(DeclaredProduction.objects.get(evidence=item).confirmed_grams) == "2000.000"


def test_approving_an_item_another_reviewer_claimed_reads_as_the_api(
    reviewer: ActorClient, network: Organization, coop: Organization, submitter: Any
) -> None:
    make_producer(coop)
    item = waiting(coop, "TAX_RUC", submitter, 3)
    rosa = add_reviewer(network)
    ok(move(rosa, item.pk, "claim"))
    confirm = {"confirm_holder": "on", "confirm_dates": "on"}

    page = browser_of(reviewer).post(item_url(item, "approve"), confirm)
    api = move(in_spanish(reviewer), item.pk, "approve")

    assert page.status_code == api.status_code == 409
    assert api.json()["code"] == "not_claimed"
    assert api.json()["detail"] in text(page)
    assert 'data-code="not_claimed"' in text(page)
    assert Evidence.objects.get(pk=item.pk).claimed_by_id == rosa.user.pk


def test_the_four_eyes_refusal_reads_as_the_api(
    reviewer: ActorClient, network: Organization, coop: Organization, submitter: Any, site: Any
) -> None:
    item = waiting(coop, "SITE_VISIT", submitter, 3, site=site)
    client = browser_of(reviewer)
    client.post(item_url(item, "claim"))
    first = client.post(item_url(item, "approve"), {"confirm_holder": "on", "confirm_dates": "on"})
    assert first.status_code == 302
    assert Evidence.objects.get(pk=item.pk).first_approved_by_id == reviewer.user.pk

    page = client.post(item_url(item, "claim"))
    api = move(in_spanish(reviewer), item.pk, "claim")

    assert page.status_code == api.status_code == 409
    assert api.json()["code"] == "second_reviewer_required"
    assert api.json()["detail"] in text(page)
    rosa = browser_of(add_reviewer(network))
    assert rosa.post(item_url(item, "claim")).status_code == 302
    assert rosa.post(item_url(item, "approve"), {"confirm_holder": "on", "confirm_dates": "on"}).status_code == 302
    assert Evidence.objects.get(pk=item.pk).status == "approved"


def test_a_rejection_with_a_common_reason_reaches_the_producer(
    reviewer: ActorClient, coop: Organization, submitter: Any, site: Any
) -> None:
    item = waiting(coop, "CLOSURE_EVID", submitter, 3, site=site)
    reason = ReviewReason.objects.get(code="wrong_holder")
    client = browser_of(reviewer)
    page = text(client.get(item_url(item)))
    assert reason.text_es in page
    reject_choices = page.split("reject-common")[1].split("</select>")[0]
    assert ReviewReason.objects.get(code="illegible").text_es not in reject_choices  # a reason for changes only

    done = client.post(
        item_url(item, "refuse"),
        {"reject-move": "reject", "reject-common": reason.pk, "reject-reason": "Es de la concesión vecina."},
    )

    assert done["Location"] == QUEUE
    item.refresh_from_db()
    assert item.status == "rejected"
    assert item.decision_reason == f"{reason.text_es} Es de la concesión vecina."


def test_a_refusal_without_any_reason_shows_the_services_refusal(
    reviewer: ActorClient, coop: Organization, submitter: Any
) -> None:
    make_producer(coop)
    item = waiting(coop, "CRAFT_REPORT", submitter, 3)

    page = browser_of(reviewer).post(item_url(item, "refuse"), {"request_changes-move": "request_changes"})

    assert page.status_code == 400
    assert 'data-code="required"' in text(page)
    assert "Indique el motivo: la productora lo leerá." in text(page)
    assert Evidence.objects.get(pk=item.pk).status == "submitted"


def test_a_retired_reason_is_no_longer_offered(reviewer: ActorClient, coop: Organization, submitter: Any) -> None:
    make_producer(coop)
    item = waiting(coop, "CRAFT_REPORT", submitter, 3)
    illegible = ReviewReason.objects.get(code="illegible")
    illegible.retired_on = day(0)
    illegible.save()
    ReviewReason.objects.create(
        code="illegible",
        move="request_changes",
        text_es="No se puede leer: vuelva a escanearlo.",
        text_en="It cannot be read: scan it again.",
        source="test",
        effective_from=day(0),
    )

    page = text(browser_of(reviewer).get(item_url(item)))

    assert illegible.text_es not in page
    assert "No se puede leer: vuelva a escanearlo." in page


# --- A producer --------------------------------------------------------------------------------------------
def test_a_producer_page_shows_its_standing_mass_balance_and_red_flags(
    reviewer: ActorClient, coop: Organization, submitter: Any, site: Any
) -> None:
    declaration = waiting(coop, "PROD_DECL", submitter, 3, site=site, status="approved", valid_until=day(200))
    month = day(0).replace(day=1)
    DeclaredProduction.objects.create(
        evidence=declaration, site=site, month=month, declared_grams="1000.000", confirmed_grams="1000.000"
    )
    client = browser_of(reviewer)

    page = client.get(f"/review/producers/{coop.pk}/")

    assert page.status_code == 200
    body = text(page)
    assert "Balance de masa" in body
    assert "1000,000" in body  # grams, as Spanish writes decimals
    assert '<meter min="0" max="100" value="0"' in body
    assert f"/review/audit/?organization={coop.pk}" in body
    assert 'data-code="OHS_TRAINING"' in body  # the requirements, as the API's compliance answer lists them


def test_a_reviewer_opens_a_red_flag_with_the_apis_service(
    reviewer: ActorClient, coop: Organization, site: Any
) -> None:
    make_producer(coop) if not hasattr(coop, "producer") else None
    client = browser_of(reviewer)
    url = f"/review/producers/{coop.pk}/red-flags/"

    blank = client.post(url, {"category": "child_labour", "severity": "high", "facts": "   "})
    opened = client.post(
        url, {"site": site.pk, "category": "child_labour", "severity": "medium", "facts": "Menores en la canaleta."}
    )

    assert blank.status_code == 400
    assert opened.status_code == 302
    flag = RedFlag.objects.get()
    assert (flag.subject_kind, flag.site_id, flag.severity) == ("site", site.pk, "medium")
    assert AuditEvent.objects.filter(action="diligence.red_flag.opened", target_id=str(flag.pk)).exists()
    assert "Menores en la canaleta." in text(client.get(f"/review/producers/{coop.pk}/"))


# --- Buyers' KYC -------------------------------------------------------------------------------------------
def test_the_kyc_page_lists_buyers_waiting_or_lapsing_soon(reviewer: ActorClient) -> None:
    waiting_buyer = BuyerOrganizationFactory(legal_name="Joyería Cusco", kyc_status="submitted")
    lapsing = BuyerOrganizationFactory(
        legal_name="Refinadora Lima", kyc_status="verified", kyc_valid_until=day(20), kyc_verified_at=timezone.now()
    )
    fine = BuyerOrganizationFactory(
        legal_name="Metales Arequipa", kyc_status="verified", kyc_valid_until=day(300), kyc_verified_at=timezone.now()
    )

    body = text(browser_of(reviewer).get("/review/kyc/"))

    assert waiting_buyer.legal_name in body
    assert lapsing.legal_name in body
    assert fine.legal_name not in body
    assert body.index(lapsing.legal_name) < body.index(waiting_buyer.legal_name)
    assert "nunca evaluado" in body


def test_verifying_a_kyc_with_documents_missing_reads_as_the_api(reviewer: ActorClient) -> None:
    buyer = BuyerOrganizationFactory(legal_name="Joyería Cusco", kyc_status="submitted")

    page = browser_of(reviewer).post(f"/review/kyc/{buyer.pk}/verify/")
    api = in_spanish(reviewer).post(f"/api/v1/organizations/{buyer.pk}/kyc/verify/", {}, format="json")

    assert page.status_code == api.status_code == 409
    assert api.json()["detail"] in text(page)
    assert Organization.objects.get(pk=buyer.pk).kyc_status == "submitted"


def test_a_reviewer_rejects_a_kyc_with_a_reason(reviewer: ActorClient) -> None:
    buyer = BuyerOrganizationFactory(legal_name="Joyería Cusco", kyc_status="submitted")

    done = browser_of(reviewer).post(f"/review/kyc/{buyer.pk}/reject/", {"reason": "Falta el registro mercantil."})

    assert done["Location"] == "/review/kyc/"
    assert Organization.objects.get(pk=buyer.pk).kyc_status == "rejected"
    assert AuditEvent.objects.get(action="compliance.kyc.reject").data["reason"] == "Falta el registro mercantil."


# --- The audit trail ---------------------------------------------------------------------------------------
def test_the_audit_trail_of_an_item_says_who_did_what_and_when(
    reviewer: ActorClient, coop: Organization, submitter: Any
) -> None:
    make_producer(coop)
    item = waiting(coop, "CRAFT_REPORT", submitter, 3)
    reviewer.user.full_name = "Lucía Huamán"
    reviewer.user.save()
    client = browser_of(reviewer)
    client.post(item_url(item, "claim"))

    page = client.get("/review/audit/", {"target": str(item.pk)})

    assert page.status_code == 200
    body = text(page)
    assert 'data-action="compliance.evidence.claim"' in body
    assert "Lucía Huamán" in body
    assert body.count("<li data-action=") == AuditEvent.objects.filter(target_id=str(item.pk)).count()


def test_the_audit_trail_pages_back_by_sequence_number(reviewer: ActorClient, coop: Organization) -> None:
    for n in range(30):
        audit_record(action="producers.site.updated", subject_organization=coop, data={"n": n})
    client = browser_of(reviewer)

    first = text(client.get("/review/audit/", {"organization": str(coop.pk)}))
    assert first.count('data-action="producers.site.updated"') == 25
    older = re.search(r'<a href="(\?[^"]*before=\d+[^"]*)">', first)
    assert older is not None
    second = text(client.get("/review/audit/" + older.group(1).replace("&amp;", "&")))

    assert second.count('data-action="producers.site.updated"') == 5
    assert re.search(r'<a href="\?[^"]*before=', second) is None  # nothing older
    assert client.get("/review/audit/", {"organization": str(coop.pk), "before": "x"}).status_code == 400
