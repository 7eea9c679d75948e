"""Browser tests: the console's pages in a real headless Chromium from Debian's packages (`make browser` installs
it), driven by Playwright, against Django's live server.

Every page a test opens is watched: a message the page logs as an error, an uncaught script error, or a request
to any host but the live server fails the test. `shoot(page, name)` saves a screenshot under
`var/screenshots/` (BROWSER_SCREENSHOTS elsewhere) for a person to look at, and `accessible(page)` runs axe-core
on the page as it stands: a serious or critical violation fails the test.

Playwright's synchronous API keeps an event loop running on the test's thread while a browser is open, which
Django takes for async code and refuses database calls from; the browser is opened per test module and
DJANGO_ALLOW_ASYNC_UNSAFE is set only while it is, so the rest of the suite keeps that guard.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.localstripe_server import localstripe, stripe_on_localstripe  # noqa: F401  (the deposit page)

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SCREENSHOTS = Path(os.environ.get("BROWSER_SCREENSHOTS", Path(__file__).resolve().parents[2] / "var" / "screenshots"))
PHONE = {"width": 360, "height": 740}  # the cooperative's phone
DESK = {"width": 1366, "height": 900}  # the reviewer's desk
REFUSALS = {400, 401, 403, 409, 429}


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    if CHROMIUM is None:
        why = "no Chromium on this machine: `make browser` installs Debian's"
        if os.environ.get("CI"):
            pytest.fail(why)
        pytest.skip(why)
    from playwright.sync_api import sync_playwright

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            args = ["--no-sandbox"] if os.geteuid() == 0 else []  # root: Chromium's sandbox refuses to start
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=args)
            try:
                yield browser
            finally:
                browser.close()


@dataclass
class Watch:
    """What a page did that a person would not want: errors in its console, requests to other hosts."""

    host: str
    errors: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # answers of 404 or more, named for the error message
    allowed: set[str] = field(default_factory=set)  # other hosts a test lets in on purpose (Stripe.js's stand-in)

    def attach(self, page: Any) -> None:
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))
        page.on("request", self._request)
        page.on(
            "response",
            lambda response: response.status >= 404 and self.failed.append(f"{response.status} {response.url}"),
        )

    def forgive(self, *fragments: str) -> None:
        """Drop the errors a test caused on purpose (a connection it cut), each named by a fragment of its text;
        any other error still fails the test."""
        self.errors = [e for e in self.errors if not any(fragment in e for fragment in fragments)]

    def _console(self, message: Any) -> None:
        """Chromium logs every answer of status 400 or more as an error. A refusal the page shows on purpose (400,
        401, 403, 409, 429: the same page a browser without JavaScript gets) is not one; a 404 or a 5xx is."""
        if message.type != "error":
            return
        refused = re.match(r"Failed to load resource: the server responded with a status of (\d+)", message.text)
        if refused and int(refused.group(1)) in REFUSALS:
            return
        where = (message.location or {}).get("url", "")
        self.errors.append(f"{message.text} ({where})" if where else message.text)

    def _request(self, request: Any) -> None:
        parts = urlsplit(request.url)
        if parts.scheme in ("data", "blob", "about"):
            return
        if parts.netloc != self.host and parts.netloc not in self.allowed:
            self.foreign.append(request.url)


@dataclass
class Browsing:
    """One person's browser: a context (cookies, language, viewport) and its pages, all watched."""

    context: Any
    base: str
    watch: Watch

    def open(self, path: str) -> Any:
        page = self.context.new_page()
        self.watch.attach(page)
        page.goto(self.base + path)
        return page


@pytest.fixture
def person(chromium: Any, live_server: Any, transactional_db: None) -> Iterator[Any]:
    """`person(viewport=PHONE, locale="es-PE")`: a new browser context for someone, closed after the test; the
    test fails if any of its pages logged an error or asked another host for anything."""
    opened: list[Browsing] = []
    host = urlsplit(live_server.url).netloc

    def start(viewport: dict[str, int] = PHONE, locale: str = "es-PE", **options: Any) -> Browsing:
        context = chromium.new_context(viewport=viewport, locale=locale, accept_downloads=True, **options)
        browsing = Browsing(context, live_server.url, Watch(host))
        opened.append(browsing)
        return browsing

    yield start
    for browsing in opened:
        browsing.context.close()
    for browsing in opened:
        assert browsing.watch.errors == [], f"the page logged errors: {browsing.watch.errors} {browsing.watch.failed}"
        assert browsing.watch.foreign == [], f"requests to other hosts: {browsing.watch.foreign}"


def shoot(page: Any, name: str) -> Path:
    """A full-page screenshot under SCREENSHOTS, named for the test's step."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    _clear_traces(page)
    return path


def _clear_traces(page: Any) -> None:
    """axe-core and a full-page screenshot leave empty `style=""` attributes behind. When a boosted form's answer
    keeps an element (same id), htmx copies its old attributes onto the new one, and setting a style attribute is
    what the page's Content-Security-Policy refuses: the test would fail on what the test tools did."""
    page.evaluate("() => document.querySelectorAll('[style=\"\"]').forEach(e => e.removeAttribute('style'))")


def accessible(page: Any, *, exclude: list[str] | None = None) -> None:
    """axe-core on the page as it stands: no serious or critical violation (outside the `exclude` selectors: a
    part of the page that a third party draws, which is theirs to make accessible)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, context={"exclude": [[selector] for selector in exclude]} if exclude else None)
    _clear_traces(page)
    grave = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v.get("impact") in ("serious", "critical")
    ]
    assert grave == [], "accessibility violations:\n" + "\n".join(grave)


def page_weight(page: Any) -> int:
    """Bytes of the page at `page`'s address and of every resource it loads except images, as decoded (before any
    compression), loaded afresh in a new tab of the same browser: with htmx, the tab a test clicked through has
    fetched several pages into one document, which is not what one page weighs."""
    fresh = page.context.new_page()
    try:
        fresh.goto(page.url)
        fresh.wait_for_load_state("load")
        return int(fresh.evaluate(WEIGHT))
    finally:
        fresh.close()


WEIGHT = """() => {
    const entries = [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')];
    const image = e => e.initiatorType === 'img' || /\\.(png|jpe?g|webp|svg|gif)(\\?|$)/.test(e.name);
    return entries.filter(e => !image(e)).reduce((sum, e) => sum + (e.decodedBodySize || 0), 0);
}"""
