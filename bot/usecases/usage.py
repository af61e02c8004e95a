"""Usage figures and crisis-referral counts (issue 18): recorded from the chat layer, read by
`relais stats`, the monthly evaluation report and the psychologists and coordinators.

Every figure leaves as a `Figure` (below `[evaluation] min_count` it reads "< 5"). Recording is
a system entry (no actor, no audit: it is about guidance, not people); reading is
`Action.VIEW_USAGE` (psychologists, coordinators) or an operator command.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from bot.errors import InvalidInput, NotFound
from bot.policy import Action
from bot.usage_measures import Figure, median_bucket
from bot.usecases.base import (
    ActorScope,
    EntryScope,
    UseCases,
    channel_entry,
    operator_command,
    requires_role,
)
from bot.usecases.usage_tables import ReferralTable, referral_table, usage_table
from storage.repos.usage import ReferralKey, UsageKey, UsageTotal
from storage.tx import Tx

__all__ = [
    "NodeFigures",
    "ReferralFigure",
    "ReferralReport",
    "UsageReport",
    "UsageUseCases",
    "VersionFigures",
    "month_bounds",
    "referral_reports",
    "team_named",
    "version_figures",
]

#: (day ISO, dialog, version, language, node, measure, item, team id) as the chat layer
#: counts it (a tuple of 7, without the team, is counted for an unknown team)
UsageTuple = (
    tuple[str, str, int, str, str, str, str, str] | tuple[str, str, int, str, str, str, str]
)
#: (day ISO, team id, dialog, entry, kind)
ReferralTuple = tuple[str, str, str, str, str]


@dataclass(frozen=True, slots=True)
class NodeFigures:
    node_id: str
    visits: Figure
    choices: dict[str, Figure] = field(default_factory=dict)  # option id -> times picked
    exits: dict[str, Figure] = field(default_factory=dict)  # completed|cancelled|abandoned|...
    sos: Figure | None = None
    pages: dict[str, Figure] = field(default_factory=dict)  # role -> pages
    emergency: Figure | None = None
    #: the duration bucket of the median time on the node (`bot.usage_measures`), None when
    #: nobody moved on from it; `timed` is how many times that median is made of
    median_time: str | None = None
    timed: Figure | None = None


@dataclass(frozen=True, slots=True)
class VersionFigures:
    dialog_id: str
    version: int
    lang: str
    nodes: dict[str, NodeFigures]

    @property
    def starts(self) -> int:
        return sum(n.visits.count for n in self.nodes.values())


@dataclass(frozen=True, slots=True)
class UsageReport:
    since: date
    until: date  # exclusive
    min_count: int
    versions: list[VersionFigures]


@dataclass(frozen=True, slots=True)
class ReferralFigure:
    dialog_id: str  # "" = none running (/sos outside a dialog)
    entry: str  # crisis | sos | button | goto
    kind: str  # page | emergency
    count: Figure


@dataclass(frozen=True, slots=True)
class ReferralReport:
    """Conversations that reached a page of a human or an emergency screen, for one team (or
    every team: team_id None) over [since, until)."""

    team_id: str | None
    team: str
    since: date
    until: date
    rows: list[ReferralFigure]
    pages: Figure
    emergency: Figure


async def team_named(tx: Tx, name: str) -> str:
    """The id of the team called `name` (`relais stats --team`, `relais report --team`)."""
    names = await tx.usage.team_names()
    found = [team_id for team_id, team in names.items() if team == name]
    if not found:
        known = ", ".join(sorted(names.values())) or "none yet"
        raise NotFound(f"no team named {name!r} (teams: {known})")
    return found[0]


def month_bounds(month: str) -> tuple[date, date]:
    """'2026-11' -> (2026-11-01, 2026-12-01)."""
    try:
        year, number = (int(part) for part in month.split("-"))
        start = date(year, number, 1)
    except ValueError:
        raise InvalidInput(f"expected a month such as 2026-11, found {month!r}").saying(
            "month", found=month
        ) from None
    end = date(year + 1, 1, 1) if number == 12 else date(year, number + 1, 1)
    return start, end


def version_figures(
    totals: list[UsageTotal],
    min_count: int,
    merge: bool,
    team_id: str | None,
    named: Mapping[str, str],
) -> list[VersionFigures]:
    """Figures per dialog version and language (`merge`: languages together, lang "*") of one
    team (or the programme: `team_id` None), from every team's `totals`: a figure reads as in
    every other team's view and the programme's (`bot.usecases.usage_tables`)."""
    table = usage_table(totals, min_count, named, merge)
    grouped: dict[tuple[str, int, str], dict[str, dict[str, dict[str, int]]]] = {}
    for total in totals:
        if team_id is not None and total.team_id != team_id:
            continue
        lang = "*" if merge else total.lang
        nodes = grouped.setdefault((total.dialog_id, total.dialog_version, lang), {})
        items = nodes.setdefault(total.node_id, {}).setdefault(total.measure, {})
        items[total.item] = items.get(total.item, 0) + total.count

    versions = []
    for (dialog_id, version, lang), nodes in sorted(grouped.items()):
        where = (team_id, dialog_id, version, lang)
        result = {
            node_id: _node(table, where, node_id, measures, min_count)
            for node_id, measures in nodes.items()
        }
        versions.append(VersionFigures(dialog_id, version, lang, result))
    return versions


def _node(
    table: Mapping[tuple[str | None, str, int, str, str, str, str], Figure],
    where: tuple[str | None, str, int, str],
    node_id: str,
    measures: dict[str, dict[str, int]],
    min_count: int,
) -> NodeFigures:
    """One node's figures as the table has them; `where`: (team, dialog, version, language)."""

    def fig(measure: str, item: str = "") -> Figure:
        return table.get((*where, node_id, measure, item), Figure(0, min_count))

    def figs(measure: str) -> dict[str, Figure]:
        return {item: fig(measure, item) for item in sorted(measures.get(measure, {}))}

    times = measures.get("time", {})
    timed = sum(times.values())
    return NodeFigures(
        node_id=node_id,
        visits=fig("visit"),
        choices=figs("choice"),
        exits=figs("exit"),
        sos=fig("sos") if "sos" in measures else None,
        pages=figs("page"),
        emergency=fig("emergency") if "emergency" in measures else None,
        # a median of fewer times than min_count is not shown either
        median_time=median_bucket(times) if timed >= min_count else None,
        timed=fig("time") if timed else None,
    )


