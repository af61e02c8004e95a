"""Counting how guidance is used, off the reply path (issue 18: evidence).

`UsageRecorder` turns what a turn did (the engine's step, /cancel, a dialog left for another,
/sos) into counts per (day, dialog, version, language, node, measure, item, team) and
referral counts per (day, team, dialog, entry point, kind), kept in memory and added to the
day totals in the background (`flush`, at most every `FLUSH_EVERY`, and when Relais stops): a
reply never waits for them. A team is not a person: its figures are shown under the
small-number rule like every other. No count names a person, a case or a chat. The live
conversation keeps what counting needs (`ChatSession.usage`: how the dialog was opened, when
its current node was entered, which referrals it already counted); it goes with the
conversation.

Previews of drafts are not counted. Counts not yet flushed when the process dies are lost
(figures, not records).
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import dialogs as dl
from bot.clock import Clock
from bot.usage_measures import bucket_of, node_of
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


def _version(
    versions: dict[str, int], source: Callable[[], dl.DialogSource], dialog_id: str
) -> int:
    """A dialog entered and left within one step (a goto) ran its newest version."""
    if dialog_id in versions:
        return versions[dialog_id]
    dialog = source().get(dialog_id)
    return dialog.version if dialog is not None else 0


def _entry_of(turn: Turn, dialog_id: str) -> str:
    """How a dialog was opened (its code in a marker): /crisis (or its case picked after
    /crisis), else a button."""
    text = (turn.incoming.text or "").strip().lower()
    if text[:7] in ("/crisis", "!crisis"):
        return "c"
    if dialog_id == "crisis" and (turn.incoming.button or "").startswith("c."):
        return "c"
    return "b"


# `ChatSession.usage`, what counting needs while a conversation lives. It is saved with the
# conversation at every turn, so it is one short string, "<entry>.<entered>.<referrals>": how
# the dialog was opened (c: /crisis, b: a button), when the current node was entered (POSIX
# milliseconds; /sos leaves it as it was: the time on the node runs on), the kinds of referral
# already counted (p: a page, e: an emergency screen). "" when no dialog runs; anything else
# unreadable (a conversation saved before this format) counts from its next node on.
_ENTRIES = {"c": "crisis", "b": "button"}
_KINDS = {"page": "p", "emergency": "e"}
_NO_MARKER = ("", 0, "")


def _marker(text: str) -> tuple[str, int, str]:
    """(entry, entered (0: not timed), referrals) of a conversation's marker."""
    try:
        entry, entered, referred = text.split(".")
        return entry, int(entered) if entered else 0, referred
    except ValueError:  # none, or unreadable
        return _NO_MARKER


def _opened(state: dl.SessionState) -> str:
    """The dialog the conversation opened: the bottom of the goto stack, or the one running."""
    return state.stack[0].dialog_id if state.stack else state.dialog_id


