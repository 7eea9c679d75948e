"""Journey 12 in the browser, at a reviewer's desk (1366 px) and in Spanish: the reviewer filters the queue, claims
the oldest item, reads its PDF (rendered on the server as an image) beside the checklist, confirms and approves it,
rejects a photo with a common reason, reads a producer's mass balance and opens a red flag."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.management import call_command

from compliance.models import Evidence, ReviewReason
from diligence.models import RedFlag
from tests.browser.conftest import DESK, accessible, page_weight, shoot

# Transactional (the live server reads what the test writes): the catalogue the migrations seed is put back first.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DEMO_PASSWORD = "oro-limpio-2026"
QUEUE = re.compile(r"/review/$")


def sign_in(page: Any, email: str) -> None:
    page.get_by_label("Correo electrónico").fill(email)
    page.get_by_label("Contraseña").fill(DEMO_PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Entrar").click()


def test_a_reviewer_at_her_desk_works_the_queue(person: Any) -> None:
    call_command("seed_demo")
    craft = Evidence.objects.get(document_number="HUE-CRAFT-2026")
    photo = Evidence.objects.get(document_number="HUE-CIERRE-2")
    desk = person(viewport=DESK, locale="es-PE")

    page = desk.open("/")
    sign_in(page, "reviewer@demo.test")
    assert page.url.endswith("/review/")
    assert page.get_by_role("heading", name="Evidencia que espera revisión").is_visible()
    accessible(page)
    assert page_weight(page) < 100_000
    shoot(page, "review-01-queue")

    # Filter by district and type: only the craft report of Huepetuhe is left.
    page.get_by_label("Distrito").select_option("huepetuhe")
    page.get_by_label("Tipo de evidencia").select_option("CRAFT_REPORT")
    page.get_by_role("button", name="Filtrar").click()
    page.wait_for_url("**/review/?*evidence_type=CRAFT_REPORT*")
    rows = page.locator("table.queue tbody tr")
    assert rows.count() == 1
    assert rows.first.get_attribute("data-type") == "CRAFT_REPORT"
    accessible(page)
    shoot(page, "review-02-queue-filtered")

    # The oldest (the only) item: claim it, read the PDF beside the checklist.
    rows.first.get_by_role("link").click()
    page.wait_for_url(f"**/review/evidence/{craft.pk}/")
    page.get_by_role("button", name="Reclamar este ítem").click()
    page.get_by_role("status").wait_for()
    assert page.get_by_role("status").inner_text().strip() == "Reclamó este ítem."
    document = page.locator(".document img.page")
    assert document.get_attribute("src").endswith("/files/1/pages/1.png")
    document.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=document.element_handle())
    assert document.evaluate("img => img.naturalWidth") == 1000  # the page, as pixels from the server
    beside = page.locator(".check").bounding_box()
    assert document.bounding_box()["x"] < beside["x"]  # the document left, the checklist right
    assert page.get_by_text("Descargar el original").is_visible()
    accessible(page)
    assert page_weight(page) < 100_000
    shoot(page, "review-03-item-pdf")

    # Confirm each field against the document and approve.
    for box in page.locator(".decision fieldset input[type=checkbox]").all():
        box.check()
    page.get_by_role("button", name="Aprobar", exact=True).click()
    page.wait_for_url(QUEUE)
    assert "Aprobado." in page.get_by_role("status").inner_text()
    assert Evidence.objects.get(pk=craft.pk).status == "approved"

    # Reject the closure photo with a common reason.
    page.goto(f"{desk.base}/review/evidence/{photo.pk}/")
    image = page.locator(".document img.page")
    assert image.get_attribute("src").endswith(f"/review/evidence/{photo.pk}/files/1/")
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
    shoot(page, "review-04-item-photo")
    page.get_by_text("Rechazar", exact=True).first.click()  # the <summary> that opens the form
    reason = ReviewReason.objects.get(code="no_coordinates")
    page.locator("#id_reject-common").select_option(str(reason.pk))
    page.locator("#id_reject-reason").fill("Tome las fotos con el GPS del teléfono encendido.")
    accessible(page)
    page.get_by_role("button", name="Rechazar", exact=True).click()
    page.wait_for_url(QUEUE)
    photo.refresh_from_db()
    assert photo.status == "rejected"
    assert photo.decision_reason.startswith(reason.text_es)

    # The producer's compliance and mass balance, then a red flag.
    page.goto(f"{desk.base}/review/producers/{photo.organization_id}/")
    assert page.get_by_role("heading", name="Balance de masa").is_visible()
    meters = page.locator("table.balance meter")
    assert meters.count() >= 1
    assert page.get_by_text("Más cerca del límite").is_visible()
    accessible(page)
    assert page_weight(page) < 100_000
    shoot(page, "review-05-producer")
    page.get_by_text("Abrir una alerta").click()
    page.get_by_label("Categoría").select_option(index=1)
    page.get_by_label("Gravedad").select_option("low")
    page.get_by_label("Qué se encontró").fill("En la visita, la canaleta no tenía alfombra de captura.")
    page.get_by_role("button", name="Abrir la alerta").click()
    page.get_by_role("status").wait_for()
    assert "La alerta está abierta" in page.get_by_role("status").inner_text()
    flag = RedFlag.objects.get(facts__startswith="En la visita")
    assert (flag.organization_id, flag.severity, flag.status) == (photo.organization_id, "low", "open")
    assert page.locator("#red-flags").get_by_text("En la visita, la canaleta").is_visible()
    accessible(page)
    shoot(page, "review-06-red-flag")

    # The KYC queue and the producer's audit trail read as pages too.
    page.goto(f"{desk.base}/review/kyc/")
    accessible(page)
    shoot(page, "review-07-kyc")
    page.goto(f"{desk.base}/review/audit/?organization={photo.organization_id}")
    assert page.locator('li[data-action="diligence.red_flag.opened"]').count() == 1
    accessible(page)
    assert page_weight(page) < 100_000
    shoot(page, "review-08-audit")
