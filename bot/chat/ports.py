"""What the chat layer needs from the rest of the application, as protocols.

`bot.app.Relais` (storage and use cases), `bot.checkins` and `bot.publishing` provide these; the
chat layer depends on nothing else, so it can be read and tested on its own terms.
"""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from bot.checkins import results

__all__ = [
    "CaseLike",
    "ChatBackend",
    "CheckinsPort",
    "ContactLike",
    "NoteLike",
    "PublishingPort",
    "SessionLike",
    "TurnStartLike",
]


class CaseLike(Protocol):
    @property
    def code(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def relation(self) -> str: ...


class NoteLike(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def author_id(self) -> str: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def author_name(self) -> str: ...
    @property
    def tags(self) -> Sequence[str]: ...
    @property
    def body(self) -> str: ...


class ContactLike(Protocol):
    @property
    def role(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def phone(self) -> str | None: ...
    @property
    def hours(self) -> str | None: ...


class SessionLike(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def state(self) -> dict[str, Any]: ...


class TurnStartLike(Protocol):
    @property
    def first_time(self) -> bool: ...
    @property
    def actor(self) -> Any: ...
    @property
    def session(self) -> SessionLike | None: ...
    @property
    def record_device(self) -> bool: ...


class ChatBackend(Protocol):
    """The use cases of `bot.app.Relais` the chat layer calls (each authorizes and audits)."""

    def redeem_invite(
        self, channel: str, user_id: str, code: str, sender: Any = None, /
    ) -> Awaitable[Any]: ...
    def record_device(self, channel: str, user_id: str, sender: Any, /) -> Awaitable[Any]: ...
    def set_language(self, actor: Any, lang: str, /) -> Awaitable[Any]: ...
    def set_time_zone(self, actor: Any, time_zone: str, /) -> Awaitable[Any]: ...
    def set_quiet_hours(
        self, actor: Any, start: str | None, end: str | None, /
    ) -> Awaitable[None]: ...
    def list_cases(self, actor: Any, /) -> Awaitable[Sequence[CaseLike]]: ...
    def log_note(
        self, actor: Any, case_code: str, body: str, tags: Sequence[str], origin: str, /
    ) -> Awaitable[object]: ...
    def list_notes(
        self, actor: Any, case_code: str, limit: int = 20, /
    ) -> Awaitable[Sequence[NoteLike]]: ...
    def amend_note(
        self, actor: Any, case_code: str, note_id: str, body: str, /
    ) -> Awaitable[object]: ...
    def contacts_for(
        self, actor: Any, roles: Sequence[str], case_code: str | None = None, /
    ) -> Awaitable[Sequence[ContactLike]]: ...
    def save_session(
        self,
        channel: str,
        chat_id: str,
        state: dict[str, Any],
        /,
        *,
        practitioner_id: str | None = None,
        dialog_id: str | None = None,
        dialog_version: int | None = None,
        expires_at: datetime | None = None,
        session_id: str | None = None,
    ) -> Awaitable[None]: ...
    def end_session(self, channel: str, chat_id: str, /) -> Awaitable[bool]: ...
    def begin_turn(
        self, channel: str, user_id: str, chat_id: str, event_id: str, sender: Any = None, /
    ) -> Awaitable[TurnStartLike]: ...
    def team_status(self, actor: Any, /) -> Awaitable[Any]: ...
    def give_feedback(
        self, practitioner_id: str, dialog_id: str, version: int, lang: str, answer: str, /
    ) -> Awaitable[str]: ...
    def comment_feedback(
        self, practitioner_id: str, feedback_id: str, comment: str, /
    ) -> Awaitable[bool]: ...
    def feedback_counts(
        self, actor: Any, dialog_id: str | None, days: int, /
    ) -> Awaitable[Any]: ...
    def feedback_comments(
        self, actor: Any, dialog_id: str | None, days: int, /
    ) -> Awaitable[Sequence[Any]]: ...


class CheckinsPort(Protocol):
    async def schedule_followup(
        self, actor: Any, case_code: str, after: timedelta, label: str
    ) -> datetime: ...
    async def page_contact(
        self, actor: Any, role: str, case_code: str | None
    ) -> results.PageOutcome: ...
    async def handle_button(
        self, actor: Any, token: str
    ) -> results.ButtonOutcome | results.ScheduleState: ...
    async def list_checkins(self, actor: Any) -> list[results.Upcoming]: ...
    async def handle_command(
        self, actor: Any, argument: str
    ) -> results.Scheduled | results.CommandRefused: ...
    def enabled_channels(self) -> list[tuple[str, bool]]: ...


class PublishingPort(Protocol):
    """The publishing use cases (`bot.publishing.PublishingService`): they return data (drafts,
    outcomes, published versions) and raise `PublishRefused`; `bot.chat.publishing_flow`
    shows it."""

    async def refresh(self) -> int: ...
    def add_published(self, published: Any) -> None: ...
    async def submit_document(self, actor: Any, file_name: str, data: bytes) -> Any: ...
    async def list_open_drafts(self, actor: Any) -> Sequence[tuple[Any, str]]: ...
    async def withdraw_draft(self, actor: Any, dialog_id: str) -> Any: ...
    async def draft_for_review(
        self, actor: Any, dialog_id: str, draft_id: str | None = None
    ) -> Any: ...
    async def review_draft(
        self,
        actor: Any,
        dialog_id: str,
        approve: bool,
        comment: str,
        draft_id: str | None = None,
        digest: str | None = None,
    ) -> Any: ...
    async def publish_draft(
        self, actor: Any, dialog_id: str, draft_id: str | None = None
    ) -> Any: ...
    async def version_history(self, actor: Any, dialog_id: str) -> list[Any]: ...
    async def rollback_dialog(self, actor: Any, dialog_id: str, version: int) -> Any: ...
    async def preview(self, actor: Any, dialog_id: str) -> Any:
        """A `bot.publishing.records.Preview`: the draft to run, or why it cannot run."""
        ...

    async def picture(self, dialog: Any, lang: str) -> Any: ...
    async def restore_preview(self, actor: Any, dialog_id: str, version: int, digest: str) -> Any:
        """The previewed draft again (a `dialogs.Dialog` at `version`) if its source still
        has `digest`, else None: a preview survives a restart of Relais."""
        ...
