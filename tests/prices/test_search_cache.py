"""A new or corrected figure changes the indicative prices the public search shows: the search cache watches the
price table (listings/search_cache.py). These tests commit for real: inside a test's transaction nothing bumps."""

from __future__ import annotations

import pytest

from listings import search_cache
from tests.prices.helpers import FIXES, RATES, SBS, SOURCE, days_ago

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_price_tables_are_watched():
    assert search_cache.watched("prices_metalprice")
    assert search_cache.watched("prices_exchangerate")
    assert not search_cache.watched("prices_certificationterms")  # no search answer shows the terms


def test_recording_and_correcting_figures_make_every_kept_answer_unreachable(staff):
    before = search_cache.generation()

    recorded = staff.post(
        FIXES,
        {
            "benchmark": "lbma_gold_pm",
            "date": days_ago(1).isoformat(),
            "usd_per_troy_ounce": "4118.9",
            "source": SOURCE,
        },
        format="json",
    )
    after_fix = search_cache.generation()
    corrected = staff.post(
        f"{FIXES}{recorded.json()['id']}/correct/", {"usd_per_troy_ounce": "4119.8", "reason": "Slip."}, format="json"
    )
    after_correction = search_cache.generation()
    rate = staff.post(RATES, {"date": days_ago(1).isoformat(), "rate": "3.4521", "source": SBS}, format="json")

    assert (recorded.status_code, corrected.status_code, rate.status_code) == (201, 201, 201)
    assert before < after_fix < after_correction < search_cache.generation()


def test_a_repeated_figure_writes_nothing_and_bumps_nothing(staff):
    body = {"date": days_ago(1).isoformat(), "rate": "3.4521", "source": SBS}
    assert staff.post(RATES, body, format="json").status_code == 201
    before = search_cache.generation()

    assert staff.post(RATES, body, format="json").status_code == 200

    assert search_cache.generation() == before
