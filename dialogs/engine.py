"""The pure dialog engine: `step(library, state, event, now) -> StepResult`.

No I/O, no clock (`now` is given), deterministic. Message, contact, goto and end nodes run on
their own; the engine stops at a prompt (question, input, note offer, check-in offer) and shows
the texts met on the way in the prompt's `Say`. An invalid event returns the input state
unchanged with an `EventError`. `Sos` and `Cancel` work from any node of any dialog.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from dialogs.engine_words import engine_text
from dialogs.events import (
    Cancel,
    Choose,
    Ended,
    Event,
    EventError,
    LogNote,
    OptionView,
    Output,
    PageContact,
    Say,
    ScheduleCheckin,
    ShowContacts,
    Sos,
    Start,
    StepResult,
    Text,
    Timeout,
)
from dialogs.expr import Value, evaluate
from dialogs.library import DialogSource
from dialogs.model import (
    CheckinNode,
    ContactNode,
    Dialog,
    EndNode,
    GotoNode,
    InputNode,
    MessageNode,
    Node,
    NoteNode,
    QuestionNode,
)
from dialogs.model import Text as TextValue
from dialogs.state import Frame, SessionState
from dialogs.templates import MAX_BODY_OUTPUT, MAX_OUTPUT, is_template, render
from dialogs.validation import validate_input

__all__ = [
    "MAX_AUTO_STEPS",
    "MAX_GOTO_DEPTH",
    "MAX_SAY",
    "SOS_EVENT_ROLES",
    "current_prompt",
    "step",
]

#: the contacts an `Sos` event shows inside a dialog (the chat layer's /sos command adds the
#: case owner: bot.chat.sos.SOS_COMMAND_ROLES)
SOS_EVENT_ROLES = ("emergency", "on_call_psychologist")
MAX_AUTO_STEPS = 500
MAX_GOTO_DEPTH = 8
#: the most characters one Say gathers from the texts met on the way (four Telegram messages)
MAX_SAY = 16_384
_EMPTY: tuple[Output, ...] = ()


def _refuse(state: SessionState | None, code: str, lang: str, message: str = "") -> StepResult:
    return StepResult(state, _EMPTY, EventError(code, message or engine_text(code, lang)))


class _Run:
    """The mutable scratch of one step; produces the new state and the outputs."""

    __slots__ = (
        "_env",
        "context",
        "dialog",
        "end_reason",
        "ended",
        "lang",
        "library",
        "node_id",
        "outputs",
        "pending",
        "stack",
        "turn",
        "vars",
        "visited",
    )

    def __init__(
        self,
        library: DialogSource,
        dialog: Dialog,
        node_id: str,
        lang: str,
        turn: int,
        vars: Mapping[str, Value],
        context: Mapping[str, str],
        stack: tuple[Frame, ...],
    ) -> None:
        self.library = library
        self.dialog = dialog
        self.node_id = node_id
        self.lang = lang
        self.turn = turn
        self.vars = vars
        self.context = context
        self.stack = stack
        self.outputs: list[Output] = []
        self.pending: list[str] = []
        self.ended = False
        self.end_reason = ""
        self.visited: list[tuple[str, str]] = []
        self._env: dict[str, Any] | None = None

    # -- helpers --------------------------------------------------------------------------
    def set_vars(self, vars: Mapping[str, Value]) -> None:
        self.vars = vars
        self._env = None

    def env(self) -> dict[str, Any]:
        """Variables and context for templates and conditions (cached until vars change)."""
        if self._env is not None:
            return self._env
        env: dict[str, Any] = dict(self.vars)
        env["practitioner"] = self.context.get("practitioner", "")
        env["case"] = self.context.get("case", "")
        env["lang"] = self.lang
        self._env = env
        return env

    def text(self, value: TextValue | None, limit: int = MAX_OUTPUT) -> str:
        if value is None:
            return ""
        source = value.values.get(self.lang)
        if source is None:
            source = value.get(self.lang, self.dialog.default_language)
        if value.has_template and is_template(source):
            return render(source, self.env(), limit)
        return source

    def say(self, value: TextValue | None) -> None:
        self.add_pending(self.text(value))

    def add_pending(self, text: str) -> None:
        """Queue a text for the next Say; past MAX_SAY characters in all, the rest is cut (a
        stored dialog is not checked: 500 message nodes of 8 KiB were 4 MB in one message)."""
        if not text:
            return
        room = MAX_SAY - sum(len(p) + 2 for p in self.pending)
        if room <= 0:
            return
        self.pending.append(text if len(text) <= room else text[: max(room - 1, 0)] + "…")

    def flush(self) -> None:
        if self.pending:
            self.outputs.append(Say("\n\n".join(self.pending)))
            self.pending = []

    def next_of(self, node: Node) -> str | None:
        for branch in node.next:
            if branch.when is None or evaluate(branch.when, self.env()):
                return branch.to
        return None

    def state(self) -> SessionState:
        return SessionState(
            dialog_id=self.dialog.id,
            version=self.dialog.version,
            node=self.node_id,
            lang=self.lang,
            turn=self.turn,
            vars=self.vars,
            context=self.context,
            stack=self.stack,
            ended=self.ended,
            end_reason=self.end_reason,
        )

    def result(self) -> StepResult:
        return StepResult(self.state(), tuple(self.outputs), None, tuple(self.visited))

    def end(self, reason: str) -> None:
        self.flush()
        self.outputs.append(Ended(reason))
        self.ended = True
        self.end_reason = reason

    # -- running --------------------------------------------------------------------------
    def finish_dialog(self) -> str | None:
        """The running dialog is over: return to the caller, or end. The node to go on to."""
        while self.stack:
            frame = self.stack[-1]
            self.stack = self.stack[:-1]
            caller = self.library.get(frame.dialog_id, frame.version)
            if caller is None:
                self.end("error")
                return None
            self.dialog = caller
            self.set_vars(frame.vars)
            if frame.return_to:
                return frame.return_to
        self.end("completed")
        return None

    def go(self, node_id: str | None) -> None:
        """Run from `node_id` until a prompt or the end."""
        for _ in range(MAX_AUTO_STEPS):
            if node_id is None:
                node_id = self.finish_dialog()
                if node_id is None:
                    return
            node = self.dialog.nodes.get(node_id)
            if node is None:
                self.end("error")
                return
            self.node_id = node_id
            self.visited.append((self.dialog.id, node_id))
            if isinstance(node, MessageNode):
                self.say(node.text)
                node_id = self.next_of(node)
            elif isinstance(node, QuestionNode | InputNode | NoteNode | CheckinNode):
                self.turn += 1
                say = self.prompt(node)
                if say is None:  # a question whose conditions hide every option
                    node_id = None
                    continue
                self.outputs.append(say)
                return
            elif isinstance(node, ContactNode):
                self.say(node.text)
                self.flush()
                self.outputs.append(ShowContacts(node.roles, urgent=False))
                if node.page and node.roles:
                    self.outputs.append(PageContact(node.roles[0]))
                node_id = self.next_of(node)
            elif isinstance(node, GotoNode):
                target = self.library.get(node.dialog)
                if target is None or target.start not in target.nodes:
                    node_id = self.next_of(node)
                    continue
                if len(self.stack) >= MAX_GOTO_DEPTH:
                    node_id = self.next_of(node)
                    continue
                back = self.next_of(node) or ""
                self.stack = (
                    *self.stack,
                    Frame(self.dialog.id, self.dialog.version, back, self.vars),
                )
                self.dialog = target
                self.set_vars({})
                node_id = target.start
            elif isinstance(node, EndNode):
                self.say(node.text)
                node_id = None
            else:  # pragma: no cover - every kind is handled above
                self.end("error")
                return
        self.end("error")

    def prompt(self, node: Node) -> Say | None:
        text = self.text(node.text)
        if text:  # the question itself is never cut (a text is at most MAX_OUTPUT)
            self.pending.append(text)
        body = "\n\n".join(self.pending)
        self.pending = []
        if isinstance(node, InputNode):
            return Say(body, (), "text", self.turn)
        options = self.options(node)
        if not options:
            if body:
                self.pending.append(body)
            return None
        return Say(body, options, "option", self.turn)

    def options(self, node: Node) -> tuple[OptionView, ...]:
        if isinstance(node, QuestionNode):
            views: list[OptionView] = []
            for option in node.options:
                if option.when is not None and not evaluate(option.when, self.env()):
                    continue
                views.append(OptionView(option.id, self.text(option.label)))
            return tuple(views)
        if isinstance(node, NoteNode | CheckinNode):
            yes = self.text(node.yes) or engine_text("yes", self.lang)
            no = self.text(node.no) or engine_text("no", self.lang)
            return (OptionView("yes", yes), OptionView("no", no))
        return ()


def _resume(library: DialogSource, state: SessionState) -> _Run | None:
    dialog = library.get(state.dialog_id, state.version)
    if dialog is None:
        return None
    return _Run(
        library,
        dialog,
        state.node,
        state.lang,
        state.turn,
        state.vars,
        state.context,
        state.stack,
    )


def _start(library: DialogSource, state: SessionState | None, event: Start) -> StepResult:
    lang = event.lang
    dialog = library.get(event.dialog_id, event.version)
    if dialog is None:
        return _refuse(state, "unknown_dialog", lang)
    if lang not in dialog.languages:
        lang = dialog.default_language
    node = event.node or dialog.start
    if node not in dialog.nodes:
        return _refuse(state, "unknown_node", lang)
    turn = state.turn if state is not None else 0
    run = _Run(library, dialog, node, lang, turn, dict(event.vars), dict(event.context), ())
    run.go(node)
    return run.result()


def current_prompt(library: DialogSource, state: SessionState) -> Say | None:
    """The prompt the session waits on, shown again (same turn); None if there is none."""
    if state.ended:
        return None
    run = _resume(library, state)
    if run is None:
        return None
    node = run.dialog.nodes.get(state.node)
    if node is None:
        return None
    if isinstance(node, InputNode):
        return Say(run.text(node.text), (), "text", state.turn)
    options = run.options(node)
    if not options:
        return None
    return Say(run.text(node.text), options, "option", state.turn)


def step(
    library: DialogSource, state: SessionState | None, event: Event, now: datetime
) -> StepResult:
    """Apply one event. `now` is the caller's clock reading (the engine never reads a clock)."""
    del now  # reserved: no node kind depends on the time yet; kept for a stable signature
    if isinstance(event, Start):
        return _start(library, state, event)
    if isinstance(event, Sos):
        outputs: list[Output] = [ShowContacts(SOS_EVENT_ROLES, urgent=True)]
        if state is not None:
            prompt = current_prompt(library, state)
            if prompt is not None:
                outputs.append(prompt)
        return StepResult(state, tuple(outputs))
    lang = state.lang if state is not None else "en"
    if state is None:
        return _refuse(state, "no_session", lang)
    if state.ended:
        return _refuse(state, "ended", lang)
    if isinstance(event, Cancel | Timeout):
        reason = "cancelled" if isinstance(event, Cancel) else "timeout"
        return StepResult(replace(state, ended=True, end_reason=reason), (Ended(reason),))
    run = _resume(library, state)
    if run is None:
        return _refuse(state, "unknown_dialog", lang)
    node = run.dialog.nodes.get(state.node)
    if node is None:
        return _refuse(state, "unknown_node", lang)
    if isinstance(event, Choose):
        return _choose(run, state, node, event)
    if isinstance(event, Text):
        return _text(run, state, node, event)
    return _refuse(state, "bad_event", lang)


