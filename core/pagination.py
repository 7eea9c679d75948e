"""Cursor pagination with a bounded page size and signed cursors.

Keyset pagination keeps deep pages as fast as the first. Cursors are signed, so a tampered cursor is a
clear 400 rather than a query on a forged position; a page size over the bound is refused, not clamped.

A cursor is the same string every time for the same position: signed without a timestamp, so that a page (and so
its ETag, a hash of the body with its `next` link) does not change from one second to the next while nothing in it
did. Cursors signed with a timestamp, as they were before, are still read.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import signing
from django.utils.translation import gettext_lazy as _
from rest_framework import pagination
from rest_framework.request import Request
from rest_framework.utils.urls import replace_query_param

from core.errors import BadRequest

_CURSOR_SALT = "core.pagination.cursor"


class CursorPagination(pagination.CursorPagination):
    page_size = settings.PAGE_SIZE_DEFAULT
    max_page_size = settings.PAGE_SIZE_MAX
    page_size_query_param = "page_size"
    ordering = "-created_at"

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if not 1 <= size <= self.max_page_size:
            message = _("page_size must be a whole number from 1 to %(max)d.") % {"max": self.max_page_size}
            raise BadRequest(
                message,
                code="invalid_page_size",
                errors=[{"field": "page_size", "code": "invalid_page_size", "message": str(message)}],
            )
        return size

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["description"] = f"Results per page, 1 to {self.max_page_size} ({self.page_size} if absent)."
                parameter["schema"] = {**parameter["schema"], "minimum": 1, "maximum": self.max_page_size}
        return parameters

    def decode_cursor(self, request: Request) -> pagination.Cursor | None:
        encoded = request.query_params.get(self.cursor_query_param)
        if encoded is None:
            return None
        try:
            if encoded.count(":") == 2:  # payload:timestamp:signature, from before cursors were deterministic
                tokens = signing.loads(encoded, salt=_CURSOR_SALT)
            else:
                tokens = signing.Signer(salt=_CURSOR_SALT).unsign_object(encoded)
            offset = int(tokens.get("o", 0))
            if not 0 <= offset <= self.offset_cutoff:
                raise ValueError(offset)
            reverse = bool(tokens.get("r", False))
            position = tokens.get("p")
            if position is not None and not isinstance(position, str):
                raise ValueError(position)
        except (signing.BadSignature, ValueError, TypeError, AttributeError):
            raise BadRequest(
                _("The cursor is not valid: use the next or previous link exactly as given."),
                code="invalid_cursor",
            ) from None
        return pagination.Cursor(offset=offset, reverse=reverse, position=position)  # type: ignore[arg-type]

    def encode_cursor(self, cursor: pagination.Cursor) -> str:
        tokens: dict[str, Any] = {}
        if cursor.offset:
            tokens["o"] = cursor.offset
        if cursor.reverse:
            tokens["r"] = True
        if cursor.position is not None:
            tokens["p"] = str(cursor.position)
        encoded = signing.Signer(salt=_CURSOR_SALT).sign_object(tokens, compress=True)
        return replace_query_param(self.base_url or "", self.cursor_query_param, encoded)
