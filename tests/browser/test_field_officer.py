"""Journey 11's last step, in a browser with JavaScript turned off: a support organisation's field officer, whom
the cooperative delegated to, chooses the cooperative, uploads its IGAFOM record as a PDF and finds nothing else
open to her; the reviewer's audit trail says who did it for whom. Every form on the way is a plain HTML form."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.management import call_command

from accounts.models import Delegation
from compliance.models import Evidence
from core import clock
from tests.browser.conftest import DESK, PHONE, accessible, shoot
from tests.browser.test_cooperative import sign_in_with_the_keyboard
from tests.compliance.helpers import pdf_upload

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_field_officer_uploads_for_the_cooperative_without_javascript(person: Any) -> None:
    call_command("seed_demo")
    delegation = Delegation.objects.select_related("organization", "support_organization").get(
        officer__email="officer@demo.test"
    )
    officer = person(viewport=PHONE, locale="es-PE", java_script_enabled=False)

    page = officer.open("/sign-in/")
    sign_in_with_the_keyboard(page, "officer@demo.test")
    assert page.url.endswith("/organization/")
    page.get_by_label(delegation.organization.legal_name, exact=False).check()
    with page.expect_navigation():
        page.get_by_role("button", name="Continuar").click()
    assert page.url.endswith("/coop/")
    assert page.get_by_role("link", name="Mis ofertas").count() == 0  # not in her delegation: not in her menu
    shoot(page, "officer-01-standing")

    page.goto(officer.base + "/coop/evidence/new/?type=IGAFOM")
    page.get_by_label("Fecha de emisión").fill(clock.today_lima().isoformat())
    page.get_by_label("Sitio (para documentos de un sitio)", exact=False).select_option(index=1)  # IGAFOM: per site
    upload = pdf_upload("igafom.pdf", "IGAFOM Quebrada Huepetuhe")
    page.get_by_label("Fotos o PDF").set_input_files(
        {"name": "igafom.pdf", "mimeType": "application/pdf", "buffer": upload.read()}
    )
    # (axe runs as a script in the page: not here, where scripts are off; the same page passes it in
    # test_cooperative.py.)
    with page.expect_navigation():
        page.get_by_role("button", name="Enviar a revisión").click()
    assert re.search(r"/coop/evidence/[0-9a-f-]{36}/$", page.url), page.locator("main").inner_text()
    item = Evidence.objects.filter(organization_id=delegation.organization_id, evidence_type_id="IGAFOM").latest(
        "created_at"
    )
    assert item.submitted_by.email == "officer@demo.test"
    shoot(page, "officer-02-uploaded")

    page.goto(officer.base + "/coop/offers/")
    assert page.get_by_text("Su delegación de este productor no permite esta operación", exact=False).count() == 1

    reviewer = person(viewport=DESK, locale="es-PE")
    desk = reviewer.open("/sign-in/")
    sign_in_with_the_keyboard(desk, "reviewer@demo.test")
    desk.goto(reviewer.base + f"/review/audit/?organization={delegation.organization_id}")
    said = f"de {delegation.support_organization.legal_name}, por {delegation.organization.legal_name} por delegación"
    assert desk.get_by_text(said).count() >= 1
    accessible(desk)
    shoot(desk, "officer-03-audit-trail")
