"""`manage.py import_prices`: a CSV file of fixes or rates, written whole or not at all, every bad line named with
why, already recorded figures skipped and counted, one audit event (prices/imports.py)."""

from __future__ import annotations

import hashlib
import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from prices.models import ExchangeRate, MetalPrice
from tests.factories import UserFactory
from tests.prices.helpers import days_ago, events, fix, state

pytestmark = pytest.mark.django_db

SAMPLES = Path(__file__).resolve().parents[2] / "prices" / "samples"
FIXES_SAMPLE = SAMPLES / "lbma_fixes.csv"
RATES_SAMPLE = SAMPLES / "usd_pen_rates.csv"
SAMPLE_SOURCE = "Sample figures: not LBMA or SBS data"


@pytest.fixture
def ops() -> str:
    UserFactory(email="ops@example.test", is_staff=True)
    return "ops@example.test"


def run(path: Path, kind: str, by: str, *, sample: bool = True, source: str = SAMPLE_SOURCE) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    arguments = [str(path), "--kind", kind, "--source", source, "--by", by]
    call_command("import_prices", *arguments, *(["--sample"] if sample else []), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def refused(path: Path, kind: str, by: str, **options) -> tuple[str, CommandError]:
    before = state()
    err = io.StringIO()
    arguments = [str(path), "--kind", kind, "--source", SAMPLE_SOURCE, "--by", by]
    with pytest.raises(CommandError) as failure:
        call_command("import_prices", *arguments, *(["--sample"] if options.get("sample") else []), stderr=err)
    assert state() == before, "a refused file wrote something"
    assert failure.value.returncode == 1  # manage.py exits with status 1
    return err.getvalue(), failure.value


def write(tmp_path: Path, text: str, name: str = "prices.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_the_sample_files_are_imported_as_samples_with_one_audit_event_each(ops):
    fixes_out, _ = run(FIXES_SAMPLE, "fixes", ops)
    rates_out, _ = run(RATES_SAMPLE, "rates", ops)

    assert "9 sample fixes recorded, 0 already recorded" in fixes_out
    assert "3 sample rates recorded, 0 already recorded" in rates_out
    assert MetalPrice.objects.count() == 9
    assert set(MetalPrice.objects.values_list("sample", "source", "current")) == {(True, SAMPLE_SOURCE, True)}
    pm = MetalPrice.objects.get(benchmark="lbma_gold_pm", date="2026-11-02")
    assert pm.usd_per_troy_ounce == Decimal("4118.900")
    silver = MetalPrice.objects.get(benchmark="lbma_silver", date="2026-11-04")
    assert silver.usd_per_troy_ounce == Decimal("48.102")
    assert list(ExchangeRate.objects.order_by("date").values_list("rate_micro", flat=True)) == [
        3_452_100,
        3_448_750,
        3_455_300,
    ]
    fixes_event, rates_event = events("prices.file.imported")
    assert fixes_event.data == {
        "kind": "fixes",
        "file_name": "lbma_fixes.csv",
        "sha256": hashlib.sha256(FIXES_SAMPLE.read_bytes()).hexdigest(),
        "source": SAMPLE_SOURCE,
        "sample": True,
        "created": 9,
        "skipped": 0,
        "first_date": "2026-11-02",
        "last_date": "2026-11-04",
    }
    assert fixes_event.actor.email == ops
    assert (rates_event.data["kind"], rates_event.data["created"]) == ("rates", 3)


def test_a_file_imported_again_is_skipped_and_records_nothing(ops):
    run(FIXES_SAMPLE, "fixes", ops)
    before = state()

    out, _ = run(FIXES_SAMPLE, "fixes", ops)

    assert "0 sample fixes recorded, 9 already recorded and skipped" in out
    assert state() == before


def test_new_lines_are_written_and_recorded_ones_skipped(ops, tmp_path):
    run(FIXES_SAMPLE, "fixes", ops)
    more = FIXES_SAMPLE.read_text() + "2026-11-05,lbma_gold_am,4101.000\n"

    out, _ = run(write(tmp_path, more), "fixes", ops)

    assert "1 sample fixes recorded, 9 already recorded and skipped" in out
    assert events("prices.file.imported")[-1].data["created"] == 1
    assert events("prices.file.imported")[-1].data["skipped"] == 9


def test_every_bad_line_is_named_with_why_and_nothing_is_written(ops, tmp_path):
    fix("lbma_gold_pm", day=days_ago(10), price="4000.000")
    recorded = days_ago(10).isoformat()
    text = "\n".join(
        [
            "# a comment line, skipped",
            "date,benchmark,usd_per_troy_ounce",
            "2026-11-02,lbma_gold_am,4112.450",  # 3: good
            "2026-13-02,lbma_gold_am,4112.450",  # 4: no such day
            "02/11/2026,lbma_gold_pm,4112.450",  # 5: not ISO
            "2026-11-02,lbma_platinum,980.000",  # 6: unknown benchmark
            "2026-11-02,lbma_gold_pm,2650.3499999999999",  # 7: a float's digits
            "2026-11-02,lbma_silver,-48.000",  # 8: negative
            "2026-11-02,lbma_gold_am,4113.000",  # 9: the same day as line 3
            f"{recorded},lbma_gold_pm,4001.000",  # 10: already recorded with another figure
            "2026-11-03,lbma_gold_pm",  # 11: a column missing
            "2999-01-04,lbma_gold_pm,4100.000",  # 12: a day that has not come
            "2026-11-03,lbma_gold_pm,4.1e3",  # 13: an exponent
            "2026-11-03,lbma_silver,0",  # 14: zero
            "",
        ]
    )

    err, failure = refused(write(tmp_path, text), "fixes", ops)

    lines = err.splitlines()
    assert [line.split(":", 1)[0] for line in lines] == [f"prices.csv, line {n}" for n in range(4, 15)]
    assert "no such day" in lines[0]
    assert "write it YYYY-MM-DD" in lines[1]
    assert "unknown benchmark 'lbma_platinum'" in lines[2]
    assert "has 13 decimal places; at most 3" in lines[3]
    assert "a negative price (-48.000)" in lines[4]
    assert "the same day as line 3" in lines[5]
    assert f"{recorded} is already recorded as 4000.000: correct that row instead" in lines[6]
    assert "2 columns where the header has 3" in lines[7]
    assert "has not begun in London" in lines[8]
    assert "not a decimal written with digits and a point" in lines[9]
    assert "of zero" in lines[10]
    assert "11 bad line(s); nothing was written" in str(failure)


def test_a_bad_rates_file_is_refused_line_by_line(ops, tmp_path):
    text = "\n".join(
        [
            "date,base,quote,rate",
            "2026-11-02,USD,PEN,3.4521001",
            "2026-11-02,USD,EUR,1.080000",
            "2026-11-03,PEN,PEN,1.000000",
            "2026-11-04,USD,PEN,3.455300",
            "2026-11-04,USD,PEN,3.455300",
        ]
    )

    err, _failure = refused(write(tmp_path, text), "rates", ops)

    lines = err.splitlines()
    assert "line 2: rate 3.4521001 has 7 decimal places; at most 6" in lines[0]
    assert "line 3: unknown currency 'EUR'" in lines[1]
    assert "line 4: a rate is between two different currencies" in lines[2]
    assert "line 6: the same day as line 5" in lines[3]
    assert len(lines) == 4


def test_sample_figures_are_never_taken_for_real_ones(ops):
    run(FIXES_SAMPLE, "fixes", ops)

    err, _failure = refused(FIXES_SAMPLE, "fixes", ops, sample=False)

    assert len(err.splitlines()) == 9
    assert "(a sample figure): correct that row instead" in err


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", "file: the file is empty"),
        ("# only a comment\n", "file: the file is empty"),
        ("date,benchmark,price\n2026-11-02,lbma_gold_am,1.000\n", "line 1: the header must be"),
        ("date,benchmark,usd_per_troy_ounce\n", "file: the file has a header but no figures"),
    ],
)
def test_a_file_without_a_proper_header_or_figures_is_refused(ops, tmp_path, text, why):
    err, _failure = refused(write(tmp_path, text), "fixes", ops)

    assert why in err


def test_a_file_that_is_not_utf8_is_refused(ops, tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("date,benchmark,usd_per_troy_ounce\n# año\n".encode("latin-1"))

    err, _failure = refused(path, "fixes", ops)

    assert "not UTF-8" in err


def test_only_staff_import(tmp_path):
    UserFactory(email="socia@example.test")

    for by in ("socia@example.test", "nadie@example.test"):
        with pytest.raises(CommandError, match="--by"):
            run(FIXES_SAMPLE, "fixes", by)
    assert MetalPrice.objects.count() == 0


def test_a_blank_source_is_refused(ops):
    with pytest.raises(CommandError, match="Say where the figure was read"):
        run(FIXES_SAMPLE, "fixes", ops, source=" ")
    assert MetalPrice.objects.count() == 0
