"""The statement's arithmetic, on the worked example of docs/settlement.md (journey 10) line by line, and its
properties over random weights, assays, charges and prices (hypothesis)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from settlement.calculation import Assay, Charge, Inputs, Price, Rate, Terms, Waiting, compute

D = Decimal

JOURNEY_10 = Terms(
    currency="USD",
    price_basis="lbma_pm",
    price_per_fine_gram_minor=None,
    lbma_adjustment_bp=0,
    gold_payable_bp=9950,
    gold_minimum_fineness=D("0.0"),
    silver_payable_bp=0,
    silver_minimum_fineness=D("0.0"),
    silver_price_per_fine_gram_minor=None,
    premium_per_kg_fine_minor=600_000,
    premium_currency="USD",
    provisional_bp=9000,
    splitting_limit=D("0.5"),
    within_limit_rule="mean",
    umpire_cost="farther",
    charges=(Charge("Refining charge", "per_troy_ounce_gross", 100, "USD"),),
    minimum_price_bp=9500,
    certification="fairmined_ecological",
)
SELLER, BUYER, UMPIRE = Assay(D("921.4"), D("52.0")), Assay(D("919.8"), D("53.1")), Assay(D("920.3"), D("52.6"), 15_000)
DISPATCH_FIX = Price(D("2650.350"), "lbma_gold_pm", ("2026-11-16",))
FINAL_FIX = Price(D("2671.800"), "lbma_gold_pm", ("2026-11-20",))


def figures(statement) -> dict[str, str | int]:
    """key -> the line's figure (money as signed minor units)."""
    out: dict[str, str | int] = {}
    for line in statement.lines:
        if "amount" in line:
            out[line["key"]] = line["amount"]["amount_minor"]
        else:
            out[line["key"]] = line.get("grams") or line.get("per_mille") or line.get("troy_ounces") or line["price"]
    return out


def test_the_provisional_statement_of_journey_10_matches_the_table_worked_by_hand():
    statement = compute(
        "provisional", JOURNEY_10, Inputs(gross_grams=D("480.000"), seller=SELLER, gold_price=DISPATCH_FIX)
    )
    # 480.000 g × 921.4 ‰ = 442.272 g fine; × 99.5 % = 440.06064 -> 440.061 g payable; / 31.1034768 = 14.14828..
    # -> 14.1483 oz; × 2650.350 = 37497.95... -> USD 37,497.95. Refining 480 / 31.1034768 = 15.43235 -> 15.4324 oz
    # × USD 1.00 = 15.4324 -> USD 15.43. Premium 442.272 g × USD 6,000 / kg = 2653.632 -> USD 2,653.63.
    # Net 37,497.95 − 15.43 + 2,653.63 = 40,136.15; 90 % = 36,122.535 -> half to even USD 36,122.54 (…535 -> …54).
    assert figures(statement) == {
        "declared_gross": "480.000",
        "seller_au": "921.4",
        "settling_au": "921.4",
        "settling_ag": "52.0",
        "fine_gold": "442.272",
        "payable_gold": "440.061",
        "fine_silver": "24.960",
        "payable_silver": "0.000",
        "payable_gold_ounces": "14.1483",
        "gold_price": "2650.350",
        "gold_value": 3_749_795,
        "gross_value": 3_749_795,
        "charge_1": 1_543,
        "premium": 265_363,
        "net_value": 4_013_615,
        "provisional_payment": 3_612_254,
    }
    assert statement.amount_due_minor == 3_612_254


def test_the_final_statement_of_journey_10_settles_on_the_umpire_and_charges_the_seller_its_fee():
    statement = compute(
        "final",
        JOURNEY_10,
        Inputs(
            gross_grams=D("479.200"),
            seller=SELLER,
            buyer=BUYER,
            umpire=UMPIRE,
            gold_price=FINAL_FIX,
            provisional_paid_minor=3_612_254,
        ),
    )
    # |919.8 − 921.4| = 1.6 ‰ > 0.5 ‰: the umpire's 920.3 ‰ settles. 479.200 × 0.9203 = 441.00776 -> 441.008 g;
    # × 99.5 % = 438.80296 -> 438.803 g; / 31.1034768 = 14.107823.. -> 14.1078 oz; × 2671.800 = 37693.22004 ->
    # USD 37,693.22. Refining 479.2 / 31.1034768 = 15.40663.. -> 15.4066 oz -> USD 15.41. Premium 441.008 × 6 =
    # 2646.048 -> USD 2,646.05. The seller's 921.4 is 1.1 ‰ from the umpire, the buyer's 0.5 ‰: the seller bears
    # the USD 150.00 fee. Net 37,693.22 − 15.41 + 2,646.05 − 150.00 = 40,173.86; − 36,122.54 = 4,051.32.
    assert figures(statement) == {
        "received_gross": "479.200",
        "seller_au": "921.4",
        "buyer_au": "919.8",
        "umpire_au": "920.3",
        "settling_au": "920.3",
        "settling_ag": "52.6",
        "fine_gold": "441.008",
        "payable_gold": "438.803",
        "fine_silver": "25.206",
        "payable_silver": "0.000",
        "payable_gold_ounces": "14.1078",
        "gold_price": "2671.800",
        "gold_value": 3_769_322,
        "gross_value": 3_769_322,
        "charge_1": 1_541,
        "premium": 264_605,
        "umpire_cost": 15_000,
        "net_value": 4_017_386,
        "provisional_paid": 3_612_254,
        "final_balance": 405_132,
    }
    assert "1.6 ‰ > splitting limit 0.5 ‰: umpire" in statement.lines[4]["rule"]


