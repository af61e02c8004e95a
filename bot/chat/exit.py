"""The structured exit in chat: `/exit CASE` walks through the six elements of the exit report,
`/exit-report CASE [html]` sends the document.

`/exit` starts at the first element without an answer. Each typed message is the answer to the
element shown, saved at once (encrypted, `save_exit_answer`), and the next unanswered element
follows; "Skip for now" leaves one for later, "All elements" lists them all to revise one (its
current answer is shown with "Keep it"). The element "where to get help" is offered pre-filled
from the team's directory ("Use this list"), or typed. `/cancel` leaves: every answer saved
stays, and `/exit CASE` again continues at the first unanswered element.

State between messages: `ChatSession.exit` (`case`, `element`, the `revision` shown, the
pre-filled `prefill`, a text `typed` over a colleague's answer written meanwhile: kept, and
"Replace with mine" saves it), the prompt shown (`ChatSession.prompt`, expecting text).
Buttons carry `x.<sid>.<action>` or `x.<sid>.e.<element>` (the conversation's id: an older
conversation's buttons expire). On Matrix and the console a typed number (or a button's
label) presses that button.

Texts: `[exit]` of the catalog; the elements' headings, prompts and hints:
`content/exit_report.yaml` (`bot.exit.plan`). Over Telegram, refused unless `[telegram]
allow_case_notes` (like notes: the answers are case text).
"""

from __future__ import annotations

from typing import Any

from bot.chat.core import ChatCore, Turn
from bot.chat.session import ChatSession, Prompt
from bot.errors import CaseClosed, ConfigError
from bot.exit.plan import ExitElement, ExitPlan, load_exit_plan
from bot.exit.report import exit_report_file_name, render_exit_report
from bot.exit.usecases import AnsweredMeanwhile, ExitProgress
from bot.messages import Reply

__all__ = ["EXIT_TOKEN", "ExitFlow"]

EXIT_TOKEN = "x"
_FORMATS = {"": "md", "md": "md", "markdown": "md", "html": "html"}


