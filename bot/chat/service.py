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
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import dialogs as dl
from bot.chat.catalog import LANGUAGES, Catalog
from bot.chat.dialog_catalog import DialogCatalog
from bot.chat.ports import ActorLike, ChatBackend, CheckinsPort, PublishingPort
from bot.chat.session import ChatSession, Pending, Prompt
from bot.chat.tokens import dialog_token, parse_dialog_token
from bot.clock import Clock
from bot.config import Config
from bot.errors import InvalidInput, NotAllowed, NotFound
from bot.messages import Button, Incoming, Reply

__all__ = ["CRISIS_DIALOG", "NOTE_TAGS", "ChatService"]

logger = logging.getLogger(__name__)

CRISIS_DIALOG = "crisis"
PREVIEW_CASE = "PREVIEW"
_MAX_PREVIEWS = 200
SOS_ROLES = ("emergency", "on_call_psychologist", "case_owner")
NOTE_TAGS = ("progress", "relapse", "trigger", "concern", "contact", "decision")
#: engine refusals that mean "this button belongs to an older menu"
_EXPIRED = frozenset({"stale_turn", "unknown_option", "expected_text", "no_session", "ended"})


@dataclass(slots=True)
class _Turn:
    """Everything about the message being handled."""

    incoming: Incoming
    actor: ActorLike
    lang: str
    session: ChatSession
    had_session: bool = False