def test_beyond_the_splitting_limit_the_final_statement_waits_for_the_umpire():
    with pytest.raises(Waiting) as waiting:
        compute("final", JOURNEY_10, Inputs(gross_grams=D("479.200"), seller=SELLER, buyer=BUYER, gold_price=FINAL_FIX))
    assert waiting.value.missing == ["umpire_assay"]


@pytest.mark.parametrize(("rule", "expected"), [("buyer", "921.0"), ("seller", "921.3"), ("mean", "921.15")])
def test_within_the_splitting_limit_the_agreed_rule_chooses_the_assay(rule, expected):
    terms = Terms(**{**JOURNEY_10.__dict__, "within_limit_rule": rule})
    statement = compute(
        "final",
        terms,
        Inputs(gross_grams=D("479.200"), seller=Assay(D("921.3")), buyer=Assay(D("921.0")), gold_price=FINAL_FIX),
    )
    assert figures(statement)["settling_au"] == expected
    assert "umpire_cost" not in figures(statement)


def test_an_lbma_statement_waits_for_its_fix_and_a_pen_charge_for_its_rate():
    with pytest.raises(Waiting) as waiting:
        compute("provisional", JOURNEY_10, Inputs(gross_grams=D("480.000"), seller=SELLER))
    assert waiting.value.missing == ["gold_price"]
    pen_charge = Terms(**{**JOURNEY_10.__dict__, "charges": (Charge("Assay", "per_lot", 30_000, "PEN"),)})
    with pytest.raises(Waiting) as waiting:
        compute("provisional", pen_charge, Inputs(gross_grams=D("480.000"), seller=SELLER, gold_price=DISPATCH_FIX))
    assert waiting.value.missing == ["exchange_rate"]


def test_a_fixed_price_below_the_certified_minimum_on_the_day_is_raised_to_it():
    # USD 80.00 per fine gram agreed; 95 % of 2,671.800 / 31.1034768 = 81.6052.. USD per gram: the minimum applies.
    terms = Terms(
        **{**JOURNEY_10.__dict__, "price_basis": "fixed", "price_per_fine_gram_minor": 8000, "lbma_adjustment_bp": None}
    )
    statement = compute(
        "final",
        terms,
        Inputs(gross_grams=D("479.200"), seller=SELLER, buyer=BUYER, umpire=UMPIRE, gold_price=FINAL_FIX),
    )
    exact = D("438.803") * D("2671.800") * D("0.95") * 100 / D("31.1034768")
    assert figures(statement)["gold_value"] == int(exact.quantize(D(1), rounding="ROUND_HALF_EVEN"))
    assert "minimum" in next(line for line in statement.lines if line["key"] == "gold_value")["rule"]


def test_a_pen_contract_keeps_its_usd_premium_converted_at_the_rate():
    terms = Terms(
        **{
            **JOURNEY_10.__dict__,
            "currency": "PEN",
            "price_basis": "fixed",
            "price_per_fine_gram_minor": 32_000,  # PEN 320.00 per fine gram
            "lbma_adjustment_bp": None,
            "minimum_price_bp": None,
            "certification": None,
            "charges": (),
        }
    )
    rate = Rate("USD", "PEN", D("3.745000"), "2026-11-16")
    statement = compute("provisional", terms, Inputs(gross_grams=D("480.000"), seller=SELLER, rate=rate))
    # 442.272 g × USD 6,000 / kg = USD 2,653.632 -> 265363 cents × 3.745 = 993784.435 -> PEN 9,937.84
    assert figures(statement)["premium"] == 993_784
    assert statement.currency == "PEN"


# --- properties ----------------------------------------------------------------------------------------

