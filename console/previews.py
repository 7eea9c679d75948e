"""Images of a PDF's pages, rendered on the server with PDFium (pypdfium2), so a reviewer reads a PDF in the page
without the browser opening it: no script, form or link of the PDF ever reaches the browser, only PNG pixels.

PDFium runs no JavaScript unless a form environment is set up, and none is. Each page is scaled to PAGE_WIDTH
pixels wide (and never taller than PAGE_MAX_HEIGHT), and only the first MAX_PAGES pages are offered. Images are
kept in the `previews` storage under the file's SHA-256 (the bytes were checked against it before rendering), so
a page is rendered once whoever asks; the count of pages is kept in the cache the same way. PDFium is not safe
to call from several threads at once: one lock serialises rendering within a process.
"""

from __future__ import annotations

import io
import threading

import pypdfium2 as pdfium
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import storages

MAX_PAGES = 20  # a reviewer reads the first pages here; the original is a download away
PAGE_WIDTH = 1000  # pixels: legible beside the checklist at a desk, and on a phone with zoom
PAGE_MAX_HEIGHT = 4000
_PDFIUM = threading.Lock()


class Unreadable(Exception):
    """PDFium could not open the file or the page."""


def page_count(sha256: str, content: bytes) -> int:
    """How many pages the PDF has (cached by its hash)."""
    key = f"console:pdf-pages:{sha256}"
    counted = cache.get(key)
    if counted is None:
        with _PDFIUM:
            try:
                document = pdfium.PdfDocument(content)
            except pdfium.PdfiumError as error:
                raise Unreadable(str(error)) from None
            try:
                counted = len(document)
            finally:
                document.close()
        cache.set(key, counted, timeout=None)
    return int(counted)


def page_png(sha256: str, content: bytes, page: int) -> bytes:
    """Page `page` (from 1) of the PDF whose checked bytes are `content`, as a PNG."""
    storage = storages["previews"]
    name = f"{sha256[:2]}/{sha256}/{PAGE_WIDTH}-{page}.png"
    if storage.exists(name):
        with storage.open(name, "rb") as stored:
            return bytes(stored.read())
    png = _render(content, page)
    if not storage.exists(name):  # two readers at once: the second keeps the first one's image
        storage.save(name, ContentFile(png))
    return png


def _render(content: bytes, page: int) -> bytes:
    with _PDFIUM:
        try:
            document = pdfium.PdfDocument(content)
        except pdfium.PdfiumError as error:
            raise Unreadable(str(error)) from None
        try:
            if not 1 <= page <= len(document):
                raise Unreadable(f"no page {page}")
            sheet = document[page - 1]
            width, height = sheet.get_size()
            scale = min(PAGE_WIDTH / max(width, 1.0), PAGE_MAX_HEIGHT / max(height, 1.0))
            image = sheet.render(scale=scale, may_draw_forms=False).to_pil()
            sheet.close()
        finally:
            document.close()
    output = io.BytesIO()
    image.save(output, format="PNG", optimize=True)
    return output.getvalue()
