"""Money, grams and fineness are exact; RUC and DNI are validated as SUNAT and RENIEC define them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from core.money import Money
from core.units import fine_grams, fineness, grams, karat, troy_ounces
from core.validators import is_valid_ruc, validate_dni


def test_money_from_major_units_is_exact():
    assert Money.from_major("1250.00", "USD") == Money(125000, "USD")
    assert Money.from_major("0.01", "PEN").amount_minor == 1
    assert Money(125000, "USD").to_major() == Decimal("1250.00")


@pytest.mark.parametrize("amount", ["0.001", "1.005"])
def test_money_refuses_fractions_of_a_cent(amount):
    with pytest.raises(ValueError, match="decimals"):
        Money.from_major(amount, "USD")


def test_money_refuses_floats_unknown_currencies_and_mixing():
    with pytest.raises(TypeError):
        Money.from_major(0.1, "USD")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Money(1.5, "USD")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unsupported"):
        Money(100, "EUR")
    with pytest.raises(ValueError, match="different currencies"):
        Money(100, "USD") + Money(100, "PEN")


def test_money_percentages_round_half_up():
    assert Money(125000, "USD").multiply(Decimal("0.10")) == Money(12500, "USD")
    assert Money(5, "USD").multiply(Decimal("0.5")) == Money(3, "USD")


@given(st.integers(min_value=0, max_value=10**12), st.integers(min_value=0, max_value=10**12))
def test_money_addition_is_exact(a, b):
    assert (Money(a, "PEN") + Money(b, "PEN")).amount_minor == a + b


def test_gold_units():
    assert fine_grams(Decimal("500.000"), Decimal("920.0")) == Decimal("460.000")
    assert troy_ounces(Decimal("31.1034768")) == Decimal("1.0000")
    assert karat(Decimal("999.9")) == Decimal("24.00")
    assert karat(Decimal("750")) == Decimal("18.00")


@pytest.mark.parametrize("value", [0.5, "1.0001", "abc", "NaN", "Infinity"])
def test_grams_refuse_floats_and_inexact_values(value):
    with pytest.raises(ValidationError):
        grams(value)


@pytest.mark.parametrize("value", ["1000.1", "-1", "920.05"])
def test_fineness_stays_in_its_range_with_one_decimal(value):
    with pytest.raises(ValidationError):
        fineness(value)


@pytest.mark.parametrize("ruc", ["20100070970", "20131312955", "20100047218", "10452781234"])
def test_real_rucs_are_valid(ruc):
    assert is_valid_ruc(ruc)


@pytest.mark.parametrize("ruc", ["20100070971", "2010007097", "30100070970", "2010007097a", ""])
def test_malformed_rucs_are_not(ruc):
    assert not is_valid_ruc(ruc)


def test_dni_has_eight_digits():
    validate_dni("45278123")
    for bad in ("4527812", "452781234", "4527812a"):
        with pytest.raises(ValidationError):
            validate_dni(bad)
