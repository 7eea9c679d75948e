"""The impact report as JSON: each figure an object `{value, reason}`, the value null (never 0) with a reason
code when the figure is withheld or there is nothing to measure."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from core.serializers import MoneyField
from reports.impact import ImpactReport
from reports.models import ReportPolicy
from reports.suppression import REASONS

MONTH_TEXT = r"^2[0-9]{3}-(0[1-9]|1[0-2])$"

REASON_HELP = (
    "Null when the value is shown. Otherwise why it is null: `below_min_group_size` (fewer distinct producers "
    "than the policy's minimum stand behind it), `complementary` (shown, it would give away a withheld figure by "
    "subtraction), `nothing_to_measure` (a share or median of nothing), `no_report_policy` (no policy at all)."
)


def _reason() -> serializers.ChoiceField:
    return serializers.ChoiceField(choices=REASONS, allow_null=True, read_only=True, help_text=REASON_HELP)


class GramsFigureSerializer(serializers.Serializer):
    value = serializers.DecimalField(
        max_digits=16, decimal_places=3, min_value=0, allow_null=True, read_only=True, help_text="Grams of fine gold."
    )
    reason = _reason()


class PercentFigureSerializer(serializers.Serializer):
    value = serializers.DecimalField(
        max_digits=4,
        decimal_places=1,
        min_value=0,
        max_value=100,
        allow_null=True,
        read_only=True,
        help_text="Percent of the fine gold traded, to 0.1.",
    )
    reason = _reason()


class MoneyFigureSerializer(serializers.Serializer):
    value = MoneyField(allow_null=True, read_only=True, help_text="US dollars.")
    reason = _reason()


class CountFigureSerializer(serializers.Serializer):
    value = serializers.IntegerField(min_value=0, allow_null=True, read_only=True)
    reason = _reason()


class HoursFigureSerializer(serializers.Serializer):
    value = serializers.DecimalField(
        max_digits=9, decimal_places=1, min_value=0, allow_null=True, read_only=True, help_text="Hours, to 0.1."
    )
    reason = _reason()


def _month(**kwargs: Any) -> serializers.RegexField:
    return serializers.RegexField(MONTH_TEXT, read_only=True, **kwargs)


class FlowFiguresSerializer(serializers.Serializer):
    complete = serializers.BooleanField(read_only=True, help_text="False for a period that is not over yet.")
    min_group_size = serializers.IntegerField(
        allow_null=True,
        read_only=True,
        help_text="The report policy's minimum that judged these figures (the version in force on the last day).",
    )
    fine_gold_grams = GramsFigureSerializer(
        read_only=True, help_text="Fine gold of the final settlement statements issued (docs/impact.md)."
    )
    mercury_free_percent = PercentFigureSerializer(
        read_only=True, help_text="Share of that gold whose signed terms show the mercury-free claim backed."
    )
    women_led_percent = PercentFigureSerializer(
        read_only=True, help_text="Share of that gold from producers women-led by their approved evidence."
    )
    certified_premiums = MoneyFigureSerializer(
        read_only=True, help_text="The premiums of certified terms (Fairmined, Fairtrade) in those statements."
    )
    evidence_decided = CountFigureSerializer(
        read_only=True, help_text="Producers' evidence items approved, rejected or sent back for changes."
    )
    median_review_hours = HoursFigureSerializer(
        read_only=True, help_text="Median time from an item's submission to its decision."
    )


class MonthFiguresSerializer(FlowFiguresSerializer):
    month = _month(help_text="The calendar month, in Lima time.")
    producers_verified = CountFigureSerializer(read_only=True, help_text="Verified at the month's end.")
    producers_formalized = CountFigureSerializer(
        read_only=True,
        help_text="Of those, meeting the formalization requirement (approved REINFO registration or start "
        "authorisation, valid at the month's end).",
    )
    producers_start_authorised = CountFigureSerializer(
        read_only=True, help_text="Of those, holding the authorisation to start exploitation."
    )
    women_members = CountFigureSerializer(
        read_only=True, help_text="Women on the active rosters of the producers verified at the month's end."
    )

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        return {"month": fields.pop("month"), **fields}  # the month first


class ReportPolicySerializer(serializers.ModelSerializer):
    class Meta:
        model = ReportPolicy
        fields = ["min_group_size", "valid_from", "source"]
        read_only_fields = fields


class ImpactReportSerializer(serializers.Serializer):
    generated_at = serializers.DateTimeField(read_only=True)
    time_zone = serializers.CharField(read_only=True, help_text="Months are calendar months in this zone.")
    policies = ReportPolicySerializer(
        many=True, read_only=True, help_text="The report policy versions that judged a figure, oldest first."
    )
    months = MonthFiguresSerializer(many=True, read_only=True)
    total = FlowFiguresSerializer(
        read_only=True,
        help_text="The period's flows. Counts at a month's end have no total: read the last month's.",
    )

    def get_fields(self) -> dict[str, serializers.Field]:
        # `from` is a Python keyword: the fields named after the query parameters are added here, first.
        return {
            "from": _month(help_text="The first month of the report."),
            "to": _month(help_text="The last month of the report (the month under way at most)."),
            **super().get_fields(),
        }


def report_data(report: ImpactReport) -> dict[str, Any]:
    """The report as the JSON answer (plain data: what the cache keeps and the CSV and chart are made from)."""

    def column(col: Any, month: bool) -> dict[str, Any]:
        figures = {name: {"value": figure.value, "reason": figure.reason} for name, figure in col.figures.items()}
        base = {"month": col.label} if month else {}
        return {**base, "complete": col.complete, "min_group_size": col.min_group_size, **figures}

    instance = {
        "from": str(report.first),
        "to": str(report.last),
        "generated_at": report.generated_at,
        "time_zone": "America/Lima",
        "policies": report.policies,
        "months": [column(col, True) for col in report.months],
        "total": column(report.total, False),
    }
    return _plain(ImpactReportSerializer(instance).data)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value
