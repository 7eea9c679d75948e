"""`check_certified_floors` (prices/certified.py): a certified offer is refused below its standard's minimum price
(95 % of the latest LBMA Gold Price PM) or premium, in the offer's currency through the latest USD/PEN rate, and
with 409 when a figure it needs is not recorded.

The figures: PM fix 4118.900 USD/oz t; 95 % of it per fine gram is 4118.900 × 0.95 / 31.1034768 = 125.8044… USD,
so the floor is 125.81 (rounded up). At 3.452100 soles it is 434.2894… PEN, floor 434.29. Fairtrade Ecological's
premium, 15 % of the fix per kilogram: 4118.900 × 1000 / 31.1034768 × 0.15 = 19,863.8565… USD, floor 19,863.86.
"""

from __future__ import annotations

import datetime as dt

import pytest

from core.errors import BadRequest, Conflict
from prices.certified import PricedOffer, check_certified_floors, standard_premium_minor
from prices.models import CertificationTerms
from tests.prices.helpers import days_ago, fix, rate

pytestmark = pytest.mark.django_db

DAY = days_ago(1)
USD_FLOOR = 125_81
PEN_FLOOR = 434_29
ECOLOGICAL_PREMIUM_USD = 1_986_386


def fixed(price: int, currency: str = "USD", premium: int = 400_000, premium_currency: str = "USD") -> PricedOffer:
    return PricedOffer(
        price_basis="fixed",
        currency=currency,
        price_per_fine_gram_minor=price,
        lbma_adjustment_bp=None,
        premium_per_kg_fine_minor=premium,
        premium_currency=premium_currency,
    )


def lbma(adjustment_bp: int, premium: int = 400_000, basis: str = "lbma_pm") -> PricedOffer:
    return PricedOffer(
        price_basis=basis,
        currency="USD",
        price_per_fine_gram_minor=None,
        lbma_adjustment_bp=adjustment_bp,
        premium_per_kg_fine_minor=premium,
        premium_currency="USD",
    )


@pytest.fixture
def figures() -> None:
    fix("lbma_gold_pm", day=days_ago(1), price="4118.900")
    fix("lbma_gold_pm", day=days_ago(6), price="3000.000")  # older: not the latest
    fix("lbma_gold_am", day=days_ago(1), price="4500.000")  # the AM fix: not what a fixed price is checked against
    rate(day=days_ago(1), value="3.452100")


def refusal(refused: pytest.ExceptionInfo) -> dict:
    [error] = refused.value.errors
    return error


@pytest.mark.parametrize("price", [USD_FLOOR, USD_FLOOR + 1, 200_00])
def test_a_fixed_usd_price_at_or_above_95_percent_of_the_latest_pm_fix_is_taken(figures, price):
    [terms] = check_certified_floors(claims=["fairmined", "mercury_free"], offer=fixed(price), day=DAY)

    assert str(terms.claim_id) == "fairmined"


def test_a_fixed_usd_price_just_below_is_refused_with_the_figures_compared(figures):
    with pytest.raises(BadRequest) as refused:
        check_certified_floors(claims=["fairmined"], offer=fixed(USD_FLOOR - 1), day=DAY)

    error = refusal(refused)
    assert (error["field"], error["code"]) == ("price_per_fine_gram", "below_certified_minimum")
    assert error["figures"]["minimum_per_fine_gram"] == {"amount_minor": USD_FLOOR, "currency": "USD"}
    assert error["figures"]["offered_per_fine_gram"] == {"amount_minor": USD_FLOOR - 1, "currency": "USD"}
    assert error["figures"]["fix"] == {
        "benchmark": "lbma_gold_pm",
        "date": days_ago(1).isoformat(),
        "usd_per_troy_ounce": "4118.900",
    }
    assert error["figures"]["minimum_price_percent"] == "95"


def test_the_fix_read_is_the_latest_on_or_before_the_day(figures):
    """Checked on an earlier day, the offer meets the older, lower fix."""
    [_terms] = check_certified_floors(claims=["fairmined"], offer=fixed(95_00), day=days_ago(2))

    with pytest.raises(BadRequest):
        check_certified_floors(claims=["fairmined"], offer=fixed(95_00), day=DAY)


@pytest.mark.parametrize(("price", "taken"), [(PEN_FLOOR, True), (PEN_FLOOR - 1, False)])
def test_a_price_in_soles_is_compared_through_the_latest_rate(figures, price, taken):
    offer = fixed(price, currency="PEN")
    if taken:
        assert check_certified_floors(claims=["fairtrade"], offer=offer, day=DAY)
        return
    with pytest.raises(BadRequest) as refused:
        check_certified_floors(claims=["fairtrade"], offer=offer, day=DAY)
    assert refusal(refused)["figures"]["minimum_per_fine_gram"] == {"amount_minor": PEN_FLOOR, "currency": "PEN"}


@pytest.mark.parametrize("basis", ["lbma_am", "lbma_pm"])
def test_an_lbma_price_may_be_adjusted_down_by_5_percent_and_no_more(figures, basis):
    assert check_certified_floors(claims=["fairmined"], offer=lbma(-500, basis=basis), day=DAY)
    assert check_certified_floors(claims=["fairmined"], offer=lbma(0, basis=basis), day=DAY)

    with pytest.raises(BadRequest) as refused:
        check_certified_floors(claims=["fairmined"], offer=lbma(-501, basis=basis), day=DAY)

    error = refusal(refused)
    assert (error["field"], error["code"]) == ("lbma_adjustment_percent", "below_certified_minimum")
    assert (error["figures"]["lowest_adjustment_percent"], error["figures"]["offered_adjustment_percent"]) == (
        "-5",
        "-5.01",
    )


