"""The chat layer every channel shares: commands, dialogs, notes, enrolment.

`ChatService.handle(incoming) -> list[Reply]` is the only entry point. It loads the conversation,
decides, saves, and returns what to show; the adapter sends it. Per chat, messages are handled
one at a time and in order; each update is handled once (deduplicated by event id in the
database, so a restart or a redelivery does not answer twice).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import traceback
from collections.abc import Sequence

import dialogs as dl
from bot.chat import checkins as checkins_view
from bot.chat.catalog import LANGUAGES
from bot.chat.core import Turn
from bot.chat.crisis_help import SOS_TOKEN, needs_help_button, with_help
from bot.chat.notes import NOTE_TAGS, REFUSED, NotesFlow
from bot.chat.ports import ActorLike, SessionLike
from bot.chat.session import ChatSession, Pending, Prompt
from bot.chat.sos import SOS_ROLES, express_sos
from bot.chat.status import render_status
from bot.chat.tokens import dialog_token, parse_dialog_token
from bot.checkins.results import ScheduleState
from bot.display import neutralise_reply
from bot.errors import InvalidInput, NotAllowed, NotFound, NotYourCase, UntrustedDevice
from bot.messages import Button, Incoming, Reply, is_sos
from bot.policy import Action, Relation, is_allowed
from dialogs.audience import AudienceSource

__all__ = ["CRISIS_DIALOG", "NOTE_TAGS", "ChatService"]

logger = logging.getLogger(__name__)

CRISIS_DIALOG = "crisis"
PREVIEW_CASE = "PREVIEW"
_MAX_PREVIEWS = 200
#: engine refusals that mean "this button belongs to an older menu"
_EXPIRED = frozenset({"stale_turn", "unknown_option", "expected_text", "no_session", "ended"})


class ChatService(NotesFlow):
    """Commands, dialogs and enrolment on top of the notes flow (bot.chat.notes)."""

    # -- entry point ------------------------------------------------------------------------

    async def handle(self, incoming: Incoming) -> list[Reply]:
        key = (incoming.channel, incoming.chat_id)
        lock = self._locks.setdefault(key, asyncio.Lock())
        if lock.locked() and is_sos(incoming.text, incoming.button):
            return await express_sos(self, incoming)  # never behind a slow turn (bot.chat.sos)
        async with lock:
            try:
                replies = await self._handle(incoming)
            except Exception as exc:
                # Never a traceback to the user, never the message text in the log.
                logger.error(
                    "handling %s update %s failed: %s\n%s",
                    incoming.channel,
                    incoming.event_id,
                    type(exc).__name__,
                    "".join(traceback.format_tb(exc.__traceback__)),
                )
                replies = [Reply(self.catalog.text(self.config.default_language, "error"))]
            if incoming.button and replies:
                # lets the adapter edit the pressed menu to show the choice
                replies[0] = dataclasses.replace(replies[0], answers_button=incoming.button)
        # what people typed (notes, names, answers) is shown without its invisible characters
        return [neutralise_reply(reply) for reply in replies]

    async def _handle(self, incoming: Incoming) -> list[Reply]:
        default = self.config.default_language
        sender = incoming.sender_identity
        start = await self.backend.begin_turn(
            incoming.channel, incoming.user_id, incoming.chat_id, incoming.event_id, sender
        )
        if not start.first_time:
            logger.info("skipping %s update %s: already handled", *key_of(incoming))
            if incoming.replayed and start.actor is not None:
                return await self._after_restart(incoming, start.actor, start.session)
            return []
        if not incoming.is_direct:
            return [Reply(self.catalog.text(default, "not_direct"))]
        if (
            incoming.channel == "matrix"
            and not incoming.encrypted
            and self.config.matrix.require_encryption
        ):
            return [Reply(self.catalog.text(default, "not_encrypted"))]
        command, argument = _parse_command(incoming.text)
        actor = start.actor
        if actor is None:
            if command == "start" and argument:
                return await self._enrol(incoming, argument)
            return [Reply(self.catalog.text(default, "unknown_user"))]
        if start.record_device and sender is not None:
            await self.backend.record_device(incoming.channel, incoming.user_id, sender)
        lang = actor.language if actor.language in LANGUAGES else default
        stored = start.session
        session = ChatSession.from_dict(stored.state if stored is not None else None)
        turn = Turn(incoming, actor, lang, session, stored.id if stored is not None else None)
        if session.preview and not await self._restore_preview(turn):
            engine = session.engine or {}
            turn.session = ChatSession()
            await self._save(turn)
            return [self._text(turn, "preview_gone", dialog=engine.get("dialog_id", "?"))]
        try:
            replies = await self._dispatch(turn, command, argument)
        except UntrustedDevice as exc:
            replies = [self._untrusted_device(turn, exc.trust)]
        except NotYourCase as exc:  # word for word what a code that does not exist gets
            replies = [Reply(self.catalog.text(turn.lang, "not_found", what=str(exc)))]
        except NotAllowed:
            replies = [Reply(self.catalog.text(turn.lang, "not_allowed"))]
        except NotFound as exc:
            replies = [Reply(self.catalog.text(turn.lang, "not_found", what=str(exc)))]
        except InvalidInput as exc:
            replies = [Reply(self.catalog.text(turn.lang, "invalid_input", reason=str(exc)))]
        else:
            turn.session.remember_buttons(replies)
            await self._save(turn)
            return replies
        # a refusal never leaves the conversation behind: where it stands is shown again
        replies.extend(self._current_prompt(turn))
        turn.session.remember_buttons(replies)
        await self._save(turn)
        return replies

    async def _after_restart(
        self, incoming: Incoming, actor: ActorLike, stored: SessionLike | None
    ) -> list[Reply]:
        """An update handled before Relais was stopped, whose answer may never have reached the
        user: never silence. /sos and /help are answered again (they change nothing); anything
        else is not done twice: the user is told, and shown where the conversation stands."""
        command, _argument = _parse_command(incoming.text)
        lang = actor.language if actor.language in LANGUAGES else self.config.default_language
        session = ChatSession.from_dict(stored.state if stored is not None else None)
        turn = Turn(incoming, actor, lang, session, stored.id if stored is not None else None)
        if command in ("sos", "help") and incoming.document is None:
            replies = await self._dispatch(turn, command, "")
            turn.session.remember_buttons(replies)
            await self._save(turn)
            return replies
        prompt = self._current_prompt(turn)
        return [self._text(turn, "restarted_prompt" if prompt else "restarted"), *prompt]

    async def _dispatch(self, turn: Turn, command: str, argument: str) -> list[Reply]:
        incoming = turn.incoming
        if incoming.document is not None:
            return await self._on_document(turn)
        if incoming.button:
            return await self._on_button(turn, incoming.button)
        if command:
            return await self._on_command(turn, command, argument)
        text = (incoming.text or "").strip()
        if not text:
            return [self._text(turn, "not_understood")]
        return await self._on_text(turn, text)

    async def _save(self, turn: Turn) -> None:
        channel, chat_id = turn.incoming.channel, turn.incoming.chat_id
        if turn.session.is_empty() and not turn.session.buttons:
            if turn.had_session:
                await self.backend.end_session(channel, chat_id)
            return
        engine = turn.session.engine or {}
        await self.backend.save_session(
            channel,
            chat_id,
            turn.session.to_dict(),
            practitioner_id=turn.actor.practitioner_id,
            dialog_id=engine.get("dialog_id"),
            dialog_version=engine.get("version"),
            expires_at=self.clock.now() + self.config.sessions.expiry,
            session_id=turn.stored_id,
        )

    # -- enrolment --------------------------------------------------------------------------

    async def _enrol(self, incoming: Incoming, code: str) -> list[Reply]:
        default = self.config.default_language
        try:
            actor = await self.backend.redeem_invite(
                incoming.channel, incoming.user_id, code, incoming.sender_identity
            )
        except InvalidInput as exc:
            return [Reply(self.catalog.text(default, "invite_failed", reason=str(exc)))]
        lang = actor.language if actor.language in LANGUAGES else default
        roles = ", ".join(self.catalog.label(lang, "roles", r) for r in sorted(actor.roles))
        return [Reply(self.catalog.text(lang, "welcome", name=actor.name, roles=roles))]

    # -- commands ---------------------------------------------------------------------------

    async def _on_command(self, turn: Turn, command: str, argument: str) -> list[Reply]:
        match command:
            case "start":
                return [self._text(turn, "already_enrolled", name=turn.actor.name)]
            case "help":
                replies = [self._text(turn, "help")]
                if is_allowed(turn.actor.roles, Action.DRAFT_DIALOG, Relation.OTHER):
                    replies.append(self._text(turn, "help_psychologist"))
                if is_allowed(turn.actor.roles, Action.VIEW_STATUS, Relation.OTHER):
                    replies.append(self._text(turn, "help_coordinator"))
                return replies
            case "sos":
                return await self._sos(turn)
            case "crisis":
                return await self._start_dialog(turn, CRISIS_DIALOG, argument.strip())
            case "dialogs":
                return self._list_dialogs(turn)
            case "cancel":
                return self._cancel(turn)
            case "lang":
                return await self._set_language(turn, argument.strip().lower())
            case "cases":
                return await self._list_cases(turn)
            case "note":
                return await self._note_command(turn, argument)
            case "notes":
                return await self._notes_command(turn, argument.strip())
            case "checkins":
                if self.checkins is None:
                    return [self._text(turn, "checkin_unavailable")]
                items = await self.checkins.list_checkins(turn.actor)
                return [checkins_view.upcoming_reply(turn.lang, turn.actor.time_zone, items)]
            case "checkin":
                if self.checkins is None:
                    return [self._text(turn, "checkin_unavailable")]
                result = await self.checkins.handle_command(turn.actor, argument)
                return [checkins_view.command_reply(turn.lang, turn.actor.time_zone, result)]
            case "status":
                status = await self.backend.team_status(turn.actor)
                channels = self.checkins.enabled_channels() if self.checkins else []
                return [render_status(self.catalog, turn.lang, turn.actor, status, channels)]
            case "preview" if self.publishing is not None:
                return await self.start_preview(turn, argument)
            case (
                "draft"
                | "preview"
                | "review"
                | "publish"
                | "reject"
                | "approve"
                | "history"
                | "rollback"
            ) if self.publishing is not None:
                return await self.publishing.handle_command(turn.actor, command, argument)
            case _:
                return [self._text(turn, "not_understood")]

    async def _sos(self, turn: Turn) -> list[Reply]:
        state = self._engine_state(turn)
        if state is not None:
            result = dl.step(self._source(turn), state, dl.Sos(), self.clock.now())
            if result.error is None:
                return await self._apply(turn, result)
        contacts = await self._contacts_reply(turn, SOS_ROLES, urgent=True)
        return [contacts] + ([turn.session.prompt.reply()] if turn.session.prompt else [])

    def _cancel(self, turn: Turn) -> list[Reply]:
        had_something = not turn.session.is_empty()
        turn.session = ChatSession()
        return [self._text(turn, "cancelled" if had_something else "no_dialog_running")]

    async def _set_language(self, turn: Turn, lang: str) -> list[Reply]:
        if lang not in LANGUAGES:
            return [self._text(turn, "lang_usage")]
        await self.backend.set_language(turn.actor, lang)
        turn.lang = lang
        return [self._text(turn, "lang_set")]

    async def _list_cases(self, turn: Turn) -> list[Reply]:
        cases = await self.backend.list_cases(turn.actor)
        if not cases:
            return [self._text(turn, "cases_none")]
        lines = [self.catalog.text(turn.lang, "cases_title")]
        for case in cases:
            relation = self.catalog.label(turn.lang, "relations", case.relation)
            lines.append(
                self.catalog.text(
                    turn.lang, "case_line", code=case.code, status=case.status, relation=relation
                )
            )
        return [Reply("\n".join(lines))]

    def _list_dialogs(self, turn: Turn) -> list[Reply]:
        entries = self.dialogs.list_for(turn.actor.roles, turn.lang)
        if not entries:
            return [self._text(turn, "dialogs_none")]
        buttons = tuple(Button(title, f"o.{dialog_id}") for dialog_id, title in entries)
        return [Reply(self.catalog.text(turn.lang, "dialogs_list"), buttons)]

    # -- notes ------------------------------------------------------------------------------

    # -- buttons and typed answers ----------------------------------------------------------

    async def _on_button(self, turn: Turn, token: str) -> list[Reply]:
        kind = token.split(".", 1)[0]
        if kind == SOS_TOKEN:  # "Emergency contacts" under a crisis screen: what /sos does
            return await self._sos(turn)
        if kind == "d":
            return await self._on_option(turn, token)
        if kind == "o":
            return await self._start_dialog(turn, token[2:], "")
        if kind == "c":
            return await self._on_case_picked(turn, token[2:])
        if kind == "t":
            return await self._on_tag_picked(turn, token[2:])
        if kind == "ci" and self.checkins is not None:
            return await self._on_checkin_button(turn, token)
        if kind == "pub" and self.publishing is not None:
            return await self.publishing.handle_button(turn.actor, token)
        return self._expired(turn)

    async def _on_checkin_button(self, turn: Turn, token: str) -> list[Reply]:
        """A check-in button, shown; then what it asks of the conversation: type a quick note
        on the case ("Done" + note), or open the guidance dialog ("Can't reach the person")."""
        assert self.checkins is not None
        outcome = await self.checkins.handle_button(turn.actor, token)
        if isinstance(outcome, ScheduleState):
            return [checkins_view.schedule_reply(turn.lang, outcome, token)]
        replies = [checkins_view.button_reply(turn.lang, turn.actor.time_zone, outcome, token)]
        if outcome.kind == "note":
            refusal = self._notes_refusal(turn)
            if refusal is not None:
                return [*replies, refusal]
            pending = Pending(
                kind="quick_note",
                step="text",
                case=outcome.case_code,
                tags=[checkins_view.NOTE_TAG],
                origin=checkins_view.NOTE_ORIGIN,
            )
            turn.session.pending.insert(0, pending)
        if outcome.open_dialog:
            replies.extend(await self._start_dialog(turn, outcome.open_dialog, outcome.case_code))
        return replies

    async def _on_text(self, turn: Turn, text: str) -> list[Reply]:
        session = turn.session
        if session.pending and session.pending[0].step == "text":
            pending = session.pending[0]
            pending.body = text
            pending.step = "done" if pending.tags else "tag"
            return await self._continue_pending(turn)
        if session.expects == "option" or (session.expects is None and session.buttons):
            token = session.token_for_text(text)
            if token is not None:
                return await self._on_button(turn, token)
            if session.expects == "option":
                return [self._text(turn, "choose_option"), *self._current_prompt(turn)]
        state = self._engine_state(turn)
        if state is not None and session.expects == "text":
            result = dl.step(self._source(turn), state, dl.Text(text), self.clock.now())
            return await self._apply(turn, result)
        return [self._text(turn, "not_understood")]

    async def _on_option(self, turn: Turn, token: str) -> list[Reply]:
        parsed = parse_dialog_token(token)
        state = self._engine_state(turn)
        if parsed is None or state is None or parsed.sid != turn.session.sid:
            return self._expired(turn)
        event = dl.Choose(parsed.option, parsed.turn)
        result = dl.step(self._source(turn), state, event, self.clock.now())
        if result.error is not None:
            if result.error.code in _EXPIRED:
                return self._expired(turn)
            return [Reply(result.error.message), *self._current_prompt(turn)]
        return await self._apply(turn, result)

    # -- dialogs ----------------------------------------------------------------------------

    def _engine_state(self, turn: Turn) -> dl.SessionState | None:
        data = turn.session.engine
        if data is None:
            return None
        try:
            return dl.SessionState.from_dict(data)
        except (dl.StateFormatError, ValueError, KeyError, TypeError):
            logger.warning("discarding an unreadable dialog state (format changed)")
            turn.session.engine = None
            return None

    async def _start_dialog(self, turn: Turn, dialog_id: str, case_code: str) -> list[Reply]:
        dialog = self.dialogs.source().get(dialog_id)
        if dialog is None:
            return [self._text(turn, "dialog_unavailable", dialog=dialog_id)]
        if not self.dialogs.allowed(dialog, turn.actor.roles):
            return [self._text(turn, "dialog_not_for_you")]
        code = case_code.strip().upper()
        replies: list[Reply] = []
        try:
            others = await self._open_cases(turn) if code else []
        except UntrustedDevice:  # a device that may not see cases: the guidance goes on without
            others, code = [], ""
        if code and code not in others:
            # a typo, a closed case or someone else's: which case then? (nothing started yet)
            if others:
                turn.session = ChatSession(pending=[Pending(kind="dialog", label=dialog_id)])
                buttons = (
                    *(Button(other, f"c.{other}") for other in others),
                    Button(self.catalog.text(turn.lang, "dialog_without_case"), "c.-"),
                )
                text = self.catalog.text(turn.lang, "case_not_yours_pick", case=code)
                return [Reply(text, tuple(buttons))]
            replies.append(self._text(turn, "dialog_starts_without_case", case=code))
            code = ""
        turn.session = ChatSession(case=code)
        context = {"practitioner": turn.actor.name, "case": turn.session.case}
        event = dl.Start(dialog_id, turn.lang, context)
        result = dl.step(self._source(turn), None, event, self.clock.now())
        return [*replies, *await self._apply(turn, result)]

    async def _on_dialog_case_picked(self, turn: Turn, case_code: str) -> list[Reply]:
        # a case no longer open is asked again; "-" starts without a case
        dialog_id = turn.session.pending[0].label
        return await self._start_dialog(turn, dialog_id, "" if case_code == "-" else case_code)

    # -- preview of a draft (publishing) ----------------------------------------------------

    async def start_preview(self, turn: Turn, dialog_id: str) -> list[Reply]:
        """/preview DIALOG: run a draft (from publishing) for a psychologist as users will see
        it; `session.preview` makes notes, check-ins and pages simulated."""
        assert self.publishing is not None
        replies, dialog = await self.publishing.preview_draft(turn.actor, dialog_id.strip())
        if dialog is None:
            return replies
        self._remember_preview(dialog)
        # a stand-in case code: notes and check-ins are simulated "on" it, never on a real case
        turn.session = ChatSession(
            preview=True, case=PREVIEW_CASE, preview_digest=dialog.source_digest()
        )
        context = {"practitioner": turn.actor.name, "case": PREVIEW_CASE}
        event = dl.Start(dialog.id, turn.lang, context, {}, dialog.version)
        result = dl.step(self._source(turn), None, event, self.clock.now())
        return [*replies, *await self._apply(turn, result)]

    async def _restore_preview(self, turn: Turn) -> bool:
        """A preview session whose draft this process does not hold (Relais restarted): the
        draft is fetched again, if it has not changed since. False: that preview is over."""
        engine = turn.session.engine or {}
        dialog_id, version = engine.get("dialog_id"), engine.get("version")
        if not isinstance(dialog_id, str) or not isinstance(version, int):
            return True  # between steps of a preview with no dialog running: nothing to restore
        if (dialog_id, version) in self._previews:
            return True
        if self.publishing is None:
            return False
        dialog = await self.publishing.restore_preview(
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

    def _source(self, turn: Turn) -> dl.DialogSource:
        """The guidance a conversation runs on: the catalog, plus the drafts in preview, as the
        practitioner's roles may open it (a goto never enters a dialog not meant for them)."""
        source = self.dialogs.source()
        if turn.session.preview and self._previews:
            source = _PreviewSource(source, self._previews)
        roles = turn.actor.roles
        return AudienceSource(source, roles, lambda dialog: self.dialogs.allowed(dialog, roles))

    async def _apply(self, turn: Turn, result: dl.StepResult) -> list[Reply]:
        """Turn the engine's outputs into replies and requests; remember the new state."""
        session = turn.session
        if result.error is not None or result.state is None:
            message = result.error.message if result.error else ""
            return [
                Reply(message or self.catalog.text(turn.lang, "error")),
                *self._current_prompt(turn),
            ]
        session.engine = result.state.to_dict()
        replies: list[Reply] = []
        ended = False
        for output in result.outputs:
            match output:
                case dl.Say():
                    replies.append(self._say(turn, output, result.state))
                case dl.ShowContacts():
                    replies.append(
                        await self._contacts_reply(turn, output.roles, urgent=output.urgent)
                    )
                case dl.PageContact():
                    replies.extend(await self._page(turn, output.role))
                case dl.LogNote():
                    refusal = self._notes_refusal(turn)
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
                replies.append(self._text(turn, "cancelled"))
            elif not any(isinstance(o, dl.Say) for o in result.outputs):
                replies.append(self._text(turn, "dialog_finished"))
        if session.pending:  # the case is unknown: ask last, below the next question
            replies.extend(await self._continue_pending(turn, reprompt=False))
        return replies

    async def _run_pending_if_case_known(self, turn: Turn) -> list[Reply]:
        turn.session.case = turn.session.case or await self._only_case(turn)
        if turn.session.case:  # a case to pick (after a refusal) is asked below the question
            return await self._continue_pending(turn, reprompt=False, ask=False)
        return []

    def _say(self, turn: Turn, say: dl.Say, state: dl.SessionState) -> Reply:
        session = turn.session
        text = say.text
        buttons = [
            (option.label, dialog_token(session.sid, say.turn, option.id))
            for option in say.options
        ]
        if needs_help_button(self._source(turn), state, say):
            text, buttons = with_help(
                text,
                buttons,
                expects=say.expects,
                channel=turn.incoming.channel,
                label=self.catalog.text(turn.lang, "sos_button"),
                hint=self.catalog.text(turn.lang, "sos_hint"),
            )
        if say.expects is not None:
            session.prompt = Prompt(text, buttons, say.expects)
        return Reply(text, tuple(Button(label, token) for label, token in buttons))

    async def _contacts_reply(self, turn: Turn, roles: Sequence[str], *, urgent: bool) -> Reply:
        case_code = turn.session.case
        if "case_owner" in roles and not case_code:
            case_code = await self._only_case(turn)
        contacts = await self.backend.contacts_for(turn.actor, list(roles), case_code or None)
        lang = turn.lang
        lines = [self.catalog.text(lang, "sos_title" if urgent else "contacts_title")]
        listed = set()
        for contact in contacts:
            listed.add(contact.role)
            hours = self.catalog.text(lang, "contact_hours", hours=contact.hours)
            lines.append(
                self.catalog.text(
                    lang,
                    "contact_line",
                    role=self.dialogs.role_label(contact.role, lang),
                    name=contact.name,
                    phone=contact.phone or "",
                    hours=hours if contact.hours else "",
                )
            )
        for role in roles:
            if role in listed:
                continue
            label = self.dialogs.role_label(role, lang)
            if role == "case_owner":
                if not urgent:  # /sos stays short: the owner line only when known
                    lines.append(self.catalog.text(lang, "contact_case_owner", role=label))
                continue
            lines.append(self.catalog.text(lang, "contact_missing", role=label))
        if urgent:
            lines.append(self.catalog.text(lang, "sos_footer"))
        return Reply("\n".join(lines), kind="alert" if urgent else "notice")

    async def _page(self, turn: Turn, role: str) -> list[Reply]:
        if turn.session.preview:
            return [self._text(turn, "preview_page", role=role)]
        if self.checkins is None:
            return [self._text(turn, "page_unavailable")]
        try:
            outcome = await self.checkins.page_contact(turn.actor, role, turn.session.case or None)
        except REFUSED:  # the case refused (closed, removed meanwhile): page without it
            turn.session.case = ""
            outcome = await self.checkins.page_contact(turn.actor, role, None)
        return [checkins_view.page_reply(turn.lang, outcome)]

    async def _on_document(self, turn: Turn) -> list[Reply]:
        document = turn.incoming.document
        assert document is not None
        may_draft = is_allowed(turn.actor.roles, Action.DRAFT_DIALOG, Relation.OTHER)
        if self.publishing is None or not may_draft:
            return [self._text(turn, "upload_not_allowed")]
        limit = self.config.publishing.max_file_bytes
        if document.size > limit:
            raise InvalidInput(f"the file is larger than {limit} bytes")
        data = await document.fetch()
        return await self.publishing.handle_document(turn.actor, document.file_name, data)


class _PreviewSource:
    """A dialog source where drafts in preview answer for their (negative) versions."""

    def __init__(self, base: dl.DialogSource, previews: dict[tuple[str, int], dl.Dialog]) -> None:
        self._base = base
        self._previews = previews

    def get(self, dialog_id: str, version: int | None = None) -> dl.Dialog | None:
        if version is not None and (dialog_id, version) in self._previews:
            return self._previews[(dialog_id, version)]
        return self._base.get(dialog_id, version)


def key_of(incoming: Incoming) -> tuple[str, str]:
    return incoming.channel, incoming.event_id


def output_reason(result: dl.StepResult) -> str:
    for output in result.outputs:
        if isinstance(output, dl.Ended):
            return output.reason
    return ""


def _parse_command(text: str | None) -> tuple[str, str]:
    """'/note K-1 hello' -> ('note', 'K-1 hello'); '!sos' works too (Matrix)."""
    if not text:
        return "", ""
    stripped = text.strip()
    if not stripped or stripped[0] not in "/!":
        return "", ""
    head, _, rest = stripped[1:].partition(" ")
    command = head.split("@", 1)[0].lower()  # Telegram: /help@RelaisBot
    if not command.isidentifier():
        return "", ""
    return command, rest.strip()
