"""What the fake Bot API server keeps: the bot's messages, calls, faults, files; its errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64


class FakeBotApiError(Exception):
    """A Bot API error the fake answers with (status, description, parameters)."""

    def __init__(self, status: int, description: str, parameters: dict[str, Any] | None = None):
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters


def bad(description: str) -> FakeBotApiError:
    return FakeBotApiError(400, f"Bad Request: {description}")


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass
class Call:
    """One request the bot made: method, decoded parameters, HTTP status, answer, when."""

    method: str
    params: dict[str, Any]
    status: int
    result: Any
    description: str
    at: float  # time.monotonic()

    @property
    def ok(self) -> bool:
        return self.status == 200


@dataclass
class BotMessage:
    """A message the bot sent, with its current state (edits applied) and its edit history."""

    chat_id: int
    message_id: int
    kind: str  # "text" | "document" | "photo"
    text: str  # what the user sees (entities parsed); the caption for files
    raw_text: str  # what the bot sent (e.g. with HTML tags and escapes)
    parse_mode: str | None
    reply_markup: dict[str, Any] | None
    file_name: str = ""
    content: bytes = b""
    mime_type: str = ""
    edits: list[dict[str, Any]] = field(default_factory=list)
    sent_at: float = 0.0
    #: the entities parsed from `raw_text` (what Telegram reports with a text message)
    entities: list[dict[str, Any]] = field(default_factory=list, repr=False)

    @property
    def buttons(self) -> list[tuple[str, str]]:
        """(label, callback_data) of every inline button, row by row."""
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [(b.get("text", ""), b.get("callback_data", "")) for row in rows for b in row]

    @property
    def rows(self) -> list[list[str]]:
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [[b.get("text", "") for b in row] for row in rows]

    @property
    def labels(self) -> list[str]:
        return [label for label, _ in self.buttons]

    def data_for(self, label: str) -> str:
        for text, data in self.buttons:
            if text == label:
                return data
        raise AssertionError(
            f"no button labelled {label!r} on message {self.message_id}: {self.labels}"
        )


@dataclass(frozen=True)
class UpdateRef:
    """What a simulated user action created."""

    update_id: int
    message_id: int | None = None
    callback_query_id: str | None = None
    file_id: str | None = None


@dataclass
class Fault:
    status: int
    description: str
    parameters: dict[str, Any] | None


@dataclass
class StoredFile:
    file_id: str
    unique_id: str
    path: str
    content: bytes
    file_name: str
    mime_type: str
