"""Women-led and verified each have one definition: the model predicate and selector in producers, and its
SQL twin. They agree on every kind of producer, including the edge cases that used to differ."""

from __future__ import annotations

import pytest

from producers.models import Producer
from producers.selectors import (
    is_women_led,
    shows_women_led,
    verified_condition,
    women_led_badge_condition,
    women_led_condition,
)
from tests.producers.factories import MemberMinerFactory, ProducerFactory

pytestmark = pytest.mark.django_db


def _roster(producer: Producer, women: int, men: int, inactive_women: int = 0) -> Producer:
    for _ in range(women):
        MemberMinerFactory(producer=producer, sex="female")
    for _ in range(men):
        MemberMinerFactory(producer=producer, sex="male")
    for _ in range(inactive_women):
        MemberMinerFactory(producer=producer, sex="female", active=False)
    return producer


@pytest.fixture
def producers() -> dict[str, Producer]:
    return {
        "woman miner": ProducerFactory(individual=True, verified=True),
        "man miner, women on his roster": _roster(
            ProducerFactory(individual=True, holder_sex="male", verified=True), women=3, men=0
        ),
        "cooperative, 3 women of 5": _roster(ProducerFactory(verified=True), women=3, men=2),
        "cooperative, half women": _roster(ProducerFactory(verified=True), women=2, men=2),
        "cooperative, women inactive": _roster(ProducerFactory(verified=True), women=1, men=2, inactive_women=3),
        "cooperative, no roster": ProducerFactory(verified=True),
        "draft cooperative, all women": _roster(ProducerFactory(), women=4, men=0),
    }


def test_the_predicate_and_the_sql_agree_on_every_case(producers):
    names = {producer.pk: name for name, producer in producers.items()}
    women_led_sql = {names[pk] for pk in Producer.objects.filter(women_led_condition()).values_list("pk", flat=True)}
    badge_sql = {names[pk] for pk in Producer.objects.filter(women_led_badge_condition()).values_list("pk", flat=True)}
    verified_sql = {names[pk] for pk in Producer.objects.filter(verified_condition()).values_list("pk", flat=True)}

    women_led = {name for name, producer in producers.items() if is_women_led(producer)}
    assert women_led == {"woman miner", "cooperative, 3 women of 5", "draft cooperative, all women"}
    assert women_led_sql == women_led
    assert badge_sql == {name for name, producer in producers.items() if shows_women_led(producer)}
    assert badge_sql == {"woman miner", "cooperative, 3 women of 5"}
    assert verified_sql == {name for name, producer in producers.items() if producer.is_verified}
    assert "draft cooperative, all women" not in verified_sql
