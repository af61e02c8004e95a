"""What the chat layer needs from the rest of the application, as protocols.

`bot.app.Relais` (storage and use cases), `bot.checkins` and `bot.publishing` provide these; the
chat layer depends on nothing else, so it can be read and tested on its own terms.
"""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from bot.checkins import results
from bot.messages import Reply

__all__ = [
    "ActorLike",
    "CaseLike",
    "ChatBackend",
    "CheckinsPort",
    "ContactLike",
    "NoteLike",
    "PublishingPort",
    "SessionLike",
    "TurnStartLike",
]


class ActorLike(Protocol):
    @property
    def practitioner_id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def roles(self) -> frozenset[str]: ...
    @property
    def language(self) -> str: ...
    @property
    def time_zone(self) -> str: ...
    @property
    def device_trust(self) -> str: ...  # a bot.policy.DeviceTrust


class CaseLike(Protocol):
    @property
    def code(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def relation(self) -> str: ...


class NoteLike(Protocol):
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
    def list_cases(self, actor: Any, /) -> Awaitable[Sequence[CaseLike]]: ...
    def log_note(
        self, actor: Any, case_code: str, body: str, tags: Sequence[str], origin: str, /
    ) -> Awaitable[object]: ...
    def list_notes(
        self, actor: Any, case_code: str, limit: int = 20, /
    ) -> Awaitable[Sequence[NoteLike]]: ...
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
    # the monthly review (bot.review): decisions and the review pack
    def record_decision(self, actor: Any, case_code: str, text: str, /) -> Awaitable[Any]: ...
    def list_decisions(self, actor: Any, case_code: str, /) -> Awaitable[Sequence[Any]]: ...
    def settle_decision(
        self, actor: Any, case_code: str, number: int, status: str, outcome: str, /
    ) -> Awaitable[Any]: ...
    def review_pack(self, actor: Any, case_code: str, month: str, /) -> Awaitable[Any]: ...


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
    async def handle_command(self, actor: Any, command: str, argument: str) -> list[Reply]: ...
    async def handle_button(self, actor: Any, token: str) -> list[Reply]: ...
    async def handle_document(self, actor: Any, file_name: str, data: bytes) -> list[Reply]: ...
    async def preview_draft(self, actor: Any, dialog_id: str) -> tuple[list[Reply], Any]:
        """Replies introducing a preview and the draft (a `dialogs.Dialog` at a negative
        preview version), or None when it cannot be previewed (the replies say why)."""
        ...

    async def restore_preview(self, actor: Any, dialog_id: str, version: int, digest: str) -> Any:
        """The previewed draft again (a `dialogs.Dialog` at `version`) if its source still
        has `digest`, else None: a preview survives a restart of Relais."""
        ...
