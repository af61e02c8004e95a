"""The monthly evaluation report's data (issue 18): per team, what Relais did in one month.

Counts only, each a `Figure` (below `[evaluation] min_count` it reads "< 5"): referrals to
human help (pages and emergency screens, `bot.usecases.usage`), check-ins due / done / missed /
escalated, pages of a human and the time to their acknowledgement, notes by tag, the dialogs
opened per situation; and the dialogs opened by the whole programme. The small-number rule
applies to each team's cell (a team of one does not show that person's count below it), and a
sum that would give a hidden cell away by subtraction is withheld (`bot.usecases.usage_tables`:
one table of every team, whichever teams the report shows). No
case code, no name of a person, no text typed by anyone: the report is built from these values
only (`bot.reports.evaluation` renders them).

Psychologists and coordinators generate it for their own team (`Action.EVALUATION_REPORT`);
the operator for every team or one (`relais report evaluation`).
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time

from bot.errors import InvalidInput
from bot.policy import Action
from bot.publishing.rules import shell_user
from bot.usage_measures import Figure
from bot.usecases.base import (
    Actor,
    ActorScope,
    EntryScope,
    UseCases,
    actor_of,
    channel_entry,
    operator_command,
    requires_role,
)
from bot.usecases.usage import month_bounds, team_named
from bot.usecases.usage_tables import PROGRAMME, opened_table, referral_table
from storage.repos.evaluation import CheckinTally, PageTally
from storage.repos.usage import ReferralTotal
from storage.tx import Tx

__all__ = [
    "ACK_BUCKETS",
    "EvaluationReport",
    "EvaluationUseCases",
    "MonthTallies",
    "TeamEvaluation",
    "evaluation_of",
]

#: (upper bound in minutes, label) of the time-to-acknowledgement chart; the last is open
ACK_BUCKETS: tuple[tuple[float, str], ...] = (
    (5, "≤ 5 min"),
    (15, "5–15 min"),
    (60, "15–60 min"),
    (240, "1–4 h"),
    (float("inf"), "> 4 h"),
)


@dataclass(frozen=True, slots=True)
class TeamEvaluation:
    team: str
    #: referrals to human help: "page", "emergency" -> conversations that reached one
    referrals: dict[str, Figure]
    #: (dialog id, entry point) -> referrals that came that way
    referral_ways: dict[tuple[str, str], Figure]
    checkins: dict[str, Figure]  # due, done, missed, escalated
    pages: dict[str, Figure]  # sent, acknowledged
    #: the median time to acknowledgement in minutes (None: fewer than min_count acknowledged)
    ack_median_minutes: float | None
    ack_times: dict[str, Figure]  # ACK_BUCKETS label -> pages
    notes_by_tag: dict[str, Figure]  # tag ("" = none) -> notes
    #: dialog id -> conversations opened on it by the team (counted since migration 0010)
    dialogs_opened: dict[str, Figure] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class EvaluationReport:
    month: str
    since: date
    until: date  # exclusive
    min_count: int
    teams: list[TeamEvaluation]
    #: dialog id -> conversations opened on it, every team together (and those counted
    #: before teams were, migration 0010)
    dialogs_opened: dict[str, Figure] = field(default_factory=dict)


def _team(
    name: str,
    min_count: int,
    referrals: tuple[dict[str, Figure], dict[tuple[str, str], Figure]],
    checkins: CheckinTally,
    pages: PageTally,
    tags: Mapping[str, int],
    opened: dict[str, Figure],
) -> TeamEvaluation:
    def fig(count: int) -> Figure:
        return Figure(count, min_count)

    acks = sorted(pages.ack_seconds)
    buckets = dict.fromkeys((label for _, label in ACK_BUCKETS), 0)
    for seconds in acks:
        label = next(label for bound, label in ACK_BUCKETS if seconds / 60 <= bound)
        buckets[label] += 1
    median = statistics.median(acks) / 60 if len(acks) >= min_count else None
    return TeamEvaluation(
        team=name,
        referrals=referrals[0],
        referral_ways=referrals[1],
        checkins={
            "due": fig(checkins.due),
            "done": fig(checkins.done),
            "missed": fig(checkins.missed),
            "escalated": fig(checkins.escalated),
        },
        pages={"sent": fig(pages.sent), "acknowledged": fig(len(acks))},
        ack_median_minutes=None if median is None else round(median, 1),
        ack_times={label: fig(n) for label, n in buckets.items()},
        notes_by_tag={tag: fig(n) for tag, n in sorted(tags.items())},
        dialogs_opened=opened,
    )


@dataclass(frozen=True, slots=True)
class MonthTallies:
    """What a month's report is made of, for every team (team id ->, "" for no team)."""

    names: Mapping[str, str]  # team id -> name
    referrals: list[ReferralTotal]
    checkins: Mapping[str, CheckinTally]
    pages: Mapping[str, PageTally]
    tags: Mapping[str, Mapping[str, int]]
    opened: Mapping[str, Mapping[str, int]]  # team id -> dialog id -> conversations opened


