"""Recording and correcting fixes and rates, and recording certification terms: staff only, idempotent, never
overwriting a figure, each write audited once and each refusal changing nothing (prices/services.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from core import clock
from core.actor import Actor
from core.errors import BadRequest, Conflict, PermissionDenied
from core.money import Money
from prices import selectors, services
from prices.models import CertificationTerms, ExchangeRate, MetalPrice
from tests.factories import UserFactory
from tests.prices.helpers import SBS, SOURCE, days_ago, events, fix, rate, state

pytestmark = pytest.mark.django_db


@pytest.fixture
def ops() -> Actor:
    return Actor(UserFactory(email="ops@example.test", is_staff=True))


def record_fix(ops: Actor, **overrides):
    values = {
        "benchmark": "lbma_gold_pm",
        "date": days_ago(1),
        "usd_per_troy_ounce": Decimal("4118.900"),
        "source": SOURCE,
    }
    return services.fix_record(actor=ops, **(values | overrides))


def field_error_of(refused: pytest.ExceptionInfo) -> tuple[str, str]:
    [error] = refused.value.errors
    return error["field"], error["code"]


# --- Recording a fix -----------------------------------------------------------------------------------------
def test_a_fix_is_recorded_once_with_its_audit_event(ops):
    row, created = record_fix(ops)

    assert created
    assert (row.benchmark, row.usd_per_troy_ounce, row.source, row.sample, row.current) == (
        "lbma_gold_pm",
        Decimal("4118.900"),
        SOURCE,
        False,
        True,
    )
    assert row.usd_per_troy_ounce_milli == 4_118_900
    [event] = events("prices.fix.recorded")
    assert (event.target_id, event.actor_id) == (str(row.pk), ops.user.pk)
    assert event.data == {
        "id": str(row.pk),
        "benchmark": "lbma_gold_pm",
        "date": days_ago(1).isoformat(),
        "usd_per_troy_ounce": "4118.900",
        "source": SOURCE,
        "sample": False,
    }
    assert selectors.fix_on("lbma_gold_pm", days_ago(1)) == row


def test_the_same_figure_again_answers_the_row_and_records_nothing(ops):
    row, _created = record_fix(ops)
    before = state()

    again, created = record_fix(ops)
    elsewhere, created_elsewhere = record_fix(ops, source="Reuters, the day's LBMA PM")

    assert (again, created) == (row, False)
    assert (elsewhere, created_elsewhere) == (row, False)  # the figure is there, with the source it came from
    assert state() == before


@pytest.mark.parametrize(
    "overrides",
    [{"usd_per_troy_ounce": Decimal("4119.800")}, {"sample": True}],
    ids=["another figure", "the same figure as a sample"],
)
def test_another_figure_for_a_recorded_day_is_409_naming_the_row(ops, overrides):
    row, _created = record_fix(ops)
    before = state()

    with pytest.raises(Conflict) as refused:
        record_fix(ops, **overrides)

    assert refused.value.code == "fix_already_recorded"
    assert refused.value.extra["existing"]["id"] == str(row.pk)
    assert refused.value.extra["existing"]["usd_per_troy_ounce"] == "4118.900"
    assert state() == before


def test_a_day_that_has_not_begun_in_london_is_refused_and_today_is_taken(ops, monkeypatch):
    # 02:00 UTC: already the 5th in London, still the 4th in Lima.
    monkeypatch.setattr(clock, "now", lambda: dt.datetime(2026, 12, 5, 2, 0, tzinfo=dt.UTC))
    before = state()

    with pytest.raises(BadRequest) as refused:
        record_fix(ops, date=dt.date(2026, 12, 6))
    assert field_error_of(refused) == ("date", "in_the_future")
    assert state() == before

    _row, created = record_fix(ops, date=dt.date(2026, 12, 5))
    assert created
    with pytest.raises(BadRequest) as rate_refused:  # the SBS rate of the 5th does not exist yet in Lima
        services.rate_record(actor=ops, date=dt.date(2026, 12, 5), rate=Decimal("3.45"), source=SBS)
    assert field_error_of(rate_refused) == ("date", "in_the_future")


@pytest.mark.parametrize(
    ("value", "code"),
    [
        (Decimal("4118.9001"), "max_decimal_places"),
        ("2650.3499999999999", "max_decimal_places"),
        (Decimal(0), "min_value"),
        (Decimal("-4118.9"), "min_value"),
        (Decimal("1000000.001"), "max_value"),
        (4118.9, "invalid"),
        ("cuatro mil", "invalid"),
        (Decimal("NaN"), "invalid"),
    ],
)
def test_a_figure_that_is_not_an_exact_positive_price_is_refused(ops, value, code):
    before = state()

    with pytest.raises(BadRequest) as refused:
        record_fix(ops, usd_per_troy_ounce=value)

    assert field_error_of(refused) == ("usd_per_troy_ounce", code)
    assert state() == before


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"benchmark": "lbma_platinum"}, "benchmark", "invalid_choice"),
        ({"source": "   "}, "source", "required"),
        ({"source": "x" * 201}, "source", "max_length"),
    ],
)
def test_a_bad_benchmark_or_source_is_refused(ops, overrides, field, code):
    before = state()

    with pytest.raises(BadRequest) as refused:
        record_fix(ops, **overrides)

    assert field_error_of(refused) == (field, code)
    assert state() == before


def test_only_staff_record_or_correct(ops, coop):
    row, _created = record_fix(ops)
    organisation_admin = Actor(UserFactory(), coop.pk, "producer", "admin")
    network_reviewer = Actor(UserFactory(), coop.pk, "network", "reviewer")
    before = state()

    for actor in (organisation_admin, network_reviewer):
        with pytest.raises(PermissionDenied) as refused:
            record_fix(actor, date=days_ago(2))
        assert refused.value.code == "not_staff"
        with pytest.raises(PermissionDenied):
            services.fix_correct(actor=actor, fix=row, usd_per_troy_ounce=Decimal(1), reason="x")
    assert state() == before


# --- Correcting a fix ----------------------------------------------------------------------------------------
def test_a_correction_is_a_new_row_that_replaces_the_old(ops):
    old, _created = record_fix(ops)

    new = services.fix_correct(
        actor=ops, fix=old, usd_per_troy_ounce=Decimal("4119.800"), reason="Typed from the wrong bulletin."
    )

    old.refresh_from_db()
    assert (old.current, old.usd_per_troy_ounce) == (False, Decimal("4118.900"))  # kept, as it was
    assert (new.current, new.replaces, new.usd_per_troy_ounce, new.date, new.benchmark) == (
        True,
        old,
        Decimal("4119.800"),
        old.date,
        old.benchmark,
    )
    assert (new.source, new.sample, new.correction_reason) == (SOURCE, False, "Typed from the wrong bulletin.")
    assert selectors.fix_on("lbma_gold_pm", old.date) == new  # the table reads the corrected figure
    [event] = events("prices.fix.corrected")
    assert event.target_id == str(new.pk)
    assert event.data["reason"] == "Typed from the wrong bulletin."
    assert event.data["replaces"]["usd_per_troy_ounce"] == "4118.900"
    assert event.data["usd_per_troy_ounce"] == "4119.800"
    # Recording the day again now compares with the corrected figure.
    assert record_fix(ops, usd_per_troy_ounce=Decimal("4119.800")) == (new, False)


def test_a_sample_figure_is_corrected_into_a_real_one(ops):
    old, _created = record_fix(ops, sample=True, source="Sample figures")

    new = services.fix_correct(
        actor=ops,
        fix=old,
        usd_per_troy_ounce=Decimal("4118.900"),
        sample=False,
        source=SOURCE,
        reason="The real fix of the day.",
    )

    assert (new.sample, new.source, new.usd_per_troy_ounce) == (False, SOURCE, Decimal("4118.900"))


def test_a_replaced_row_cannot_be_corrected_again(ops):
    old, _created = record_fix(ops)
    new = services.fix_correct(actor=ops, fix=old, usd_per_troy_ounce=Decimal("4119.800"), reason="Slip.")
    before = state()

    with pytest.raises(Conflict) as refused:
        services.fix_correct(actor=ops, fix=old, usd_per_troy_ounce=Decimal("4120.000"), reason="Another slip.")

    assert refused.value.code == "fix_not_current"
    assert refused.value.extra["current"]["id"] == str(new.pk)
    assert state() == before


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"usd_per_troy_ounce": Decimal("4118.900")}, "usd_per_troy_ounce", "unchanged"),
        ({"reason": "  "}, "reason", "required"),
        ({"usd_per_troy_ounce": Decimal("4118.9005")}, "usd_per_troy_ounce", "max_decimal_places"),
    ],
)
def test_a_correction_that_changes_nothing_or_gives_no_reason_is_refused(ops, overrides, field, code):
    old, _created = record_fix(ops)
    before = state()

    with pytest.raises(BadRequest) as refused:
        services.fix_correct(
            actor=ops, fix=old, **({"usd_per_troy_ounce": Decimal("4119.800"), "reason": "Slip."} | overrides)
        )

    assert field_error_of(refused) == (field, code)
    assert state() == before


# --- Exchange rates ------------------------------------------------------------------------------------------
def test_a_rate_is_recorded_repeated_and_corrected(ops):
    row, created = services.rate_record(actor=ops, date=days_ago(1), rate=Decimal("3.4521"), source=SBS)
    again, created_again = services.rate_record(actor=ops, date=days_ago(1), rate=Decimal("3.452100"), source=SBS)

    assert (created, again, created_again) == (True, row, False)
    assert (row.base, row.quote, row.rate, row.rate_micro) == ("USD", "PEN", Decimal("3.452100"), 3_452_100)
    assert [e.data["rate"] for e in events("prices.rate.recorded")] == ["3.452100"]
    with pytest.raises(Conflict) as refused:
        services.rate_record(actor=ops, date=days_ago(1), rate=Decimal("3.46"), source=SBS)
    assert refused.value.code == "rate_already_recorded"
    assert refused.value.extra["existing"]["rate"] == "3.452100"

    corrected = services.rate_correct(actor=ops, exchange_rate=row, rate=Decimal("3.451200"), reason="SBS revised it.")

    assert selectors.rate_on("USD", "PEN", days_ago(1)) == corrected
    assert corrected.replaces == row
    assert [e.data["reason"] for e in events("prices.rate.corrected")] == ["SBS revised it."]
    with pytest.raises(Conflict) as stale:
        services.rate_correct(actor=ops, exchange_rate=row, rate=Decimal("3.5"), reason="Again.")
    assert stale.value.code == "rate_not_current"


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"base": "PEN", "quote": "PEN"}, "quote", "same_currency"),
        ({"quote": "EUR"}, "quote", "invalid_choice"),
        ({"rate": Decimal("3.4521001")}, "rate", "max_decimal_places"),
        ({"rate": Decimal(0)}, "rate", "min_value"),
        ({"rate": Decimal("-3.45")}, "rate", "min_value"),
    ],
)
def test_a_bad_rate_is_refused(ops, overrides, field, code):
    before = state()

    with pytest.raises(BadRequest) as refused:
        services.rate_record(actor=ops, **({"date": days_ago(1), "rate": Decimal("3.45"), "source": SBS} | overrides))

    assert field_error_of(refused) == (field, code)
    assert state() == before


def test_rows_made_elsewhere_are_corrected_like_any_other(ops):
    """The helpers write rows straight to the table, as the import does."""
    old_fix, old_rate = fix(day=days_ago(3)), rate(day=days_ago(3))

    services.fix_correct(actor=ops, fix=old_fix, usd_per_troy_ounce=Decimal("4000"), reason="Slip.")
    services.rate_correct(actor=ops, exchange_rate=old_rate, rate=Decimal("3.5"), reason="Slip.")

    assert MetalPrice.objects.filter(current=True).get().usd_per_troy_ounce == Decimal("4000.000")
    assert ExchangeRate.objects.filter(current=True).get().rate == Decimal("3.500000")


# --- Certification terms -------------------------------------------------------------------------------------
def terms_values(**overrides):
    values = {
        "claim": "fairmined",
        "valid_from": clock.today_lima() + dt.timedelta(days=30),
        "minimum_price_bp": 9500,
        "premium_rule": "per_kg_fine",
        "premium_per_kg_fine": Money(450_000, "USD"),
        "premium_percent_bp": None,
        "source": "Fairmined Standard, premium table 2027 (fairmined.org)",
        "source_date": clock.today_lima() - dt.timedelta(days=10),
    }
    return values | overrides


def test_new_terms_take_effect_on_their_day_and_the_old_ones_stay(ops):
    starts = clock.today_lima() + dt.timedelta(days=30)

    row, outcome = services.certification_terms_record(actor=ops, **terms_values())

    assert outcome == "created"
    assert (row.premium_per_kg_fine_minor, row.premium_currency, row.premium_percent_bp) == (450_000, "USD", None)
    assert selectors.certification_in_force("fairmined", starts) == row
    before_that = selectors.certification_in_force("fairmined", starts - dt.timedelta(days=1))
    assert before_that is not None
    assert before_that.premium_per_kg_fine_minor == 400_000  # the 2018 figures, still in force until then
    [event] = events("prices.certification_terms.recorded")
    assert (event.target_id, event.data["premium_per_kg_fine_minor"]) == (str(row.pk), 450_000)


def test_terms_not_yet_in_force_are_changed_in_place_and_the_same_figures_change_nothing(ops):
    row, _outcome = services.certification_terms_record(actor=ops, **terms_values())

    same, unchanged = services.certification_terms_record(actor=ops, **terms_values())
    changed_row, changed = services.certification_terms_record(
        actor=ops, **terms_values(premium_per_kg_fine=Money(500_000, "USD"))
    )

    assert (same, unchanged) == (row, "unchanged")
    assert (changed_row.pk, changed, changed_row.premium_per_kg_fine_minor) == (row.pk, "changed", 500_000)
    assert CertificationTerms.objects.filter(claim_id="fairmined").count() == 2
    [event] = events("prices.certification_terms.changed")
    assert (event.data["before"]["premium_per_kg_fine_minor"], event.data["premium_per_kg_fine_minor"]) == (
        450_000,
        500_000,
    )


def test_terms_in_force_are_never_edited(ops):
    today = clock.today_lima()
    services.certification_terms_record(actor=ops, **terms_values(valid_from=today))
    before = state()

    with pytest.raises(Conflict) as refused:
        services.certification_terms_record(
            actor=ops, **terms_values(valid_from=today, premium_per_kg_fine=Money(1, "USD"))
        )
    assert refused.value.code == "edits_the_past"
    with pytest.raises(BadRequest) as past:
        services.certification_terms_record(actor=ops, **terms_values(valid_from=today - dt.timedelta(days=1)))
    assert field_error_of(past) == ("valid_from", "edits_the_past")
    assert state() == before


def test_the_orm_refuses_to_edit_or_delete_terms_in_force_but_not_future_ones(ops):
    seeded = CertificationTerms.objects.get(claim_id="fairtrade", valid_from=dt.date(2013, 8, 1))
    seeded.premium_per_kg_fine_minor = 1

    with pytest.raises(Conflict) as refused:
        seeded.save()
    assert refused.value.code == "edits_the_past"
    with pytest.raises(Conflict):
        seeded.delete()
    assert CertificationTerms.objects.get(pk=seeded.pk).premium_per_kg_fine_minor == 200_000

    future, _outcome = services.certification_terms_record(actor=ops, **terms_values())
    future.valid_from = clock.today_lima() - dt.timedelta(days=1)
    with pytest.raises(Conflict):
        future.save()  # not into the past either
    future.refresh_from_db()
    future.delete()
    assert not CertificationTerms.objects.filter(pk=future.pk).exists()


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"claim": "mercury_free"}, "claim", "not_certified"),
        ({"minimum_price_bp": 10001}, "minimum_price_percent", "out_of_range"),
        ({"premium_per_kg_fine": None}, "premium_per_kg_fine", "required_by_premium_rule"),
        ({"premium_percent_bp": 1500}, "premium_percent", "not_for_premium_rule"),
        ({"premium_per_kg_fine": Money(-1, "USD")}, "premium_per_kg_fine", "min_value"),
        (
            {"premium_rule": "percent_of_lbma", "premium_per_kg_fine": None},
            "premium_percent",
            "required_by_premium_rule",
        ),
        (
            {"premium_rule": "percent_of_lbma", "premium_percent_bp": 1500},
            "premium_per_kg_fine",
            "not_for_premium_rule",
        ),
        (
            {"premium_rule": "percent_of_lbma", "premium_per_kg_fine": None, "premium_percent_bp": 10001},
            "premium_percent",
            "out_of_range",
        ),
        ({"premium_rule": "per_gram"}, "premium_rule", "invalid_choice"),
        ({"source": ""}, "source", "required"),
        ({"source_date": clock.today_lima() + dt.timedelta(days=1)}, "source_date", "in_the_future"),
    ],
)
def test_terms_are_checked_as_the_model_constraints_say(ops, overrides, field, code):
    before = state()

    with pytest.raises(BadRequest) as refused:
        services.certification_terms_record(actor=ops, **terms_values(**overrides))

    assert field_error_of(refused) == (field, code)
    assert state() == before


def test_a_premium_as_a_share_of_the_lbma_price_is_recorded(ops):
    row, outcome = services.certification_terms_record(
        actor=ops,
        **terms_values(
            claim="fairtrade_ecological",
            premium_rule="percent_of_lbma",
            premium_per_kg_fine=None,
            premium_percent_bp=1600,
        ),
    )

    assert outcome == "created"
    assert (row.premium_percent_bp, row.premium_per_kg_fine_minor, row.premium_currency) == (1600, None, None)


def test_only_staff_record_terms(coop):
    admin = Actor(UserFactory(), coop.pk, "producer", "admin")
    before = state()

    with pytest.raises(PermissionDenied):
        services.certification_terms_record(actor=admin, **terms_values())

    assert state() == before
