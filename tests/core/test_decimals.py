"""The decimal pattern the schema publishes and the text the server accepts are the same set of strings."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework import serializers

from core.decimals import decimal_pattern
from core.serializers import DecimalField, GramsField

# (min, max, places, digits) as the API's fields use them: grams, fineness, an adjustment, a percentage, an area.
FIELDS = [
    (Decimal("0.001"), Decimal(10**9), 3, 13),
    (Decimal(1), Decimal(1000), 1, 5),
    (Decimal(0), Decimal(1000), 1, 5),
    (Decimal(-50), Decimal(50), 2, 5),
    (Decimal(0), Decimal(100), 2, 5),
    (None, None, 4, 14),
    (Decimal(0), None, 3, 13),
]

# Near misses as much as hits: signs, leading zeros, too many places, exponents, blanks, bounds and their neighbours.
whole = st.one_of(
    st.sampled_from(["0", "00", "007", "1", "9", "49", "50", "51", "99", "100", "101", "999", "1000", "1001"]),
    st.integers(min_value=0, max_value=10**11).map(str),
    st.sampled_from(["999999999", "1000000000", "1000000001", "9999999999", "10000000000"]),
)
fraction = st.one_of(
    st.just(""), st.just("."), st.text(alphabet="0123456789", min_size=1, max_size=5).map(lambda d: "." + d)
)
texts = st.one_of(
    st.tuples(st.sampled_from(["", "-", "+"]), whole, fraction).map("".join),
    st.sampled_from(["", "-", " 5", "5 ", "1e3", "1E3", "NaN", "Infinity", "0x10", "٣", "1_000", ".5", "5."]),
)


def accepts(field: serializers.DecimalField, text: str) -> bool:
    try:
        field.run_validation(text)
    except serializers.ValidationError:
        return False
    return True


@pytest.mark.parametrize(("minimum", "maximum", "places", "digits"), FIELDS)
@settings(max_examples=400, deadline=None)
@given(text=texts)
def test_the_server_accepts_exactly_what_the_pattern_matches(minimum, maximum, places, digits, text):
    field = DecimalField(max_digits=digits, decimal_places=places, min_value=minimum, max_value=maximum)

    assert accepts(field, text) == bool(re.fullmatch(field.pattern, text)), field.pattern


@pytest.mark.parametrize(
    ("text", "accepted"),
    [
        ("0.001", True),
        ("0.000", False),
        ("0", False),
        ("1000000000", True),
        ("1000000000.000", True),
        ("1000000000.001", False),
        ("480.0001", False),
        ("-1", False),
        ("0480", False),
        ("480", True),
    ],
)
def test_grams_run_from_a_milligram_to_a_tonne(text, accepted):
    assert accepts(GramsField(), text) is accepted
    assert bool(re.fullmatch(GramsField().pattern, text)) is accepted


def test_a_json_number_is_refused_with_a_message_that_says_how_to_write_it():
    with pytest.raises(serializers.ValidationError) as refused:
        GramsField().run_validation(Decimal("480.5"))

    assert "480.000" in str(refused.value.detail[0])


def test_read_only_grams_describe_what_the_server_writes_sold_out_included():
    assert re.fullmatch(GramsField(read_only=True).pattern, "0.000")


def test_an_unsupported_bound_is_refused_rather_than_published_wrong():
    with pytest.raises(ValueError, match="minimum"):
        decimal_pattern(min_value=Decimal(5), max_value=Decimal(10), places=1, max_digits=4)
    with pytest.raises(ValueError, match="maximum"):
        decimal_pattern(min_value=Decimal(0), max_value=Decimal("9.5"), places=1, max_digits=4)
