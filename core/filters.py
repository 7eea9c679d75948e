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
from drf_spectacular.utils import extend_schema_field
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.filters import OrderingFilter

from core.decimals import decimal_pattern
from core.serializers import DECIMAL_TEXT

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
    """A boolean query parameter read outside a filterset: None when absent, 400 when empty or unreadable."""
    raw = request.query_params.get(name)
    if raw is None:
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


class DecimalTextField(forms.DecimalField):
    """A decimal query value written as the API writes decimals (`core.serializers.DecimalField`): "1e3", " 5"
    and "007" are refused rather than read in a way the client did not mean."""

    def to_python(self, value: Any) -> Any:
        if value not in self.empty_values and not DECIMAL_TEXT.fullmatch(str(value)):
            raise DjangoValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


class DecimalTextFilter(django_filters.NumberFilter):
    field_class = DecimalTextField


def bounded_decimal(*, maximum: int, decimal_places: int, **kwargs: Any) -> DecimalTextFilter:
    """A decimal from 0 to `maximum` with `decimal_places`, and the schema says so: a decimal string whose pattern
    holds the bounds (drf-spectacular would read the stored field's type alone, and no bounds)."""
    number = DecimalTextFilter(min_value=0, max_value=maximum, decimal_places=decimal_places, **kwargs)
    pattern = decimal_pattern(min_value=0, max_value=maximum, places=decimal_places, max_digits=None)
    return extend_schema_field({"type": "string", "format": "decimal", "pattern": pattern})(number)  # type: ignore[no-any-return]


# Filters whose value is free text: an empty value is a value there ("" searches for everything).
_TEXT_FILTERS = (django_filters.CharFilter,)


class StrictFilterSet(django_filters.FilterSet):
    """The base of every filterset: boolean filters, declared or generated from the model, are strict, and a
    parameter given with no value (`?until=`) is refused unless the filter takes free text: the schema says
    what a date, a number, an id or a choice looks like, and "" is none of them."""

    FILTER_DEFAULTS = {
        **django_filters.FilterSet.FILTER_DEFAULTS,
        models.BooleanField: {"filter_class": StrictBooleanFilter},
    }

    def get_form_class(self) -> Any:
        base = super().get_form_class()
        text = {name for name, declared in self.filters.items() if isinstance(declared, _TEXT_FILTERS)}

        class NoBlankValues(base):  # type: ignore[misc, valid-type]
            def clean(self) -> Any:
                cleaned = super().clean()
                for name in self.fields:
                    if name in text or name not in self.data or name in self._errors:
                        continue
                    values = self.data.getlist(name) if hasattr(self.data, "getlist") else [self.data.get(name)]
                    if any(str(value).strip() == "" for value in values):  # " " and "\x1f" strip to ""
                        message = _("Give a value, or leave the parameter out.")
                        self.add_error(name, DjangoValidationError(message, code="blank"))
                return cleaned

        return NoBlankValues

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
        if raw is not None:  # "" too: an empty list of terms, which the schema (minItems 1) does not allow
            allowed = self.allowed_orderings(view)
            terms = raw.split(",")
            unknown = [term or '""' for term in terms if term not in allowed]
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
                "schema": {
                    "type": "array",
                    "minItems": 1,
                    "items": {"type": "string", "enum": self.allowed_orderings(view)},
                },
                "style": "form",
                "explode": False,
            }
        ]