def evaluation_of(
    month: str, min_count: int, tallies: MonthTallies, team_ids: list[str] | None
) -> EvaluationReport:
    """The report of `team_ids` (None: every named team) and the programme. The figures are
    every team's first (`bot.usecases.usage_tables`), then those of the teams shown: a figure
    reads the same in any team's report, and no report's sums give a hidden one away."""
    since, until = month_bounds(month)
    names = tallies.names
    ways = referral_table(tallies.referrals, min_count, names)
    dialogs = opened_table(tallies.opened, min_count, names)
    teams = [
        _team(
            names.get(team_id, ""),
            min_count,
            (ways.kinds(team_id), ways.ways(team_id)),
            tallies.checkins.get(team_id, CheckinTally()),
            tallies.pages.get(team_id, PageTally()),
            tallies.tags.get(team_id, {}),
            dialogs.get(team_id, {}),
        )
        for team_id in (team_ids if team_ids is not None else sorted(names, key=names.__getitem__))
    ]
    return EvaluationReport(month, since, until, min_count, teams, dialogs.get(PROGRAMME, {}))


class EvaluationUseCases(UseCases):
    async def _report(
        self, tx: Tx, month: str, team_ids: list[str] | None, starts: Mapping[tuple[str, int], str]
    ) -> EvaluationReport:
        month = month or tx.now.strftime("%Y-%m")
        since, until = month_bounds(month)
        start = datetime.combine(since, time(), tzinfo=UTC)
        end = datetime.combine(until, time(), tzinfo=UTC)
        min_count = self.config.evaluation.min_count
        names = await tx.usage.team_names()
        referrals = await tx.usage.referral_totals(since=since, until=until)
        checkins = await tx.evaluation.checkins(since=start, until=end)
        pages = await tx.evaluation.pages(since=start, until=end)
        tags = await tx.evaluation.note_tags(since=start, until=end)
        opened_by_team: dict[str, dict[str, int]] = {}  # team -> dialog -> opened
        for total in await tx.usage.totals(since=since, until=until, by_team=True):
            if (
                total.measure == "visit"
                and starts.get((total.dialog_id, total.dialog_version)) == total.node_id
            ):
                mine = opened_by_team.setdefault(total.team_id, {})
                mine[total.dialog_id] = mine.get(total.dialog_id, 0) + total.count
        tallies = MonthTallies(names, referrals, checkins, pages, tags, opened_by_team)
        return evaluation_of(month, min_count, tallies, team_ids)

    @requires_role(Action.EVALUATION_REPORT)
    async def evaluation_report(
        self,
        scope: ActorScope,
        month: str = "",
        starts: Mapping[tuple[str, int], str] | None = None,
    ) -> EvaluationReport:
        """The report for the actor's own team. `starts`: (dialog id, version) -> start node
        (`bot.reports.evaluation.start_nodes`), to count the dialogs opened."""
        scope.detail["month"] = month or scope.tx.now.strftime("%Y-%m")
        return await self._report(scope.tx, month, [scope.actor.team_id], starts or {})

    @operator_command("report.evaluation")
    async def operator_evaluation_report(
        self,
        scope: EntryScope,
        month: str = "",
        team: str | None = None,
        starts: Mapping[tuple[str, int], str] | None = None,
    ) -> EvaluationReport:
        """`relais report evaluation`: every team, or the one named."""
        team_ids = None if team is None else [await team_named(scope.tx, team)]
        scope.detail["month"] = month or scope.tx.now.strftime("%Y-%m")
        return await self._report(scope.tx, month, team_ids, starts or {})

    @channel_entry("report.reporter")
    async def reporter_named(self, scope: EntryScope, name: str) -> Actor:
        """`relais report evaluation --as NAME`: the operator acts for that practitioner (the
        report's own audit entry names both); not audited by itself."""
        found = [p for p in await scope.tx.people.by_name(name=name) if not p.revoked]
        if len(found) != 1:
            raise InvalidInput(
                f"no practitioner named {name!r}"
                if not found
                else f"several practitioners are named {name!r}"
            )
        row = await scope.tx.access.actor(practitioner_id=found[0].id)
        if row is None:  # revoked or gone between the two reads
            raise InvalidInput(f"no practitioner named {name!r}")
        return replace(actor_of(row), operator=shell_user())
