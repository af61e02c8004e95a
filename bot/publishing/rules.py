"""Who may change guidance for whom, how many drafts a person may send, who really acted.

Guidance is organisation-wide by default: any psychologist may draft, review, publish and roll
back a dialog without `teams:`. A dialog with `teams: [...]` (team names) is that team's
guidance: only psychologists of one of those teams may draft, approve, publish or roll it back,
and only people of those teams are told about it. Organisation-wide guidance stays
organisation-wide: a draft may not limit it to teams (that would take it away from the other
teams); publish team guidance under a new id instead. A change of `teams:` must leave the
actor's team in it. The operator on the command line (without `--as`) is not held by teams.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.publishing.records import (
    CONTENT_AUTHOR,
    HistoryEntry,
    PublishNotAllowed,
    PublishRefused,
    names_of,
)
from bot.publishing.teams import OTHER_TEAMS
from bot.usecases.base import Actor
from storage.publishing_guard import PublishingGuard
from storage.tx import Tx

__all__ = [
    "check_draft_quota",
    "check_team_names",
    "check_teams",
    "history_of",
    "shell_user",
    "team_of",
    "teams_filter",
]

#: the window of `[publishing] drafts_per_hour`
_WINDOW = timedelta(hours=1)


async def team_of(tx: Tx, actor: Actor | None) -> str | None:
    """The name of the actor's team (None: the operator)."""
    if actor is None:
        return None
    team = await tx.people.team_by_id(team_id=actor.team_id)
    return team.name if team is not None else ""


def check_teams(
    dialog_id: str,
    team: str | None,
    published: Sequence[str] | None,
    proposed: Sequence[str],
) -> None:
    """Raise PublishRefused unless someone of `team` may move `dialog_id` from `published`
    (its newest version's teams, None if never published) to `proposed`; PublishNotAllowed
    (audited as denied) when either names teams, not theirs."""
    if published is not None and not published and proposed:
        raise PublishRefused("org_wide_stays", dialog=dialog_id)
    if team is None:
        return
    for teams in (published or (), proposed):
        if teams and team not in teams:
            refusal = PublishNotAllowed("not_your_team", dialog=dialog_id, teams=", ".join(teams))
            refusal.rule = OTHER_TEAMS  # audited as denied
            raise refusal


async def check_team_names(tx: Tx, dialog_id: str, teams: Sequence[str]) -> None:
    """A `teams:` that names a team Relais does not know would lock the dialog: refuse it."""
    if not teams:
        return
    known = sorted(t.name for t in await tx.people.teams())
    unknown = [name for name in teams if name not in known]
    if unknown:
        raise PublishRefused(
            "unknown_teams",
            dialog=dialog_id,
            teams=", ".join(unknown)[:200],
            known=", ".join(known)[:500] or "-",
        )


def teams_filter(team_ids: dict[str, str], teams: Sequence[str]) -> set[str] | None:
    """The team ids a dialog limited to `teams` (names) addresses; None = everyone."""
    if not teams:
        return None
    return {team_id for team_id, name in team_ids.items() if name in teams}


async def check_draft_quota(tx: Tx, actor: Actor, per_hour: int) -> None:
    """Count one more file sent by `actor`, or refuse it (PublishRefused `too_many_drafts`,
    with when to try again in the person's time zone) when `per_hour` were sent within the
    last hour. 0 = no limit."""
    if per_hour <= 0:
        return
    guard = PublishingGuard(tx.conn)
    sent = await guard.uploads_since(practitioner_id=actor.practitioner_id, since=tx.now - _WINDOW)
    if len(sent) >= per_hour:
        again = sent[len(sent) - per_hour] + _WINDOW
        raise PublishRefused("too_many_drafts", limit=per_hour, at=_local(again, actor))
    await guard.count_upload(practitioner_id=actor.practitioner_id, now=tx.now)


def _local(when: datetime, actor: Actor) -> str:
    try:
        zone = ZoneInfo(actor.time_zone)
    except (ValueError, KeyError):
        zone = ZoneInfo("UTC")
    return when.astimezone(zone).strftime("%H:%M (%Z)")


def shell_user() -> str:
    """The operating-system user running `relais` (who really acts on the command line)."""
    import getpass
    import os

    try:
        user = getpass.getuser()
    except (OSError, KeyError):
        user = "unknown"
    sudo = os.environ.get("SUDO_USER", "")
    if sudo and sudo != user:
        user = f"{sudo} (sudo)"
    return user[:64]


async def history_of(tx: Tx, dialog_id: str) -> list[HistoryEntry]:
    """The published versions of a dialog as the record shows them, oldest first."""
    versions = await tx.versions.all(dialog_id=dialog_id)
    ids = [i for v in versions for i in (v.author_id, v.reviewer_id, v.publisher_id)]
    names = await names_of(tx, ids)

    def name(pid: str | None, via: str | None, fallback: str) -> str:
        if pid:
            return names.get(pid, "?")
        return "" if via else fallback

    return [
        HistoryEntry(
            version=v.version,
            origin=v.origin,
            author=name(v.author_id, v.author_via, _no_author(v.origin)),
            reviewer=names.get(v.reviewer_id, "?") if v.reviewer_id else "",
            published_at=v.published_at,
            checksum=v.checksum,
            reviewed_at=v.reviewed_at,
            publisher=name(v.publisher_id, v.publisher_via, ""),
            author_via=v.author_via or "",
            reviewer_via=v.reviewer_via or "",
            publisher_via=v.publisher_via or "",
            transcripts=bool(v.tests),
        )
        for v in versions
    ]


def _no_author(origin: str) -> str:
    return CONTENT_AUTHOR if origin == "bundled" else "operator"
