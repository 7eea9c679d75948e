"""The impact report on the demo data (`manage.py seed_demo`), against figures computed here from the raw rows and
by hand, never by the report's own code.

The demo's story happens today: three producers verified (the Huepetuhe cooperative, the Candelaria association,
Rosa Quispe), every evidence decision taken at seeding, and one shipment of the cooperative's Fairmined doré
settled (its final statement issued). With the seeded policy (3 producers at least) the trade figures of this
month describe one producer: they are withheld, and so is the total, which would give them away."""

from __future__ import annotations

import datetime as dt
import statistics
from decimal import ROUND_HALF_EVEN, Decimal

import pytest

from compliance.models import Evidence, EvidenceDecision
from core import clock
from producers.models import MemberMiner, Producer
from reports.models import ReportPolicy
from settlement.models import AssayResult, Statement, Weighing
from tests.producers.factories import ProducerFactory
from tests.reports.helpers import REPORT, approved, column, reason, settled, this_month, value


@pytest.fixture
def demo(demo_once, db):
    return None


def _report(anon) -> dict:
    response = anon.get(REPORT)
    assert response.status_code == 200, response.content
    return response.json()


def _hand_settled_fine_gold() -> tuple[Decimal, int]:
    """The cooperative's shipment as the refinery settled it, from the weighing and assay rows: the received
    weight times the settling assay (the mean of the two, which are within the 0.5 ‰ splitting limit)."""
    statement = Statement.objects.get(kind="final")
    received = Weighing.objects.get(contract=statement.contract, party="buyer").gross_grams
    assays = {row.party: row.au_per_mille for row in AssayResult.objects.filter(contract=statement.contract)}
    assert received == Decimal("108.410")
    assert (assays["seller"], assays["buyer"]) == (Decimal("921.0"), Decimal("920.7"))
    settling = ((assays["seller"] + assays["buyer"]) / 2).quantize(Decimal("0.01"))  # 920.85
    fine = (received * settling / 1000).quantize(Decimal("0.001"), rounding=ROUND_HALF_EVEN)
    assert fine == Decimal("99.829")  # 108.410 × 920.85 / 1000 = 99.829 348 5
    premium_per_kg = statement.contract.signed_version.premium_per_kg_fine_minor  # USD 4,000.00 (Fairmined)
    premium = int((fine * premium_per_kg / 1000).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
    assert premium == 39932  # 0.099 829 kg × 4,000 = 399.316 → USD 399.32
    return fine, premium


def _decisions_this_month() -> tuple[int, int, Decimal]:
    """(decisions, producers, median hours) from the raw rows: approvals, rejections and requests for changes of
    producers' items since the first of this month in Lima."""
    start = dt.datetime.combine(clock.today_lima().replace(day=1), dt.time(), tzinfo=clock.LIMA)
    rows = EvidenceDecision.objects.filter(
        action__in=["approve", "reject", "request_changes"],
        decided_at__gte=start,
        evidence__organization__kind="producer",
    ).select_related("evidence")
    waits = [(row.decided_at - row.evidence.created_at).total_seconds() / 3600 for row in rows]
    median = Decimal(str(statistics.median(waits))).quantize(Decimal("0.1"), rounding=ROUND_HALF_EVEN)
    return len(waits), len({row.evidence.organization_id for row in rows}), median


def test_the_demo_as_seeded(demo, anon):
    body = _report(anon)
    month = this_month()
    row = column(body, month)

    # Counts at the month's end: the three producers the network verified, all three in the formalization
    # registry (an approved REINFO record valid today), none with a start authorisation.
    verified = Producer.objects.filter(verification_status="verified")
    assert verified.count() == 3
    assert value(body, month, "producers_verified") == 3
    reinfo = Evidence.objects.filter(
        evidence_type_id__in=["REINFO", "START_AUTH"], status="approved", valid_until__gte=clock.today_lima()
    )
    assert reinfo.values("organization_id").distinct().count() == 3
    assert value(body, month, "producers_formalized") == 3
    assert value(body, month, "producers_start_authorised") == 0  # a group of none: a 0 tells nothing
    # Women on the rosters: 23 at the cooperative and 9 at the association (Rosa Quispe keeps no roster): two
    # producers, fewer than three.
    women = MemberMiner.objects.filter(sex="female", active=True, producer__in=verified)
    assert women.count() == 23 + 9
    assert row["women_members"] == {"value": None, "reason": "below_min_group_size"}

    # Evidence decided this month, by the three producers' items, and how long they waited.
    decided, producers, median = _decisions_this_month()
    assert producers == 3
    assert value(body, month, "evidence_decided") == decided
    assert value(body, month, "median_review_hours") == str(median)

    # One producer's settled shipment: every trade figure of the month is withheld, never shown as 0.
    for figure in ("fine_gold_grams", "mercury_free_percent", "women_led_percent", "certified_premiums"):
        assert row[figure] == {"value": None, "reason": "below_min_group_size"}, figure
        # ... and the total, which holds nothing else, would be the month's figure itself.
        assert value(body, None, figure) is None, figure
        assert reason(body, None, figure) == "below_min_group_size", figure
    # The months before the demo hold nothing at all: their zeros are shown.
    earlier = body["months"][0]
    assert earlier["fine_gold_grams"] == {"value": "0.000", "reason": None}
    assert earlier["mercury_free_percent"] == {"value": None, "reason": "nothing_to_measure"}
    assert body["policies"] == [
        {
            "min_group_size": 3,
            "valid_from": "2025-01-01",
            "source": ReportPolicy.objects.get(valid_from=dt.date(2025, 1, 1)).source,
        }
    ]


def test_the_demo_with_three_more_producers_and_groups_of_two(demo, anon):
    """The network lowers its minimum to two from this month's first day, and three more producers settle a
    shipment this month: every figure of the month describes enough producers, and is checked by hand."""
    month = this_month()
    ReportPolicy.objects.create(
        min_group_size=2, valid_from=month.first_day, source="Board decision for the test: groups of two."
    )
    now = clock.now()
    coop_fine, coop_premium = _hand_settled_fine_gold()
    # B: an individual woman miner (her identity document approved last year), mercury-free, certified.
    b = ProducerFactory(individual=True)
    approved(b, "ID_DNI", now - dt.timedelta(days=400))
    settled(b, "120.500", now - dt.timedelta(minutes=3), claims=("mercury_free",), premium_minor=48200)
    # C: a cooperative with a majority of men, mercury-free through its Fairmined Ecological certificate,
    # not certified in its terms.
    c = ProducerFactory()
    approved(c, "ORG_MEMBERS", now - dt.timedelta(days=30), attributes={"women": 4, "men": 11})
    settled(c, "80.250", now - dt.timedelta(minutes=2), claims=("fairmined_ecological",))
    # D: neither; certified.
    d = ProducerFactory()
    settled(d, "45.125", now - dt.timedelta(minutes=1), premium_minor=18050)

    body = _report(anon)
    row = column(body, month)

    assert row["min_group_size"] == 2
    total = coop_fine + Decimal("120.500") + Decimal("80.250") + Decimal("45.125")
    assert total == Decimal("345.704")
    assert value(body, month, "fine_gold_grams") == "345.704"
    # Mercury-free: B and C, 200.750 g of 345.704 g = 58.069 … %; the cooperative's doré was sold as Fairmined,
    # not as mercury-free, and D's was sold as neither.
    assert value(body, month, "mercury_free_percent") == "58.1"
    # Women-led: the cooperative (its member register, 23 women and 4 men) and B, 220.329 g = 63.733 … %.
    assert value(body, month, "women_led_percent") == "63.7"
    # Certified premiums: the cooperative's USD 399.32, B's 482.00 and D's 180.50.
    assert coop_premium + 48200 + 18050 == 106182
    assert value(body, month, "certified_premiums") == {"amount_minor": 106182, "currency": "USD"}
    # The two rosters are a group of two now: 32 women.
    assert value(body, month, "women_members") == 32
    # The month before keeps the policy of its own last day.
    assert column(body, month.plus(-1))["min_group_size"] == 3
    # The total holds this month only: the same figures.
    assert value(body, None, "fine_gold_grams") == "345.704"
    assert value(body, None, "mercury_free_percent") == "58.1"
    assert [policy["min_group_size"] for policy in body["policies"]] == [3, 2]
