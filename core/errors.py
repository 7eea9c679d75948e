"""RFC 9457 problem details for every error the API can give.

Services raise `DomainError` subclasses with a stable snake_case `code`; DRF's and Django's own errors are
mapped to the same shape here, so a client handles one format. Messages are lazy translations, rendered
in the language the request asked for (`Accept-Language`).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent, TooManyFilesSent
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, JsonResponse
from django.utils.encoding import force_str
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from rest_framework import exceptions as drf
from rest_framework.response import Response

logger = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_PREFIX = "urn:oro-responsable:problem:"

STATUS_TITLES: dict[int, Any] = {
    400: _("Bad request"),
    401: _("Authentication required"),
    402: _("Payment required"),
    403: _("Forbidden"),
    404: _("Not found"),
    405: _("Method not allowed"),
    406: _("Not acceptable"),
    409: _("Conflict"),
    413: _("Content too large"),
    415: _("Unsupported media type"),
    422: _("Unprocessable content"),
    429: _("Too many requests"),
    500: _("Internal server error"),
    503: _("Service unavailable"),
}


class DomainError(Exception):
    """A refusal the client can act on. Subclasses fix the HTTP status."""

    status = 400
    code = "bad_request"
    default_detail: Any = _("The request could not be processed.")

    def __init__(
        self,
        detail: Any = None,
        *,
        code: str | None = None,
        errors: Iterable[Mapping[str, Any]] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        self.detail = detail if detail is not None else self.default_detail
        if code is not None:
            self.code = code
        self.errors = [dict(error) for error in errors] if errors is not None else None
        self.extra = dict(extra or {})
        super().__init__(force_str(self.detail))


class BadRequest(DomainError):
    status = 400
    code = "bad_request"


def field_error(field: str, code: str, message: Any) -> BadRequest:
    """A validation error on one field found by a service (a taken e-mail, a RUC of the wrong kind)."""
    return BadRequest(
        _("Some fields are invalid: see `errors`."),
        code="validation_error",
        errors=[{"field": field, "code": code, "message": str(message)}],
    )


class NotAuthenticated(DomainError):
    status = 401
    code = "not_authenticated"
    default_detail = _("Authentication credentials were not provided.")


class PermissionDenied(DomainError):
    status = 403
    code = "permission_denied"
    default_detail = _("You do not have permission to perform this action.")


class NotFound(DomainError):
    status = 404
    code = "not_found"
    default_detail = _("Not found.")


class Conflict(DomainError):
    status = 409
    code = "conflict"
    default_detail = _("The request conflicts with the current state of the resource.")


class PayloadTooLarge(DomainError):
    status = 413
    code = "body_too_large"
    default_detail = _("The request body is larger than this API accepts.")


class IntegrityFailure(DomainError):
    """Stored data failed a check (a file whose hash changed): refuse to serve it, never serve it anyway."""

    status = 500
    code = "integrity_failure"
    default_detail = _("Stored data failed an integrity check. Staff were alerted.")


class Unprocessable(DomainError):
    status = 422
    code = "unprocessable"


class ServiceUnavailable(DomainError):
    status = 503
    code = "service_unavailable"
    default_detail = _("A service this request needs is unavailable. Try again later.")


def problem(
    status: int,
    code: str,
    detail: Any,
    *,
    errors: list[dict[str, Any]] | None = None,
    extra: Mapping[str, Any] | None = None,
    instance: str | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_PREFIX + code,
        "title": force_str(STATUS_TITLES.get(status, _("Error"))),
        "status": status,
        "detail": force_str(detail),
        "code": code,
    }
    if instance:
        body["instance"] = instance
    if errors is not None:
        body["errors"] = errors
    for key, value in (extra or {}).items():
        body.setdefault(key, value)
    return body


def flatten_validation_errors(detail: Any, prefix: str | None = None) -> list[dict[str, Any]]:
    """Turn DRF's nested ValidationError detail into `[{field, code, message}]` with dotted paths."""
    if isinstance(detail, Mapping):
        out: list[dict[str, Any]] = []
        for key, value in detail.items():
            field = prefix if key in ("non_field_errors", "__all__") else f"{prefix}.{key}" if prefix else str(key)
            out.extend(flatten_validation_errors(value, field))
        return out
    if isinstance(detail, list):
        if all(isinstance(item, (str, drf.ErrorDetail)) for item in detail):
            return [
                {"field": prefix, "code": getattr(item, "code", "invalid"), "message": force_str(item)}
                for item in detail
            ]
        out = []
        for index, item in enumerate(detail):
            if item:  # DRF leaves an empty dict for list items that were valid
                field = f"{prefix}.{index}" if prefix else str(index)
                out.extend(flatten_validation_errors(item, field))
        return out
    return [{"field": prefix, "code": getattr(detail, "code", "invalid"), "message": force_str(detail)}]


