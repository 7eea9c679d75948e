"""The impact report over HTTP: public, strictly read, the suppression rule (small groups, totals and shares that
would give them away), the policy's versions, the figures' definitions at a past moment, and its cost."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reports.models import ReportPolicy
from tests.contract.test_response_shapes import assert_conforms
from tests.problems import assert_problem, field_errors
from tests.producers.factories import MemberMinerFactory, ProducerFactory
from tests.reports.helpers import (
    REPORT,
    approved,
    column,
    in_month,
    move,
    reason,
    settled,
    this_month,
    value,
    verified,
)
from trade.models import ContractVersion

pytestmark = pytest.mark.django_db

M0 = this_month()
M1, M2 = M0.plus(-1), M0.plus(-2)
PERIOD = f"?from={M2}&to={M0}"


def report(actor, query: str = PERIOD) -> dict:
    response = actor.get(REPORT + query)
    assert response.status_code == 200, response.content
    body = response.json()
    assert_conforms(body, "get", REPORT)
    return body


def producers(n: int) -> list:
    return [ProducerFactory() for _ in range(n)]


# --- Who may read, and how it is asked --------------------------------------------------------------------------------
def test_everybody_reads_the_same_figures(anon, buyer, producer_admin, reviewer, staff):
    a, b, c = producers(3)
    for producer, grams in ((a, "10.000"), (b, "20.000"), (c, "30.000")):
        settled(producer, grams, in_month(M1))

    answers = [report(actor) for actor in (anon, buyer, producer_admin, reviewer, staff)]

    for answer in answers:
        answer.pop("generated_at")
    assert all(answer == answers[0] for answer in answers)
    assert value(answers[0], M1, "fine_gold_grams") == "60.000"


def test_an_anonymous_answer_may_be_kept_a_while_a_token_holders_may_not(anon, buyer):
    assert anon.get(REPORT)["Cache-Control"] == "public, max-age=300"
    private = buyer.get(REPORT)["Cache-Control"]
    assert "no-store" in private
    assert "public" not in private


def test_the_last_twelve_months_by_default(anon):
    body = report(anon, "")

    assert (body["from"], body["to"]) == (str(M0.plus(-11)), str(M0))
    assert [row["month"] for row in body["months"]] == [str(M0.plus(n)) for n in range(-11, 1)]
    assert [row["complete"] for row in body["months"]] == [True] * 11 + [False]


def test_to_alone_counts_twelve_months_back_and_from_alone_runs_to_this_month(anon):
    assert report(anon, f"?to={M1}")["from"] == str(M1.plus(-11))
    assert report(anon, f"?from={M2}")["to"] == str(M0)
    assert len(report(anon, f"?from={M0.plus(-35)}")["months"]) == 36


@pytest.mark.parametrize(
    ("query", "field", "code"),
    [
        ("?from=2026-13", "from", "invalid"),
        ("?from=2026-1", "from", "invalid"),
        ("?to=26-01", "to", "invalid"),
        ("?to=2026-01-01", "to", "invalid"),
        ("?from=1999-12", "from", "invalid"),
        ("?from=%202026-01", "from", "invalid"),
        ("?from=", "from", "blank"),
        ("?to=", "to", "blank"),
        ("?from=2025-01&from=2025-02", "from", "multiple_values"),
        (f"?to={M0.plus(1)}", "to", "month_in_future"),
        (f"?from={M0.plus(1)}", "from", "month_in_future"),
        (f"?from={M1}&to={M2}", "from", "after_to"),
        (f"?from={M0.plus(-36)}", "from", "range_too_long"),
        (f"?from={M0.plus(-40)}&to={M0.plus(-4)}", "from", "range_too_long"),
    ],
)
@pytest.mark.parametrize("path", [REPORT, "/api/v1/reports/impact.csv", "/api/v1/reports/impact/chart.svg"])
def test_a_period_that_is_not_one_is_a_400_naming_the_parameter(anon, path, query, field, code):
    response = anon.get(path + query)

    assert_problem(response, 400, "validation_error", field=field)
    assert field_errors(response) == {field: code}


def test_the_period_errors_are_in_spanish_too(anon):
    response = anon.get(REPORT + f"?from={M1}&to={M2}", HTTP_ACCEPT_LANGUAGE="es")

    body = assert_problem(response, 400, "validation_error", field="from")
    assert body["errors"][0]["message"] == "El primer mes es posterior al último."


def test_anonymous_reads_are_throttled_like_every_other(anon, rates):
    rates(anon="2/min")

    assert [anon.get(REPORT).status_code for _ in range(2)] == [200, 200]
    assert_problem(anon.get("/api/v1/reports/impact/chart.svg"), 429, "throttled")


# --- The suppression rule -----------------------------------------------------------------------------------
def test_a_month_of_one_producer_is_withheld_and_the_total_cannot_give_it_away(anon):
    """M2: one producer settles 50 g; M1: three producers settle 10, 20 and 30 g. Shown, M1's 60 g beside a
    total of 110 g would give the lone producer's 50 g away: M1 is withheld too, and the total stands."""
    lone, *three = producers(4)
    settled(lone, "50.000", in_month(M2))
    for producer, grams in zip(three, ("10.000", "20.000", "30.000"), strict=True):
        settled(producer, grams, in_month(M1))

    body = report(anon)

    assert column(body, M2)["fine_gold_grams"] == {"value": None, "reason": "below_min_group_size"}
    assert column(body, M1)["fine_gold_grams"] == {"value": None, "reason": "complementary"}
    assert column(body, M0)["fine_gold_grams"] == {"value": "0.000", "reason": None}
    assert value(body, None, "fine_gold_grams") == "110.000"
    # What a reader can compute: the total less the months shown is M2 and M1 together, four producers.
    shown = sum(Decimal(row["fine_gold_grams"]["value"] or 0) for row in body["months"])
    assert Decimal(value(body, None, "fine_gold_grams")) - shown == Decimal("110.000")
    # The shares of a withheld month are withheld with it.
    assert reason(body, M1, "mercury_free_percent") == "complementary"
    assert reason(body, M2, "women_led_percent") == "below_min_group_size"


