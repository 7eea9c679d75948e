"""Which figures of the impact report may be published (docs/impact.md, "The suppression rule"). Pure: sets of
producers in, decisions out; no database.

The unit that could be singled out is the producer. A figure is the sum (or a share, a median, a count) of what
some producers contributed; it is *small* when 1 to k−1 distinct producers contributed something to it (k: the
report policy's `min_group_size`). A small figure is withheld (`below_min_group_size`); so is any figure that,
with the figures published beside it, would give a small one away by subtraction (`complementary`). A figure
that nobody contributed to is not small: its 0 is shown (a month without trade is a fact about no producer),
and a share or a median of nothing is `nothing_to_measure`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Hashable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

BELOW_MIN_GROUP_SIZE = "below_min_group_size"  # 1 to k−1 producers stand behind the figure
COMPLEMENTARY = "complementary"  # shown, it would give away a figure withheld for the reason above
NOTHING_TO_MEASURE = "nothing_to_measure"  # a share or median of nothing: no gold traded, no evidence decided
NO_POLICY = "no_report_policy"  # no report policy at all (the table was emptied by hand): nothing is published
REASONS = (BELOW_MIN_GROUP_SIZE, COMPLEMENTARY, NOTHING_TO_MEASURE, NO_POLICY)

K = TypeVar("K", bound=Hashable)


def small(group: Collection[Any], k: int) -> bool:
    """1 to k−1 members: a group in which one producer's part can be told."""
    return 0 < len(group) < k


def _union(sets: Iterable[frozenset[Any]]) -> frozenset[Any]:
    out: set[Any] = set()
    for group in sets:
        out |= group
    return frozenset(out)


def complete_hiding(
    cells: Mapping[K, Sequence[frozenset[Any]]],
    hidden: Collection[K],
    k: int,
    weight: Callable[[K], Any],
) -> tuple[set[K], bool]:
    """Complementary suppression for a total published beside its cells (the months of a figure, the parts of a
    count). Each cell has one or more *parts* (for a share, the producers of the gold that is mercury-free and
    of the gold that is not), each a set of contributing producers. With the total shown, the cells withheld add
    up to the total less the cells shown: for each part, the producers of the withheld cells taken together must
    be none or at least k, or that sum gives a small group away.

    Starting from the cells already withheld, withholds more cells (the lightest first, by `weight`, then by key)
    until that holds. Returns the cells withheld and whether the total may be shown; False when no cell left
    could make the withheld group big enough (then the total is withheld instead)."""
    withheld = set(hidden)
    parts = max((len(groups) for groups in cells.values()), default=0)

    def residual(part: int) -> frozenset[Any]:
        return _union(cells[key][part] for key in withheld)

    while True:
        bad = [part for part in range(parts) if small(residual(part), k)]
        if not bad:
            return withheld, True
        helpful = [
            key for key in cells if key not in withheld and any(cells[key][part] - residual(part) for part in bad)
        ]
        if not helpful:
            return withheld, False
        withheld.add(min(helpful, key=lambda key: (weight(key), key)))  # type: ignore[type-var]
