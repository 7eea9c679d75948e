"""Identifiers of Peru: the RUC (taxpayer number, with its mod-11 check digit) and the DNI."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_RUC_WEIGHTS = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
# 10: natural person; 15, 16, 17: other natural-person cases; 20: legal entity.
_RUC_PREFIXES = ("10", "15", "16", "17", "20")


def ruc_check_digit(first_ten: str) -> int:
    total = sum(int(digit) * weight for digit, weight in zip(first_ten, _RUC_WEIGHTS, strict=True))
    digit = 11 - total % 11
    return {10: 0, 11: 1}.get(digit, digit)


def is_valid_ruc(value: str) -> bool:
    return (
        bool(re.fullmatch(r"\d{11}", value))
        and value[:2] in _RUC_PREFIXES
        and ruc_check_digit(value[:10]) == int(value[10])
    )


def validate_ruc(value: str) -> None:
    if not is_valid_ruc(value):
        raise ValidationError(
            _("A RUC has 11 digits, starts with 10, 15, 16, 17 or 20 and ends with a valid check digit."),
            code="invalid_ruc",
        )


def validate_dni(value: str) -> None:
    if not re.fullmatch(r"\d{8}", value or ""):
        raise ValidationError(_("A DNI has exactly 8 digits."), code="invalid_dni")