class ExitFlow:
    """`/exit` and `/exit-report` over one `ChatCore` (held by `ChatService`)."""

    def __init__(self, core: ChatCore) -> None:
        self.core = core

    def plan(self) -> ExitPlan:
        return load_exit_plan(self.core.config.content_path)

    def _t(self, turn: Turn, key: str, **values: Any) -> str:
        return self.core.catalog.text(turn.lang, f"exit.{key}", **values)

    def _label(self, turn: Turn, element: ExitElement) -> str:
        return element.label.get(turn.lang, element.label["en"])

    # -- /exit ------------------------------------------------------------------------------

    async def start(self, turn: Turn, argument: str) -> list[Reply]:
        refusal = self.core.notes_refusal(turn)
        if refusal is not None:
            return [refusal]
        code = argument.strip().split(maxsplit=1)[0].upper() if argument.strip() else ""
        if not code:
            return [Reply(self._t(turn, "usage"))]
        progress = await self.core.backend.exit_progress(turn.actor, code)
        self.core.usage.left(turn, "abandoned")  # a dialog running is left for the report
        turn.session = ChatSession(case=code, exit={"case": code})
        total = len(progress.elements)
        intro = Reply(
            self._t(turn, "intro", case=code, answered=len(progress.answers), total=total)
        )
        element = progress.first_missing()
        if element is None:
            return [intro, self._menu(turn, progress)]
        return [intro, await self._ask(turn, progress, element)]

    def leave(self, turn: Turn) -> list[Reply]:
        """`/cancel` during `/exit`: nothing saved is lost."""
        code = turn.session.exit.get("case", "")
        turn.session = ChatSession()
        return [Reply(self._t(turn, "left", case=code))]

    async def on_text(self, turn: Turn, text: str) -> list[Reply]:
        token = turn.session.token_for_text(text)
        if token is not None and token.startswith(f"{EXIT_TOKEN}."):
            turn.session.buttons = []  # answered (as in ChatService._on_button)
            return await self.on_button(turn, token)
        return await self._save(turn, text)

    async def on_button(self, turn: Turn, token: str) -> list[Reply]:
        parts = token.split(".", 3)
        state = turn.session.exit
        if len(parts) < 3 or parts[1] != turn.session.sid or not state.get("case"):
            return self.core.expired(turn)
        action = parts[2]
        if action in ("use", "mine"):  # the pre-filled contacts, or one's text kept aside
            kept = str(state.get("prefill" if action == "use" else "typed") or "")
            if not kept:
                return self.core.expired(turn)
            return await self._save(turn, kept)
        progress = await self.core.backend.exit_progress(turn.actor, state["case"])
        if action == "e" and len(parts) == 4 and parts[3] in progress.elements:
            return [await self._ask(turn, progress, parts[3])]
        if action == "menu":
            return [self._menu(turn, progress)]
        if action in ("skip", "keep"):
            return await self._next(turn, progress, after=str(state.get("element") or ""))
        if action == "done":
            return self._finish(turn, progress)
        return self.core.expired(turn)

    async def _save(self, turn: Turn, text: str) -> list[Reply]:
        state = turn.session.exit
        element = str(state.get("element") or "")
        plan = self.plan()
        if plan.element(element) is None:
            return self.core.expired(turn)
        try:
            progress = await self.core.backend.save_exit_answer(
                turn.actor, state["case"], element, text, state.get("revision")
            )
        except AnsweredMeanwhile:  # a colleague wrote it since it was shown: nothing is lost
            return [await self._meanwhile(turn, element, text)]
        except CaseClosed as exc:  # closed meanwhile: the report is read only from now on
            turn.session = ChatSession()
            return [self.core.refusal(turn, exc, "invalid_input")]
        label = self._label(turn, plan.element(element) or plan.elements[0])
        saved = Reply(
            self._t(
                turn,
                "saved",
                label=label,
                answered=len(progress.answers),
                total=len(progress.elements),
            )
        )
        return [saved, *await self._next(turn, progress, after=element)]

    async def _next(self, turn: Turn, progress: ExitProgress, *, after: str) -> list[Reply]:
        element = progress.first_missing(after=after)
        if element is None:
            if not progress.missing:
                return self._finish(turn, progress)
            return [self._menu(turn, progress)]  # only the skipped one is left
        return [await self._ask(turn, progress, element)]

    def _finish(self, turn: Turn, progress: ExitProgress) -> list[Reply]:
        code = progress.case_code
        answered, total = len(progress.answers), len(progress.elements)
        turn.session = ChatSession()
        key = "all_answered" if not progress.missing else "paused"
        return [Reply(self._t(turn, key, case=code, answered=answered, total=total))]

    def _buttons(self, turn: Turn, names: list[str]) -> list[tuple[str, str]]:
        sid = turn.session.sid
        return [(self._t(turn, f"button_{name}"), f"{EXIT_TOKEN}.{sid}.{name}") for name in names]

    async def _ask(self, turn: Turn, progress: ExitProgress, element_id: str) -> Reply:
        plan = self.plan()
        element = plan.element(element_id)
        assert element is not None
        number = plan.ids.index(element_id) + 1
        parts = [
            self._t(
                turn,
                "element",
                number=number,
                total=len(plan.elements),
                label=self._label(turn, element),
                prompt=element.prompt.get(turn.lang, element.prompt["en"]),
                hint=element.hint.get(turn.lang, element.hint["en"]),
            )
        ]
        state = turn.session.exit
        answer = progress.answers.get(element_id)
        state["element"], state["prefill"], state["typed"] = element_id, "", ""
        state["revision"] = answer.revision if answer is not None else 0
        names: list[str] = []
        if answer is not None:
            when = answer.updated_at.strftime("%Y-%m-%d")
            parts.append(
                self._t(turn, "current", author=answer.author_name, when=when, text=answer.text)
            )
            names.append("keep")
        elif element.prefill == "contacts":
            prefill = await self._contacts(turn, plan, progress.case_code)
            if prefill:
                state["prefill"] = prefill
                parts.append(self._t(turn, "prefill", contacts=prefill))
                names.append("use")
            else:
                parts.append(self._t(turn, "prefill_none"))
            names.append("skip")
        else:
            names.append("skip")
        parts.append(self._t(turn, "type_answer"))
        names.append("menu")
        return self._prompt(turn, "\n\n".join(parts), self._buttons(turn, names))

    async def _meanwhile(self, turn: Turn, element: str, typed: str) -> Reply:
        progress = await self.core.backend.exit_progress(turn.actor, turn.session.exit["case"])
        answer = progress.answers.get(element)
        state = turn.session.exit
        state["typed"], state["revision"] = typed, answer.revision if answer else 0
        text = self._t(
            turn,
            "meanwhile",
            author=answer.author_name if answer else "",
            when=answer.updated_at.strftime("%Y-%m-%d %H:%M") if answer else "",
            text=answer.text if answer else "",
        )
        return self._prompt(turn, text, self._buttons(turn, ["mine", "keep", "menu"]))

    def _menu(self, turn: Turn, progress: ExitProgress) -> Reply:
        plan = self.plan()
        sid = turn.session.sid
        buttons = []
        for number, element in enumerate(plan.elements, start=1):
            mark = "answered_mark" if element.id in progress.answers else "missing_mark"
            label = self._t(turn, mark, number=number, label=self._label(turn, element))
            buttons.append((label, f"{EXIT_TOKEN}.{sid}.e.{element.id}"))
        buttons.append((self._t(turn, "button_done"), f"{EXIT_TOKEN}.{sid}.done"))
        text = self._t(
            turn,
            "menu",
            case=progress.case_code,
            answered=len(progress.answers),
            total=len(progress.elements),
        )
        turn.session.exit["element"] = ""
        return self._prompt(turn, text, buttons, expects="option")

    def _prompt(
        self, turn: Turn, text: str, buttons: list[tuple[str, str]], expects: str = "text"
    ) -> Reply:
        turn.session.prompt = Prompt(text, buttons, expects)
        return turn.session.prompt.reply()

    async def _contacts(self, turn: Turn, plan: ExitPlan, case_code: str) -> str:
        """The directory's entries for the plan's help roles, one line each."""
        entries = await self.core.backend.contacts_for(
            turn.actor, list(plan.help_roles), case_code
        )
        lines = []
        for entry in entries:
            lines.append(
                self._t(
                    turn,
                    "contact_line",
                    role=self.core.dialogs.role_label(entry.role, turn.lang),
                    name=entry.name,
                    phone=f" – {entry.phone}" if entry.phone else "",
                    hours=f" ({entry.hours})" if entry.hours else "",
                )
            )
        return "\n".join(lines)

    # -- /exit-report -----------------------------------------------------------------------

    async def report(self, turn: Turn, argument: str) -> list[Reply]:
        refusal = self.core.notes_refusal(turn)
        if refusal is not None:
            return [refusal]
        words = argument.split()
        if not words or len(words) > 2:
            return [Reply(self._t(turn, "report_usage"))]
        code = words[0].upper()
        fmt = _FORMATS.get(words[1].lower() if len(words) == 2 else "")
        if fmt is None:
            return [Reply(self._t(turn, "report_format", format=words[1]))]
        report = await self.core.backend.exit_report(turn.actor, code)
        try:
            document = render_exit_report(
                report,
                self.plan(),
                content_dir=self.core.config.content_path,
                catalog=self.core.catalog,
                role_label=self.core.dialogs.role_label,
                lang=turn.lang,
                fmt="html" if fmt == "html" else "md",
                time_zone=turn.actor.time_zone,
            )
        except ConfigError as exc:  # a template a psychologist broke: say where
            return [Reply(self._t(turn, "report_failed", reason=str(exc)))]
        answered, total = len(report.progress.answers), len(report.progress.elements)
        caption = self._t(turn, "report_caption", case=code, answered=answered, total=total)
        name = exit_report_file_name(report.case.code, fmt)
        return [Reply(caption, attachment=(name, document.encode("utf-8")))]
