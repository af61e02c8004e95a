"""What the chat layer remembers about one conversation between two messages.

Stored by the backend as one JSON value, encrypted at rest (it holds what the user typed), so a
restart mid-dialog resumes where the user was and a button pressed on a pre-restart message works.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from bot.messages import Button, Reply

__all__ = ["FORMAT", "ChatSession", "Pending", "Prompt"]

FORMAT = 1


@dataclass(slots=True)
class Prompt:
    """The last question shown, so it can be shown again (stale button, /sos, after a pick)."""

    text: str
    buttons: list[tuple[str, str]]
    expects: str | None  # "option" | "text" | None

    def reply(self) -> Reply:
        return Reply(self.text, tuple(Button(label, token) for label, token in self.buttons))


@dataclass(slots=True)
class Pending:
    """A request waiting for the user: which case a note or check-in is for, or a quick note."""

    kind: str  # "note" | "checkin" | "quick_note" | "dialog" (label: the dialog to start)
    step: str = "case"  # "case" | "text" | "tag"
    body: str = ""
    tags: list[str] = field(default_factory=list)
    after_seconds: int = 0
    label: str = ""
    case: str = ""
    #: the case that refused this request (closed, not the user's): never filed there again
    #: without the user picking a case
    refused: str = ""
    #: where a quick note comes from, filed with it: "chat" (/note) or "checkin" (Done + note)
    origin: str = "chat"


@dataclass(slots=True)
class ChatSession:
    sid: str = field(default_factory=lambda: secrets.token_hex(3))
    engine: dict[str, Any] | None = None  # dialogs.SessionState.to_dict()
    case: str = ""  # the case this conversation is about, once known
    prompt: Prompt | None = None
    pending: list[Pending] = field(default_factory=list)
    buttons: list[tuple[str, str]] = field(default_factory=list)  # last shown, for "type 2"
    preview: bool = False  # a psychologist previewing a draft: requests are simulated
    preview_digest: str = ""  # the previewed draft's source (sha256), to restore it
    #: what counting usage needs while the conversation lives (bot.chat.usage): no person
    usage: str = ""
    feedback: dict[str, Any] = field(default_factory=dict)  # "Did this help?" (chat/feedback)
    #: `/exit` writing a case's exit report: case, element shown, pre-filled text (chat/exit)
    exit: dict[str, Any] = field(default_factory=dict)

    @property
    def expects(self) -> str | None:
        if self.pending and self.pending[0].step == "text":
            return "text"
        if self.pending and self.pending[0].step in ("case", "tag"):
            return "option"
        return self.prompt.expects if self.prompt else None

    def is_empty(self) -> bool:
        return self.engine is None and not self.pending and not self.exit

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "sid": self.sid,
            "engine": self.engine,
            "case": self.case,
            "prompt": None
            if self.prompt is None
            else {
                "text": self.prompt.text,
                "buttons": [list(b) for b in self.prompt.buttons],
                "expects": self.prompt.expects,
            },
            "pending": [
                {
                    "kind": p.kind,
                    "step": p.step,
                    "body": p.body,
                    "tags": p.tags,
                    "after_seconds": p.after_seconds,
                    "label": p.label,
                    "case": p.case,
                    "refused": p.refused,
                    "origin": p.origin,
                }
                for p in self.pending
            ],
            "buttons": [list(b) for b in self.buttons],
            "preview": self.preview,
            "preview_digest": self.preview_digest,
            "feedback": self.feedback,
            "usage": self.usage,
            "exit": self.exit,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> ChatSession:
        if not data or data.get("format") != FORMAT:
            return cls()
        prompt = data.get("prompt")
        return cls(
            sid=str(data.get("sid") or secrets.token_hex(3)),
            engine=data.get("engine"),
            case=str(data.get("case") or ""),
            prompt=None
            if not prompt
            else Prompt(
                text=prompt["text"],
                buttons=[(b[0], b[1]) for b in prompt["buttons"]],
                expects=prompt["expects"],
            ),
            pending=[Pending(**p) for p in data.get("pending", [])],
            buttons=[(b[0], b[1]) for b in data.get("buttons", [])],
            preview=bool(data.get("preview", False)),
            preview_digest=str(data.get("preview_digest") or ""),
            feedback=dict(data.get("feedback") or {}),
            usage=usage if isinstance(usage := data.get("usage"), str) else "",
            exit=dict(data.get("exit") or {}),
        )

    def remember_buttons(self, replies: list[Reply]) -> None:
        for reply in reversed(replies):
            if reply.buttons:
                self.buttons = [(b.label, b.token) for b in reply.buttons]
                return

    def token_for_text(self, text: str) -> str | None:
        """Map a typed answer ("2", or an option's label) to the token of a shown button."""
        answer = text.strip().rstrip(".)").strip()
        if answer.isdigit():
            index = int(answer) - 1
            if 0 <= index < len(self.buttons):
                return self.buttons[index][1]
            return None
        folded = answer.casefold()
        for label, token in self.buttons:
            if label.casefold() == folded:
                return token
        return None
