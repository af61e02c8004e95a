"""The chat layer every channel shares: commands, dialogs, notes, enrolment.

`ChatService.handle(incoming) -> list[Reply]` is the only entry point: load, decide, save, reply.
Per chat, one message at a time, in order, once (deduplicated by event id in the database).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import traceback

import dialogs as dl
from bot.chat import checkins as checkins_view
from bot.chat import feedback
from bot.chat.amend import amend_command
from bot.chat.case_course import CaseCourseFlow
from bot.chat.catalog import LANGUAGES, Catalog
from bot.chat.commands import parse_command
from bot.chat.core import ChatCore, Turn
from bot.chat.crisis_help import SOS_TOKEN
from bot.chat.dialog_flow import DialogFlow
from bot.chat.dialog_registry import DialogRegistry
from bot.chat.exit import EXIT_TOKEN, ExitFlow
from bot.chat.feature_commands import FEATURE_COMMANDS
from bot.chat.first_message import first_message
from bot.chat.notes import NOTE_TAGS, NotesFlow
from bot.chat.ports import ChatBackend, CheckinsPort, PublishingPort, SessionLike
from bot.chat.profile import profile_command
from bot.chat.review import ReviewFlow
from bot.chat.session import ChatSession
from bot.chat.sos import express_sos
from bot.chat.status import render_status
from bot.chat.usage import UsageRecorder
from bot.clock import Clock
from bot.config import Config
from bot.display import neutralise_reply
from bot.errors import (
    InvalidInput,
    NotAllowed,
    NotFound,
    NotYourCase,
    RoleNotAllowed,
    UntrustedDevice,
)
from bot.messages import Button, Incoming, Reply, is_sos
from bot.policy import Action, Relation, is_allowed
from bot.usecases.actors import Actor

__all__ = ["CRISIS_DIALOG", "NOTE_TAGS", "ChatService"]

logger = logging.getLogger(__name__)

CRISIS_DIALOG = "crisis"
PUBLISHING = {"draft", "preview", "review", "publish", "reject", "approve", "history", "rollback"}


class ChatService:
    """Commands and enrolment; holds the flows (`NotesFlow`, `DialogFlow`) over one `ChatCore`."""

    def __init__(
        self,
        backend: ChatBackend,
        dialogs: DialogRegistry,
        catalog: Catalog,
        clock: Clock,
        config: Config,
        checkins: CheckinsPort | None = None,
        publishing: PublishingPort | None = None,
    ) -> None:
        self.core = ChatCore(backend, dialogs, catalog, clock, config, checkins, publishing)
        self.backend = backend
        self.dialogs = dialogs
        self.catalog = catalog
        self.clock = clock
        self.config = config
        self.checkins = checkins
        self.publishing = self.core.publishing
        self.notes = NotesFlow(
            self.core, lambda turn, code: self.dialog_flow.on_dialog_case_picked(turn, code)
        )
        self.dialog_flow = DialogFlow(self.core, self.notes)
        self.case_course = CaseCourseFlow(self.core, self.dialog_flow.start_dialog)
        self.exit_flow = ExitFlow(self.core)
        # one lock per chat (kept: chats are practitioners, a few hundred at most)
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}

    # -- entry point ------------------------------------------------------------------------

    @property
    def usage(self) -> UsageRecorder:
        """The usage figures counted (`bot.chat.usage`), flushed by the runtime at stop."""
        return self.core.usage

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
            logger.info(
                "skipping %s update %s: already handled", incoming.channel, incoming.event_id
            )
            if incoming.replayed and start.actor is not None:
                return await self._after_restart(incoming, start.actor, start.session)
            return []
        if not incoming.is_direct:
            return [Reply(self.catalog.text(default, "not_direct"))]
        if incoming.encryption_required and not incoming.encrypted:
            return [Reply(self.catalog.text(default, "not_encrypted"))]
        command, argument = parse_command(incoming.text)
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
        if session.preview and not await self.dialog_flow.restore_preview(turn):
            engine = session.engine or {}
            turn.session = ChatSession()
            await self._save(turn)
            return [self.core.text(turn, "preview_gone", dialog=engine.get("dialog_id", "?"))]
        try:
            replies = await self._dispatch(turn, command, argument)
        except UntrustedDevice as exc:
            replies = [self.core.untrusted_device(turn, exc.trust)]
        except NotYourCase as exc:  # word for word what a code that does not exist gets
            replies = [self.core.refusal(turn, exc, "not_found", "what")]
        except RoleNotAllowed:
            replies = [Reply(self.catalog.text(turn.lang, "not_allowed_role"))]
        except NotAllowed as exc:  # a refusal of its own (e.g. another's note), else generic
            replies = [self.core.refusal(turn, exc, "not_allowed", None)]
        except NotFound as exc:
            replies = [self.core.refusal(turn, exc, "not_found", "what")]
        except InvalidInput as exc:
            replies = [self.core.refusal(turn, exc, "invalid_input")]
        else:
            turn.session.remember_buttons(replies)
            await self._save(turn)
            return replies
        # a refusal never leaves the conversation behind: where it stands is shown again
        replies.extend(self.core.current_prompt(turn))
        turn.session.remember_buttons(replies)
        await self._save(turn)
        return replies

    async def _after_restart(
        self, incoming: Incoming, actor: Actor, stored: SessionLike | None
    ) -> list[Reply]:
        """An update handled before a stop, whose answer may be lost: /sos and /help are
        answered again; anything else is not done twice: the user is told where things stand."""
        command, _argument = parse_command(incoming.text)
        lang = actor.language if actor.language in LANGUAGES else self.config.default_language
        session = ChatSession.from_dict(stored.state if stored is not None else None)
        turn = Turn(incoming, actor, lang, session, stored.id if stored is not None else None)
        if command in ("sos", "help") and incoming.document is None:
            replies = await self._dispatch(turn, command, "")
            turn.session.remember_buttons(replies)
            await self._save(turn)
            return replies
        prompt = self.core.current_prompt(turn)
        return [self.core.text(turn, "restarted_prompt" if prompt else "restarted"), *prompt]

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
            return [self.core.text(turn, "not_understood")]
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
            told = self.core.said(default, exc)
            return [Reply(told or self.catalog.text(default, "invite_failed", reason=str(exc)))]
        lang = actor.language if actor.language in LANGUAGES else default
        return [await first_message(self.backend, self.catalog, self.dialogs, actor, lang)]

    # -- commands ---------------------------------------------------------------------------

    async def _on_command(self, turn: Turn, command: str, argument: str) -> list[Reply]:
        match command:
            case "start":
                return [self.core.text(turn, "already_enrolled", name=turn.actor.name)]
            case "help":
                replies = [self.core.text(turn, "help")]
                if is_allowed(turn.actor.roles, Action.DRAFT_DIALOG, Relation.OTHER):
                    replies.append(self.core.text(turn, "help_psychologist"))
                if is_allowed(turn.actor.roles, Action.VIEW_STATUS, Relation.OTHER):
                    replies.append(self.core.text(turn, "help_coordinator"))
                if is_allowed(turn.actor.roles, Action.STUDIO_LOGIN, Relation.OTHER):
                    studio = self.catalog.text(turn.lang, "studio.help")  # below their role's
                    replies[-1] = Reply(f"{replies[-1].text}\n{studio}")
                return replies
            case "sos":
                return await self.dialog_flow.sos(turn)
            case "crisis":
                return await self.dialog_flow.start_dialog(turn, CRISIS_DIALOG, argument.strip())
            case "dialogs":
                return self._list_dialogs(turn)
            case "cancel":
                return self._cancel(turn)
            case "lang" | "timezone" | "quiet":
                return await profile_command(self.core, turn, command, argument)
            case "cases":
                return await self._list_cases(turn)
            case "note":
                return await self.notes.note_command(turn, argument)
            case "notes":
                return await self.notes.notes_command(turn, argument.strip())
            case "amend":
                return await amend_command(self.core, turn, argument)
            case "checkins":
                if self.checkins is None:
                    return [self.core.text(turn, "checkin_unavailable")]
                items = await self.checkins.list_checkins(turn.actor)
                return [checkins_view.upcoming_reply(turn.lang, turn.actor.time_zone, items)]
            case "checkin":
                if self.checkins is None:
                    return [self.core.text(turn, "checkin_unavailable")]
                result = await self.checkins.handle_command(turn.actor, argument)
                return [checkins_view.command_reply(turn.lang, turn.actor.time_zone, result)]
            case "status":
                status = await self.backend.team_status(turn.actor)
                channels = self.checkins.enabled_channels() if self.checkins else []
                return [render_status(self.catalog, turn.lang, turn.actor, status, channels)]
            case _ if command in FEATURE_COMMANDS:  # /feedback, /stats, /card ...
                return await FEATURE_COMMANDS[command](self.core, turn, argument)
            case "exit":  # the structured exit report of a case (bot.chat.exit)
                return await self.exit_flow.start(turn, argument)
            case "exit_report":
                return await self.exit_flow.report(turn, argument)
            case "preview" if self.publishing is not None:
                return await self.dialog_flow.start_preview(turn, argument)
            case _ if command in CaseCourseFlow.COMMANDS:  # issue 16: release, sharing
                return await self.case_course.command(turn, command, argument)
            case _ if command in PUBLISHING and self.publishing is not None:
                return await self.publishing.handle_command(turn.actor, command, argument)
            case _ if command in ReviewFlow.COMMANDS:  # the monthly review (bot.chat.review)
                return await ReviewFlow(self.core).command(turn, command, argument)
            case _:
                return [self.core.text(turn, "not_understood")]

    def _cancel(self, turn: Turn) -> list[Reply]:
        if turn.session.exit and turn.session.engine is None:
            return self.exit_flow.leave(turn)  # every answer saved is kept
        self.usage.left(turn, "cancelled")
        had_something = not turn.session.is_empty()
        turn.session = ChatSession()
        return [self.core.text(turn, "cancelled" if had_something else "no_dialog_running")]

    async def _list_cases(self, turn: Turn) -> list[Reply]:
        cases = await self.backend.list_cases(turn.actor)
        if not cases:
            return [self.core.text(turn, "cases_none")]
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
        entries = self.dialogs.list_for(turn.actor.roles, turn.actor.team_name, turn.lang)
        if not entries:
            return [self.core.text(turn, "dialogs_none")]
        buttons = tuple(Button(title, f"o.{dialog_id}") for dialog_id, title in entries)
        return [Reply(self.catalog.text(turn.lang, "dialogs_list"), buttons)]

    # -- buttons and typed answers ----------------------------------------------------------

    async def _on_button(self, turn: Turn, token: str) -> list[Reply]:
        # answered (pressed, or its number typed): as Telegram takes a pressed question's
        # keyboard off, a number typed later picks nothing from it (the reply's own buttons,
        # if any, are remembered instead)
        turn.session.buttons = []
        kind = token.split(".", 1)[0]
        if kind == SOS_TOKEN:  # "Emergency contacts" under a crisis screen: what /sos does
            return await self.dialog_flow.sos(turn)
        if kind == feedback.FEEDBACK_TOKEN:  # "Did this help?" (bot.chat.feedback)
            return await feedback.on_feedback_button(self.core, turn, token)
        if kind == "d":
            return await self.dialog_flow.on_option(turn, token)
        if kind == "o":
            return await self.dialog_flow.start_dialog(turn, token[2:], "")
        if kind == "c":
            return await self.notes.on_case_picked(turn, token[2:])
        if kind == "t":
            return await self.notes.on_tag_picked(turn, token[2:])
        if kind == "ci" and self.checkins is not None:
            return await checkins_view.on_checkin_button(self.core, self.dialog_flow, turn, token)
        if kind in CaseCourseFlow.TOKENS:  # a checklist item (ho.), the sharing guidance (sh.)
            return await self.case_course.on_button(turn, token)
        if kind == EXIT_TOKEN:  # /exit: the exit report's elements (bot.chat.exit)
            return await self.exit_flow.on_button(turn, token)
        if kind == "pub" and self.publishing is not None:
            return await self.publishing.handle_button(turn.actor, token)
        return self.core.expired(turn)

    async def _on_text(self, turn: Turn, text: str) -> list[Reply]:
        session = turn.session
        if (comment := await feedback.on_feedback_comment(self.core, turn, text)) is not None:
            return comment
        if session.pending and session.pending[0].step == "text":
            pending = session.pending[0]
            pending.body = text
            pending.step = "done" if pending.tags else "tag"
            return await self.notes.continue_pending(turn)
        if session.expects == "option" or (session.expects is None and session.buttons):
            token = session.token_for_text(text)
            if token is not None:
                return await self._on_button(turn, token)
            if session.expects == "option":
                return [self.core.text(turn, "choose_option"), *self.core.current_prompt(turn)]
        state = self.dialog_flow.engine_state(turn)
        if state is not None and session.expects == "text":
            result = dl.step(self.dialog_flow.source(turn), state, dl.Text(text), self.clock.now())
            return await self.dialog_flow.apply(turn, result)
        if session.exit:  # an answer to the exit report's element shown (bot.chat.exit)
            return await self.exit_flow.on_text(turn, text)
        return [self.core.text(turn, "not_understood")]

    async def _on_document(self, turn: Turn) -> list[Reply]:
        document = turn.incoming.document
        assert document is not None
        may_draft = is_allowed(turn.actor.roles, Action.DRAFT_DIALOG, Relation.OTHER)
        if self.publishing is None or not may_draft:
            return [self.core.text(turn, "upload_not_allowed")]
        limit = self.config.publishing.max_file_bytes
        if document.size > limit:
            raise InvalidInput(f"the file is larger than {limit} bytes").saying(
                "file_too_large", most=limit
            )
        data = await document.fetch()
        return await self.publishing.handle_document(turn.actor, document.file_name, data)