def _choose(run: _Run, state: SessionState, node: Node, event: Choose) -> StepResult:
    lang = state.lang
    if event.turn != state.turn:
        return _refuse(state, "stale_turn", lang)
    if isinstance(node, InputNode):
        return _refuse(state, "expected_text", lang)
    if isinstance(node, QuestionNode):
        chosen = None
        for option in node.options:
            if option.id == event.option_id:
                chosen = option
                break
        if chosen is None or (chosen.when is not None and not evaluate(chosen.when, run.env())):
            return _refuse(state, "unknown_option", lang)
        run.go(chosen.next)
        return run.result()
    if isinstance(node, NoteNode | CheckinNode):
        if event.option_id not in ("yes", "no"):
            return _refuse(state, "unknown_option", lang)
        if event.option_id == "yes":
            if isinstance(node, NoteNode):
                run.outputs.append(LogNote(run.text(node.body, MAX_BODY_OUTPUT), node.tags))
            else:
                label = run.text(node.label) or run.text(run.dialog.title)
                run.outputs.append(ScheduleCheckin(node.after, label))
        run.go(run.next_of(node))
        return run.result()
    return _refuse(state, "bad_event", lang)


def _text(run: _Run, state: SessionState, node: Node, event: Text) -> StepResult:
    lang = state.lang
    if not isinstance(node, InputNode):
        return _refuse(state, "expected_option", lang)
    value, reason = validate_input(event.text, node.validate)
    if reason:
        custom = run.text(node.error)
        return _refuse(state, "invalid_input", lang, custom or engine_text(reason, lang))
    run.set_vars({**run.vars, node.var: value})
    run.go(run.next_of(node))
    return run.result()
