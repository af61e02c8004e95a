"""No hidden figure can be worked out by subtraction (issue 18): over many team distributions,
every figure that an output hides ("< 5", or "withheld") takes more than one value among the
tables that produce exactly the same outputs.

For one table of counts, the test renders every output that shows these figures, as the
commands do, through the functions they call: for the crisis referrals, `relais stats` as text
and as JSON (`--team` for each team, and the programme) and the evaluation report's values
(every team's report, each team's own); for the dialogs opened, the evaluation report's; for
the usage figures per node (a start node's visits are the dialogs opened there), `relais stats`
as text and JSON, `--team` for each team and the programme. Then
it tries every other table that differs only in the cells hidden there (a cell "< 5" from 1 to
min_count - 1, a withheld one around its value), drawn with the same figures withheld: the
tables whose outputs are the same are those a reader cannot tell apart by what is shown, and
among them each figure below min_count must vary. A figure that a total less the figures
beside it recovers, or that the bounds of "< 5" pin, would not.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Hashable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from bot.chat.catalog import Catalog
from bot.chat.dialog_registry import DialogRegistry
from bot.chat.stats_view import report_json, report_text
from bot.reports.evaluation import report_values
from bot.usage_measures import Figure
from bot.usecases import usage_tables
from bot.usecases.evaluation import MonthTallies, evaluation_of
from bot.usecases.usage import UsageReport, referral_reports, version_figures
from bot.usecases.usage_tables import opened_table, referral_table, usage_table
from storage.repos.usage import ReferralTotal, UsageTotal

CONTENT = Path(__file__).resolve().parents[2] / "content"
MONTH = "2026-11"
SPAN = (date(2026, 11, 1), date(2026, 12, 1))
NAMES = {"t1": "Team One", "t2": "Team Two", "t3": "Solo"}  # "" is no team: never shown
#: (dialog, entry, kind) of a referral
WAYS = [
    ("crisis", "crisis", "page"),
    ("crisis", "crisis", "emergency"),
    ("crisis", "sos", "emergency"),
    ("helper", "button", "page"),
]
#: how far a withheld cell is moved to look for another table with the same outputs
AROUND = 2

Raw = dict[tuple[str, ...], int]


@cache
def _catalog() -> Catalog:
    return Catalog.load(CONTENT)


@cache
def _dialogs() -> DialogRegistry:
    return DialogRegistry.from_content(CONTENT)


def _evaluation(min_count: int, tallies: MonthTallies) -> str:
    """Every team's report and each team's own, as the template receives them."""
    views = [None, *([team] for team in sorted(tallies.names))]
    return json.dumps(
        [
            report_values(
                evaluation_of(MONTH, min_count, tallies, view), _catalog(), _dialogs(), "en"
            )
            for view in views
        ],
        sort_keys=True,
        default=str,
    )


def _tallies(referrals: list[ReferralTotal], opened: Mapping[str, Mapping[str, int]]) -> Any:
    return MonthTallies(NAMES, referrals, {}, {}, {}, opened)


# -- the referrals -------------------------------------------------------------------------------


def referral_outputs(raw: Raw, min_count: int) -> str:
    totals = [ReferralTotal(*key, count=n) for key, n in sorted(raw.items()) if n]
    reports = referral_reports(referral_table(totals, min_count, NAMES), NAMES, SPAN)
    usage = UsageReport(SPAN[0], SPAN[1], min_count, [])
    shown = [r for r in reports if r.team_id is None or r.team_id in NAMES]  # --team NAME
    text = "".join(report_text(usage, r) for r in shown)
    value = json.dumps([report_json(usage, r) for r in shown])
    return text + value + _evaluation(min_count, _tallies(totals, {}))


def referral_figures(raw: Raw, min_count: int) -> dict[Hashable, Figure]:
    totals = [ReferralTotal(*key, count=n) for key, n in sorted(raw.items()) if n]
    figures = referral_table(totals, min_count, NAMES).figures
    # the programme's figures by dialog and entry point alone are in no output
    return {k: f for k, f in figures.items() if not (k[0] == "way" and k[1] is None)}


def referral_cell(key: tuple[str, ...]) -> Hashable:
    return ("cell", *key)


# -- the dialogs opened -------------------------------------------------------------------------


def _opened(raw: Raw) -> dict[str, dict[str, int]]:
    opened: dict[str, dict[str, int]] = {}
    for (team, dialog_id), n in raw.items():
        if n:
            opened.setdefault(team, {})[dialog_id] = n
    return opened


def opened_outputs(raw: Raw, min_count: int) -> str:
    return _evaluation(min_count, _tallies([], _opened(raw)))


def opened_figures(raw: Raw, min_count: int) -> dict[Hashable, Figure]:
    table = opened_table(_opened(raw), min_count, NAMES)
    return {(team, d): f for team, dialogs in table.items() for d, f in dialogs.items()}


def opened_cell(key: tuple[str, ...]) -> Hashable:
    return key


# -- the usage figures per node (relais stats, with --team NAME and without) ------------------

#: (node, measure, item) of a usage count of the crisis dialog, version 1, in English
COUNTED = [
    ("what", "visit", ""),
    ("what", "choice", "talk"),
    ("what", "choice", "sos"),
    ("what", "exit", "cancelled"),
    ("talk", "visit", ""),
]


def _usage(raw: Raw) -> list[UsageTotal]:
    return [
        UsageTotal("crisis", 1, "en", node, measure, item, n, team)
        for (team, node, measure, item), n in sorted(raw.items())
        if n
    ]


def usage_outputs(raw: Raw, min_count: int) -> str:
    out = []
    for view in (None, *NAMES):  # relais stats, and relais stats --team NAME
        figures = version_figures(_usage(raw), min_count, False, view, NAMES)
        report = UsageReport(SPAN[0], SPAN[1], min_count, figures)
        out.append(report_text(report, None) + json.dumps(report_json(report, None)))
    return "".join(out)


def usage_figures(raw: Raw, min_count: int) -> dict[Hashable, Figure]:
    return dict(usage_table(_usage(raw), min_count, NAMES, False))


def usage_cell(key: tuple[str, ...]) -> Hashable:
    team, node, measure, item = key
    return (team, "crisis", 1, "en", node, measure, item)


# -- the check ----------------------------------------------------------------------------------


@contextmanager
def withholding(pattern: set[Hashable], record: bool) -> Iterator[None]:
    """The tables' `protected` recording what it withholds (`record`), or withholding exactly
    `pattern`: the other tables are read as the reader reads them, with the same figures
    withheld."""
    real = usage_tables.protected

    def protected(counts: Any, sums: Any, min_count: int, unseen: Any = ()) -> Any:
        if record:
            figures = real(counts, sums, min_count, unseen)
            pattern.update(k for k, f in figures.items() if f.withheld)
            return figures
        return {k: Figure(n, min_count, withheld=k in pattern) for k, n in counts.items()}

    usage_tables.protected = protected  # type: ignore[assignment]
    try:
        yield
    finally:
        usage_tables.protected = real


def assert_nothing_recovered(
    raw: Raw,
    min_count: int,
    outputs: Callable[[Raw, int], str],
    figures: Callable[[Raw, int], dict[Hashable, Figure]],
    cell: Callable[[tuple[str, ...]], Hashable],
    limit: int = 20_000,
) -> None:
    pattern: set[Hashable] = set()
    with withholding(pattern, record=True):
        seen = outputs(raw, min_count)
        mine = figures(raw, min_count)
    # the small figures, whether they read "< 5" or "withheld" (a large figure withheld to
    # protect one may be worked out: what matters is that the small one is not)
    hidden = {k for k, f in mine.items() if 0 < f.count < min_count}
    moved = [key for key in sorted(raw) if raw[key] and mine[cell(key)].hidden]
    ranges = [
        range(1, min_count)
        if raw[key] < min_count and not mine[cell(key)].withheld
        else range(max(0, raw[key] - AROUND), raw[key] + AROUND + 1)
        for key in moved
    ]
    tried = 1
    for r in ranges:
        tried *= len(r)
    assert tried <= limit, f"too many tables to try ({tried}): make the case smaller"
    values: dict[Hashable, set[int]] = {k: set() for k in hidden}
    with withholding(pattern, record=False):
        for combination in itertools.product(*ranges):
            other = {**raw, **dict(zip(moved, combination, strict=True))}
            if outputs(other, min_count) != seen:
                continue
            found = figures(other, min_count)
            for key in hidden:
                values[key].add(found[key].count if key in found else 0)
    assert values == {} or any(values.values()), "the table itself must match its outputs"
    recovered = {k: v for k, v in values.items() if len(v) < 2}
    assert not recovered, f"recovered by subtraction: {recovered} from {raw}"


def check_referrals(raw: Raw, min_count: int = 5) -> None:
    assert_nothing_recovered(raw, min_count, referral_outputs, referral_figures, referral_cell)


def check_opened(raw: Raw, min_count: int = 5) -> None:
    assert_nothing_recovered(raw, min_count, opened_outputs, opened_figures, opened_cell)


def check_usage(raw: Raw, min_count: int = 5) -> None:
    assert_nothing_recovered(raw, min_count, usage_outputs, usage_figures, usage_cell)


# -- distributions worth naming -----------------------------------------------------------------


def test_a_team_of_one_beside_a_large_team() -> None:
    """The programme's total less the large team's would be the lone team's 3."""
    check_opened({("t1", "crisis"): 6, ("t3", "crisis"): 3})
    check_referrals({("t1", *WAYS[0]): 6, ("t3", *WAYS[0]): 3})
    figures = opened_figures({("t1", "crisis"): 6, ("t3", "crisis"): 3}, 5)
    assert figures[(None, "crisis")].shown() == "withheld"
    assert figures[("t3", "crisis")].shown() == "< 5"
    assert figures[("t1", "crisis")].shown() == "6"