def test_the_total_of_too_few_producers_is_withheld(anon):
    a, b = producers(2)
    settled(a, "50.000", in_month(M2))
    settled(b, "10.000", in_month(M1))
    settled(a, "15.000", in_month(M1))

    body = report(anon)

    assert reason(body, M1, "fine_gold_grams") == "below_min_group_size"
    assert reason(body, None, "fine_gold_grams") == "below_min_group_size"
    assert value(body, None, "fine_gold_grams") is None


def test_the_same_producer_in_two_withheld_months_is_still_one_producer(anon):
    """M2 and M1 each hold one producer's shipment, the same producer's: together still a group of one, so M0's
    three producers are withheld beside the total (or the total would give her two months away)."""
    lone, *three = producers(4)
    settled(lone, "5.000", in_month(M2))
    settled(lone, "7.000", in_month(M1))
    for producer in three:
        settled(producer, "1.000", in_month(M0))

    body = report(anon)

    assert [reason(body, month, "fine_gold_grams") for month in (M2, M1, M0)] == [
        "below_min_group_size",
        "below_min_group_size",
        "complementary",
    ]
    assert value(body, None, "fine_gold_grams") == "15.000"


def test_a_share_is_withheld_when_either_of_its_parts_is_a_small_group(anon):
    """Four producers in M1: one sold mercury-free gold. The share would give her grams away (share × total),
    so it is withheld; the women-led share (two and two is too few as well) too; the grams stand."""
    a, b, c, d = producers(4)
    settled(a, "40.000", in_month(M1), claims=("mercury_free",))
    for producer in (b, c, d):
        settled(producer, "20.000", in_month(M1))

    body = report(anon)

    assert value(body, M1, "fine_gold_grams") == "100.000"
    assert column(body, M1)["mercury_free_percent"] == {"value": None, "reason": "below_min_group_size"}
    # Nobody's gold was women-led: a part of none tells nothing, the share is 0.
    assert column(body, M1)["women_led_percent"] == {"value": "0.0", "reason": None}
    assert value(body, None, "mercury_free_percent") is None


