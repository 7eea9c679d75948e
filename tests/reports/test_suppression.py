"""The suppression rule, on random worlds (hypothesis): whatever the months hold, what the report publishes never
lets a reader compute a figure of 1 to k−1 producers, by reading it or by subtracting what is shown from a total."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from reports.impact import Flows, Month, _flow_figures, _protect_totals, _stock_figures, contributors
from reports.suppression import BELOW_MIN_GROUP_SIZE, COMPLEMENTARY, complete_hiding, small

PRODUCERS = st.sampled_from([f"p{n}" for n in range(8)])
GROUP = st.frozensets(PRODUCERS, max_size=6)


def _union(groups):
    out = set()
    for group in groups:
        out |= group
    return out


@settings(max_examples=300, deadline=None)
@given(
    cells=st.dictionaries(st.integers(0, 11), st.tuples(GROUP, GROUP), max_size=12),
    k=st.integers(2, 5),
)
def test_withheld_cells_together_are_none_or_a_group_unless_the_total_goes(cells, k):
    hidden = {key for key, parts in cells.items() if any(small(part, k) for part in parts)}

    withheld, total_shown = complete_hiding(cells, hidden, k, weight=lambda key: key)

    assert hidden <= withheld
    residuals = [_union(cells[key][part] for key in withheld) for part in (0, 1)]
    if total_shown:
        assert not any(small(residual, k) for residual in residuals)
    else:  # no cell left to withhold would have made the small part bigger
        small_parts = [part for part, residual in enumerate(residuals) if small(residual, k)]
        assert small_parts
        shown = [key for key in cells if key not in withheld]
        assert all(cells[key][part] <= residuals[part] for key in shown for part in small_parts)


SHIPMENT = st.tuples(
    st.integers(0, 5),  # the month
    PRODUCERS,
    st.integers(1, 500),  # grams
    st.booleans(),  # mercury-free
    st.booleans(),  # women-led
    st.sampled_from([0, 0, 1200, 5000]),  # premium in cents
)


@settings(max_examples=300, deadline=None)
@given(shipments=st.lists(SHIPMENT, max_size=25), k=st.integers(2, 4))
def test_nothing_published_lets_a_small_group_be_computed(shipments, k):
    months = [Month(2026, 1).plus(n) for n in range(6)]
    flows = {month: Flows() for month in months}
    for index, producer, grams, mercury_free, women_led, premium in shipments:
        month_flows = flows[months[index]]
        amount = Decimal(grams)
        month_flows.grams[producer] += amount
        (month_flows.mercury_free if mercury_free else month_flows.other_process)[producer] += amount
        (month_flows.women_led if women_led else month_flows.not_women_led)[producer] += amount
        if premium:
            month_flows.premiums[producer] += premium
    columns = {month: _flow_figures(flows[month], k) for month in months}
    total = Flows()
    for month in months:
        total.add(flows[month])

    totals = _protect_totals(months, flows, columns, total, k)

    checks = {
        "fine_gold_grams": [lambda f: f.grams],
        "mercury_free_percent": [lambda f: f.mercury_free, lambda f: f.other_process],
        "women_led_percent": [lambda f: f.women_led, lambda f: f.not_women_led],
        "certified_premiums": [lambda f: f.premiums],
    }
    for figure, parts in checks.items():
        shown = [month for month in months if columns[month][figure].reason is None]
        for part in parts:
            # Each figure shown stands on none or at least k producers (for a share: each of its two parts).
            assert not any(small(contributors(part(flows[month])), k) for month in shown), figure
            if totals[figure].reason is None:
                # The total less the months shown is the withheld months together: none or at least k producers.
                residual = _union(contributors(part(flows[month])) for month in months if month not in shown)
                assert not small(residual, k), figure
                assert not small(contributors(part(total)), k), figure
        for month in months:
            assert columns[month][figure].reason in (None, BELOW_MIN_GROUP_SIZE, COMPLEMENTARY, "nothing_to_measure")
            if columns[month][figure].reason is not None:
                assert columns[month][figure].value is None  # withheld is null, never 0
        # A share is never shown beside withheld grams.
        if figure.endswith("_percent"):
            assert all(columns[month]["fine_gold_grams"].reason is None for month in shown)


@settings(max_examples=200, deadline=None)
@given(
    verified=st.frozensets(PRODUCERS),
    formalized_share=st.frozensets(PRODUCERS),
    authorised_share=st.frozensets(PRODUCERS),
    k=st.integers(2, 4),
)
def test_the_counts_at_a_months_end_never_tell_a_small_group(verified, formalized_share, authorised_share, k):
    formalized = verified & formalized_share
    authorised = formalized & authorised_share

    figures = _stock_figures(verified, formalized, authorised, {}, k)

    told = {name: figure.value for name, figure in figures.items() if figure.reason is None}
    groups = []  # every group a reader can compute from the counts shown
    if "producers_verified" in told:
        groups.append(verified)
        if "producers_formalized" in told:
            groups += [formalized, verified - formalized]
            if "producers_start_authorised" in told:
                groups += [authorised, formalized - authorised]
        elif "producers_start_authorised" in told:
            groups += [authorised, verified - authorised]
    else:
        assert "producers_formalized" not in told
        assert "producers_start_authorised" not in told
    assert not any(small(group, k) for group in groups)