class UsageRecorder:
    def __init__(self, backend: object, clock: Clock) -> None:
        self._sink = backend if isinstance(backend, UsageSink) else None
        self._clock = clock
        #: (day, dialog, version, language, node, measure, item, team) -> count
        self._usage: Counter[_UsageTuple] = Counter()
        self._referrals: Counter[tuple[str, str, str, str, str]] = Counter()
        #: when the counts are written next (POSIX ms: compared at every step)
        self._due = int((clock.now() + FLUSH_EVERY).timestamp() * 1000)
        self._day_key = ""
        self._day_starts = self._day_ends = 0
        self._task: asyncio.Task[None] | None = None

    # -- what the chat layer tells -----------------------------------------------------------

    def stepped(
        self,
        turn: Turn,
        source: Callable[[], dl.DialogSource],
        before: dict[str, Any] | None,
        result: dl.StepResult,
        option: str = "",
        parsed: dl.SessionState | None = None,
    ) -> None:
        """A dialog step was applied on `source()` (asked for only when a step needs the
        guidance itself: a goto, contacts shown): `before` is the engine state it started from
        (None: a dialog started; `parsed`: the same, read already), `option` the option chosen
        (empty: text, /sos, a start).

        Counted in memory, in place (this runs on every message: the clock, the day and the
        team are read once; the guidance is looked up only for a step that showed contacts,
        the only nodes a referral can come from)."""
        state = result.state
        if self._sink is None or turn.session.preview or state is None:
            return
        ms = self._now_ms()
        day, team, usage = self._day_key, turn.actor.team_id, self._usage
        previous = parsed if parsed is not None else _state(before)
        outputs = result.outputs
        sos = contacts = False
        for output in outputs:
            if type(output) is dl.ShowContacts:
                if output.urgent:
                    sos = previous is not None and output is outputs[0]
                else:
                    contacts = True
        if previous is None:  # a start: a new conversation
            entry, entered, referred = _entry_of(turn, state.dialog_id), 0, ""
        else:
            entry, entered, referred = _marker(turn.session.usage)
            left = (day, previous.dialog_id, previous.version, previous.lang, previous.node)
            if sos:
                usage[(*left, "sos", "", team)] += 1
                referred = self._referral(referred, team, previous.dialog_id, "sos", "emergency")
            else:
                if option:
                    usage[(*left, "choice", option, team)] += 1
                if entered:
                    usage[(*left, "time", bucket_of((ms - entered) / 1000), team)] += 1
        lang, simple = state.lang, not state.stack
        if previous is not None and (previous.stack or previous.dialog_id != state.dialog_id):
            simple = False
        versions = {state.dialog_id: state.version} if simple else _versions(previous, state)
        for dialog_id, node_id in result.visited:
            version = versions.get(dialog_id)
            if version is None:  # a dialog entered and left within the step
                version = _version(versions, source, dialog_id)
            usage[(day, dialog_id, version, lang, node_id, "visit", "", team)] += 1
        if contacts:  # the only nodes a referral comes from
            referred = self._referrals_reached(
                source, result, state, versions, (entry, referred, team)
            )
        ended = ""
        if state.ended:  # the engine's `Ended` output says why (last, as it ends the step)
            last = outputs[-1] if outputs else None
            ended = last.reason if isinstance(last, dl.Ended) else ""
            ended = ended or next((o.reason for o in outputs if isinstance(o, dl.Ended)), "")
        if ended:
            dialog_id, node_id = result.visited[-1] if result.visited else ("", "")
            if not node_id and previous is not None:
                dialog_id, node_id = previous.dialog_id, previous.node
            version = _version(versions, source, dialog_id)
            usage[(day, dialog_id, version, lang, node_id, "exit", ended, team)] += 1
            turn.session.usage = ""
        else:
            if not sos:  # /sos leaves the time on the node running
                entered = ms
            turn.session.usage = f"{entry}.{entered or ''}.{referred}"
        self._maybe_flush(ms)

    def _referrals_reached(
        self,
        source: Callable[[], dl.DialogSource],
        result: dl.StepResult,
        state: dl.SessionState,
        versions: dict[str, int],
        conversation: tuple[str, str, str],
    ) -> str:
        """Count the pages and emergency screens a step that showed contacts reached (`state`:
        where it left the conversation; `conversation`: how it was opened, the referrals it
        counted, its team); returns the referral kinds counted now."""
        entry, referred, team = conversation
        lang, opened, day, guidance = state.lang, _opened(state), self._day_key, source()
        for dialog_id, node_id in result.visited:
            version = _version(versions, source, dialog_id)
            referral = _referrals_of(guidance.get(dialog_id, version)).get(node_id)
            if referral is None:
                continue
            page_role, emergency = referral
            how = "goto" if dialog_id != opened else _ENTRIES.get(entry, "")
            node = (day, dialog_id, version, lang, node_id)
            if page_role:
                self._usage[(*node, "page", page_role, team)] += 1
                referred = self._referral(referred, team, dialog_id, how, "page")
            if emergency:
                self._usage[(*node, "emergency", "", team)] += 1
                referred = self._referral(referred, team, dialog_id, how, "emergency")
        return referred

    def left(self, turn: Turn, reason: str) -> None:
        """The conversation's dialog is left where it stands: "cancelled" (/cancel) or
        "abandoned" (another dialog opened over it)."""
        if self._sink is None or turn.session.preview:
            return
        where = node_of(turn.session.engine)
        if where is None:
            return
        ms = self._now_ms()
        node, team = (self._day_key, *where), turn.actor.team_id
        self._usage[(*node, "exit", reason, team)] += 1
        entered = _marker(turn.session.usage)[1]
        if entered:
            self._usage[(*node, "time", bucket_of((ms - entered) / 1000), team)] += 1
        turn.session.usage = ""
        self._maybe_flush(ms)

    def sos(self, turn: Turn) -> None:
        """/sos answered outside a dialog step (no dialog running, or the chat busy with another
        message: `bot.chat.sos.express_sos`): an emergency screen reached by /sos."""
        if self._sink is None or turn.session.preview:
            return
        ms = self._now_ms()
        running = (turn.session.engine or {}).get("dialog_id")
        dialog = running if isinstance(running, str) else ""
        self._referrals[(self._day_key, turn.actor.team_id, dialog, "sos", "emergency")] += 1
        self._maybe_flush(ms)

    # -- counting ----------------------------------------------------------------------------

    def _now_ms(self) -> int:
        """Now, in POSIX milliseconds; the day's key follows it (formatted once a day, not at
        every step)."""
        ms = self._clock.millis()
        if not self._day_starts <= ms < self._day_ends:
            date = datetime.fromtimestamp(ms / 1000, UTC).date()
            start = datetime(date.year, date.month, date.day, tzinfo=UTC)
            self._day_key = date.isoformat()
            self._day_starts = int(start.timestamp() * 1000)
            self._day_ends = self._day_starts + 86_400_000
        return ms

    def _referral(self, referred: str, team: str, dialog_id: str, entry: str, kind: str) -> str:
        """Once per conversation and kind: the first way it reached a page or a screen;
        returns the kinds counted now."""
        code = _KINDS[kind]
        if code in referred:
            return referred
        self._referrals[(self._day_key, team, dialog_id, entry, kind)] += 1
        return referred + code

    # -- writing -----------------------------------------------------------------------------

    def _maybe_flush(self, ms: int) -> None:
        """Hand the counts to a background write once `FLUSH_EVERY` has passed."""
        if ms < self._due or (self._task is not None and not self._task.done()):
            return
        self._task = asyncio.get_running_loop().create_task(self.flush(), name="usage-flush")

    async def flush(self) -> None:
        """Add the counts kept so far to the day totals (a failure is logged; they are lost)."""
        running = self._task
        if running is not None and not running.done() and running is not asyncio.current_task():
            await running
        self._due = int((self._clock.now() + FLUSH_EVERY).timestamp() * 1000)
        if self._sink is None or not (self._usage or self._referrals):
            return
        usage, referrals = dict(self._usage), dict(self._referrals)
        self._usage.clear()
        self._referrals.clear()
        try:
            await self._sink.record_usage(usage, referrals)
        except Exception as exc:  # figures, not records: never break a conversation for them
            logger.error("could not record usage figures: %s", type(exc).__name__)