def test_shares_of_three_and_three(anon):
    trio, others = producers(3), producers(3)
    for producer in trio:
        settled(producer, "30.000", in_month(M1), claims=("mercury_free",))
    for producer in others:
        settled(producer, "10.000", in_month(M1), claims=("fairmined",))

    body = report(anon)

    assert value(body, M1, "mercury_free_percent") == "75.0"  # 90 g of 120 g
    assert value(body, None, "mercury_free_percent") == "75.0"


def test_a_snapshot_that_shows_the_claim_unbacked_or_nothing_is_not_mercury_free(anon):
    backed = producers(3)
    for producer in backed:
        settled(producer, "10.000", in_month(M1), claims=("mercury_free",))
    unbacked, empty, fairmined = producers(3)
    statement = settled(unbacked, "10.000", in_month(M1), claims=("mercury_free",))
    version = ContractVersion.objects.get(contract=statement.contract)
    version.compliance_snapshot["sites"][0]["claims"][0]["evidence"] = []  # claimed, not backed that day
    version.save(update_fields=["compliance_snapshot"])
    settled(empty, "10.000", in_month(M1))  # terms signed before snapshots were kept
    settled(fairmined, "10.000", in_month(M1), claims=("fairmined",))  # certified, not mercury-free

    body = report(anon)

    assert value(body, M1, "mercury_free_percent") == "50.0"  # 3 of 6 shipments of 10 g


def test_a_new_policy_version_changes_the_minimum_from_its_date(anon):
    """Two producers settle in M1 and two in M0. From M0's first day the network publishes groups of two: M0 is
    shown, M1 keeps the minimum of its own last day and stays withheld."""
    ReportPolicy.objects.create(min_group_size=2, valid_from=M0.first_day, source="Board decision, minutes no. 12.")
    for grams in ("3.000", "4.000"):
        settled(ProducerFactory(), grams, in_month(M1))
    for grams in ("5.000", "6.000"):
        settled(ProducerFactory(), grams, in_month(M0))

    body = report(anon)

    assert [column(body, month)["min_group_size"] for month in (M2, M1, M0)] == [3, 3, 2]
    assert reason(body, M1, "fine_gold_grams") == "below_min_group_size"
    assert value(body, M0, "fine_gold_grams") == "11.000"
    # The total is judged by the version in force at its end: four producers, the two withheld being a group
    # of two, which that version publishes.
    assert body["total"]["min_group_size"] == 2
    assert value(body, None, "fine_gold_grams") == "18.000"
    assert [p["min_group_size"] for p in body["policies"]] == [3, 2]


def test_a_version_before_the_period_judges_it_and_the_first_judges_what_came_before(anon):
    ReportPolicy.objects.create(min_group_size=5, valid_from=M1.first_day, source="Board decision: five.")
    body = report(anon, f"?from={M2}&to={M2}")
    assert column(body, M2)["min_group_size"] == 3

    # Every version in the future (by SQL: the model refuses to move a version in force).
    ReportPolicy.objects.filter(min_group_size=5).update(valid_from=dt.date(2099, 2, 1))
    ReportPolicy.objects.filter(min_group_size=3).update(valid_from=dt.date(2099, 1, 1))
    body = report(anon, f"?from={M2}&to={M2}")
    assert column(body, M2)["min_group_size"] == 3  # the first version protects the months before it


def test_without_any_policy_nothing_is_published(anon):
    ReportPolicy.objects.all().delete()  # by SQL: the model refuses to delete a version in force
    settled(ProducerFactory(), "3.000", in_month(M1))

    body = report(anon)

    assert column(body, M1)["fine_gold_grams"] == {"value": None, "reason": "no_report_policy"}
    assert column(body, M0)["producers_verified"] == {"value": None, "reason": "no_report_policy"}
    assert body["policies"] == []


