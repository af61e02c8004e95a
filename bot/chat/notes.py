"""Case notes from chat: `/note` (quick or guided), `/notes`, and the notes and check-ins a
dialog asks for, which need to know which case they are for."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.chat.core import ChatCore, Turn
from bot.chat.session import Pending
from bot.errors import CaseClosed, NotAllowed, NotFound, NotYourCase, UntrustedDevice
from bot.messages import Button, Reply

__all__ = ["NOTE_TAGS", "NotesFlow"]

NOTE_TAGS = ("progress", "relapse", "trigger", "concern", "contact", "decision")
#: what a case may answer to a note or a check-in: the request is kept and another case offered
REFUSED = (NotFound, NotAllowed, CaseClosed)


class NotesFlow:
    """Notes from chat, and the pending requests (notes, check-ins) waiting for a case."""

    def __init__(
        self,
        core: ChatCore,
        on_dialog_case_picked: Callable[[Turn, str], Awaitable[list[Reply]]],
    ) -> None:
        self.core = core
        #: the case picked for a dialog started with a code that was not the user's
        self._on_dialog_case_picked = on_dialog_case_picked

    async def note_command(self, turn: Turn, argument: str) -> list[Reply]:
        refusal = self.core.notes_refusal(turn)
        if refusal is not None:
            return [refusal]
        parts = argument.strip().split(maxsplit=1)
        if len(parts) == 2:
            case_code, body = parts[0].upper(), parts[1]
            try:
                await self.core.backend.log_note(turn.actor, case_code, body, (), "chat")
            except REFUSED as exc:  # what was typed is kept, and another case offered
                pending = Pending(kind="quick_note", step="done", body=body, case=case_code)
                kept = await self.keep_refused(turn, pending, case_code, exc)
                return kept + await self.continue_pending(turn)
            return [self.core.text(turn, "note_logged", case=case_code)]
        pending = Pending(kind="quick_note", case=parts[0].upper() if parts else "")
        turn.session.pending.insert(0, pending)
        if pending.case and pending.case in await self.open_cases(turn):
            pending.step = "text"
            return [self.core.text(turn, "note_type_text", case=pending.case)]
        if pending.case:
            typed, pending.case = pending.case, ""
            return await self.ask_case(turn, "case_not_yours_pick", case=typed)
        return await self.ask_case(turn, "note_pick_case")

    async def notes_command(self, turn: Turn, case_code: str) -> list[Reply]:
        refusal = self.core.notes_refusal(turn)
        if refusal is not None:
            return [refusal]
        if not case_code:
            return [self.core.text(turn, "notes_usage")]
        case_code = case_code.upper()
        notes = await self.core.backend.list_notes(turn.actor, case_code, 20)
        if not notes:
            return [self.core.text(turn, "notes_none", case=case_code)]
        lines = [self.core.catalog.text(turn.lang, "notes_title", case=case_code)]
        for note in notes:
            tags = "".join(f" #{self.core.catalog.label(turn.lang, 'tags', t)}" for t in note.tags)
            when = note.created_at.strftime("%Y-%m-%d %H:%M")
            lines.append(
                self.core.catalog.text(
                    turn.lang,
                    "note_line",
                    when=when,
                    author=note.author_name,
                    tags=tags,
                    body=note.body,
                )
            )
        return [Reply("\n\n".join(lines))]

    async def open_cases(self, turn: Turn) -> list[str]:
        """The codes of the user's open cases (the only ones a note or check-in can go on)."""
        return [
            c.code for c in await self.core.backend.list_cases(turn.actor) if c.status == "open"
        ]

    async def only_case(self, turn: Turn) -> str:
        """The user's case when they have exactly one open case (no need to ask); none from a
        device that may not see cases (a crisis goes on without one)."""
        try:
            cases = await self.open_cases(turn)
        except UntrustedDevice:
            return ""
        return cases[0] if len(cases) == 1 else ""

    async def ask_case(self, turn: Turn, question: str, **values: str) -> list[Reply]:
        try:
            cases = await self.open_cases(turn)
        except UntrustedDevice as exc:
            turn.session.pending.pop(0)
            return [self.core.untrusted_device(turn, exc.trust)]
        if not cases:
            turn.session.pending.pop(0)
            return [self.core.text(turn, "cases_none")]
        buttons = tuple(Button(code, f"c.{code}") for code in cases)
        return [Reply(self.core.catalog.text(turn.lang, question, **values), buttons)]

    def _why(self, turn: Turn, exc: Exception) -> str:
        """Why a case refused a note or check-in, the same for "not yours" and "no such"."""
        if isinstance(exc, CaseClosed):
            return self.core.catalog.text(turn.lang, "why_closed")
        if isinstance(exc, NotFound | NotYourCase):
            return self.core.catalog.text(turn.lang, "why_not_yours")
        return self.core.catalog.text(turn.lang, "why_not_allowed")

    async def keep_refused(
        self, turn: Turn, pending: Pending, case_code: str, exc: Exception
    ) -> list[Reply]:
        """A note or follow-up its case refused (no such case, not one's own, closed, removed
        meanwhile): nothing typed is lost. It waits, first in line, for the user to pick
        another case (asked by `_continue_pending`, below the dialog's next question)."""
        why = self._why(turn, exc)
        pending.step, pending.refused = "case", case_code
        if pending.kind == "quick_note":
            pending.case = ""
        else:
            turn.session.case = ""  # the conversation's case is not one to file on
        if not [code for code in await self.open_cases(turn) if code != case_code]:
            if pending.kind == "checkin":
                return [self.core.text(turn, "checkin_dropped_no_case", case=case_code, why=why)]
            return [
                self.core.text(
                    turn, "note_kept_no_case", case=case_code, why=why, body=pending.body
                )
            ]
        turn.session.pending.insert(0, pending)
        key = "checkin_kept" if pending.kind == "checkin" else "note_kept"
        return [self.core.text(turn, key, case=case_code, why=why)]

    async def continue_pending(
        self, turn: Turn, *, reprompt: bool = True, ask: bool = True
    ) -> list[Reply]:
        """Run the pending requests that now have what they need, or ask for what is missing
        (`ask=False`: not yet, a dialog's next question comes first)."""
        replies: list[Reply] = []
        while turn.session.pending:
            pending = turn.session.pending[0]
            if pending.kind == "quick_note" and pending.refused:
                return replies + await self.ask_case(turn, "note_pick_case") if ask else replies
            if pending.kind == "quick_note":
                if not pending.case:
                    return replies + await self.ask_case(turn, "note_pick_case")
                if pending.step == "text":
                    return [*replies, self.core.text(turn, "note_type_text", case=pending.case)]
                if pending.step == "tag":
                    buttons = (
                        *tuple(
                            Button(self.core.catalog.label(turn.lang, "tags", tag), f"t.{tag}")
                            for tag in NOTE_TAGS
                        ),
                        Button(self.core.catalog.text(turn.lang, "note_tag_none"), "t.-"),
                    )
                    return [
                        *replies,
                        Reply(self.core.catalog.text(turn.lang, "note_pick_tag"), buttons),
                    ]
                turn.session.pending.pop(0)
                try:
                    await self.core.backend.log_note(
                        turn.actor, pending.case, pending.body, pending.tags, pending.origin
                    )
                except REFUSED as exc:
                    replies += await self.keep_refused(turn, pending, pending.case, exc)
                    continue
                replies.append(self.core.text(turn, "note_logged", case=pending.case))
                continue
            if pending.kind == "dialog":  # another request came first: that start is dropped
                turn.session.pending.pop(0)
                continue
            case_code = "" if pending.refused else turn.session.case or await self.only_case(turn)
            if not case_code:
                if not ask:
                    return replies
                key = "note_pick_case" if pending.kind == "note" else "checkin_pick_case"
                return replies + await self.ask_case(turn, key)
            turn.session.case = case_code
            turn.session.pending.pop(0)
            try:
                replies.extend(await self._fulfil(turn, pending, case_code))
            except UntrustedDevice as exc:  # the dialog goes on; this request is dropped
                replies.append(self.core.untrusted_device(turn, exc.trust))
            except REFUSED as exc:
                replies += await self.keep_refused(turn, pending, case_code, exc)
        if reprompt and turn.session.prompt is not None and replies:
            replies.append(turn.session.prompt.reply())
        return replies

    async def _fulfil(self, turn: Turn, pending: Pending, case_code: str) -> list[Reply]:
        if pending.kind == "note":
            if turn.session.preview:
                return [self.core.text(turn, "preview_note", case=case_code)]
            await self.core.backend.log_note(
                turn.actor, case_code, pending.body, pending.tags, "dialog"
            )
            return [self.core.text(turn, "note_offer_logged", case=case_code)]
        if self.core.checkins is None:
            return [self.core.text(turn, "checkin_unavailable")]
        if turn.session.preview:
            return [self.core.text(turn, "preview_checkin", case=case_code)]
        due = await self.core.checkins.schedule_followup(
            turn.actor, case_code, timedelta(seconds=pending.after_seconds), pending.label
        )
        when = _local_time(due, turn.actor.time_zone)
        return [self.core.text(turn, "checkin_scheduled", case=case_code, when=when)]

    async def on_case_picked(self, turn: Turn, case_code: str) -> list[Reply]:
        session = turn.session
        if not session.pending or session.pending[0].step != "case":
            return self.core.expired(turn)
        pending = session.pending[0]
        if pending.kind == "dialog":
            return await self._on_dialog_case_picked(turn, case_code)
        if case_code not in await self.open_cases(turn):  # closed or removed meanwhile
            return await self.ask_case(turn, "case_not_yours_pick", case=case_code)
        pending.refused = ""
        if pending.kind == "quick_note":
            pending.case = case_code
            pending.step = "done" if pending.body else "text"
        else:
            session.case = case_code
        return await self.continue_pending(turn)

    async def on_tag_picked(self, turn: Turn, tag: str) -> list[Reply]:
        session = turn.session
        if not session.pending or session.pending[0].step != "tag":
            return self.core.expired(turn)
        pending = session.pending[0]
        pending.tags = [tag] if tag in NOTE_TAGS else []
        pending.step = "done"
        return await self.continue_pending(turn)


def _local_time(when: datetime, time_zone: str) -> str:
    try:
        zone = ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return when.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")