def test_relais_stats_per_team_beside_the_programme() -> None:
    """`relais stats --team Solo` reads "< 5", `--team "Team One"` 6: `relais stats` must not
    read 9 visits (the dialogs opened) nor 9 choices of "talk"."""
    raw = {
        ("t1", "what", "visit", ""): 6,
        ("t1", "what", "choice", "talk"): 6,
        ("t3", "what", "visit", ""): 3,
        ("t3", "what", "choice", "talk"): 3,
    }
    check_usage(raw)
    text = usage_outputs(raw, 5)
    programme = version_figures(_usage(raw), 5, False, None, NAMES)[0].nodes["what"]
    assert programme.visits.shown() == "withheld"
    assert programme.choices["talk"].shown() == "withheld"
    assert "visits 9" not in text
    assert '"visits": "withheld"' in text


def test_two_small_teams_that_pin_each_other() -> None:
    """Two cells of "< 5" adding up to 8 are 4 and 4; to 2, 1 and 1; to 6, either."""
    for pair in ((4, 4), (1, 1), (2, 3), (3, 3)):
        raw = {("t1", "crisis"): 10, ("t2", "crisis"): pair[0], ("t3", "crisis"): pair[1]}
        check_opened(raw)
        check_referrals(
            {("t1", *WAYS[1]): 10, ("t2", *WAYS[1]): pair[0], ("t3", *WAYS[1]): pair[1]}
        )
    shown = opened_figures({("t1", "crisis"): 10, ("t2", "crisis"): 3, ("t3", "crisis"): 3}, 5)
    assert shown[(None, "crisis")].shown() == "16"  # 6 between two teams: neither is known


