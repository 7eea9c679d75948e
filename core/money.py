"""Money as integer minor units and an ISO 4217 code. No float ever holds an amount."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


class Currency(models.TextChoices):
    USD = "USD", _("US dollar")
    PEN = "PEN", _("Peruvian sol")


# Digits after the decimal point in each supported currency (ISO 4217).
MINOR_UNIT_EXPONENT: dict[str, int] = {"USD": 2, "PEN": 2}


@dataclass(frozen=True, slots=True)
class Money:
    amount_minor: int
    currency: str

    def __post_init__(self) -> None:
        if isinstance(self.amount_minor, bool) or not isinstance(self.amount_minor, int):
            raise TypeError("amount_minor must be an int")
        if self.currency not in MINOR_UNIT_EXPONENT:
            raise ValueError(f"unsupported currency {self.currency!r}")

    @classmethod
    def from_major(cls, amount: Decimal | str | int, currency: str) -> Money:
        """`Money.from_major("12.50", "USD")`; refuses fractions of the minor unit instead of rounding."""
        if currency not in MINOR_UNIT_EXPONENT:
            raise ValueError(f"unsupported currency {currency!r}")
        if isinstance(amount, float):
            raise TypeError("floats are not accepted for money")
        try:
            value = Decimal(amount)
        except InvalidOperation as exc:
            raise ValueError(f"not an amount: {amount!r}") from exc
        minor = value.scaleb(MINOR_UNIT_EXPONENT[currency])
        if minor != minor.to_integral_value():
            raise ValueError(f"{amount} has more decimals than {currency} allows")
        return cls(int(minor), currency)

    def to_major(self) -> Decimal:
        return Decimal(self.amount_minor).scaleb(-MINOR_UNIT_EXPONENT[self.currency])

    def _same_currency(self, other: Money) -> None:
        if not isinstance(other, Money) or other.currency != self.currency:
            raise ValueError("cannot combine amounts in different currencies")

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount_minor + other.amount_minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount_minor - other.amount_minor, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same_currency(other)
        return self.amount_minor < other.amount_minor

    def __le__(self, other: Money) -> bool:
        self._same_currency(other)
        return self.amount_minor <= other.amount_minor

    def multiply(self, factor: Decimal | int) -> Money:
        """Scale by an exact factor (a quantity, a percentage / 100), rounding half up to the minor unit."""
        if isinstance(factor, float):
            raise TypeError("floats are not accepted for money")
        result = (Decimal(self.amount_minor) * Decimal(factor)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        return Money(int(result), self.currency)

    def as_dict(self) -> dict[str, Any]:
        return {"amount_minor": self.amount_minor, "currency": self.currency}

    def __str__(self) -> str:
        return f"{self.to_major()} {self.currency}"
