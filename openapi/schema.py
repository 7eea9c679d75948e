"""Schema generation that documents every problem response an operation can give.

drf-spectacular documents success bodies only. Here every operation also lists the problem details it can
answer: 400, 401/403 where a token is read, 404 for paths with ids, 406, 413/415 for bodies, 429, plus the
statuses a view declares with `core.errors.documents_problems` (409, 422, 503...).

An operation whose view method is wrapped by `core.idempotency.idempotent` documents the `Idempotency-Key` header
and the 409 (the key in use) and 422 (the key reused with another body) it can answer, whatever the view declares.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.core.validators import RegexValidator
from django.db import models
from drf_spectacular.openapi import AutoSchema
from rest_framework import permissions, serializers

from core.api import IDEMPOTENCY_HEADER
from core.decimals import decimal_pattern as core_decimal_pattern
from core.errors import PROBLEM_CONTENT_TYPE
from core.idempotency import is_idempotent


class ProblemFieldErrorSerializer(serializers.Serializer):
    field = serializers.CharField(allow_null=True, help_text="Dotted path of the field; null for the whole body.")
    code = serializers.CharField(help_text="Stable machine-readable code.")
    message = serializers.CharField(help_text="Human-readable message in the language asked for.")
    figures = serializers.DictField(
        required=False,
        help_text="The figures a refusal compared (a certified minimum price and the offered price, with the fix "
        "and the standard's source), where the rule is about amounts.",
    )


class ProblemSerializer(serializers.Serializer):
    """RFC 9457 problem details."""

    type = serializers.CharField(help_text="URI naming the problem type (urn:oro-responsable:problem:<code>).")
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    code = serializers.CharField(help_text="Stable snake_case code, the same in every language.")
    instance = serializers.CharField(required=False)
    errors = ProblemFieldErrorSerializer(  # type: ignore[assignment]
        many=True, required=False, help_text="Field errors (validation)."
    )
    retry_after = serializers.IntegerField(
        required=False, help_text="Seconds to wait before retrying (429, 503, a momentary 409)."
    )


PROBLEM_DESCRIPTIONS = {
    400: "Invalid input: malformed JSON, field errors, bad query parameters or headers.",
    401: "Missing, invalid, expired or revoked token.",
    402: "The card was declined (payment_declined): try another card.",
    403: "Authenticated, but this role or organisation may not do this.",
    404: "Not found, or not yours to see.",
    406: "Only application/json (or application/problem+json) can be answered.",
    409: "Conflicts with the current state (an impossible transition, a duplicate, a key in use).",
    413: "Body larger than the limit.",
    415: "Body media type not supported.",
    422: "Idempotency-Key reused with a different request.",
    429: "Throttled; see the Retry-After header.",
    500: "Stored data failed an integrity check, or a received event could not be processed yet.",
    503: "A dependency is unavailable; retry later.",
}


def _reads_a_blank_model_field(field: Any) -> bool:
    """A read-only serializer field copied from a `blank=True` text model field (DRF drops `allow_blank` from
    read-only fields, so the schema generator cannot see that the value may be "")."""
    model = getattr(getattr(field.parent, "Meta", None), "model", None)
    if not field.read_only or model is None or not field.source or "." in field.source:
        return False
    try:
        model_field = model._meta.get_field(field.source)
    except FieldDoesNotExist:  # a property or a method of the model
        return False
    return isinstance(model_field, models.CharField) and model_field.blank


def decimal_pattern(field: serializers.DecimalField) -> str:
    """The decimal strings the field accepts, bounds included (`core.decimals`): drf-spectacular's own pattern also
    matches "" and "-", and says nothing of the minimum and maximum."""
    return core_decimal_pattern(
        min_value=field.min_value,
        max_value=field.max_value,
        places=field.decimal_places or 0,
        max_digits=field.max_digits,
    )


# A text the server trims before it checks it must hold something else than spaces: "\u001e" or " " is blank to the
# server (Python's str.strip), so the schema says so. Python's \s already holds the separators \x1c-\x1f and \x85;
# JavaScript's does not, hence the explicit class.
NOT_ONLY_SPACES = r"[^\s\x1c-\x1f\x85]"


def _trimmed_text_that_must_not_be_blank(field: Any, schema: dict[str, Any]) -> bool:
    return (
        isinstance(field, serializers.CharField)
        and field.parent is not None  # a field of a serializer, not one drf-spectacular made for a related field
        and not field.read_only
        and not field.allow_blank
        and field.trim_whitespace
        and schema.get("type") == "string"
        and not {"pattern", "format", "enum"} & set(schema)
        and not any(isinstance(validator, RegexValidator) for validator in field.validators)  # has its own pattern
        and not _takes_files(field.parent)
    )


def _takes_files(serializer: Any) -> bool:
    """A serializer that takes files is read from a multipart form. Its text fields get no pattern: Schemathesis
    cannot make a form field break an unanchored pattern (it sends a matching value as the breaking one), and the
    server refuses blank text there all the same."""
    fields = getattr(serializer, "fields", {})
    return any(
        isinstance(field, serializers.FileField) or isinstance(getattr(field, "child", None), serializers.FileField)
        for field in fields.values()
    )


class ProblemAwareAutoSchema(AutoSchema):
    def get_auth(self) -> list[Any]:
        """drf-spectacular marks the token optional for DRF's AllowAny itself; the project's AllowAny
        (core.permissions, which keeps delegates in scope) derives from it."""
        auths: list[Any] = super().get_auth()
        if {} not in auths and any(isinstance(p, permissions.AllowAny) for p in self.view.get_permissions()):
            auths.append({})
        return auths

    def _map_serializer_field(self, field: Any, direction: Any, bypass_extensions: bool = False) -> Any:
        """An organisation's optional e-mail address, web site or buyer type reads "" when nobody gave one: the
        read-only field says so (with "the format, or empty", or "" among the choices) as writable fields that
        allow blank already do. The field is read-only, so the flag changes nothing but the schema."""
        if not getattr(field, "allow_blank", True) and _reads_a_blank_model_field(field):
            field.allow_blank = True
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if isinstance(field, serializers.DecimalField) and "pattern" in schema:
            schema["pattern"] = decimal_pattern(field)
        if direction == "request" and _trimmed_text_that_must_not_be_blank(field, schema):
            schema["pattern"] = NOT_ONLY_SPACES
        if isinstance(field, serializers.FileField) and not field.read_only:
            schema["minLength"] = 1  # an empty part is no file: the server refuses it (or the form drops it)
        return schema

    def _map_basic_serializer(self, serializer: Any, direction: Any) -> Any:
        """Read-only fields are documented as always present, except those a serializer lists in
        `Meta.omitted_for_some_readers` (shown to some callers only, such as who made a sourcing request)."""
        schema = super()._map_basic_serializer(serializer, direction)
        omitted = set(getattr(getattr(serializer, "Meta", None), "omitted_for_some_readers", ()))
        if omitted and "required" in schema:
            schema["required"] = [name for name in schema["required"] if name not in omitted]
            if not schema["required"]:
                del schema["required"]
        return schema

    def _handler(self) -> Any:
        return getattr(self.view, getattr(self.view, "action", None) or "", None) or getattr(
            self.view, self.method.lower(), None
        )

    def _problem_statuses(self) -> set[int]:
        statuses = {400, 406, 429}
        if self.view.get_authenticators() or any(type(p).__name__ != "AllowAny" for p in self.view.get_permissions()):
            statuses |= {401, 403}
        if "{" in self.path:
            statuses.add(404)
        if self.method in ("POST", "PUT", "PATCH"):
            statuses |= {413, 415}
        statuses |= set(getattr(self._handler(), "problem_statuses", ()))
        if is_idempotent(self._handler()):
            statuses |= {409, 422}
        return statuses

    def get_override_parameters(self) -> list[Any]:
        parameters = list(super().get_override_parameters())
        declared = any(getattr(parameter, "name", None) == IDEMPOTENCY_HEADER.name for parameter in parameters)
        if is_idempotent(self._handler()) and not declared:
            parameters.append(IDEMPOTENCY_HEADER)
        return parameters

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for status in sorted(self._problem_statuses()):
            if str(status) in responses:
                continue
            body = self._get_response_for_code(ProblemSerializer, str(status), [PROBLEM_CONTENT_TYPE], direction)
            body["description"] = PROBLEM_DESCRIPTIONS[status]
            if status in (429, 503) or status in getattr(self._handler(), "problem_retry_after", ()):
                body["headers"] = {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds."}}
            if status == 401:
                body["headers"] = {"WWW-Authenticate": {"schema": {"type": "string"}}}
            responses[str(status)] = body
        return responses