def _referrals(
    table: ReferralTable, team_id: str | None, team: str, span: tuple[date, date]
) -> ReferralReport:
    """One team's referrals (or the programme's: `team_id` None) as the table has them."""
    rows = [ReferralFigure(*key, count=f) for key, f in table.cells(team_id).items()]
    kinds = table.kinds(team_id)
    return ReferralReport(team_id, team, span[0], span[1], rows, kinds["page"], kinds["emergency"])


def referral_reports(
    table: ReferralTable, names: Mapping[str, str], span: tuple[date, date]
) -> list[ReferralReport]:
    """Every team's report (those of the table and those named), then the programme's."""
    teams = {str(key[1]) for key in table.figures if key[1] is not None} | set(names)
    reports = [
        _referrals(table, team_id, names.get(team_id, ""), span) for team_id in sorted(teams)
    ]
    reports.append(_referrals(table, None, "", span))
    return reports


class UsageUseCases(UseCases):
    # -- recording (the chat layer, off the reply path) -----------------------------------------

    @channel_entry("usage.record")
    async def record_usage(
        self,
        scope: EntryScope,
        usage: Mapping[UsageTuple, int],
        referrals: Mapping[ReferralTuple, int] | None = None,
    ) -> None:
        """Add a batch of counts (`bot.chat.usage.UsageRecorder.flush`) to the day totals."""
        await scope.tx.usage.add(
            usage={UsageKey(date.fromisoformat(k[0]), *k[1:]): n for k, n in usage.items()},
            referrals={
                ReferralKey(date.fromisoformat(k[0]), *k[1:]): n
                for k, n in (referrals or {}).items()
            },
        )

    # -- reading --------------------------------------------------------------------------------

    async def _usage(
        self,
        tx: Tx,
        dialog_id: str | None,
        since: timedelta | date,
        version: int | None,
        lang: str | None,
        merge: bool = False,
        team_id: str | None = None,
    ) -> UsageReport:
        today = tx.now.date()
        start = today - since + timedelta(days=1) if isinstance(since, timedelta) else since
        # every team's counts: a team's figures and the programme's come from one table
        totals = await tx.usage.totals(
            since=start, dialog_id=dialog_id, version=version, lang=lang, by_team=True
        )
        names = await tx.usage.team_names()
        min_count = self.config.evaluation.min_count
        until = today + timedelta(days=1)
        figures = version_figures(totals, min_count, merge, team_id, names)
        return UsageReport(start, until, min_count, figures)

    @requires_role(Action.VIEW_USAGE)
    async def usage_figures(
        self,
        scope: ActorScope,
        dialog_id: str | None = None,
        since: timedelta | date = timedelta(days=30),
        version: int | None = None,
        lang: str | None = None,
    ) -> UsageReport:
        """Per dialog version and language, per node: visits, choices, exits, /sos, pages,
        emergency screens, median time (psychologists and coordinators)."""
        scope.detail["dialog"] = dialog_id or "*"
        return await self._usage(scope.tx, dialog_id, since, version, lang)

    @operator_command("usage.stats")
    async def usage_stats(
        self,
        scope: EntryScope,
        dialog_id: str | None = None,
        since: timedelta | date = timedelta(days=30),
        version: int | None = None,
        lang: str | None = None,
        all_languages: bool = False,
        team: str | None = None,
    ) -> UsageReport:
        """`relais stats`: the same figures, for the operator (`all_languages`: the languages
        added together, as the picture shows them; `team`: one team's, by name)."""
        scope.detail["dialog"] = dialog_id or "*"
        team_id = None if team is None else await team_named(scope.tx, team)
        if team is not None:
            scope.detail["team"] = team_id
        return await self._usage(scope.tx, dialog_id, since, version, lang, all_languages, team_id)

    @requires_role(Action.VIEW_USAGE)
    async def team_referrals(self, scope: ActorScope, month: str = "") -> ReferralReport:
        """The actor's team's crisis referrals in `month` ("2026-11"; empty = this month), as
        every team's and the programme's figures have them (`referrals_by_team`)."""
        month = month or scope.tx.now.strftime("%Y-%m")
        span = month_bounds(month)
        team = scope.actor.team_id
        names = await scope.tx.usage.team_names()
        table = await self._referral_table(scope.tx, span, None, names)
        return _referrals(table, team, names.get(team or "", ""), span)

    async def _referral_table(
        self, tx: Tx, span: tuple[date, date], dialog_id: str | None, names: Mapping[str, str]
    ) -> ReferralTable:
        totals = await tx.usage.referral_totals(since=span[0], until=span[1], dialog_id=dialog_id)
        return referral_table(totals, self.config.evaluation.min_count, names)

    @operator_command("usage.referrals")
    async def referrals_by_team(
        self,
        scope: EntryScope,
        month: str = "",
        *,
        since: date | None = None,
        dialog_id: str | None = None,
    ) -> list[ReferralReport]:
        """Per team, the crisis referrals of `month` ("2026-11"; empty = this month), or from
        `since` to today (`relais stats --since`), of one dialog or all; a last report with
        team_id None holds every team together. For `relais stats`. Every figure comes from
        one table (`bot.usecases.usage_tables`): small ones read "< 5", and a sum that would
        give one away reads "withheld", in every team's report and the programme's alike."""
        if since is not None:
            span = (since, scope.tx.now.date() + timedelta(days=1))
        else:
            span = month_bounds(month or scope.tx.now.strftime("%Y-%m"))
        names = await scope.tx.usage.team_names()
        table = await self._referral_table(scope.tx, span, dialog_id, names)
        return referral_reports(table, names, span)
