"""The per-team figures that outputs show beside the programme's: crisis referrals (`relais
stats`, `/stats`, the evaluation report), dialogs opened (the evaluation report) and the usage
figures per node (`relais stats` and `relais stats --team`, `/stats`). Each is
one table of every team and the programme, protected as a whole (`bot.suppression`): a figure
that a sum would give away is withheld in that table, so it reads the same in every view (one
team's report, the programme's, `relais stats --team`), and no view's sums, nor those of two
views side by side, work out a hidden one.

The teams that no output names (the counts of no team, and those of before teams were
counted) are in the programme's figures but never shown on their own.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bot.suppression import Sum, protected
from bot.usage_measures import REFERRAL_KINDS, Figure
from storage.repos.usage import ReferralTotal, UsageTotal

__all__ = [
    "PROGRAMME",
    "SUMMED",
    "ReferralTable",
    "opened_table",
    "referral_table",
    "usage_key",
    "usage_table",
]

#: the team key of the programme's figures (every team together)
PROGRAMME = None

#: ("cell", team, dialog, entry, kind) | ("kind", team, kind) | ("way", team, dialog, entry)
_Key = tuple[str | None, ...]


@dataclass(frozen=True, slots=True)
class ReferralTable:
    """Referrals per team (team id, or `PROGRAMME`) as figures: by dialog, entry point and
    kind (`cells`), by kind (`kinds`: pages, emergency screens), by dialog and entry point
    (`ways`: the evaluation report's)."""

    figures: dict[_Key, Figure]
    min_count: int

    def cells(self, team: str | None) -> dict[tuple[str, str, str], Figure]:
        return {
            (str(k[2]), str(k[3]), str(k[4])): f
            for k, f in sorted(self.figures.items(), key=_order)
            if k[0] == "cell" and k[1] == team
        }

    def kinds(self, team: str | None) -> dict[str, Figure]:
        return {
            kind: self.figures.get(("kind", team, kind), Figure(0, self.min_count))
            for kind in REFERRAL_KINDS
        }

    def ways(self, team: str | None) -> dict[tuple[str, str], Figure]:
        return {
            (str(k[2]), str(k[3])): f
            for k, f in sorted(self.figures.items(), key=_order)
            if k[0] == "way" and k[1] == team
        }


def _order(item: tuple[_Key, Figure]) -> tuple[str, ...]:
    return tuple("" if part is None else part for part in item[0])


def _by_dialog(item: tuple[tuple[str | None, str], Figure]) -> tuple[str, str]:
    return item[0][1], item[0][0] or ""


def referral_table(
    totals: Iterable[ReferralTotal], min_count: int, named: Iterable[str]
) -> ReferralTable:
    """Every team's referrals and the programme's; `named`: the ids of the teams an output
    may show (the others are only in the programme's figures)."""
    counts: dict[_Key, int] = {}
    teams: set[str] = set()
    for t in totals:
        teams.add(t.team_id)
        for team in (t.team_id, PROGRAMME):
            for key in (
                ("cell", team, t.dialog_id, t.entry, t.kind),
                ("kind", team, t.kind),
                ("way", team, t.dialog_id, t.entry),
            ):
                counts[key] = counts.get(key, 0) + t.count
    for team in (*teams, PROGRAMME):
        for kind in REFERRAL_KINDS:
            counts.setdefault(("kind", team, kind), 0)
    cells = [k for k in counts if k[0] == "cell"]
    sums: list[Sum[_Key]] = []
    for team in (*sorted(teams), PROGRAMME):
        mine = [c for c in cells if c[1] == team]
        for kind in REFERRAL_KINDS:  # a team's pages: the sum of its rows of pages
            sums.append(Sum(("kind", team, kind), tuple(c for c in mine if c[4] == kind)))
        if team is not PROGRAMME:  # a team's ways: the sum of its pages and screens there
            for way in {c[2:4] for c in mine}:
                sums.append(Sum(("way", team, *way), tuple(c for c in mine if c[2:4] == way)))
    for cell in (c for c in cells if c[1] is PROGRAMME):  # the programme's: every team's
        parts = tuple(("cell", team, *cell[2:]) for team in sorted(teams))
        sums.append(Sum(cell, tuple(p for p in parts if p in counts)))
    for kind in REFERRAL_KINDS:
        sums.append(Sum(("kind", PROGRAMME, kind), tuple(("kind", t, kind) for t in teams)))
    shown = set(named)
    unseen = [k for k in counts if k[1] is not PROGRAMME and k[1] not in shown]
    return ReferralTable(protected(counts, sums, min_count, unseen), min_count)


def opened_table(
    opened: Mapping[str, Mapping[str, int]], min_count: int, named: Iterable[str]
) -> dict[str | None, dict[str, Figure]]:
    """Team id (or `PROGRAMME`) -> dialog id -> conversations opened on it; `opened`: team
    id -> dialog id -> count, every team (those not `named` only in the programme's)."""
    counts: dict[tuple[str | None, str], int] = {}
    for team, dialogs in opened.items():
        for dialog_id, count in dialogs.items():
            counts[(team, dialog_id)] = count
            counts[(PROGRAMME, dialog_id)] = counts.get((PROGRAMME, dialog_id), 0) + count
    sums = [
        Sum(total, tuple((team, total[1]) for team in opened if (team, total[1]) in counts))
        for total in sorted(k for k in counts if k[0] is PROGRAMME)
    ]
    shown = set(named)
    unseen = [k for k in counts if k[0] is not PROGRAMME and k[0] not in shown]
    figures = protected(counts, sums, min_count, unseen)
    table: dict[str | None, dict[str, Figure]] = {}
    for (team_id, dialog_id), figure in sorted(figures.items(), key=_by_dialog):
        table.setdefault(team_id, {})[dialog_id] = figure
    return table


#: the measures a node's figure adds up over their items (visits, /sos, emergency screens, the
#: times its median is read from); the others have a figure per item (option, exit, role)
SUMMED = ("visit", "sos", "emergency", "time")

#: (team, dialog, version, language, node, measure, item)
_UsageKey = tuple[str | None, str, int, str, str, str, str]


def usage_key(team: str | None, total: UsageTotal, merge: bool) -> _UsageKey:
    """The key of the figure a count adds to (`merge`: every language together, "*")."""
    item = "" if total.measure in SUMMED else total.item
    lang = "*" if merge else total.lang
    return (team, total.dialog_id, total.dialog_version, lang, total.node_id, total.measure, item)


def usage_table(
    totals: Iterable[UsageTotal], min_count: int, named: Iterable[str], merge: bool
) -> dict[_UsageKey, Figure]:
    """Every team's usage figures and the programme's, per dialog version, language, node,
    measure and item (`usage_key`); `totals` per team (those not `named` are only in the
    programme's figures)."""
    counts: dict[_UsageKey, int] = {}
    teams: set[str] = set()
    for total in totals:
        teams.add(total.team_id)
        for team in (total.team_id, PROGRAMME):
            key = usage_key(team, total, merge)
            counts[key] = counts.get(key, 0) + total.count
    sums = [
        Sum(key, tuple(part for t in sorted(teams) if (part := (t, *key[1:])) in counts))
        for key in counts
        if key[0] is PROGRAMME
    ]
    shown = set(named)
    unseen = [k for k in counts if k[0] is not PROGRAMME and k[0] not in shown]
    return protected(counts, sums, min_count, unseen)
