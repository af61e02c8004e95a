"""Dialogs in chat: starting one (with or without a case), the engine's steps turned into
replies (questions, contacts, pages, note and check-in offers), /sos, and drafts in preview."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import dialogs as dl
from bot.chat import checkins as checkins_view
from bot.chat import feedback as guidance_feedback
from bot.chat.core import ChatCore, Turn
from bot.chat.crisis_help import needs_help_button, with_help
from bot.chat.notes import REFUSED, NotesFlow
from bot.chat.session import ChatSession, Pending, Prompt
from bot.chat.sharing import record_before_dialog
from bot.chat.sos import SOS_COMMAND_ROLES
from bot.chat.tokens import dialog_token, parse_dialog_token
from bot.errors import UntrustedDevice
from bot.messages import Button, Reply
from dialogs.audience import AudienceSource

__all__ = ["PREVIEW_CASE", "DialogFlow"]

logger = logging.getLogger(__name__)

PREVIEW_CASE = "PREVIEW"
_MAX_PREVIEWS = 200
#: role sets whose view of the guidance is kept (a few in practice)
_MAX_SOURCES = 64
#: engine refusals that mean "this button belongs to an older menu"
_EXPIRED = frozenset({"stale_turn", "unknown_option", "expected_text", "no_session", "ended"})


class DialogFlow:
    """What the dialog engine asks of a conversation, and what it is told."""

    def __init__(self, core: ChatCore, notes: NotesFlow) -> None:
        self.core = core
        self.notes = notes
        #: drafts being previewed, by (dialog id, negative preview version); lost on restart
        self._previews: dict[tuple[str, int], dl.Dialog] = {}
        #: (id of the registry's source, roles, team) -> (that source, the view they have of it)
        self._sources: dict[
            tuple[int, frozenset[str], str], tuple[dl.DialogSource, AudienceSource]
        ] = {}

    async def sos(self, turn: Turn) -> list[Reply]:
        state = self.engine_state(turn)
        if state is not None:
            result = dl.step(self.source(turn), state, dl.Sos(), self.core.clock.now())
            if result.error is None:
                return await self.apply(turn, result)
        self.core.usage.sos(turn)  # an emergency screen outside any dialog (bot.chat.usage)
        contacts = await self.contacts_reply(turn, SOS_COMMAND_ROLES, urgent=True)
        return [contacts] + ([turn.session.prompt.reply()] if turn.session.prompt else [])

    async def on_option(self, turn: Turn, token: str) -> list[Reply]:
        parsed = parse_dialog_token(token)
        state = self.engine_state(turn)
        if parsed is None or state is None or parsed.sid != turn.session.sid:
            return self.core.expired(turn)
        event = dl.Choose(parsed.option, parsed.turn)
        result = dl.step(self.source(turn), state, event, self.core.clock.now())
        if result.error is not None:
            if result.error.code in _EXPIRED:
                return self.core.expired(turn)
            return [Reply(result.error.message), *self.core.current_prompt(turn)]
        guidance_feedback.track_choice(self.core, turn, state, parsed.option)
        return await self.apply(turn, result, option=parsed.option)

    def engine_state(self, turn: Turn) -> dl.SessionState | None:
        return turn.engine_state()

    async def start_dialog(self, turn: Turn, dialog_id: str, case_code: str) -> list[Reply]:
        dialog = self.core.dialogs.source().get(dialog_id)
        if dialog is None or not self.core.dialogs.visible(dialog, turn.actor.team_name):
            return [self.core.text(turn, "dialog_unavailable", dialog=dialog_id)]
        if not self.core.dialogs.allowed(dialog, turn.actor.roles, turn.actor.team_name):
            return [self.core.text(turn, "dialog_not_for_you")]
        self.core.usage.left(turn, "abandoned")  # a dialog running is left for this one
        code = case_code.strip().upper()
        replies: list[Reply] = []
        try:
            others = await self.notes.open_cases(turn) if code else []
        except UntrustedDevice:  # a device that may not see cases: the guidance goes on without
            others, code = [], ""
        if code and code not in others:
            # a typo, a closed case or someone else's: which case then? (nothing started yet)
            if others:
                turn.session = ChatSession(pending=[Pending(kind="dialog", label=dialog_id)])
                buttons = (
                    *(Button(other, f"c.{other}") for other in others),
                    Button(self.core.catalog.text(turn.lang, "dialog_without_case"), "c.-"),
                )
                text = self.core.catalog.text(turn.lang, "case_not_yours_pick", case=code)
                return [Reply(text, tuple(buttons))]
            replies.append(self.core.text(turn, "dialog_starts_without_case", case=code))
            code = ""
        turn.session = ChatSession(case=code)
        replies += await record_before_dialog(self.core, turn, dialog_id, code)  # issue 16
        context = {"practitioner": turn.actor.name, "case": turn.session.case}
        event = dl.Start(dialog_id, turn.lang, context)
        result = dl.step(self.source(turn), None, event, self.core.clock.now())
        return [*replies, *await self.apply(turn, result)]

    async def on_dialog_case_picked(self, turn: Turn, case_code: str) -> list[Reply]:
        # a case no longer open is asked again; "-" starts without a case
        dialog_id = turn.session.pending[0].label
        return await self.start_dialog(turn, dialog_id, "" if case_code == "-" else case_code)

    async def start_preview(self, turn: Turn, dialog_id: str) -> list[Reply]:
        """/preview DIALOG: run a draft (from publishing) for a psychologist as users will see
        it; `session.preview` makes notes, check-ins and pages simulated."""
        assert self.core.publishing is not None
        replies, dialog = await self.core.publishing.preview_replies(turn.actor, dialog_id)
        if dialog is None:
            return replies
        self._remember_preview(dialog)
        # a stand-in case code: notes and check-ins are simulated "on" it, never on a real case
        turn.session = ChatSession(
            preview=True, case=PREVIEW_CASE, preview_digest=dialog.source_digest()
        )
        context = {"practitioner": turn.actor.name, "case": PREVIEW_CASE}
        event = dl.Start(dialog.id, turn.lang, context, {}, dialog.version)
        result = dl.step(self.source(turn), None, event, self.core.clock.now())
        return [*replies, *await self.apply(turn, result)]

    async def restore_preview(self, turn: Turn) -> bool:
        """A preview session whose draft this process does not hold (Relais restarted): the
        draft is fetched again, if it has not changed since. False: that preview is over."""
        engine = turn.session.engine or {}
        dialog_id, version = engine.get("dialog_id"), engine.get("version")
        if not isinstance(dialog_id, str) or not isinstance(version, int):
            return True  # between steps of a preview with no dialog running: nothing to restore
        if (dialog_id, version) in self._previews:
            return True
        if self.core.publishing is None:
            return False
        dialog = await self.core.publishing.restore_preview(
            turn.actor, dialog_id, version, turn.session.preview_digest
        )
        if dialog is None:
            return False
        self._remember_preview(dialog)
        return True

    def _remember_preview(self, dialog: dl.Dialog) -> None:
        self._previews[(dialog.id, dialog.version)] = dialog
        while len(self._previews) > _MAX_PREVIEWS:  # the oldest previews are forgotten
            del self._previews[next(iter(self._previews))]

    def source(self, turn: Turn) -> dl.DialogSource:
        """The guidance a conversation runs on: the registry, plus the drafts in preview, as the
        practitioner's roles may open it (a goto never enters a dialog not meant for them)."""
        source = self.core.dialogs.source()
        roles, team = turn.actor.roles, turn.actor.team_name
        if turn.session.preview and self._previews:
            preview = _PreviewSource(source, self._previews)
            return AudienceSource(
                preview, roles, lambda dialog: self.core.dialogs.allowed(dialog, roles, team)
            )
        # the same few (role set, team) pairs ask every turn: one view each, until the guidance
        # changes
        key = (id(source), frozenset(roles), team)
        found = self._sources.get(key)
        if found is None or found[0] is not source:
            if len(self._sources) > _MAX_SOURCES:
                self._sources.clear()
            view = AudienceSource(
                source, roles, lambda dialog: self.core.dialogs.allowed(dialog, roles, team)
            )
            found = self._sources[key] = (source, view)
        return found[1]

    async def apply(self, turn: Turn, result: dl.StepResult, option: str = "") -> list[Reply]:
        """Turn the engine's outputs into replies and requests; remember the new state."""
        session = turn.session
        if result.error is not None or result.state is None:
            message = result.error.message if result.error else ""
            return [
                Reply(message or self.core.catalog.text(turn.lang, "error")),
                *self.core.current_prompt(turn),
            ]
        before, session.engine = session.engine, result.state.to_dict()
        previous = turn.parsed_state(before)
        turn.parsed = (session.engine, result.state)
        self.core.usage.stepped(turn, lambda: self.source(turn), before, result, option, previous)
        guidance_feedback.track_outputs(turn, result.outputs)
        replies: list[Reply] = []
        ended = False
        for output in result.outputs:
            match output:
                case dl.Say():
                    replies.append(self._say(turn, output, result.state))
                case dl.ShowContacts():
                    replies.append(
                        await self.contacts_reply(turn, output.roles, urgent=output.urgent)
                    )
                case dl.PageContact():
                    replies.extend(await self._page(turn, output.role))
                case dl.LogNote():
                    refusal = self.core.notes_refusal(turn)
                    if refusal is not None:
                        replies.append(refusal)
                    else:
                        session.pending.append(
                            Pending(kind="note", body=output.body, tags=list(output.tags))
                        )
                        replies.extend(await self._run_pending_if_case_known(turn))
                case dl.ScheduleCheckin():
                    session.pending.append(
                        Pending(
                            kind="checkin",
                            after_seconds=int(output.after.total_seconds()),
                            label=output.label,
                        )
                    )
                    replies.extend(await self._run_pending_if_case_known(turn))
                case dl.Ended():
                    ended = True
        if ended:
            session.engine = None
            session.prompt = None
            if output_reason(result) == "cancelled":
                replies.append(self.core.text(turn, "cancelled"))
            elif not any(isinstance(o, dl.Say) for o in result.outputs):
                replies.append(self.core.text(turn, "dialog_finished"))
            offer = guidance_feedback.feedback_offer(
                self.core, turn, result, output_reason(result)
            )
            replies.extend([offer] if offer is not None else [])
        if session.pending:  # the case is unknown: ask last, below the next question
            replies.extend(await self.notes.continue_pending(turn, reprompt=False))
        return replies

    async def _run_pending_if_case_known(self, turn: Turn) -> list[Reply]:
        turn.session.case = turn.session.case or await self.notes.only_case(turn)
        if turn.session.case:  # a case to pick (after a refusal) is asked below the question
            return await self.notes.continue_pending(turn, reprompt=False, ask=False)
        return []

    def _say(self, turn: Turn, say: dl.Say, state: dl.SessionState) -> Reply:
        session = turn.session
        text = say.text
        buttons = [
            (option.label, dialog_token(session.sid, say.turn, option.id))
            for option in say.options
        ]
        if needs_help_button(self.source(turn), state, say):
            text, buttons = with_help(
                text,
                buttons,
                expects=say.expects,
                channel=turn.incoming.channel,
                label=self.core.catalog.text(turn.lang, "sos_button"),
                hint=self.core.catalog.text(turn.lang, "sos_hint"),
            )
        if say.expects is not None:
            session.prompt = Prompt(text, buttons, say.expects)
        return Reply(text, tuple(Button(label, token) for label, token in buttons))

    async def contacts_reply(self, turn: Turn, roles: Sequence[str], *, urgent: bool) -> Reply:
        case_code = turn.session.case
        if "case_owner" in roles and not case_code:
            case_code = await self.notes.only_case(turn)
        contacts = await self.core.backend.contacts_for(turn.actor, list(roles), case_code or None)
        lang = turn.lang
        lines = [self.core.catalog.text(lang, "sos_title" if urgent else "contacts_title")]
        listed = set()
        for contact in contacts:
            listed.add(contact.role)
            hours = self.core.catalog.text(lang, "contact_hours", hours=contact.hours)
            lines.append(
                self.core.catalog.text(
                    lang,
                    "contact_line",
                    role=self.core.dialogs.role_label(contact.role, lang),
                    name=contact.name,
                    phone=contact.phone or "",
                    hours=hours if contact.hours else "",
                )
            )
        for role in roles:
            if role in listed:
                continue
            label = self.core.dialogs.role_label(role, lang)
            if role == "case_owner":
                if not urgent:  # /sos stays short: the owner line only when known
                    lines.append(self.core.catalog.text(lang, "contact_case_owner", role=label))
                continue
            lines.append(self.core.catalog.text(lang, "contact_missing", role=label))
        if urgent:
            lines.append(self.core.catalog.text(lang, "sos_footer"))
        return Reply("\n".join(lines), kind="alert" if urgent else "notice")

    async def _page(self, turn: Turn, role: str) -> list[Reply]:
        if turn.session.preview:
            return [self.core.text(turn, "preview_page", role=role)]
        if self.core.checkins is None:
            return [self.core.text(turn, "page_unavailable")]
        try:
            outcome = await self.core.checkins.page_contact(
                turn.actor, role, turn.session.case or None
            )
        except REFUSED:  # the case refused (closed, removed meanwhile): page without it
            turn.session.case = ""
            outcome = await self.core.checkins.page_contact(turn.actor, role, None)
        return [checkins_view.page_reply(turn.lang, outcome)]


class _PreviewSource:
    """A dialog source where drafts in preview answer for their (negative) versions."""

    def __init__(self, base: dl.DialogSource, previews: dict[tuple[str, int], dl.Dialog]) -> None:
        self._base = base
        self._previews = previews

    def get(self, dialog_id: str, version: int | None = None) -> dl.Dialog | None:
        if version is not None and (dialog_id, version) in self._previews:
            return self._previews[(dialog_id, version)]
        return self._base.get(dialog_id, version)


def output_reason(result: dl.StepResult) -> str:
    for output in result.outputs:
        if isinstance(output, dl.Ended):
            return output.reason
    return ""
