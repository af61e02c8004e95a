"""Complementary suppression: which figures to withhold, besides the small ones, so that no
figure below `[evaluation] min_count` can be worked out by subtraction.

Outputs show figures together with their sums: a team's referrals and its pages in all, each
team's dialogs opened and the programme's. A figure below the threshold reads "< 5" (primary
suppression); but when it is the only unknown in a sum whose other members are shown, the sum
less the others gives it away. Subtraction goes further than one sum: a reader knows that a
"< 5" is 1 to 4, that the cells of a total add up to it, and can carry what one sum tells into
the next (two cells of "< 5" that add up to 8 are 4 and 4; a programme's cell of "< 5" made of
two teams' cells is at least 2). `withheld_cells` reasons as such a reader does, over every
sum at once (`Sum`: a total and its parts): while any hidden figure is left with one possible
value, or the figures hidden beside a total shown add up to a small number themselves, it
withholds one more figure of a sum concerned (read "withheld", which says nothing of its
size): a total shown first, then a "< 5" total, then the smallest part shown. The figures of
every view (a team's, the programme's) come from the one table, so a figure reads the same
everywhere. `protected` turns the counts into `Figure`s with that decision.
"""

from __future__ import annotations

import math
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


def _bounds(
    key: K, counts: Mapping[K, int], min_count: int, withheld: set[K]
) -> tuple[float, float]:
    """What a reader knows of a figure by itself: its value when shown, 1 to min_count - 1
    when it reads "< 5", nothing when withheld."""
    count = counts.get(key, 0)
    if key in withheld:
        return 0, math.inf
    if 0 < count < min_count:
        return 1, min_count - 1
    return count, count


def _narrowed(
    sums: list[Sum[K]], known: dict[K, tuple[float, float]]
) -> dict[K, tuple[float, float]]:
    """What the reader can work out: each figure's bounds, narrowed by every sum in turn
    (a member lies between the total less the others' largest and less their smallest) until
    no sum narrows any further."""
    known = dict(known)
    for _ in range(_PASSES):
        changed = False
        for one in sums:
            parts = [known[k] for k in one.parts]
            low_sum, high_sum = _add(b[0] for b in parts), _add(b[1] for b in parts)
            total = known[one.total]
            found = [(one.total, low_sum.all(), high_sum.all())]
            for key, (low, high) in zip(one.parts, parts, strict=True):
                # a part: the total less the other parts
                found.append((key, total[0] - high_sum.but(high), total[1] - low_sum.but(low)))
            for key, low, high in found:
                was = known[key]
                now = (max(was[0], low), min(was[1], high))
                if now != was:
                    known[key] = now
                    changed = True
        if not changed:
            break
    return known


@dataclass(frozen=True, slots=True)
class _Added:
    """A sum of bounds that may hold infinite ones, from which one may be taken back."""

    finite: float
    infinite: int

    def all(self) -> float:
        return math.inf if self.infinite else self.finite

    def but(self, value: float) -> float:
        if math.isinf(value):
            return math.inf if self.infinite > 1 else self.finite
        return math.inf if self.infinite else self.finite - value


def _add(values: Iterable[float]) -> _Added:
    finite, infinite = 0.0, 0
    for value in values:
        if math.isinf(value):
            infinite += 1
        else:
            finite += value
    return _Added(finite, infinite)


#: how many times every sum is read at most (a bound on the work, never reached in practice)
_PASSES = 50


def _unsafe(
    sums: list[Sum[K]], counts: Mapping[K, int], min_count: int, withheld: set[K]
) -> list[Sum[K]]:
    """The sums that give something away, the worst first: those where a hidden figure is
    left with one possible value, or where the figures hidden beside a total shown add up to
    less than `min_count`."""
    keys = {k for one in sums for k in (one.total, *one.parts)}
    alone = {k: _bounds(k, counts, min_count, withheld) for k in keys}
    known = _narrowed(sums, alone)
    pinned = {k for k, (low, high) in known.items() if low >= high and alone[k][0] < alone[k][1]}
    found = []
    for one in sums:
        members = (one.total, *one.parts)
        hidden = [k for k in one.parts if alone[k][0] < alone[k][1]]
        small_lump = (
            alone[one.total][0] == alone[one.total][1]
            and hidden
            and sum(counts.get(k, 0) for k in hidden) < min_count
        )
        if small_lump or any(k in pinned for k in members):
            found.append(one)
    # a total shown first (withholding it tells the most), then a "< 5" one, then the rest
    return sorted(found, key=lambda one: _rank(one.total, alone, withheld))


def _rank(total: K, alone: Mapping[K, tuple[float, float]], withheld: set[K]) -> int:
    if total in withheld:
        return 2
    return 0 if alone[total][0] == alone[total][1] else 1


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
    never = set(unseen)
    withheld: set[K] = set()
    for group in _apart(list(sums)):  # sums that share no figure are read apart
        while True:
            pick = None
            for one in _unsafe(group, counts, min_count, withheld):
                pick = _pick(one, counts, min_count, withheld | never)
                if pick is not None:
                    break
            if pick is None:
                break  # safe, or nothing left that withholding would change
            withheld.add(pick)
    return withheld


def _apart(sums: list[Sum[K]]) -> list[list[Sum[K]]]:
    """The sums in groups that share no figure (a figure's sums are all in its group)."""
    leader: dict[K, K] = {}

    def find(key: K) -> K:
        while leader.setdefault(key, key) != key:
            leader[key] = leader[leader[key]]
            key = leader[key]
        return key

    for one in sums:
        for part in one.parts:
            leader[find(part)] = find(one.total)
    groups: dict[K, list[Sum[K]]] = {}
    for one in sums:
        groups.setdefault(find(one.total), []).append(one)
    return list(groups.values())


def _pick(one: Sum[K], counts: Mapping[K, int], min_count: int, fixed: set[K]) -> K | None:
    """What to withhold in a sum that gives something away: its total, or when that is
    withheld already, its smallest part shown, or else one that reads "< 5"."""
    if one.total not in fixed:
        return one.total
    parts = [k for k in one.parts if k not in fixed and counts.get(k, 0) > 0]
    shown = [k for k in parts if counts.get(k, 0) >= min_count]
    return min(shown or parts, key=lambda k: counts.get(k, 0), default=None)


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
