"""`convert_minor`: exact, half to even to the target's minor unit, and what a round trip can lose.

USD→PEN→USD: p = round(a·r), back = round(p / r). |p − a·r| ≤ ½, so |p / r − a| ≤ 1 / (2r), and |back − a| ≤
1 / (2r) + ½, which is at most 1.5 when r ≥ 0.5: being whole, the loss is at most one cent.
PEN→USD→PEN: u = round(p / r), back = round(u·r). |u − p / r| ≤ ½, so |u·r − p| ≤ r / 2, and |back − p| ≤
r / 2 + ½ céntimos: up to 5 céntimos at 10 soles to the dollar. The dollar is the coarser unit there, so the
loss grows with the rate; that bound is tested too.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prices.conversion import NoRate, convert_minor

RATES = st.integers(min_value=500_000, max_value=10_000_000).map(lambda micro: Decimal(micro).scaleb(-6))
AMOUNTS = st.integers(min_value=0, max_value=10**12)


def usd_to_pen(amount: int, rate: Decimal) -> int:
    return convert_minor(amount, source="USD", target="PEN", base="USD", quote="PEN", rate=rate)


def pen_to_usd(amount: int, rate: Decimal) -> int:
    return convert_minor(amount, source="PEN", target="USD", base="USD", quote="PEN", rate=rate)


@settings(max_examples=500, deadline=None)
@given(amount=AMOUNTS, rate=RATES)
def test_usd_to_pen_and_back_loses_at_most_one_cent(amount, rate):
    assert abs(pen_to_usd(usd_to_pen(amount, rate), rate) - amount) <= 1


@settings(max_examples=500, deadline=None)
@given(amount=AMOUNTS, rate=RATES)
def test_pen_to_usd_and_back_loses_at_most_half_the_rate_plus_a_half(amount, rate):
    back = usd_to_pen(pen_to_usd(amount, rate), rate)

    assert abs(back - amount) <= rate / 2 + Decimal("0.5")


@settings(max_examples=300, deadline=None)
@given(amount=AMOUNTS, rate=RATES)
def test_a_conversion_is_the_exact_product_rounded_to_the_nearest_minor_unit(amount, rate):
    assert abs(usd_to_pen(amount, rate) - Decimal(amount) * rate) <= Decimal("0.5")
    assert abs(pen_to_usd(amount, rate) - Decimal(amount) / rate) <= Decimal("0.5")


def test_the_round_trip_bound_the_other_way_is_reached():
    """Not a loose bound: at 10 soles to the dollar, 5 céntimos go astray."""
    rate = Decimal("10.000000")

    assert usd_to_pen(pen_to_usd(5, rate), rate) == 0  # 0.5 cents → 0 (half to even) → 0 céntimos
    assert usd_to_pen(pen_to_usd(15, rate), rate) == 20  # 1.5 cents → 2 → 20 céntimos


@pytest.mark.parametrize(
    ("amount", "rate", "expected"),
    [
        (1, Decimal("2.5"), 2),  # 2.5 → 2, the even neighbour
        (3, Decimal("2.5"), 8),  # 7.5 → 8
        (5, Decimal("0.5"), 2),  # 2.5 → 2
        (7, Decimal("0.5"), 4),  # 3.5 → 4
        (100_00, Decimal("3.452100"), 345_21),
    ],
)
def test_halves_go_to_the_even_neighbour(amount, rate, expected):
    assert usd_to_pen(amount, rate) == expected


def test_the_same_currency_is_not_converted_and_an_unknown_pair_has_no_rate():
    assert convert_minor(123, source="USD", target="USD", base="USD", quote="PEN", rate=Decimal(3)) == 123
    with pytest.raises(NoRate):
        convert_minor(123, source="USD", target="EUR", base="USD", quote="PEN", rate=Decimal(3))