def test_counts_of_no_team_are_not_read_by_subtraction() -> None:
    check_opened({("t1", "crisis"): 7, ("", "crisis"): 2})
    check_referrals({("t1", *WAYS[2]): 7, ("", *WAYS[2]): 2})


def test_a_team_row_with_one_small_cell_withholds_its_total() -> None:
    """A team's pages in all, less its rows of pages shown, would be the small row."""
    raw = {("t1", *WAYS[0]): 9, ("t1", *WAYS[3]): 2, ("t2", *WAYS[0]): 8, ("t2", *WAYS[3]): 6}
    check_referrals(raw)
    figures = referral_figures(raw, 5)
    assert figures[("kind", "t1", "page")].shown() == "withheld"
    assert figures[("kind", "t2", "page")].shown() == "14"
    # and the programme's pages, less team two's, would be team one's pages in all
    assert figures[("kind", None, "page")].hidden


def test_a_withheld_total_opens_no_other_sum() -> None:
    """Team one's pages are withheld; its pages by way ("crisis (crisis)": a page and a screen)
    and the programme's rows must not bring them back."""
    raw = {
        ("t1", *WAYS[0]): 3,
        ("t1", *WAYS[1]): 7,
        ("t1", *WAYS[3]): 6,
        ("t2", *WAYS[0]): 5,
        ("t2", *WAYS[1]): 9,
        ("t2", *WAYS[3]): 5,
    }
    check_referrals(raw)


# -- any distribution ---------------------------------------------------------------------------

_COUNTS = st.sampled_from([0, 1, 2, 3, 4, 5, 7, 12])
_TEAMS = st.sampled_from(["t1", "t2", "t3", ""])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(st.dictionaries(st.tuples(_TEAMS, st.sampled_from(WAYS)), _COUNTS, max_size=7))
def test_referrals_of_any_distribution(cells: dict[tuple[str, tuple[str, str, str]], int]) -> None:
    raw = {(team, *way): n for (team, way), n in cells.items()}
    small = sum(1 for n in raw.values() if 0 < n < 3)
    assume(small <= 6)
    check_referrals(raw, min_count=3)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(st.dictionaries(st.tuples(_TEAMS, st.sampled_from(COUNTED)), _COUNTS, max_size=8))
def test_usage_figures_of_any_distribution(cells: dict[tuple[str, tuple[str, ...]], int]) -> None:
    raw = {(team, *counted): n for (team, counted), n in cells.items()}
    assume(sum(1 for n in raw.values() if 0 < n < 3) <= 6)
    check_usage(raw, min_count=3)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(
    st.dictionaries(
        st.tuples(_TEAMS, st.sampled_from(["crisis", "helper", "debrief"])), _COUNTS, max_size=8
    ),
    st.sampled_from([3, 5]),
)
def test_dialogs_opened_of_any_distribution(
    raw: dict[tuple[str, str], int], min_count: int
) -> None:
    small = sum(1 for n in raw.values() if 0 < n < min_count)
    assume(small <= 5)
    check_opened(dict(raw), min_count)