# --- Premiums ----------------------------------------------------------------------------------------------------
def test_certified_premiums_in_dollars(anon):
    a, b, c, d = producers(4)
    settled(a, "100.000", in_month(M1), premium_minor=40000)  # USD 400.00
    settled(b, "100.000", in_month(M1), premium_minor=40000)
    # In soles, at the rate the statement itself names: S/ 1,497.60 / 3.744 = USD 400.00.
    settled(c, "100.000", in_month(M1), premium_minor=149760, currency="PEN", rate="3.744")
    # A negotiated premium, not a certified one, is not counted.
    settled(d, "100.000", in_month(M1), premium_minor=25000, certified=False)

    body = report(anon)

    assert value(body, M1, "certified_premiums") == {"amount_minor": 120000, "currency": "USD"}


def test_premiums_of_two_producers_are_withheld(anon):
    a, b, c = producers(3)
    settled(a, "100.000", in_month(M1), premium_minor=40000)
    settled(b, "100.000", in_month(M1), premium_minor=40000)
    settled(c, "100.000", in_month(M1))

    body = report(anon)

    assert value(body, M1, "fine_gold_grams") == "300.000"
    assert column(body, M1)["certified_premiums"] == {"value": None, "reason": "below_min_group_size"}


def test_a_provisional_statement_is_not_counted(anon):
    for producer in producers(3):
        settled(producer, "10.000", in_month(M1), kind="provisional")

    assert value(report(anon), M1, "fine_gold_grams") == "0.000"


# --- Women-led, at the moment the statement was issued --------------------------------------------------------
def test_women_led_is_judged_by_the_evidence_approved_when_the_statement_was_issued(anon):
    issued = in_month(M1, day=15)
    women = {"women": 9, "men": 3}
    led = producers(3)
    for producer in led:
        approved(producer, "ORG_MEMBERS", issued - dt.timedelta(days=40), attributes=women)
        settled(producer, "10.000", issued)
    late, revoked, men = producers(3)
    approved(late, "ORG_MEMBERS", issued + dt.timedelta(days=1), attributes=women)  # approved after
    approved(
        revoked, "ORG_MEMBERS", issued - dt.timedelta(days=40), attributes=women, revoked=issued - dt.timedelta(days=1)
    )
    approved(men, "ORG_MEMBERS", issued - dt.timedelta(days=40), attributes={"women": 3, "men": 9})
    for producer in (late, revoked, men):
        settled(producer, "30.000", issued)

    body = report(anon)

    assert value(body, M1, "women_led_percent") == "25.0"  # 30 g of 120 g


def test_a_lapsed_or_superseded_register_no_longer_backs_women_led(anon):
    issued = in_month(M1, day=15)
    women = {"women": 9, "men": 3}
    led = producers(3)
    for producer in led:
        approved(producer, "ORG_MEMBERS", issued - dt.timedelta(days=40), attributes=women)
        settled(producer, "10.000", issued)
    lapsed, replaced, fine, men = producers(4)
    approved(
        lapsed,
        "ORG_MEMBERS",
        issued - dt.timedelta(days=400),
        attributes=women,
        valid_until=issued.date() - dt.timedelta(days=1),
    )
    approved(
        replaced,
        "ORG_MEMBERS",
        issued - dt.timedelta(days=40),
        attributes=women,
        superseded=issued - dt.timedelta(hours=1),
    )
    approved(
        fine, "ORG_MEMBERS", issued - dt.timedelta(days=40), attributes=women, superseded=issued + dt.timedelta(hours=1)
    )
    approved(men, "ORG_MEMBERS", issued - dt.timedelta(days=40), attributes={"women": 1, "men": 1})  # not more
    for producer in (lapsed, replaced, fine, men):
        settled(producer, "30.000", issued)

    body = report(anon)

    # Women-led: the three, and the register superseded only after the statement: 60 g of 150 g.
    assert value(body, M1, "women_led_percent") == "40.0"