# DRF exceptions: our own code and message for each, so every client sees one vocabulary in two languages.
_DRF_MAP: list[tuple[type[drf.APIException], str, Any]] = [
    (drf.NotAuthenticated, "not_authenticated", _("Authentication credentials were not provided.")),
    (drf.AuthenticationFailed, "authentication_failed", _("The token is invalid, expired or was revoked.")),
    (drf.PermissionDenied, "permission_denied", _("You do not have permission to perform this action.")),
    (drf.NotFound, "not_found", _("Not found.")),
    (drf.MethodNotAllowed, "method_not_allowed", _("This method is not allowed on this resource.")),
    (drf.NotAcceptable, "not_acceptable", _("This resource can only answer application/json.")),
    (drf.UnsupportedMediaType, "unsupported_media_type", _("Send the body as application/json.")),
    (drf.ParseError, "malformed_request", _("The request body could not be parsed: send valid JSON.")),
]


def problem_response(
    status: int,
    code: str,
    detail: Any,
    *,
    errors: list[dict[str, Any]] | None = None,
    extra: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    response = Response(
        problem(status, code, detail, errors=errors, extra=extra),
        status=status,
        headers=dict(headers or {}),
        content_type=PROBLEM_CONTENT_TYPE,
    )
    return response


# Seconds a client is told to wait when the database is unavailable (a restart takes a few seconds).
DATABASE_RETRY_AFTER = 5
# ... and when it is up but busy: another transaction held what this one needed for too long.
DATABASE_BUSY_RETRY_AFTER = 1
# PostgreSQL's SQLSTATEs for a transaction that lost on a lock: serialization_failure, deadlock_detected,
# lock_not_available (lock_timeout).
_LOCK_SQLSTATES = frozenset({"40001", "40P01", "55P03"})


def database_busy(exc: BaseException) -> bool:
    """True when the database answered but gave up waiting on a lock: SQLite's one writer held the file
    past the busy timeout ("database is locked"), or PostgreSQL gave up on a row lock. Not an outage."""
    cause = exc.__cause__ or exc
    if getattr(cause, "sqlstate", None) in _LOCK_SQLSTATES:
        return True
    message = str(cause).lower()
    return "database is locked" in message or "database table is locked" in message


def problem_exception_handler(exc: Exception, context: Mapping[str, Any]) -> Response | None:
    """DRF's EXCEPTION_HANDLER: every error becomes problem details."""
    if isinstance(exc, DomainError):
        domain_headers = {"WWW-Authenticate": "Token"} if exc.status == 401 else {}
        if isinstance(exc.extra.get("retry_after"), int):  # a retryable refusal (503) says when to come back
            domain_headers["Retry-After"] = str(exc.extra["retry_after"])
        return problem_response(
            exc.status, exc.code, exc.detail, errors=exc.errors, extra=exc.extra, headers=domain_headers
        )
    if isinstance(exc, drf.ValidationError):
        errors = flatten_validation_errors(exc.detail)
        return problem_response(400, "validation_error", _("Some fields are invalid: see `errors`."), errors=errors)
    if isinstance(exc, drf.Throttled):
        wait = max(1, math.ceil(getattr(exc, "wait", None) or 1))
        return problem_response(
            429,
            "throttled",
            ngettext(
                "Too many requests. Try again in %(seconds)d second.",
                "Too many requests. Try again in %(seconds)d seconds.",
                wait,
            )
            % {"seconds": wait},
            extra={"retry_after": wait},
            headers={"Retry-After": str(wait)},
        )
    if isinstance(exc, Http404):
        exc = drf.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf.PermissionDenied()
    if isinstance(exc, RequestDataTooBig):
        return problem_response(413, "body_too_large", _("The request body is larger than this API accepts."))
    if isinstance(exc, TooManyFieldsSent):
        return problem_response(413, "too_many_fields", _("The request has too many fields."))
    if isinstance(exc, TooManyFilesSent):  # over DATA_UPLOAD_MAX_NUMBER_FILES, before any upload check runs
        return problem_response(400, "too_many_files", _("The request has too many files."))
    if isinstance(exc, drf.APIException):
        headers: dict[str, str] = {}
        if isinstance(exc, (drf.NotAuthenticated, drf.AuthenticationFailed)):
            request = context.get("request")
            view = context.get("view")
            header = view.get_authenticate_header(request) if view is not None and request is not None else None
            headers["WWW-Authenticate"] = header or "Token"
        for exc_class, code, message in _DRF_MAP:
            if isinstance(exc, exc_class):
                return problem_response(exc.status_code, code, message, headers=headers)
        return problem_response(exc.status_code, str(exc.default_code), exc.detail, headers=headers)
    if isinstance(exc, SuspiciousOperation):
        logger.warning("Suspicious request refused: %s", exc)
        return problem_response(400, "bad_request", _("The request was refused as malformed."))
    if isinstance(exc, OperationalError) and database_busy(exc):
        # Contention, not an outage: the transaction was rolled back, so it changed nothing, and the same
        # request sent again in a moment meets the other writer's outcome (a 409 where it took the last grams).
        logger.warning("Database busy: %s", exc)
        return problem_response(
            503,
            "database_busy",
            _("The service is busy with other changes to the same data. Nothing was changed: try again in a moment."),
            extra={"retry_after": DATABASE_BUSY_RETRY_AFTER},
            headers={"Retry-After": str(DATABASE_BUSY_RETRY_AFTER)},
        )
    if isinstance(exc, (OperationalError, InterfaceError)):
        # The database is unreachable or restarting: the request's transaction was rolled back, so it changed
        # nothing and the same request can simply be sent again.
        logger.error("Database unavailable: %s", exc, exc_info=exc)
        return problem_response(
            503,
            "database_unavailable",
            _("The service cannot reach its database right now. Nothing was changed: try again shortly."),
            extra={"retry_after": DATABASE_RETRY_AFTER},
            headers={"Retry-After": str(DATABASE_RETRY_AFTER)},
        )
    return None


# --- Django's own error views (URLs outside DRF, and errors raised before a view runs) -------------
def _django_problem(status: int, code: str, detail: Any) -> JsonResponse:
    return JsonResponse(problem(status, code, detail), status=status, content_type=PROBLEM_CONTENT_TYPE)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    if isinstance(exception, RequestDataTooBig):
        return _django_problem(413, "body_too_large", _("The request body is larger than this API accepts."))
    return _django_problem(400, "bad_request", _("The request was refused as malformed."))


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return _django_problem(403, "permission_denied", _("You do not have permission to perform this action."))


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return _django_problem(404, "not_found", _("There is nothing at this address."))


def server_error(request: HttpRequest) -> JsonResponse:
    return _django_problem(500, "server_error", _("Something went wrong on our side. It has been logged."))


F = TypeVar("F", bound=Callable[..., Any])


def documents_problems(*statuses: int, retry_after: tuple[int, ...] = ()) -> Callable[[F], F]:
    """Declare the extra problem statuses (409, 422, 503...) a view method can answer, for the schema;
    `retry_after` names those (besides 429 and 503, which always do) that may carry a `Retry-After` header."""

    def decorate(func: F) -> F:
        func.problem_statuses = tuple(statuses)  # type: ignore[attr-defined]
        func.problem_retry_after = tuple(retry_after)  # type: ignore[attr-defined]
        return func

    return decorate
