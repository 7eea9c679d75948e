"""The price table over HTTP: public lists (anonymous too), writes for staff only, decimal strings in and out,
idempotent recording and corrections (prices/api/views.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from core import clock
from prices.models import CertificationTerms, MetalPrice
from tests.prices.helpers import FIXES, RATES, SBS, SOURCE, TERMS, days_ago, fix, rate, state
from tests.problems import assert_problem, field_errors

pytestmark = pytest.mark.django_db

NOT_STAFF = ("anon", "buyer", "buyer_member", "producer_admin", "producer_member", "reviewer")


def fix_body(**overrides):
    return {
        "benchmark": "lbma_gold_pm",
        "date": days_ago(1).isoformat(),
        "usd_per_troy_ounce": "4118.900",
        "source": SOURCE,
    } | overrides


def rate_body(**overrides):
    return {"date": days_ago(1).isoformat(), "rate": "3.452100", "source": SBS} | overrides


def terms_body(**overrides):
    return {
        "claim": "fairtrade",
        "valid_from": (clock.today_lima() + dt.timedelta(days=20)).isoformat(),
        "minimum_price_percent": "95.00",
        "premium_rule": "per_kg_fine",
        "premium_per_kg_fine": {"amount_minor": 250_000, "currency": "USD"},
        "source": "Fairtrade Standard for Gold and Associated Precious Metals, 2027 revision",
        "source_date": clock.today_lima().isoformat(),
    } | overrides


def results(response):
    assert response.status_code == 200, response.content[:500]
    return response.json()["results"]


# --- Reading ------------------------------------------------------------------------------------------------
def test_anybody_reads_the_current_fixes_newest_day_first(anon, buyer):
    older = fix(day=days_ago(3), price="4001.250", sample=True, source="Sample figures")
    newer = fix(day=days_ago(2))
    silver = fix("lbma_silver", day=days_ago(2), price="48.615")

    for reader in (anon, buyer):
        rows = results(reader.get(FIXES))
        assert [row["id"] for row in rows][:1] in ([str(newer.pk)], [str(silver.pk)])
        assert {row["id"] for row in rows} == {str(older.pk), str(newer.pk), str(silver.pk)}
    [row] = results(anon.get(f"{FIXES}?benchmark=lbma_gold_pm&date_to={days_ago(3).isoformat()}"))
    assert row == {
        "id": str(older.pk),
        "benchmark": "lbma_gold_pm",
        "date": days_ago(3).isoformat(),
        "usd_per_troy_ounce": "4001.250",
        "source": "Sample figures",
        "sample": True,
        "current": True,
        "replaces": None,
        "replaced_by": None,
        "correction_reason": "",
        "recorded_at": row["recorded_at"],
    }
    silver_rows = results(anon.get(f"{FIXES}?benchmark=lbma_silver&date_from={days_ago(2).isoformat()}"))
    assert [(r["id"], r["usd_per_troy_ounce"]) for r in silver_rows] == [(str(silver.pk), "48.615")]


def test_replaced_rows_are_listed_only_when_asked(anon, staff):
    old = fix()
    corrected = staff.post(
        f"{FIXES}{old.pk}/correct/", {"usd_per_troy_ounce": "4119.800", "reason": "Slip."}, format="json"
    ).json()

    assert [row["id"] for row in results(anon.get(FIXES))] == [corrected["id"]]
    both = {row["id"]: row for row in results(anon.get(f"{FIXES}?include_replaced=true"))}
    assert both[str(old.pk)]["current"] is False
    assert both[str(old.pk)]["replaced_by"] == corrected["id"]
    assert both[corrected["id"]]["replaces"] == str(old.pk)
    assert both[corrected["id"]]["correction_reason"] == "Slip."
    assert [row["id"] for row in results(anon.get(f"{FIXES}?include_replaced=false"))] == [corrected["id"]]


def test_rates_are_public_and_filtered_by_pair_and_day(anon):
    first, second = rate(day=days_ago(3)), rate(day=days_ago(2), value="3.460000")

    rows = results(anon.get(f"{RATES}?base=USD&quote=PEN"))

    assert [(r["id"], r["rate"], r["base"], r["quote"]) for r in rows] == [
        (str(second.pk), "3.460000", "USD", "PEN"),
        (str(first.pk), "3.452100", "USD", "PEN"),
    ]
    assert results(anon.get(f"{RATES}?date_from={days_ago(2).isoformat()}"))[0]["id"] == str(second.pk)
    assert results(anon.get(f"{RATES}?quote=USD")) == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("include_replaced=banana", "include_replaced"),
        ("include_replaced=", "include_replaced"),
        ("date_from=yesterday", "date_from"),
        ("date_to=", "date_to"),
        ("benchmark=lbma_platinum", "benchmark"),
    ],
)
def test_a_query_the_list_cannot_read_is_a_400(anon, query, field):
    assert_problem(anon.get(f"{FIXES}?{query}"), 400, "validation_error", field=field)


def test_the_lists_are_paginated_by_cursor(anon):
    for n in range(1, 6):
        fix(day=days_ago(n))

    first = anon.get(f"{FIXES}?page_size=2").json()
    second = anon.get(first["next"]).json()

    assert [row["date"] for row in first["results"]] == [days_ago(1).isoformat(), days_ago(2).isoformat()]
    assert [row["date"] for row in second["results"]] == [days_ago(3).isoformat(), days_ago(4).isoformat()]


def test_certification_terms_are_public_and_read_on_a_day(anon, staff):
    seeded = results(anon.get(TERMS))
    assert {row["claim"] for row in seeded} == {
        "fairmined",
        "fairmined_ecological",
        "fairtrade",
        "fairtrade_ecological",
    }
    [ecological] = [row for row in seeded if row["claim"] == "fairtrade_ecological"]
    assert (ecological["minimum_price_percent"], ecological["premium_percent"], ecological["premium_per_kg_fine"]) == (
        "95.00",
        "15.00",
        None,
    )
    [fairmined] = [row for row in seeded if row["claim"] == "fairmined"]
    assert fairmined["premium_per_kg_fine"] == {"amount_minor": 400_000, "currency": "USD"}
    created = staff.post(TERMS, terms_body(), format="json").json()
    starts = dt.date.fromisoformat(created["valid_from"])

    on_the_day = results(anon.get(f"{TERMS}?claim=fairtrade&on={starts.isoformat()}"))
    the_day_before = results(anon.get(f"{TERMS}?claim=fairtrade&on={(starts - dt.timedelta(days=1)).isoformat()}"))
    everything_then = results(anon.get(f"{TERMS}?on={starts.isoformat()}"))
    before_any = results(anon.get(f"{TERMS}?on=2013-07-31"))

    assert [row["id"] for row in on_the_day] == [created["id"]]
    assert [row["premium_per_kg_fine"]["amount_minor"] for row in the_day_before] == [200_000]
    assert len(everything_then) == 4
    assert before_any == []
    assert [row["id"] for row in results(anon.get(f"{TERMS}?claim=fairtrade"))] == [
        created["id"],
        the_day_before[0]["id"],
    ]
    assert_problem(anon.get(f"{TERMS}?claim=mercury_free"), 400, "validation_error", field="claim")
    assert_problem(anon.get(f"{TERMS}?on=mañana"), 400, "validation_error", field="on")


# --- Writing: staff only -------------------------------------------------------------------------------------
@pytest.mark.parametrize("role", NOT_STAFF)
def test_only_staff_write_and_nothing_changes_for_anybody_else(request, role):
    actor = request.getfixturevalue(role)
    old_fix, old_rate = fix(day=days_ago(5)), rate(day=days_ago(5))
    before = state()
    expected = (401, "not_authenticated") if role == "anon" else (403, None)

    calls = [
        (FIXES, fix_body()),
        (f"{FIXES}{old_fix.pk}/correct/", {"usd_per_troy_ounce": "1.000", "reason": "x"}),
        (RATES, rate_body()),
        (f"{RATES}{old_rate.pk}/correct/", {"rate": "1.000000", "reason": "x"}),
        (TERMS, terms_body()),
    ]
    for url, body in calls:
        for sent in (body, {}):  # refused before the body is read
            response = actor.post(url, sent, format="json")
            assert response.status_code == expected[0], (url, response.content[:300])
            problem = assert_problem(response, expected[0], response.json()["code"])
            if expected[1]:
                assert problem["code"] == expected[1]
            else:
                assert problem["code"] in ("not_staff", "permission_denied")
    assert state() == before


def test_staff_record_a_fix_201_then_200_then_409(staff):
    created = staff.post(FIXES, fix_body(), format="json")
    repeated = staff.post(FIXES, fix_body(), format="json")
    before = state()
    conflicting = staff.post(FIXES, fix_body(usd_per_troy_ounce="4119.800"), format="json")

    assert created.status_code == 201, created.content
    assert created.json()["usd_per_troy_ounce"] == "4118.900"
    assert (repeated.status_code, repeated.json()) == (200, created.json())
    body = assert_problem(conflicting, 409, "fix_already_recorded")
    assert body["existing"]["id"] == created.json()["id"]
    assert body["existing"]["usd_per_troy_ounce"] == "4118.900"
    assert state() == before


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"usd_per_troy_ounce": 4118.9}, "usd_per_troy_ounce", "invalid"),
        ({"usd_per_troy_ounce": "4118.9001"}, "usd_per_troy_ounce", "max_decimal_places"),
        ({"usd_per_troy_ounce": "0"}, "usd_per_troy_ounce", "min_value"),
        ({"usd_per_troy_ounce": "-4118.9"}, "usd_per_troy_ounce", "min_value"),
        ({"usd_per_troy_ounce": "4.1189e3"}, "usd_per_troy_ounce", "invalid"),
        ({"date": "2999-01-01"}, "date", "in_the_future"),
        ({"date": "05/12/2026"}, "date", "invalid"),
        ({"benchmark": "lbma_platinum"}, "benchmark", "invalid_choice"),
        ({"source": ""}, "source", "blank"),
        ({"source": 7}, "source", "invalid"),
    ],
)
def test_a_bad_fix_is_a_clear_400_and_changes_nothing(staff, overrides, field, code):
    before = state()

    response = staff.post(FIXES, fix_body(**overrides), format="json")

    assert field_errors(response) == {field: code}
    assert state() == before


def test_staff_correct_a_fix_and_a_second_correction_of_the_same_row_is_409(staff):
    old = fix()

    corrected = staff.post(
        f"{FIXES}{old.pk}/correct/", {"usd_per_troy_ounce": "4119.800", "reason": "Slip."}, format="json"
    )
    before = state()
    again = staff.post(
        f"{FIXES}{old.pk}/correct/", {"usd_per_troy_ounce": "4120.000", "reason": "Again."}, format="json"
    )

    assert corrected.status_code == 201, corrected.content
    assert (corrected.json()["replaces"], corrected.json()["usd_per_troy_ounce"]) == (str(old.pk), "4119.800")
    assert assert_problem(again, 409, "fix_not_current")["current"]["id"] == corrected.json()["id"]
    assert state() == before


def test_a_correction_without_a_reason_or_of_nothing_is_refused(staff):
    old = fix()
    before = state()

    missing = staff.post(f"{FIXES}{old.pk}/correct/", {"usd_per_troy_ounce": "4119.800"}, format="json")
    blank = staff.post(f"{FIXES}{old.pk}/correct/", {"usd_per_troy_ounce": "4119.800", "reason": " "}, format="json")
    same = staff.post(f"{FIXES}{old.pk}/correct/", {"usd_per_troy_ounce": "4118.900", "reason": "x"}, format="json")
    unknown = staff.post(
        f"{FIXES}00000000-0000-4000-8000-000000000000/correct/",
        {"usd_per_troy_ounce": "1.000", "reason": "x"},
        format="json",
    )

    assert field_errors(missing) == {"reason": "required"}
    assert field_errors(blank) == {"reason": "required"}
    assert field_errors(same) == {"usd_per_troy_ounce": "unchanged"}
    assert_problem(unknown, 404, "not_found")
    assert state() == before


def test_a_correction_retried_with_its_key_gets_the_first_answer(staff):
    old = fix()
    body = {"usd_per_troy_ounce": "4119.800", "reason": "Slip."}

    first = staff.post(f"{FIXES}{old.pk}/correct/", body, format="json", HTTP_IDEMPOTENCY_KEY="corr-1")
    retried = staff.post(f"{FIXES}{old.pk}/correct/", body, format="json", HTTP_IDEMPOTENCY_KEY="corr-1")

    assert (first.status_code, retried.status_code) == (201, 201)
    assert retried.json() == first.json()
    assert MetalPrice.objects.count() == 2


def test_staff_record_and_correct_rates(staff):
    created = staff.post(RATES, rate_body(), format="json")
    repeated = staff.post(RATES, rate_body(rate="3.4521"), format="json")
    conflicting = staff.post(RATES, rate_body(rate="3.46"), format="json")
    corrected = staff.post(
        f"{RATES}{created.json()['id']}/correct/", {"rate": "3.451200", "reason": "SBS revised it."}, format="json"
    )

    assert created.status_code == 201, created.content
    assert (created.json()["base"], created.json()["quote"], created.json()["rate"]) == ("USD", "PEN", "3.452100")
    assert (repeated.status_code, repeated.json()["id"]) == (200, created.json()["id"])
    assert assert_problem(conflicting, 409, "rate_already_recorded")["existing"]["rate"] == "3.452100"
    assert corrected.status_code == 201, corrected.content
    assert (corrected.json()["rate"], corrected.json()["replaces"]) == ("3.451200", created.json()["id"])


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"base": "PEN"}, "quote", "same_currency"),
        ({"quote": "EUR"}, "quote", "invalid_choice"),
        ({"rate": "3.4521001"}, "rate", "max_decimal_places"),
        ({"rate": "-3.45"}, "rate", "min_value"),
        ({"rate": 3.45}, "rate", "invalid"),
        ({"date": (clock.today_lima() + dt.timedelta(days=2)).isoformat()}, "date", "in_the_future"),
    ],
)
def test_a_bad_rate_is_a_clear_400_and_changes_nothing(staff, overrides, field, code):
    before = state()

    assert field_errors(staff.post(RATES, rate_body(**overrides), format="json")) == {field: code}
    assert state() == before


def test_staff_record_certification_terms(staff):
    created = staff.post(TERMS, terms_body(), format="json")
    repeated = staff.post(TERMS, terms_body(), format="json")
    changed = staff.post(TERMS, terms_body(minimum_price_percent="96.50"), format="json")

    assert created.status_code == 201, created.content
    assert created.json()["premium_per_kg_fine"] == {"amount_minor": 250_000, "currency": "USD"}
    assert (repeated.status_code, repeated.json()) == (200, created.json())
    assert (changed.status_code, changed.json()["id"], changed.json()["minimum_price_percent"]) == (
        200,
        created.json()["id"],
        "96.50",
    )
    assert CertificationTerms.objects.get(pk=created.json()["id"]).minimum_price_bp == 9650


def test_terms_in_force_answer_409_and_the_past_400(staff):
    today = clock.today_lima().isoformat()
    assert staff.post(TERMS, terms_body(valid_from=today), format="json").status_code == 201
    before = state()

    edit = staff.post(TERMS, terms_body(valid_from=today, minimum_price_percent="90.00"), format="json")
    past = staff.post(TERMS, terms_body(valid_from="2020-01-01"), format="json")

    assert_problem(edit, 409, "edits_the_past")
    assert field_errors(past) == {"valid_from": "edits_the_past"}
    assert state() == before


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"claim": "mercury_free"}, "claim", "invalid_choice"),
        ({"minimum_price_percent": "100.01"}, "minimum_price_percent", "max_value"),
        ({"minimum_price_percent": 95}, "minimum_price_percent", "invalid"),
        ({"premium_per_kg_fine": None}, "premium_per_kg_fine", "required_by_premium_rule"),
        ({"premium_percent": "15.00"}, "premium_percent", "not_for_premium_rule"),
        (
            {"premium_rule": "percent_of_lbma", "premium_percent": "15.00"},
            "premium_per_kg_fine",
            "not_for_premium_rule",
        ),
        (
            {"premium_rule": "percent_of_lbma", "premium_per_kg_fine": None},
            "premium_percent",
            "required_by_premium_rule",
        ),
        (
            {"premium_per_kg_fine": {"amount_minor": -1, "currency": "USD"}},
            "premium_per_kg_fine.amount_minor",
            "min_value",
        ),
        ({"source_date": "2999-01-01"}, "source_date", "in_the_future"),
    ],
)
def test_bad_terms_are_a_clear_400_and_change_nothing(staff, overrides, field, code):
    before = state()

    assert field_errors(staff.post(TERMS, terms_body(**overrides), format="json")) == {field: code}
    assert state() == before
