"""The report and its chart (half a second of CPU to draw) are kept a few minutes: a crowd of anonymous readers
costs one computation. Committed data only: inside a transaction (as in most tests) nothing is kept."""

from __future__ import annotations

import pytest

from core import cache as kept_cache
from tests.producers.factories import ProducerFactory
from tests.reports.helpers import CHART, CSV, REPORT, in_month, settled, this_month

M0 = this_month()


@pytest.mark.django_db(transaction=True)
def test_an_answer_is_kept_for_a_while_and_the_setting_turns_it_off(anon, settings, monkeypatch, caplog):
    settings.IMPACT_REPORT_CACHE_SECONDS = 300
    first = anon.get(REPORT).json()
    first_chart = anon.get(CHART).content
    for producer in (ProducerFactory() for _ in range(3)):
        settled(producer, "10.000", in_month(M0))

    assert anon.get(REPORT).json() == first  # kept: the same answer, computed at the same moment
    assert anon.get(CHART).content == first_chart
    assert "30.000" not in anon.get(CSV).content.decode()  # the CSV is made from the kept answer

    settings.IMPACT_REPORT_CACHE_SECONDS = 0
    fresh = anon.get(REPORT).json()
    assert fresh["generated_at"] != first["generated_at"]
    assert fresh["months"][-1]["fine_gold_grams"] == {"value": "30.000", "reason": None}
    assert anon.get(CHART).content != first_chart

    # A cache that fails (Redis down) is logged, and the answer computed.
    settings.IMPACT_REPORT_CACHE_SECONDS = 300
    monkeypatch.setattr(kept_cache, "cache", _DownCache())
    assert anon.get(REPORT).json()["months"][-1]["fine_gold_grams"]["value"] == "30.000"
    assert "Impact report cache unavailable" in caplog.text


class _DownCache:
    def get(self, key):
        raise ConnectionError("redis is down")

    def set(self, key, value, timeout):
        raise ConnectionError("redis is down")
