"""The impact report's chart, drawn on the server as an SVG file: fine gold traded per month as bars, the
mercury-free part of each bar darker, and the months whose figure is withheld marked as such.

matplotlib without pyplot: a `Figure` of its own with the SVG canvas, so no global state is shared between
requests or threads, and no display is needed. The SVG matplotlib writes holds paths and styles only (text is
drawn as paths), never a script; the view serves it with a policy that would refuse one anyway.
"""

from __future__ import annotations

import io
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from reports.suppression import NOTHING_TO_MEASURE

if TYPE_CHECKING:
    from matplotlib.figure import Figure

TRADED = "#d9b44a"  # gold
MERCURY_FREE = "#2e7d4f"  # green
WITHHELD = "#9e9e9e"


def impact_chart_svg(report: dict[str, Any]) -> bytes:
    """The chart of the report (its JSON answer, `reports.api.serializers.report_data`) as SVG bytes, its words
    in the active language."""
    from matplotlib.backends.backend_svg import FigureCanvasSVG  # imported here: only this view needs it

    figure = draw(report)
    FigureCanvasSVG(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None, "Title": _("Impact report")})
    return buffer.getvalue()


def draw(report: dict[str, Any]) -> Figure:
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    figure = Figure(figsize=(10, 5), dpi=100, layout="constrained")
    axes = figure.add_subplot()
    labels = [column["month"] for column in report["months"]]
    positions = list(range(len(labels)))
    traded: list[float] = []
    mercury_free: list[float] = []
    withheld: list[int] = []  # the month's grams are withheld
    split_withheld: list[int] = []  # the grams are shown, their mercury-free share is withheld
    for position, column in enumerate(report["months"]):
        grams, share = column["fine_gold_grams"], column["mercury_free_percent"]
        if grams["value"] is None:
            withheld.append(position)
            traded.append(0.0)
            mercury_free.append(0.0)
            continue
        traded.append(float(Decimal(grams["value"])))
        percent = share["value"]
        part = Decimal(grams["value"]) * Decimal(percent) / 100 if percent is not None else Decimal(0)
        mercury_free.append(float(part))
        if percent is None and share["reason"] != NOTHING_TO_MEASURE:
            split_withheld.append(position)
    axes.bar(positions, traded, color=TRADED, width=0.7)
    axes.bar(positions, mercury_free, color=MERCURY_FREE, width=0.7)
    top = max(traded, default=0.0) or 1.0
    for position in split_withheld:
        axes.bar([position], [traded[position]], color="none", edgecolor=MERCURY_FREE, hatch="..", width=0.7)
    for position in withheld:
        axes.bar([position], [top * 0.04], color="none", edgecolor=WITHHELD, hatch="///", width=0.7)
        axes.text(position, top * 0.06, "×", ha="center", va="bottom", color=WITHHELD, fontsize=14)
    axes.set_ylim(0, top * 1.15)
    axes.set_xticks(positions, labels, rotation=45, ha="right")
    axes.set_ylabel(_("Fine gold (grams)"))
    axes.set_title(
        _("Fine gold traded per month, %(first)s to %(last)s") % {"first": report["from"], "last": report["to"]}
    )
    axes.spines[["top", "right"]].set_visible(False)
    axes.legend(
        handles=[
            Patch(color=TRADED, label=_("Fine gold traded (settled)")),
            Patch(color=MERCURY_FREE, label=_("of which mercury-free")),
            Patch(facecolor="none", edgecolor=MERCURY_FREE, hatch="..", label=_("mercury-free share withheld")),
            Patch(facecolor="none", edgecolor=WITHHELD, hatch="///", label=_("× month withheld")),
        ],
        loc="upper left",
        frameon=False,
    )
    k = report["total"]["min_group_size"]
    if k is not None:
        figure.supxlabel(
            _("A figure describing fewer than %(k)s producers is withheld, and so is one that would reveal it.")
            % {"k": k},
            x=0.01,
            ha="left",
            fontsize=8,
            color="#555555",
        )
    return figure