# --- Counts at a month's end -------------------------------------------------------------------------------
def test_producers_verified_and_formalized_at_each_months_end(anon, reviewer):
    """Four producers verified in M2. One is suspended in M1 and reinstated in M0. Three hold a start
    authorisation from M2; the fourth only its REINFO registration, approved in M1."""
    four = [verified(reviewer, in_month(M2, day=3)) for _ in range(4)]
    for producer in four[:3]:
        approved(producer, "START_AUTH", in_month(M2, day=5))
    approved(four[3], "REINFO", in_month(M1, day=2), valid_until=M0.plus(2).first_day)
    move(reviewer, four[3], "suspend", in_month(M1, day=20))
    move(reviewer, four[3], "reinstate", in_month(M0, day=1, hour=9))

    body = report(anon)

    assert [value(body, month, "producers_verified") for month in (M2, M1, M0)] == [4, 3, 4]
    # M2's end: three authorised and the fourth not formalized, a group of one that the count of formalized
    # would give away beside the count of verified: both withheld.
    assert column(body, M2)["producers_formalized"] == {"value": None, "reason": "complementary"}
    assert column(body, M2)["producers_start_authorised"] == {"value": None, "reason": "complementary"}
    # M1's end: the fourth is suspended, the three are formalized and authorised.
    assert value(body, M1, "producers_formalized") == 3
    assert value(body, M1, "producers_start_authorised") == 3
    # M0: the fourth is back, in the registry only: one of a kind again.
    assert value(body, M0, "producers_formalized") == 4
    assert reason(body, M0, "producers_start_authorised") == "complementary"
    # Counts at a month's end have no total.
    assert "producers_verified" not in body["total"]


def test_women_members_of_the_producers_verified(anon, reviewer):
    rosters = [verified(reviewer, in_month(M1, day=3)) for _ in range(3)]
    for producer, women in zip(rosters, (5, 7, 2), strict=True):
        for _ in range(women):
            MemberMinerFactory(producer=producer, sex="female")
        MemberMinerFactory(producer=producer, sex="male")
        MemberMinerFactory(producer=producer, sex="female", active=False)
    unverified = ProducerFactory()
    MemberMinerFactory(producer=unverified, sex="female")

    body = report(anon)

    assert column(body, M2)["women_members"] == {"value": 0, "reason": None}
    assert value(body, M0, "women_members") == 14


# --- Evidence decided -------------------------------------------------------------------------------------------------
def test_evidence_decided_and_the_median_wait(anon):
    decided = in_month(M1, day=20)
    for producer in producers(3):
        approved(producer, "TAX_RUC", decided)  # submitted 30 hours before (helpers.approved)
    late = ProducerFactory()
    item = approved(late, "TAX_RUC", decided)
    item.__class__.objects.filter(pk=item.pk).update(created_at=decided - dt.timedelta(hours=90))

    body = report(anon)

    assert value(body, M1, "evidence_decided") == 4
    assert value(body, M1, "median_review_hours") == "30.0"  # 30, 30, 30, 90
    assert column(body, M2)["median_review_hours"] == {"value": None, "reason": "nothing_to_measure"}
    assert value(body, None, "evidence_decided") == 4


# --- Cost ---------------------------------------------------------------------------------------------------
def _queries(actor, query: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert actor.get(REPORT + query).status_code == 200
    return len(captured.captured_queries)


def test_the_report_runs_a_fixed_number_of_queries(anon, reviewer):
    settled(ProducerFactory(), "1.000", in_month(M1))
    few = _queries(anon, f"?from={M1}&to={M1}")

    for month in (M2, M1, M0):
        for producer in [verified(reviewer, in_month(month, day=2)) for _ in range(3)]:
            approved(producer, "START_AUTH", in_month(month, day=3))
            approved(producer, "ORG_MEMBERS", in_month(month, day=3), attributes={"women": 5, "men": 1})
            MemberMinerFactory(producer=producer, sex="female")
            settled(producer, "2.000", in_month(month, day=4), claims=("mercury_free",), premium_minor=800)
    many = _queries(anon, f"?from={M0.plus(-35)}&to={M0}")

    assert many == few
    assert many <= 11, many  # docs/impact.md, "Cost"


def test_the_documented_examples_keep_the_schema():
    from reports.api.views import CSV_EXAMPLE, REPORT_EXAMPLE

    assert_conforms(REPORT_EXAMPLE, "get", REPORT)
    assert CSV_EXAMPLE.splitlines()[-1].startswith("total,false,3,1939.774,")