grams = st.decimals(min_value=D("0.001"), max_value=D("50000"), places=3)
per_mille = st.decimals(min_value=D("0.0"), max_value=D("1000.0"), places=1)
basis_points = st.integers(min_value=0, max_value=10000)
fix = st.decimals(min_value=D("100.000"), max_value=D("10000.000"), places=3)
charge = st.one_of(
    st.builds(
        Charge,
        st.just("per oz"),
        st.just("per_troy_ounce_gross"),
        st.integers(0, 10_000),
        st.sampled_from(["USD", "PEN"]),
    ),
    st.builds(
        Charge, st.just("per lot"), st.just("per_lot"), st.integers(0, 1_000_000), st.sampled_from(["USD", "PEN"])
    ),
    st.builds(Charge, st.just("percent"), st.just("percent_of_value"), st.none(), st.none(), st.integers(0, 2000)),
)


@st.composite
def cases(draw):
    basis = draw(st.sampled_from(["fixed", "lbma_am", "lbma_pm"]))
    currency = "USD" if basis != "fixed" else draw(st.sampled_from(["USD", "PEN"]))
    terms = Terms(
        currency=currency,
        price_basis=basis,
        price_per_fine_gram_minor=draw(st.integers(1, 10_000_000)) if basis == "fixed" else None,
        lbma_adjustment_bp=None if basis == "fixed" else draw(st.integers(-5000, 5000)),
        gold_payable_bp=draw(st.integers(1, 10000)),
        gold_minimum_fineness=draw(per_mille),
        silver_payable_bp=draw(basis_points),
        silver_minimum_fineness=draw(per_mille),
        silver_price_per_fine_gram_minor=draw(st.integers(1, 1_000_000)),
        premium_per_kg_fine_minor=draw(st.integers(0, 10_000_000)),
        premium_currency=draw(st.sampled_from(["USD", "PEN"])),
        provisional_bp=draw(basis_points),
        splitting_limit=draw(st.decimals(min_value=D("0.0"), max_value=D("5.0"), places=1)),
        within_limit_rule=draw(st.sampled_from(["buyer", "seller", "mean"])),
        umpire_cost=draw(st.sampled_from(["farther", "buyer", "seller", "shared"])),
        charges=tuple(draw(st.lists(charge, max_size=3))),
        minimum_price_bp=draw(st.one_of(st.none(), st.just(9500))),
        certification="fairmined",
    )
    gold, silver = draw(per_mille), draw(st.decimals(min_value=D("0.0"), max_value=D("100.0"), places=1))
    assume(gold + silver <= 1000)
    seller = Assay(gold, silver)
    buyer = Assay(
        min(D("1000.0"), gold + draw(st.decimals(min_value=D("-3.0"), max_value=D("3.0"), places=1)).max(-gold)), silver
    )
    umpire = Assay(draw(per_mille), silver, draw(st.integers(0, 100_000)))
    inputs = Inputs(
        gross_grams=draw(grams),
        seller=seller,
        buyer=buyer,
        umpire=umpire,
        gold_price=Price(draw(fix), "lbma_gold_pm", ("2026-11-20",)),
        silver_price=Price(
            draw(st.decimals(min_value=D("5.000"), max_value=D("200.000"), places=3)), "lbma_silver", ("2026-11-20",)
        ),
        rate=Rate("USD", "PEN", draw(st.decimals(min_value=D("2.5"), max_value=D("5.0"), places=6)), "2026-11-20"),
        lots=draw(st.integers(1, 20)),
        provisional_paid_minor=draw(st.integers(0, 10**10)),
    )
    return terms, inputs


NEVER_NEGATIVE = (
    "gold_value",
    "silver_value",
    "gross_value",
    "premium",
    "umpire_cost",
    "provisional_payment",
    "provisional_paid",
)


@settings(max_examples=300, deadline=None)
@given(cases())
def test_the_final_balance_plus_the_provisional_payment_is_the_net_value(case):
    terms, inputs = case
    statement = compute("final", terms, inputs)
    assert statement.amount_due_minor + inputs.provisional_paid_minor == statement.net_value_minor
    money = {line["key"]: line["amount"]["amount_minor"] for line in statement.lines if "amount" in line}
    charges = sum(value for key, value in money.items() if key.startswith("charge_"))
    assert money["net_value"] == money["gross_value"] - charges + money.get("premium", 0) - money.get("umpire_cost", 0)
    assert money["gross_value"] == money["gold_value"] + money.get("silver_value", 0)


@settings(max_examples=300, deadline=None)
@given(cases(), st.sampled_from(["provisional", "final"]))
def test_no_line_is_negative_where_its_rule_says_it_cannot_be(case, kind):
    terms, inputs = case
    statement = compute(kind, terms, inputs)
    for line in statement.lines:
        if "amount" in line and (line["key"] in NEVER_NEGATIVE or line["key"].startswith("charge_")):
            assert line["amount"]["amount_minor"] >= 0, line
        for quantity in ("grams", "troy_ounces", "price"):
            if quantity in line:
                assert D(line[quantity]) >= 0, line
    assert 0 <= statement.amount_due_minor <= max(statement.net_value_minor, 0) or kind == "final"