@pytest.mark.parametrize(
    ("claim", "premium"),
    [
        ("fairmined", 400_000),
        ("fairmined_ecological", 600_000),
        ("fairtrade", 200_000),
        ("fairtrade_ecological", ECOLOGICAL_PREMIUM_USD),
    ],
)
def test_each_standards_premium_is_a_floor(figures, claim, premium):
    assert check_certified_floors(claims=[claim], offer=fixed(USD_FLOOR, premium=premium), day=DAY)

    with pytest.raises(BadRequest) as refused:
        check_certified_floors(claims=[claim], offer=fixed(USD_FLOOR, premium=premium - 1), day=DAY)

    error = refusal(refused)
    assert (error["field"], error["code"]) == ("premium_per_kg_fine", "premium_below_standard")
    assert error["figures"]["required_per_kg_fine"] == {"amount_minor": premium, "currency": "USD"}


def test_both_fairmined_premiums_are_checked_when_both_are_claimed(figures):
    offer = fixed(USD_FLOOR, premium=500_000)

    with pytest.raises(BadRequest) as refused:
        check_certified_floors(claims=["fairmined", "fairmined_ecological"], offer=offer, day=DAY)

    assert refusal(refused)["figures"]["standard"] == "fairmined_ecological"


def test_the_ecological_premium_in_soles_is_rounded_once_and_up(figures):
    """15 % of the fix per kilogram is 19,863.856… USD, 68,572.019… PEN at 3.4521: 68,572.02 soles."""
    terms = CertificationTerms.objects.get(claim_id="fairtrade_ecological")

    assert standard_premium_minor(terms, currency="PEN", day=DAY) == 6_857_202


def test_a_premium_converted_to_soles_is_never_rounded_below_the_standard(figures):
    """At 3.452101 soles, USD 4,000 is 13,808.404 soles: half to even would ask 13,808.40, 0.4 céntimos short of
    the standard; the floor is 13,808.41 (prices/certified.py rounded half to even before this was fixed)."""
    day = days_ago(0)  # today: the latest rate is this one, the latest fix yesterday's
    rate(day=day, value="3.452101")
    offer = fixed(USD_FLOOR, premium=1_380_840, premium_currency="PEN")

    with pytest.raises(BadRequest) as refused:
        check_certified_floors(claims=["fairmined"], offer=offer, day=day)

    assert refusal(refused)["figures"]["required_per_kg_fine"] == {"amount_minor": 1_380_841, "currency": "PEN"}
    assert check_certified_floors(
        claims=["fairmined"], offer=fixed(USD_FLOOR, premium=1_380_841, premium_currency="PEN"), day=day
    )


def test_no_fix_recorded_is_409_rather_than_waved_through(db):
    rate(day=DAY)

    with pytest.raises(Conflict) as refused:
        check_certified_floors(claims=["fairmined"], offer=fixed(1), day=DAY)
    assert (refused.value.code, refused.value.extra) == ("no_fix_recorded", {"benchmark": "lbma_gold_pm"})
    with pytest.raises(Conflict) as ecological:  # its premium is a share of the fix, whatever the basis
        check_certified_floors(claims=["fairtrade_ecological"], offer=lbma(0), day=DAY)
    assert ecological.value.code == "no_fix_recorded"
    # An LBMA price with a premium per kilogram in dollars needs no recorded figure.
    assert check_certified_floors(claims=["fairmined"], offer=lbma(-200), day=DAY)


def test_a_fix_recorded_only_after_the_day_does_not_count(db):
    fix("lbma_gold_pm", day=DAY)

    with pytest.raises(Conflict) as refused:
        check_certified_floors(claims=["fairmined"], offer=fixed(USD_FLOOR), day=DAY - dt.timedelta(days=1))

    assert refused.value.code == "no_fix_recorded"


def test_no_rate_recorded_is_409_when_two_currencies_meet(db):
    fix("lbma_gold_pm", day=DAY)

    with pytest.raises(Conflict) as price_in_soles:
        check_certified_floors(claims=["fairmined"], offer=fixed(PEN_FLOOR, currency="PEN"), day=DAY)
    with pytest.raises(Conflict) as premium_in_soles:
        check_certified_floors(
            claims=["fairmined"], offer=fixed(USD_FLOOR, premium=1_500_000, premium_currency="PEN"), day=DAY
        )

    assert price_in_soles.value.code == premium_in_soles.value.code == "no_rate_recorded"
    assert price_in_soles.value.extra == {"pair": "USD/PEN"}


def test_an_offer_without_a_certified_claim_needs_no_figure(db):
    assert check_certified_floors(claims=["mercury_free", "women_led"], offer=fixed(1), day=DAY) == []


def test_the_terms_in_force_on_the_day_apply(figures):
    CertificationTerms.objects.create(
        claim_id="fairtrade",
        valid_from=DAY + dt.timedelta(days=10),
        minimum_price_bp=9500,
        premium_rule="per_kg_fine",
        premium_per_kg_fine_minor=300_000,
        premium_currency="USD",
        source="A later revision",
        source_date=DAY,
    )
    offer = fixed(USD_FLOOR, premium=200_000)

    assert check_certified_floors(claims=["fairtrade"], offer=offer, day=DAY)
    with pytest.raises(BadRequest):
        check_certified_floors(claims=["fairtrade"], offer=offer, day=DAY + dt.timedelta(days=10))
