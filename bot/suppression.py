"""Complementary suppression: which figures to withhold, besides the small ones, so that no
figure below `[evaluation] min_count` can be worked out by subtraction.

Outputs show figures together with their sums: a team's referrals and its pages in all, each
team's dialogs opened and the programme's. A figure below the threshold reads "< 5" (primary
suppression); but when it is the only unknown in a sum whose other members are shown, the sum
less the others gives it away. So, in every sum (`Sum`: a total and its parts) that holds an
unknown figure, at least two must be unknown, and those hidden together must not add up to a
small number or to one that pins each of them (two cells of "< 5" that add up to 8 are 4 and
4). Where a sum falls short, the total is withheld (read "withheld"); where the total is the
only unknown, the smallest part shown is withheld instead. Withholding one figure can open
another sum it belongs to, so the rule runs until every sum holds: the figures of every view
(a team's, the programme's) come from the one table, and a figure reads the same everywhere.

`withheld_cells` decides; `protected` turns counts into `Figure`s with that decision.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

from bot.usage_measures import Figure

__all__ = ["Sum", "protected", "withheld_cells"]

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True, slots=True)
class Sum(Generic[K]):
    """One sum an output shows: `total` is the sum of `parts` (keys of the counts; a key
    without a count is 0)."""

    total: K
    parts: tuple[K, ...]


def _small(count: int, min_count: int) -> bool:
    return 0 < count < min_count


def _safe(
    members: list[K], counts: Mapping[K, int], unknown: set[K], total: K, min_count: int
) -> bool:
    """Whether the unknown `members` of one sum stay unknown given the members shown."""
    hidden = [k for k in members if k in unknown]
    if not hidden:
        return True
    if len(hidden) == 1:
        return False  # the sum less the others gives it away
    if total in unknown:
        return True  # two unknowns or more, the total among them: no difference to take
    together = sum(counts.get(k, 0) for k in hidden)
    if together < min_count:
        return False  # the figures hidden here add up to a small number themselves
    if all(_small(counts.get(k, 0), min_count) for k in hidden):
        # n figures of 1 to min_count - 1 each: a sum of n or n * (min_count - 1) pins them
        return together not in (len(hidden), len(hidden) * (min_count - 1))
    return True


def withheld_cells(
    counts: Mapping[K, int],
    sums: Iterable[Sum[K]],
    min_count: int,
    unseen: Iterable[K] = (),
) -> set[K]:
    """The keys to withhold so that no sum gives away a figure below `min_count`.

    `unseen`: parts no output shows (the counts of no team, those of before teams were
    counted); a reader may know them all the same, so they count as shown unless small, and
    are never withheld in place of another."""
    sums = list(sums)
    never = set(unseen)
    unknown = {k for k, n in counts.items() if _small(n, min_count)}
    withheld: set[K] = set()
    changed = True
    while changed:
        changed = False
        for one in sums:
            members = [one.total, *one.parts]
            if _safe(members, counts, unknown, one.total, min_count):
                continue
            pick: K | None = one.total
            if one.total in unknown or one.total in never:
                shown = [
                    k
                    for k in one.parts
                    if k not in unknown and k not in never and counts.get(k, 0) > 0
                ]
                pick = min(shown, key=lambda k: counts.get(k, 0), default=None)
            if pick is None:
                continue  # every member is unknown or nothing: nothing left to give away
            unknown.add(pick)
            withheld.add(pick)
            changed = True
    return withheld


def protected(
    counts: Mapping[K, int],
    sums: Iterable[Sum[K]],
    min_count: int,
    unseen: Iterable[K] = (),
) -> dict[K, Figure]:
    """Every count as a `Figure`: "< 5" below `min_count`, "withheld" where a sum would give a
    hidden one away (`withheld_cells`)."""
    withheld = withheld_cells(counts, sums, min_count, unseen)
    return {k: Figure(n, min_count, withheld=k in withheld) for k, n in counts.items()}
