"""Counting how guidance is used, off the reply path (issue 18: evidence).

`UsageRecorder` turns what a turn did (the engine's step, /cancel, a dialog left for another,
/sos) into counts per (day, dialog, version, language, node, measure, item, team) and
referral counts per (day, team, dialog, entry point, kind), kept in memory and added to the
day totals in the background (`flush`, at most every `FLUSH_EVERY`, and when Relais stops): a
reply never waits for them. A team is not a person: its figures are shown under the
small-number rule like every other. No count names a person, a case or a chat. The live
conversation keeps what counting needs (`ChatSession.usage`: when its current node was
entered, how the dialog was opened, which referrals it already counted); it goes with the
conversation.

Previews of drafts are not counted. Counts not yet flushed when the process dies are lost
(figures, not records).
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import dialogs as dl
from bot.clock import Clock
from bot.usage_measures import bucket_of
from dialogs.model import ContactNode

if TYPE_CHECKING:
    from bot.chat.core import Turn

__all__ = ["FLUSH_EVERY", "UsageRecorder", "UsageSink"]

logger = logging.getLogger(__name__)

#: how long counts wait in memory at most before they are written (when a turn comes)
FLUSH_EVERY = timedelta(seconds=30)
_EMERGENCY_ROLE = "emergency"
#: (day, dialog, version, language, node, measure, item, team)
_UsageTuple = tuple[str, str, int, str, str, str, str, str]


class _DayCounts:
    """Counts one (dialog, version, language, node, measure, item) on one day, in one team:
    what a step counts shares them (read once per step)."""

    __slots__ = ("day", "team", "usage")

    def __init__(self, usage: Counter[_UsageTuple], day: str, team: str) -> None:
        self.usage = usage
        self.day = day
        self.team = team

    def __call__(
        self, dialog_id: str, version: int, lang: str, node_id: str, measure: str, item: str
    ) -> None:
        self.usage[(self.day, dialog_id, version, lang, node_id, measure, item, self.team)] += 1


@runtime_checkable
class UsageSink(Protocol):
    """`bot.usecases.usage.UsageUseCases.record_usage`."""

    def record_usage(
        self, usage: Mapping[Any, int], referrals: Mapping[Any, int] | None = None, /
    ) -> Awaitable[None]: ...


def _state(data: dict[str, Any] | None) -> dl.SessionState | None:
    if not data:
        return None
    try:
        return dl.SessionState.from_dict(data)
    except (dl.StateFormatError, ValueError, KeyError, TypeError):
        return None


def _where(data: dict[str, Any] | None) -> tuple[str, int, str, str] | None:
    """(dialog, version, language, node) of a stored engine state whose dialog has not ended,
    read without parsing the whole state (None: none, ended, or not readable)."""
    if not data or data.get("ended"):
        return None
    where = (data.get("dialog_id"), data.get("version"), data.get("lang"), data.get("node"))
    dialog_id, version, lang, node = where
    if not (
        isinstance(dialog_id, str)
        and isinstance(version, int)
        and isinstance(lang, str)
        and isinstance(node, str)
    ):
        return None
    return dialog_id, version, lang, node


#: id(dialog) -> (dialog, node id -> (the role paged or "", an emergency screen)) of its
#: contact nodes that count as a referral (a dialog is immutable: read once, not every step)
_REFERRAL_NODES: dict[int, tuple[dl.Dialog, dict[str, tuple[str, bool]]]] = {}
_NO_NODES: dict[str, tuple[str, bool]] = {}


def _referrals_of(dialog: dl.Dialog | None) -> dict[str, tuple[str, bool]]:
    if dialog is None:
        return _NO_NODES
    found = _REFERRAL_NODES.get(id(dialog))
    if found is None or found[0] is not dialog:
        nodes = {}
        for node_id, node in dialog.nodes.items():
            if isinstance(node, ContactNode):
                page_role = node.roles[0] if node.page and node.roles else ""
                if page_role or _EMERGENCY_ROLE in node.roles:
                    nodes[node_id] = (page_role, _EMERGENCY_ROLE in node.roles)
        if len(_REFERRAL_NODES) > 4096:
            _REFERRAL_NODES.clear()
        found = _REFERRAL_NODES[id(dialog)] = (dialog, nodes)
    return found[1]


def _versions(*states: dl.SessionState | None) -> dict[str, int]:
    """The version of each dialog a step may have passed through (goto stacks included)."""
    versions: dict[str, int] = {}
    for state in states:
        if state is None:
            continue
        for frame in state.stack:
            versions.setdefault(frame.dialog_id, frame.version)
        versions[state.dialog_id] = state.version
    return versions


def _version(versions: dict[str, int], source: dl.DialogSource, dialog_id: str) -> int:
    """A dialog entered and left within one step (a goto) ran its newest version."""
    if dialog_id in versions:
        return versions[dialog_id]
    dialog = source.get(dialog_id)
    return dialog.version if dialog is not None else 0


def _team_of(turn: Turn) -> str:
    """The team of the practitioner whose conversation it is ("" = none): a team, not a
    person (its figures are shown under the small-number rule)."""
    return str(getattr(turn.actor, "team_id", None) or "")


def _entry_of(turn: Turn, dialog_id: str) -> str:
    """How a dialog was opened: /crisis (or its case picked after /crisis), else a button."""
    text = (turn.incoming.text or "").strip().lower()
    if text[:7] in ("/crisis", "!crisis"):
        return "crisis"
    if dialog_id == "crisis" and (turn.incoming.button or "").startswith("c."):
        return "crisis"
    return "button"


class UsageRecorder:
    def __init__(self, backend: object, clock: Clock) -> None:
        self._sink = backend if isinstance(backend, UsageSink) else None
        self._clock = clock
        #: (day, dialog, version, language, node, measure, item, team) -> count
        self._usage: Counter[_UsageTuple] = Counter()
        self._referrals: Counter[tuple[str, str, str, str, str]] = Counter()
        self._since = clock.now()
        self._day_key = (self._since.date(), self._since.date().isoformat())
        self._task: asyncio.Task[None] | None = None

    # -- what the chat layer tells -----------------------------------------------------------

    def stepped(
        self,
        turn: Turn,
        source: dl.DialogSource,
        before: dict[str, Any] | None,
        result: dl.StepResult,
        option: str = "",
        parsed: dl.SessionState | None = None,
    ) -> None:
        """A dialog step was applied on `source`: `before` is the engine state it started from
        (None: a dialog started; `parsed`: the same, read already), `option` the option chosen
        (empty: text, /sos, a start).
        Counted in memory (the day, the team and the clock read once per step)."""
        state = result.state
        if self._sink is None or turn.session.preview or state is None:
            return
        now = self._clock.now()
        stamp = now.timestamp()
        day, team, usage = self._day(now), _team_of(turn), self._usage
        add = _DayCounts(usage, day, team)
        marker = turn.session.usage
        previous = parsed if parsed is not None else _state(before)
        outputs = result.outputs
        first = outputs[0] if outputs else None
        sos = previous is not None and isinstance(first, dl.ShowContacts) and first.urgent
        if previous is None:  # a start: a new conversation
            marker = {"d": state.dialog_id, "e": _entry_of(turn, state.dialog_id), "r": []}
        elif sos:
            add(previous.dialog_id, previous.version, previous.lang, previous.node, "sos", "")
            self._referral(add, marker, previous.dialog_id, "sos", "emergency")
        else:  # (the step's counts are added in place: this runs on every message)
            left_id, left_version, left_lang, left_node = (
                previous.dialog_id,
                previous.version,
                previous.lang,
                previous.node,
            )
            if option:
                key = (day, left_id, left_version, left_lang, left_node, "choice", option, team)
                usage[key] += 1
            entered = marker.get("t")
            if isinstance(entered, int | float):
                bucket = bucket_of(max(0.0, stamp - entered))
                usage[
                    (day, left_id, left_version, left_lang, left_node, "time", bucket, team)
                ] += 1
        if state.stack or (
            previous is not None and (previous.stack or previous.dialog_id != state.dialog_id)
        ):
            versions = _versions(previous, state)
        else:  # one dialog, no goto: the common step
            versions = {state.dialog_id: state.version}
        lang = state.lang
        for dialog_id, node_id in result.visited:
            version = _version(versions, source, dialog_id)
            usage[(day, dialog_id, version, lang, node_id, "visit", "", team)] += 1
            referral = _referrals_of(source.get(dialog_id, version)).get(node_id)
            if referral is not None:
                page_role, emergency = referral
                entry = "goto" if dialog_id != marker.get("d") else str(marker.get("e", ""))
                if page_role:
                    add(dialog_id, version, lang, node_id, "page", page_role)
                    self._referral(add, marker, dialog_id, entry, "page")
                if emergency:
                    add(dialog_id, version, lang, node_id, "emergency", "")
                    self._referral(add, marker, dialog_id, entry, "emergency")
        ended = ""
        if state.ended:  # the engine's `Ended` output says why (last, as it ends the step)
            last = outputs[-1] if outputs else None
            ended = last.reason if isinstance(last, dl.Ended) else ""
            ended = ended or next((o.reason for o in outputs if isinstance(o, dl.Ended)), "")
        if ended:
            dialog_id, node_id = result.visited[-1] if result.visited else ("", "")
            if not node_id and previous is not None:
                dialog_id, node_id = previous.dialog_id, previous.node
            add(dialog_id, _version(versions, source, dialog_id), lang, node_id, "exit", ended)
            marker = {}
        elif not sos:
            marker["t"] = stamp
        turn.session.usage = marker
        self._maybe_flush(now)

    def left(self, turn: Turn, reason: str) -> None:
        """The conversation's dialog is left where it stands: "cancelled" (/cancel) or
        "abandoned" (another dialog opened over it)."""
        if self._sink is None or turn.session.preview:
            return
        where = _where(turn.session.engine)
        if where is None:
            return
        now = self._clock.now()
        day, team = self._day(now), _team_of(turn)
        dialog_id, version, lang, node_id = where
        self._usage[(day, dialog_id, version, lang, node_id, "exit", reason, team)] += 1
        entered = turn.session.usage.get("t")
        if isinstance(entered, int | float):
            bucket = bucket_of(max(0.0, now.timestamp() - entered))
            self._usage[(day, dialog_id, version, lang, node_id, "time", bucket, team)] += 1
        turn.session.usage = {}
        self._maybe_flush(now)

    def sos(self, turn: Turn) -> None:
        """/sos answered outside a dialog step (no dialog running, or the chat busy with another
        message: `bot.chat.sos.express_sos`): an emergency screen reached by /sos."""
        if self._sink is None or turn.session.preview:
            return
        now = self._clock.now()
        running = (turn.session.engine or {}).get("dialog_id")
        dialog = running if isinstance(running, str) else ""
        self._referrals[(self._day(now), _team_of(turn), dialog, "sos", "emergency")] += 1
        self._maybe_flush(now)

    # -- counting ----------------------------------------------------------------------------

    def _day(self, now: datetime) -> str:
        """The day's key (formatted once a day, not at every step)."""
        date = now.date()
        if date != self._day_key[0]:
            self._day_key = (date, date.isoformat())
        return self._day_key[1]

    def _referral(
        self, add: _DayCounts, marker: dict[str, Any], dialog_id: str, entry: str, kind: str
    ) -> None:
        """Once per conversation and kind: the first way it reached a page or a screen."""
        counted = marker.setdefault("r", [])
        if kind in counted:
            return
        counted.append(kind)
        day, team = add.day, add.team
        self._referrals[(day, team, dialog_id, entry, kind)] += 1

    # -- writing -----------------------------------------------------------------------------

    def _maybe_flush(self, now: datetime) -> None:
        if now < self._since + FLUSH_EVERY:
            return
        if self._task is not None and not self._task.done():
            return
        self._task = asyncio.get_running_loop().create_task(self.flush(), name="usage-flush")

    async def flush(self) -> None:
        """Add the counts kept so far to the day totals (a failure is logged; they are lost)."""
        running = self._task
        if running is not None and not running.done() and running is not asyncio.current_task():
            await running
        self._since = self._clock.now()
        if self._sink is None or not (self._usage or self._referrals):
            return
        usage, referrals = dict(self._usage), dict(self._referrals)
        self._usage.clear()
        self._referrals.clear()
        try:
            await self._sink.record_usage(usage, referrals)
        except Exception as exc:  # figures, not records: never break a conversation for them
            logger.error("could not record usage figures: %s", type(exc).__name__)
