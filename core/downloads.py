"""Serving a stored private file (evidence, assay certificates, red-flag attachments, the pack's files): its
SHA-256 checked again before a byte leaves, and the headers every such download carries.

A file whose bytes no longer hash to what was recorded at upload is never served: the caller's `on_failure`
records it (an audit event of its own app: core imports no app) and the client gets a 500
`file_integrity_error`. The response is an attachment that a browser neither sniffs, caches nor renders.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.core.files.storage import Storage
from django.http import HttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from core.errors import IntegrityFailure
from core.uploads import FileIntegrityError, read_verified

logger = logging.getLogger(__name__)


def read_or_refuse(storage: Storage, name: str, sha256: str, *, what: str, on_failure: Callable[[], object]) -> bytes:
    """The stored bytes, checked against `sha256`; on a mismatch (or a missing file) log `what`, call
    `on_failure` and raise `IntegrityFailure`."""
    try:
        return read_verified(storage, name, sha256)
    except FileIntegrityError:
        logger.error("%s failed its integrity check", what)
        on_failure()
        raise IntegrityFailure(
            _("This file failed its integrity check and is not served. Staff were alerted."),
            code="file_integrity_error",
        ) from None


def attachment_response(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
