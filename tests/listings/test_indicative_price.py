"""The indicative price in US dollars per fine gram (listings/indicative.py): the rule, its SQL twin, and the
search that shows it on every result and sorts by it in the database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from django.db import connection
from django.db.models.sql import Query
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import clock
from core.actor import Actor
from listings.indicative import (
    UNKNOWN_LAST_ASCENDING,
    Market,
    _rounded_sum,
    indicative_price,
    indicative_sort_key,
)
from listings.models import Listing
from listings.selectors import current_market
from prices.certified import PricedOffer
from prices.models import Benchmark, ExchangeRate, MetalPrice
from prices.services import fix_correct
from tests.factories import ListingFactory
from tests.listings.pricing_helpers import fixed, lbma, published, record_fix, record_rate
from tests.problems import assert_problem
from tests.trade.helpers import make_compliant_producer

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 5, 4)


def fix(usd: str, benchmark: str = Benchmark.GOLD_PM, sample: bool = False) -> MetalPrice:
    return MetalPrice(
        benchmark=benchmark, date=TODAY, usd_per_troy_ounce_milli=int(Decimal(usd) * 1000), source="t", sample=sample
    )


def rate(soles: str) -> ExchangeRate:
    return ExchangeRate(base="USD", quote="PEN", date=TODAY, rate_micro=int(Decimal(soles) * 10**6), source="t")


def offer(**fields: Any) -> PricedOffer:
    values = {
        "price_basis": "fixed",
        "currency": "USD",
        "price_per_fine_gram_minor": None,
        "lbma_adjustment_bp": None,
        "premium_per_kg_fine_minor": 0,
        "premium_currency": "USD",
    }
    return PricedOffer(**(values | fields))


def cents(found: Any) -> int | None:
    return None if found is None else found.usd_cents_per_fine_gram


MARKET = Market(fixes={Benchmark.GOLD_PM: fix("2650.350"), Benchmark.GOLD_AM: fix("2648.100", Benchmark.GOLD_AM)},
                rate=rate("3.745"))  # fmt: skip


# --- The rule ----------------------------------------------------------------------------------------------------
def test_a_fixed_dollar_price_is_itself_plus_the_premium_per_gram():
    assert cents(indicative_price(offer(price_per_fine_gram_minor=8350), MARKET)) == 8350
    # USD 4,000 per kg of fine gold is USD 4.00 a gram.
    with_premium = indicative_price(offer(price_per_fine_gram_minor=8350, premium_per_kg_fine_minor=400_000), MARKET)
    assert cents(with_premium) == 8750
    assert with_premium.as_dict() == {
        "usd_per_fine_gram": {"amount_minor": 8750, "currency": "USD"},
        "includes_premium": True,
        "fix": None,
        "rate": None,
    }


def test_a_price_in_soles_is_divided_by_the_latest_rate():
    # PEN 312.70 a gram at 3.745 soles a dollar: 31270 / 3.745 = 8349.80 cents, rounded to 8350.
    found = indicative_price(offer(currency="PEN", price_per_fine_gram_minor=31270), MARKET)

    assert cents(found) == 8350
    assert found.as_dict()["rate"] == {
        "base": "USD",
        "quote": "PEN",
        "date": "2026-05-04",
        "rate": "3.745000",
        "sample": False,
    }


def test_an_lbma_price_is_the_fix_per_gram_with_its_adjustment():
    # 2650.350 / 31.1034768 = 85.2107... USD a gram; minus 2 %: 83.5065... -> 8351 cents; AM reads the AM fix.
    pm = indicative_price(offer(price_basis="lbma_pm", lbma_adjustment_bp=-200), MARKET)
    am = indicative_price(offer(price_basis="lbma_am", lbma_adjustment_bp=-200), MARKET)

    assert cents(pm) == round(Fraction(2650350, 10) / Fraction("31.1034768") * Fraction(98, 100)) == 8351
    assert cents(am) == round(Fraction(2648100, 10) / Fraction("31.1034768") * Fraction(98, 100))
    assert pm.as_dict()["fix"] == {
        "benchmark": "lbma_gold_pm",
        "date": "2026-05-04",
        "usd_per_troy_ounce": "2650.350",
        "sample": False,
    }
    assert pm.as_dict()["rate"] is None


def test_a_premium_in_soles_is_converted_too_and_names_the_rate():
    # 8350 + 1,498,000 céntimos per kg / 1000 / 3.745 = 8350 + 400 cents.
    found = indicative_price(
        offer(price_per_fine_gram_minor=8350, premium_per_kg_fine_minor=1_498_000, premium_currency="PEN"), MARKET
    )

    assert cents(found) == 8750
    assert found.as_dict()["rate"]["rate"] == "3.745000"


@pytest.mark.parametrize(
    ("price", "premium", "expected"),
    [
        (8000, 500, 8000),  # 8000.5: to the even cent, down
        (8001, 500, 8002),  # 8001.5: to the even cent, up
        (8000, 501, 8001),
        (8000, 499, 8000),
    ],
)
def test_it_rounds_half_to_even_to_the_cent_once(price, premium, expected):
    found = indicative_price(offer(price_per_fine_gram_minor=price, premium_per_kg_fine_minor=premium), MARKET)

    assert cents(found) == expected


def test_it_is_unknown_without_the_figure_it_needs():
    nothing = Market(fixes={}, rate=None)

    assert indicative_price(offer(price_basis="lbma_pm", lbma_adjustment_bp=0), nothing) is None
    assert indicative_price(offer(currency="PEN", price_per_fine_gram_minor=31270), nothing) is None
    assert (
        indicative_price(
            offer(price_per_fine_gram_minor=8350, premium_per_kg_fine_minor=1, premium_currency="PEN"), nothing
        )
        is None
    )
    # No AM fix: an AM listing is unknown even when the PM fix is recorded.
    only_pm = Market(fixes={Benchmark.GOLD_PM: fix("2650.350")}, rate=None)
    assert indicative_price(offer(price_basis="lbma_am", lbma_adjustment_bp=0), only_pm) is None
    # A premium of nothing needs no rate, whatever its currency.
    assert cents(indicative_price(offer(price_per_fine_gram_minor=8350, premium_currency="PEN"), nothing)) == 8350


# --- The SQL twin agrees with the rule ----------------------------------------------------------------------------
def price_fields() -> st.SearchStrategy[dict[str, Any]]:
    fixed_price = st.fixed_dictionaries(
        {
            "price_basis": st.just("fixed"),
            "currency": st.sampled_from(["USD", "PEN"]),
            "price_per_fine_gram_minor": st.one_of(st.integers(1, 60_000), st.integers(1, 10**9)),
            "lbma_adjustment_bp": st.none(),
        }
    )
    on_lbma = st.fixed_dictionaries(
        {
            "price_basis": st.sampled_from(["lbma_am", "lbma_pm"]),
            "currency": st.just("USD"),
            "price_per_fine_gram_minor": st.none(),
            "lbma_adjustment_bp": st.integers(-5000, 5000),
        }
    )
    premium = st.fixed_dictionaries(
        {
            "premium_per_kg_fine_minor": st.one_of(st.just(0), st.integers(0, 2000), st.integers(0, 10**9)),
            "premium_currency": st.sampled_from(["USD", "PEN"]),
        }
    )
    return st.tuples(st.one_of(fixed_price, on_lbma), premium).map(lambda pair: pair[0] | pair[1])


def markets() -> st.SearchStrategy[Market]:
    def maybe_fix(benchmark: str) -> st.SearchStrategy[MetalPrice | None]:
        milli = st.one_of(st.integers(1, 10_000_000), st.sampled_from([2_650_350, 3_110_348, 777_586_920]))
        return st.one_of(
            st.none(),
            milli.map(lambda m: MetalPrice(benchmark=benchmark, date=TODAY, usd_per_troy_ounce_milli=m, source="t")),
        )

    rates = st.one_of(st.integers(1, 50_000_000), st.sampled_from([1_000_000, 4_000_000, 3_745_000]))
    return st.builds(
        lambda am, pm, micro: Market(
            fixes={b: f for b, f in ((Benchmark.GOLD_AM, am), (Benchmark.GOLD_PM, pm)) if f is not None},
            rate=None if micro is None else ExchangeRate(base="USD", quote="PEN", date=TODAY, rate_micro=micro),
        ),
        maybe_fix(Benchmark.GOLD_AM),
        maybe_fix(Benchmark.GOLD_PM),
        st.one_of(st.none(), rates),
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(prices=st.lists(price_fields(), min_size=1, max_size=8), market=markets())
def test_the_sql_twin_agrees_with_the_rule(prices, market):
    producer = ListingFactory().producer  # one listing and its producer, reused by the others below
    rows = [ListingFactory(producer=producer, **fields) for fields in prices]
    try:
        keys = dict(
            Listing.objects.filter(pk__in=[row.pk for row in rows])
            .annotate(key=indicative_sort_key(market, unknown=-7))
            .values_list("pk", "key")
        )
        for row, fields in zip(rows, prices, strict=True):
            expected = cents(indicative_price(PricedOffer(**fields), market))
            assert keys[row.pk] == (-7 if expected is None else expected), fields
    finally:
        Listing.objects.filter(producer=producer).delete()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    a1=st.integers(0, 10**12),
    d1=st.sampled_from([1, 1000, 3_745_000, 77_758_692, 7]),
    a2=st.integers(0, 10**12),
    d2=st.sampled_from([1, 1000, 3_745_000, 4_000_000, 2]),
)
def test_the_rounded_sum_in_sql_is_exact(a1, d1, a2, d2):
    query = Query(Listing)
    sql, params = query.get_compiler(connection=connection).compile(
        _rounded_sum(a1, d1, a2, d2).resolve_expression(query)
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {sql}", params)
        [(value,)] = cursor.fetchall()

    assert value == round(Fraction(a1, d1) + Fraction(a2, d2))


# --- The search ------------------------------------------------------------------------------------------------------
@pytest.fixture
def market_world(producer_admin, coop):
    """A cooperative compliant today; the PM fix at 2650.350 USD, the AM fix at 2700.000, 3.745 soles a dollar."""
    producer, site = make_compliant_producer(coop)
    record_fix("2650.350")
    record_fix("2700.000", benchmark=Benchmark.GOLD_AM)
    record_rate("3.745")
    return producer, site


def ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_soles_and_dollars_fixed_and_lbma_interleave_by_dollars_per_fine_gram(anon, market_world):
    producer, site = market_world
    # Indicative cents: 8500 | 8350 (PEN 312.70) | 8351 (PM - 2 %) | 8681 (AM + 0 %: 2700 / 31.1034768)
    # | 8701 (PM - 2 % + USD 3.50 a gram of premium) | unknown (PEN, recorded later without a rate: see below).
    usd = published(producer, site, fixed(8500))
    pen = published(producer, site, fixed(31270, "PEN"))
    pm = published(producer, site, lbma(-200))
    am = published(producer, site, lbma(0, "lbma_am"))
    pm_premium = published(producer, site, lbma(-200, premium_per_kg_fine_minor=350_000))

    cheapest_first = ids(anon.get("/api/v1/listings/?ordering=indicative_price"))
    dearest_first = ids(anon.get("/api/v1/listings/?ordering=-indicative_price"))

    expected = [str(x.pk) for x in (pen, pm, usd, am, pm_premium)]
    assert cheapest_first == expected  # the listing in soles is the cheapest in dollars: it comes first
    assert dearest_first == expected[::-1]
    assert ids(anon.get("/api/v1/listings/?ordering=price_per_fine_gram_minor")) == expected  # the old name


def test_unknown_prices_sort_last_either_way_and_ties_go_by_id(anon, producer_admin, coop):
    producer, site = make_compliant_producer(coop)
    record_fix("2650.350")  # PM only, and no rate
    am = [published(producer, site, lbma(0, "lbma_am")) for _ in range(2)]  # unknown: no AM fix
    pen = published(producer, site, fixed(31270, "PEN"))  # unknown: no rate
    tied = [published(producer, site, fixed(8000)) for _ in range(3)]
    cheap = published(producer, site, fixed(7000))
    unknown = sorted(str(x.pk) for x in (*am, pen))
    by_id = sorted(str(x.pk) for x in tied)

    up = ids(anon.get("/api/v1/listings/?ordering=indicative_price"))
    down = ids(anon.get("/api/v1/listings/?ordering=-indicative_price"))

    assert up == [str(cheap.pk), *by_id, *unknown]
    assert down == [*by_id, str(cheap.pk), *unknown]
    body = anon.get(f"/api/v1/listings/?ordering=indicative_price&producer={producer.pk}").json()["results"]
    assert [row["indicative_price"] for row in body[-3:]] == [None, None, None]


def test_page_after_page_the_cursor_keeps_the_order(anon, market_world):
    producer, site = market_world
    listings = [published(producer, site, fixed(8000 + 10 * (n % 3))) for n in range(7)]
    listings.append(published(producer, site, lbma(0, "lbma_am")))
    whole = ids(anon.get("/api/v1/listings/?ordering=-indicative_price&page_size=100"))

    walked: list[str] = []
    url = "/api/v1/listings/?ordering=-indicative_price&page_size=2"
    while url:
        response = anon.get(url)
        walked += ids(response)
        url = response.json()["next"]

    assert walked == whole
    assert sorted(walked) == sorted(str(x.pk) for x in listings)


def test_every_result_and_a_listing_s_page_carry_the_indicative_price(anon, buyer, market_world):
    producer, site = market_world
    listing = published(producer, site, lbma(-200, premium_per_kg_fine_minor=400_000))

    [row] = anon.get("/api/v1/listings/").json()["results"]
    page = buyer.get(f"/api/v1/listings/{listing.pk}/").json()

    expected = {
        "usd_per_fine_gram": {"amount_minor": 8751, "currency": "USD"},  # 8351 + 400
        "includes_premium": True,
        "fix": {
            "benchmark": "lbma_gold_pm",
            "date": clock.today_lima().isoformat(),
            "usd_per_troy_ounce": "2650.350",
            "sample": False,
        },
        "rate": None,
    }
    assert row["indicative_price"] == page["indicative_price"] == expected
    assert row["premium_per_kg_fine"] == {"amount_minor": 400_000, "currency": "USD"}
    assert row["premium_currency"] == "USD"


def test_a_corrected_fix_is_the_one_read(anon, staff, market_world):
    producer, site = market_world
    listing = published(producer, site, lbma(0))
    wrong = MetalPrice.objects.get(benchmark=Benchmark.GOLD_PM)
    fix_correct(
        actor=Actor(staff.user),
        fix=wrong,
        usd_per_troy_ounce=Decimal("3110.347"),
        reason="Typed from the wrong bulletin.",
    )

    [row] = anon.get(f"/api/v1/listings/?producer={listing.producer_id}").json()["results"]

    assert row["indicative_price"]["fix"]["usd_per_troy_ounce"] == "3110.347"
    assert row["indicative_price"]["usd_per_fine_gram"]["amount_minor"] == 10000  # 3110.347 / 31.1034768


def test_the_figures_are_read_once_per_request_whatever_the_number_of_listings(anon, market_world):
    producer, site = market_world

    def price_table_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert anon.get("/api/v1/listings/?ordering=indicative_price").status_code == 200
        return sum('"prices_' in query["sql"] for query in queries.captured_queries)

    published(producer, site, fixed(8000))
    few = price_table_queries()
    for n in range(6):
        published(producer, site, lbma(n * 10))
    assert price_table_queries() == few == 3  # the AM fix, the PM fix, the rate


def test_an_unknown_ordering_names_the_indicative_one(anon):
    response = anon.get("/api/v1/listings/?ordering=price")

    assert_problem(response, 400, "validation_error")
    assert "indicative_price" in response.json()["errors"][0]["message"]


def test_the_market_is_the_latest_recorded_on_or_before_today(market_world):
    record_fix("2600.000", days_ago=3)  # older: not the latest
    record_rate("3.700", days_ago=1)

    market = current_market()

    assert market.fixes[Benchmark.GOLD_PM].usd_per_troy_ounce == Decimal("2650.350")
    assert market.rate is not None
    assert market.rate.rate == Decimal("3.745000")


def test_troy_ounces_are_of_fine_gold(market_world):
    producer, site = market_world
    listing = published(producer, site, fixed(8000), quantity_grams=Decimal("500"), fineness=Decimal("920"))

    assert listing.fine_grams == Decimal("460.000")
    assert listing.troy_ounces == Decimal("14.7893")  # 460 / 31.1034768, not 500 / 31.1034768
    assert UNKNOWN_LAST_ASCENDING > 10**15


def test_words_and_the_facets_work_with_the_indicative_ordering(anon, market_world):
    producer, site = market_world
    dear = published(producer, site, fixed(9000), title_es="Oro sin mercurio de Huepetuhe")
    cheap = published(producer, site, fixed(31270, "PEN"), title_es="Oro sin mercurio del Inambari")
    published(producer, site, fixed(100), title_es="Charpas")

    found = ids(anon.get("/api/v1/listings/?q=mercurio&ordering=indicative_price"))
    facets = anon.get("/api/v1/listings/facets/?q=mercurio&ordering=-indicative_price")

    assert found == [str(cheap.pk), str(dear.pk)]
    assert facets.status_code == 200
    assert facets.json()["total"] == 2
