"""Writers at once on the price table (PostgreSQL): of two corrections of one row, one wins and the other is 409;
the same figure recorded at once is one row, and two different figures for one day are one row and a 409."""

from __future__ import annotations

from decimal import Decimal

import pytest

from audit.models import AuditEvent
from core.actor import Actor
from core.errors import Conflict
from prices import services
from prices.models import ExchangeRate, MetalPrice
from tests.concurrency import postgres_only, run_at_once
from tests.factories import UserFactory
from tests.prices.helpers import SBS, SOURCE, days_ago, fix, rate

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def ops() -> Actor:
    return Actor(UserFactory(email="ops@example.test", is_staff=True))


def test_two_corrections_of_one_fix_at_once_one_wins_the_other_is_409(ops):
    old = fix()

    def work(i: int):
        return services.fix_correct(
            actor=ops, fix=old, usd_per_troy_ounce=Decimal(f"41{20 + i}.000"), reason=f"Correction {i}."
        )

    results = run_at_once(2, work)

    won = [r for r in results if isinstance(r, MetalPrice)]
    lost = [r for r in results if isinstance(r, Conflict)]
    assert (len(won), len(lost)) == (1, 1), results
    assert lost[0].code == "fix_not_current"
    assert lost[0].extra["current"]["id"] == str(won[0].pk)
    assert list(MetalPrice.objects.filter(current=True).values_list("pk", flat=True)) == [won[0].pk]
    assert MetalPrice.objects.count() == 2
    assert AuditEvent.objects.filter(action="prices.fix.corrected").count() == 1


def test_two_corrections_of_one_rate_at_once_one_wins(ops):
    old = rate()

    results = run_at_once(
        2,
        lambda i: services.rate_correct(
            actor=ops, exchange_rate=old, rate=Decimal(f"3.4{i}"), reason=f"Correction {i}."
        ),
    )

    assert sorted(type(r).__name__ for r in results) == ["Conflict", "ExchangeRate"], results
    assert ExchangeRate.objects.filter(current=True).count() == 1
    assert AuditEvent.objects.filter(action="prices.rate.corrected").count() == 1


def test_the_same_fix_recorded_at_once_is_one_row_and_one_event(ops):
    def work(i: int):
        return services.fix_record(
            actor=ops, benchmark="lbma_gold_pm", date=days_ago(1), usd_per_troy_ounce=Decimal("4118.9"), source=SOURCE
        )

    results = run_at_once(4, work)

    assert not [r for r in results if isinstance(r, Exception)], results
    assert len({row.pk for row, _created in results}) == 1
    assert sorted(created for _row, created in results) == [False, False, False, True]
    assert AuditEvent.objects.filter(action="prices.fix.recorded").count() == 1


def test_two_figures_for_one_day_at_once_are_one_row_and_a_409(ops):
    def work(i: int):
        return services.rate_record(actor=ops, date=days_ago(1), rate=Decimal(f"3.45{i}"), source=SBS)

    results = run_at_once(2, work)

    conflicts = [r for r in results if isinstance(r, Conflict)]
    assert [c.code for c in conflicts] == ["rate_already_recorded"], results
    assert ExchangeRate.objects.count() == 1
    assert AuditEvent.objects.filter(action="prices.rate.recorded").count() == 1