class ChatService:
    def __init__(
        self,
        backend: ChatBackend,
        dialogs: DialogCatalog,
        catalog: Catalog,
        clock: Clock,
        config: Config,
        checkins: CheckinsPort | None = None,
        publishing: PublishingPort | None = None,
    ) -> None:
        self.backend = backend
        self.dialogs = dialogs
        self.catalog = catalog
        self.clock = clock
        self.config = config
        self.checkins = checkins
        self.publishing = publishing
        # one lock per chat (kept: chats are practitioners, a few hundred at most)
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}
        #: drafts being previewed, by (dialog id, negative preview version); lost on restart
        self._previews: dict[tuple[str, int], dl.Dialog] = {}

    # -- entry point ------------------------------------------------------------------------

    async def handle(self, incoming: Incoming) -> list[Reply]:
        key = (incoming.channel, incoming.chat_id)
        lock = self._locks.setdefault(key, asyncio.Lock())
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
        return replies

    async def _handle(self, incoming: Incoming) -> list[Reply]:
        default = self.config.default_language
        start = await self.backend.begin_turn(
            incoming.channel, incoming.user_id, incoming.chat_id, incoming.event_id
        )
        if not start.first_time:
            logger.info("skipping %s update %s: already handled", *key_of(incoming))
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
        lang = actor.language if actor.language in LANGUAGES else default
        stored = start.session
        session = ChatSession.from_dict(stored.state if stored is not None else None)
        turn = _Turn(incoming, actor, lang, session, had_session=stored is not None)
        try:
            replies = await self._dispatch(turn, command, argument)
        except NotAllowed:
            replies = [Reply(self.catalog.text(turn.lang, "not_allowed"))]
        except NotFound as exc:
            replies = [Reply(self.catalog.text(turn.lang, "not_found", what=str(exc)))]
        except InvalidInput as exc:
            replies = [Reply(self.catalog.text(turn.lang, "invalid_input", reason=str(exc)))]
        turn.session.remember_buttons(replies)
        await self._save(turn)
        return replies

    async def _dispatch(self, turn: _Turn, command: str, argument: str) -> list[Reply]:
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

    async def _save(self, turn: _Turn) -> None:
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
        )

    # -- enrolment --------------------------------------------------------------------------

    async def _enrol(self, incoming: Incoming, code: str) -> list[Reply]:
        default = self.config.default_language
        try:
            actor = await self.backend.redeem_invite(incoming.channel, incoming.user_id, code)
        except InvalidInput as exc:
            return [Reply(self.catalog.text(default, "invite_failed", reason=str(exc)))]
        lang = actor.language if actor.language in LANGUAGES else default
        roles = ", ".join(self.catalog.label(lang, "roles", r) for r in sorted(actor.roles))
        return [Reply(self.catalog.text(lang, "welcome", name=actor.name, roles=roles))]

    # -- commands ---------------------------------------------------------------------------

    async def _on_command(self, turn: _Turn, command: str, argument: str) -> list[Reply]:
        match command:
            case "start":
                return [self._text(turn, "already_enrolled", name=turn.actor.name)]
            case "help":
                replies = [self._text(turn, "help")]
                if turn.actor.roles & {"psychologist", "admin"}:
                    replies.append(self._text(turn, "help_psychologist"))
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
                return await self.checkins.list_upcoming(turn.actor)
            case "checkin":
                if self.checkins is None:
                    return [self._text(turn, "checkin_unavailable")]
                return await self.checkins.handle_command(turn.actor, argument)
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

    async def _sos(self, turn: _Turn) -> list[Reply]:
        state = self._engine_state(turn)
        if state is not None:
            result = dl.step(self._source(turn), state, dl.Sos(), self.clock.now())
            if result.error is None:
                return await self._apply(turn, result)
        contacts = await self._contacts_reply(turn, SOS_ROLES, urgent=True)
        return [contacts] + ([turn.session.prompt.reply()] if turn.session.prompt else [])

    def _cancel(self, turn: _Turn) -> list[Reply]:
        had_something = not turn.session.is_empty()
        turn.session = ChatSession()
        return [self._text(turn, "cancelled" if had_something else "no_dialog_running")]

    async def _set_language(self, turn: _Turn, lang: str) -> list[Reply]:
        if lang not in LANGUAGES:
            return [self._text(turn, "lang_usage")]
        await self.backend.set_language(turn.actor, lang)
        turn.lang = lang
        return [self._text(turn, "lang_set")]

    async def _list_cases(self, turn: _Turn) -> list[Reply]:
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

    def _list_dialogs(self, turn: _Turn) -> list[Reply]:
        entries = self.dialogs.list_for(turn.actor.roles, turn.lang)
        if not entries:
            return [self._text(turn, "dialogs_none")]
        buttons = tuple(Button(title, f"o.{dialog_id}") for dialog_id, title in entries)
        return [Reply(self.catalog.text(turn.lang, "dialogs_list"), buttons)]

    # -- notes ------------------------------------------------------------------------------

    def _notes_allowed(self, turn: _Turn) -> bool:
        incoming = turn.incoming
        if incoming.channel == "telegram":
            return self.config.telegram.allow_case_notes
        return incoming.encrypted

    async def _note_command(self, turn: _Turn, argument: str) -> list[Reply]:
        if not self._notes_allowed(turn):
            return [self._text(turn, "notes_refused_telegram")]
        parts = argument.strip().split(maxsplit=1)
        if len(parts) == 2:
            case_code, body = parts[0].upper(), parts[1]
            await self.backend.log_note(turn.actor, case_code, body, (), "chat")
            return [self._text(turn, "note_logged", case=case_code)]
        pending = Pending(kind="quick_note", case=parts[0].upper() if parts else "")
        turn.session.pending.insert(0, pending)
        if pending.case:
            pending.step = "text"
            return [self._text(turn, "note_type_text", case=pending.case)]
        return await self._ask_case(turn, "note_pick_case")

    async def _notes_command(self, turn: _Turn, case_code: str) -> list[Reply]:
        if not self._notes_allowed(turn):
            return [self._text(turn, "notes_refused_telegram")]
        if not case_code:
            return [self._text(turn, "notes_usage")]
        case_code = case_code.upper()
        notes = await self.backend.list_notes(turn.actor, case_code, 20)
        if not notes:
            return [self._text(turn, "notes_none", case=case_code)]
        lines = [self.catalog.text(turn.lang, "notes_title", case=case_code)]
        for note in notes:
            tags = "".join(f" #{self.catalog.label(turn.lang, 'tags', t)}" for t in note.tags)
            when = note.created_at.strftime("%Y-%m-%d %H:%M")
            lines.append(
                self.catalog.text(
                    turn.lang,
                    "note_line",
                    when=when,
                    author=note.author_name,
                    tags=tags,
                    body=note.body,
                )
            )
        return [Reply("\n\n".join(lines))]

    async def _only_case(self, turn: _Turn) -> str:
        """The user's case when they have exactly one open case (no need to ask)."""
        cases = [c for c in await self.backend.list_cases(turn.actor) if c.status == "open"]
        return cases[0].code if len(cases) == 1 else ""

    async def _ask_case(self, turn: _Turn, question: str) -> list[Reply]:
        cases = await self.backend.list_cases(turn.actor)
        if not cases:
            turn.session.pending.pop(0)
            return [self._text(turn, "cases_none")]
        buttons = tuple(Button(case.code, f"c.{case.code}") for case in cases)
        return [Reply(self.catalog.text(turn.lang, question), buttons)]

    async def _continue_pending(self, turn: _Turn, *, reprompt: bool = True) -> list[Reply]:
        """Run the pending requests that now have what they need, or ask for what is missing."""
        replies: list[Reply] = []
        while turn.session.pending:
            pending = turn.session.pending[0]
            if pending.kind == "quick_note":
                if not pending.case:
                    return replies + await self._ask_case(turn, "note_pick_case")
                if pending.step == "text":
                    return [*replies, self._text(turn, "note_type_text", case=pending.case)]
                if pending.step == "tag":
                    buttons = (
                        *tuple(
                            Button(self.catalog.label(turn.lang, "tags", tag), f"t.{tag}")
                            for tag in NOTE_TAGS
                        ),
                        Button(self.catalog.text(turn.lang, "note_tag_none"), "t.-"),
                    )
                    return [
                        *replies,
                        Reply(self.catalog.text(turn.lang, "note_pick_tag"), buttons),
                    ]
                turn.session.pending.pop(0)
                await self.backend.log_note(
                    turn.actor, pending.case, pending.body, pending.tags, "chat"
                )
                replies.append(self._text(turn, "note_logged", case=pending.case))
                continue
            case_code = turn.session.case or await self._only_case(turn)
            if not case_code:
                key = "note_pick_case" if pending.kind == "note" else "checkin_pick_case"
                return replies + await self._ask_case(turn, key)
            turn.session.case = case_code
            turn.session.pending.pop(0)
            replies.extend(await self._fulfil(turn, pending, case_code))
        if reprompt and turn.session.prompt is not None and replies:
            replies.append(turn.session.prompt.reply())
        return replies

    async def _fulfil(self, turn: _Turn, pending: Pending, case_code: str) -> list[Reply]:
        if pending.kind == "note":
            if turn.session.preview:
                return [Reply(f"[preview] note not logged on {case_code}")]
            await self.backend.log_note(
                turn.actor, case_code, pending.body, pending.tags, "dialog"
            )
            return [self._text(turn, "note_offer_logged", case=case_code)]
        if self.checkins is None:
            return [self._text(turn, "checkin_unavailable")]
        if turn.session.preview:
            return [Reply(f"[preview] check-in not scheduled on {case_code}")]
        due = await self.checkins.schedule_followup(
            turn.actor, case_code, timedelta(seconds=pending.after_seconds), pending.label
        )
        when = _local_time(due, turn.actor.time_zone)
        return [self._text(turn, "checkin_scheduled", case=case_code, when=when)]

    # -- buttons and typed answers ----------------------------------------------------------

    async def _on_button(self, turn: _Turn, token: str) -> list[Reply]:
        kind = token.split(".", 1)[0]
        if kind == "d":
            return await self._on_option(turn, token)
        if kind == "o":
            return await self._start_dialog(turn, token[2:], "")
        if kind == "c":
            return await self._on_case_picked(turn, token[2:])
        if kind == "t":
            return await self._on_tag_picked(turn, token[2:])
        if kind == "ci" and self.checkins is not None:
            return await self._follow_checkin(
                turn, await self.checkins.handle_button(turn.actor, token)
            )
        if kind == "pub" and self.publishing is not None:
            return await self.publishing.handle_button(turn.actor, token)
        return self._expired(turn)

    async def _follow_checkin(self, turn: _Turn, replies: list[Reply]) -> list[Reply]:
        """Act on what a check-in button asks of the conversation: type a quick note on the
        case ("Done" + note), or open the guidance dialog ("Can't reach the person")."""
        out = list(replies)
        for reply in replies:
            case_code = reply.extra.get("await_note_case")
            if case_code:
                if not self._notes_allowed(turn):
                    out.append(self._text(turn, "notes_refused_telegram"))
                    continue
                tag = reply.extra.get("note_tags", "")
                pending = Pending(
                    kind="quick_note", step="text", case=case_code, tags=[tag] if tag else []
                )
                turn.session.pending.insert(0, pending)
            dialog_id = reply.extra.get("open_dialog")
            if dialog_id:
                out.extend(await self._start_dialog(turn, dialog_id, reply.extra.get("case", "")))
        return out

    async def _on_text(self, turn: _Turn, text: str) -> list[Reply]:
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

    async def _on_case_picked(self, turn: _Turn, case_code: str) -> list[Reply]:
        session = turn.session
        if not session.pending or session.pending[0].step != "case":
            return self._expired(turn)
        cases = {case.code for case in await self.backend.list_cases(turn.actor)}
        if case_code not in cases:
            raise NotFound(case_code)
        pending = session.pending[0]
        if pending.kind == "quick_note":
            pending.case = case_code
            pending.step = "text"
        else:
            session.case = case_code
        return await self._continue_pending(turn)

    async def _on_tag_picked(self, turn: _Turn, tag: str) -> list[Reply]:
        session = turn.session
        if not session.pending or session.pending[0].step != "tag":
            return self._expired(turn)
        pending = session.pending[0]
        pending.tags = [tag] if tag in NOTE_TAGS else []
        pending.step = "done"
        return await self._continue_pending(turn)

    async def _on_option(self, turn: _Turn, token: str) -> list[Reply]:
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

    def _expired(self, turn: _Turn) -> list[Reply]:
        prompt = self._current_prompt(turn)
        if prompt:
            return [self._text(turn, "menu_expired"), *prompt]
        return [self._text(turn, "menu_expired_none")]

    def _current_prompt(self, turn: _Turn) -> list[Reply]:
        session = turn.session
        if session.pending and session.pending[0].step in ("case", "tag"):
            return []
        return [session.prompt.reply()] if session.prompt else []

    # -- dialogs ----------------------------------------------------------------------------

    def _engine_state(self, turn: _Turn) -> dl.SessionState | None:
        data = turn.session.engine
        if data is None:
            return None
        try:
            return dl.SessionState.from_dict(data)
        except (dl.StateFormatError, ValueError, KeyError, TypeError):
            logger.warning("discarding an unreadable dialog state (format changed)")
            turn.session.engine = None
            return None

    async def _start_dialog(self, turn: _Turn, dialog_id: str, case_code: str) -> list[Reply]:
        dialog = self.dialogs.source().get(dialog_id)
        if dialog is None:
            return [self._text(turn, "dialog_unavailable", dialog=dialog_id)]
        if not self.dialogs.allowed(dialog, turn.actor.roles):
            return [self._text(turn, "dialog_not_for_you")]
        turn.session = ChatSession(case=case_code.upper())
        context = {"practitioner": turn.actor.name, "case": turn.session.case}
        event = dl.Start(dialog_id, turn.lang, context)
        result = dl.step(self.dialogs.source(), None, event, self.clock.now())
        return await self._apply(turn, result)

    # -- preview of a draft (publishing) ----------------------------------------------------

    async def start_preview(self, turn: _Turn, dialog_id: str) -> list[Reply]:
        """/preview DIALOG: run a draft (from publishing) for a psychologist as users will see
        it; `session.preview` makes notes, check-ins and pages simulated."""
        assert self.publishing is not None
        replies, dialog = await self.publishing.preview_draft(turn.actor, dialog_id.strip())
        if dialog is None:
            return replies
        self._previews[(dialog.id, dialog.version)] = dialog
        while len(self._previews) > _MAX_PREVIEWS:  # the oldest previews are forgotten
            del self._previews[next(iter(self._previews))]
        # a stand-in case code: notes and check-ins are simulated "on" it, never on a real case
        turn.session = ChatSession(preview=True, case=PREVIEW_CASE)
        context = {"practitioner": turn.actor.name, "case": PREVIEW_CASE}
        event = dl.Start(dialog.id, turn.lang, context, {}, dialog.version)
        result = dl.step(self._source(turn), None, event, self.clock.now())
        return [*replies, *await self._apply(turn, result)]

    def _source(self, turn: _Turn) -> dl.DialogSource:
        """The guidance a conversation runs on: the catalog, plus the drafts in preview."""
        if turn.session.preview and self._previews:
            return _PreviewSource(self.dialogs.source(), self._previews)
        return self.dialogs.source()

    async def _apply(self, turn: _Turn, result: dl.StepResult) -> list[Reply]:
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
                    replies.append(self._say(turn, output))
                case dl.ShowContacts():
                    replies.append(
                        await self._contacts_reply(turn, output.roles, urgent=output.urgent)
                    )
                case dl.PageContact():
                    replies.extend(await self._page(turn, output.role))
                case dl.LogNote():
                    if not self._notes_allowed(turn):
                        replies.append(self._text(turn, "notes_refused_telegram"))
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

    async def _run_pending_if_case_known(self, turn: _Turn) -> list[Reply]:
        if turn.session.case or await self._only_case(turn):
            return await self._continue_pending(turn, reprompt=False)
        return []

    def _say(self, turn: _Turn, say: dl.Say) -> Reply:
        session = turn.session
        buttons = [
            (option.label, dialog_token(session.sid, say.turn, option.id))
            for option in say.options
        ]
        if say.expects is not None:
            session.prompt = Prompt(say.text, buttons, say.expects)
        return Reply(say.text, tuple(Button(label, token) for label, token in buttons))

    async def _contacts_reply(self, turn: _Turn, roles: Sequence[str], *, urgent: bool) -> Reply:
        contacts = await self.backend.contacts_for(
            turn.actor, list(roles), turn.session.case or None
        )
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
            if role not in listed and role != "case_owner":
                label = self.dialogs.role_label(role, lang)
                lines.append(self.catalog.text(lang, "contact_missing", role=label))
        if urgent:
            lines.append(self.catalog.text(lang, "sos_footer"))
        return Reply("\n".join(lines), kind="alert" if urgent else "notice")

    async def _page(self, turn: _Turn, role: str) -> list[Reply]:
        if turn.session.preview:
            return [Reply(f"[preview] {role} not paged")]
        if self.checkins is None:
            return [self._text(turn, "page_unavailable")]
        return await self.checkins.page_contact(turn.actor, role, turn.session.case or None)

    async def _on_document(self, turn: _Turn) -> list[Reply]:
        document = turn.incoming.document
        assert document is not None
        if self.publishing is None or not turn.actor.roles & {"psychologist", "admin"}:
            return [self._text(turn, "upload_not_allowed")]
        limit = self.config.publishing.max_file_bytes
        if document.size > limit:
            raise InvalidInput(f"the file is larger than {limit} bytes")
        data = await document.fetch()
        return await self.publishing.handle_document(turn.actor, document.file_name, data)

    def _text(self, turn: _Turn, key: str, **values: Any) -> Reply:
        return Reply(self.catalog.text(turn.lang, key, **values))


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


def _local_time(when: Any, time_zone: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        zone = ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return str(when.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z"))
