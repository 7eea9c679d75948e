"""Decimal numbers as text, one written form shared by the server and the schema.

The API sends and takes weights, fineness and percentages as decimal strings ("480.000", "921.4", "-2.50"): a
float cannot hold them exactly. `decimal_pattern` gives the regular expression of the strings a field accepts,
bounds included: digits without leading zeros, a point and at most the field's decimal places, a sign only where
negatives are allowed, and nothing below the minimum or above the maximum. The schema publishes it (a JSON
schema's `minimum` and `maximum` apply to numbers only, so for a decimal string the bounds must live in the
pattern), and the serializer fields refuse any text it does not match, so a generated client and the server
agree on every value (tests/core/test_decimals.py checks the pattern against the bounds on random values).
"""

from __future__ import annotations

from decimal import Decimal


def _integers_up_to(limit: int, *, from_one: bool) -> list[str]:
    """Alternatives matching the integers 0 (or 1) to `limit`, written without leading zeros."""
    if limit < (1 if from_one else 0):
        return []
    digits = str(limit)
    found = [] if from_one else ["0"]
    if len(digits) > 1:
        found.append(rf"[1-9]\d{{0,{len(digits) - 2}}}" if len(digits) > 2 else "[1-9]")
    for index, char in enumerate(digits):
        lowest = 1 if index == 0 else 0
        top = int(char) - 1
        if top >= lowest:
            rest = len(digits) - index - 1
            tail = rf"\d{{{rest}}}" if rest > 1 else (r"\d" if rest == 1 else "")
            found.append(f"{digits[:index]}[{lowest}-{top}]{tail}" if top > lowest else f"{digits[:index]}{top}{tail}")
    found.append(digits)
    return found


def _repeat(atom: str, low: int, high: int) -> str:
    if high == 0:
        return ""
    if low == high:
        return atom if low == 1 else f"{atom}{{{low}}}"
    return f"{atom}{{{low},{high}}}"


def _fraction(places: int) -> str:
    return rf"(?:\.{_repeat(chr(92) + 'd', 1, places)})?" if places else ""


def _nonzero_fraction(places: int) -> str:
    """A point and 1 to `places` digits, not all of them zero."""
    options = (
        _repeat("0", zeros, zeros) + "[1-9]" + _repeat(chr(92) + "d", 0, places - zeros - 1) for zeros in range(places)
    )
    return r"\.(?:" + "|".join(options) + ")"


def decimal_pattern(
    *, min_value: Decimal | float | None, max_value: Decimal | float | None, places: int, max_digits: int | None
) -> str:
    """The anchored pattern of the decimal strings in [min_value, max_value] with at most `places` decimals.

    Supported bounds (those the API uses; any other raises ValueError, so a new field cannot silently publish a
    wrong pattern): a whole-number maximum or none (then the field's digits bound it); a minimum of none or minus
    the maximum (a sign allowed), 0, the smallest positive step (10^-places: "more than zero"), or 1."""
    if max_value is None:
        whole = max((max_digits or 30) - places, 1)
        magnitude_max = None
    else:
        if Decimal(str(max_value)) != Decimal(str(max_value)).to_integral_value() or Decimal(str(max_value)) < 1:
            raise ValueError(f"unsupported maximum {max_value}")
        magnitude_max = int(max_value)
    step = Decimal(1).scaleb(-places)
    minimum = None if min_value is None else Decimal(str(min_value))
    if minimum is None or (magnitude_max is not None and minimum == -magnitude_max):
        sign, lowest = "-?", "zero"
    elif minimum == 0:
        sign, lowest = "", "zero"
    elif minimum == step:
        sign, lowest = "", "step"
    elif minimum == 1:
        sign, lowest = "", "one"
    else:
        raise ValueError(f"unsupported minimum {min_value}")

    fraction = _fraction(places)
    if magnitude_max is None:
        integers = ["0", rf"[1-9]\d{{0,{whole - 1}}}" if whole > 1 else "[1-9]"]
        top = ""
    else:
        integers = _integers_up_to(magnitude_max - 1, from_one=False)
        top = f"|{magnitude_max}" + (f"(?:\\.{_repeat('0', 1, places)})?" if places else "")
    if lowest == "zero":
        body = "(?:" + "|".join(integers) + ")" + fraction
    else:
        positive = [i for i in integers if i != "0"] if magnitude_max is None else None
        if positive is None:
            positive = _integers_up_to(magnitude_max - 1, from_one=True) if magnitude_max is not None else []
        body = "(?:" + "|".join(positive) + ")" + fraction if positive else ""
        if lowest == "step" and places:
            body = f"{body}|0{_nonzero_fraction(places)}" if body else f"0{_nonzero_fraction(places)}"
    return f"^{sign}(?:{body}{top})$"
