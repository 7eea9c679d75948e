"""Journey 11 in the browser, at a phone's 360 px and in Spanish: the president signs in with the keyboard and
reads what is met, missing and about to lapse."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command

from tests.browser.conftest import PHONE, accessible, page_weight, shoot

# Transactional (the live server reads what the test writes): the catalogue the migrations seed is put back first.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DEMO_PASSWORD = "oro-limpio-2026"


def sign_in_with_the_keyboard(page: Any, email: str) -> None:
    page.get_by_label("Correo electrónico").focus()
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    page.keyboard.type(DEMO_PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_a_president_on_a_phone_sees_what_is_missing_in_spanish(person: Any) -> None:
    call_command("seed_demo")
    phone = person(viewport=PHONE, locale="es-PE")

    page = phone.open("/")
    assert page.url.endswith("/sign-in/?next=%2F")
    assert page.locator("html").get_attribute("lang") == "es"
    accessible(page)
    shoot(page, "coop-01-sign-in")
    sign_in_with_the_keyboard(page, "candelaria-admin@demo.test")

    assert page.url.endswith("/coop/")
    assert page.get_by_role("heading", name="Su oro todavía no se puede ofrecer").is_visible()
    training = page.locator('.checklist li[data-code="OHS_TRAINING"]')
    assert "state-missing" in (training.get_attribute("class") or "")
    assert "Falta" in training.inner_text()
    # What needs her first comes first: nothing met is listed above anything missing.
    states = page.locator(".checklist > li").evaluate_all("items => items.map(i => i.className)")
    assert states.index("state-missing") < states.index("state-met")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # no sideways scrolling
    assert page_weight(page) < 100_000
    accessible(page)
    shoot(page, "coop-02-standing")
