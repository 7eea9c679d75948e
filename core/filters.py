"""Strict query filters: a query value the API cannot read is a 400 with a field error, never ignored.

django-filter reads a boolean it does not understand (`?women_led=banana`) as "no filter", and DRF's ordering
filter drops an ordering it does not allow (`?ordering=password`): the client then gets an answer to a question
it did not ask. Every app's filtersets derive from `StrictFilterSet`, and views that order use
`StrictOrderingFilter`. Choice, number, date and UUID filters already refuse what they cannot read.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.filters import OrderingFilter

TRUE_VALUES = frozenset({"true", "1"})
FALSE_VALUES = frozenset({"false", "0"})


def parse_bool(raw: str) -> bool:
    """`true`/`1` or `false`/`0` (any case); anything else raises Django's ValidationError."""
    lowered = raw.strip().lower()
    if lowered in TRUE_VALUES:
        return True
    if lowered in FALSE_VALUES:
        return False
    raise DjangoValidationError(_("Use true or false."), code="invalid")


def query_bool(request: Any, name: str) -> bool | None:
    """A boolean query parameter read outside a filterset: None when absent or empty, 400 when unreadable."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    try:
        return parse_bool(raw)
    except DjangoValidationError as exc:
        raise ValidationError({name: [ErrorDetail(str(exc.messages[0]), code="invalid")]}) from None


class StrictBooleanField(forms.Field):
    """A query boolean: `true`, `false`, `1` or `0`; empty means "not filtered"; anything else is invalid."""

    widget = forms.TextInput

    def to_python(self, value: Any) -> bool | None:
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            return value
        return parse_bool(str(value))

    def validate(self, value: Any) -> None:
        if value is None and self.required:
            raise DjangoValidationError(self.error_messages["required"], code="required")


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class StrictFilterSet(django_filters.FilterSet):
    """The base of every filterset: boolean filters, declared or generated from the model, are strict."""

    FILTER_DEFAULTS = {
        **django_filters.FilterSet.FILTER_DEFAULTS,
        models.BooleanField: {"filter_class": StrictBooleanFilter},
    }

    @classmethod
    def get_filters(cls) -> dict[str, Any]:
        filters = super().get_filters()
        for declared in filters.values():
            if isinstance(declared, django_filters.BooleanFilter):
                declared.field_class = StrictBooleanField
        return filters


class StrictOrderingFilter(OrderingFilter):
    """`ordering` from the view's `ordering_fields` (each also descending with `-`); anything else is a 400.

    The schema lists the allowed values, so a generated client can only send what the server accepts.
    """

    def allowed_orderings(self, view: Any) -> list[str]:
        fields = getattr(view, "ordering_fields", None)
        if not isinstance(fields, (list, tuple)):
            raise TypeError(f"{type(view).__name__} must list its ordering_fields for StrictOrderingFilter")
        return [value for field in fields for value in (field, f"-{field}")]

    def get_ordering(self, request: Any, queryset: Any, view: Any) -> Any:
        raw = request.query_params.get(self.ordering_param)
        if raw:
            allowed = self.allowed_orderings(view)
            terms = [term.strip() for term in raw.split(",") if term.strip()]
            unknown = [term for term in terms if term not in allowed]
            if unknown:
                message = _("Unknown ordering: %(values)s. Use one of: %(allowed)s.") % {
                    "values": ", ".join(unknown),
                    "allowed": ", ".join(allowed),
                }
                raise ValidationError({self.ordering_param: [ErrorDetail(str(message), code="invalid_choice")]})
        return super().get_ordering(request, queryset, view)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "description": "Order of the results: one or more of these, comma-separated; `-` for descending.",
                "schema": {"type": "array", "items": {"type": "string", "enum": self.allowed_orderings(view)}},
                "style": "form",
                "explode": False,
            }
        ]
