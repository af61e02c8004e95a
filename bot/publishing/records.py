"""What the publishing use cases return, and the one error they raise.

Errors (an `InvalidInput` subclass, so callers that know nothing of publishing still show them)::

    InvalidInput
     └── PublishRefused(key, **values)   the reason, as a key of the catalog's `[publishing]` texts
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from bot.chat.publishing import text
from bot.errors import InvalidInput, NotAllowed
from bot.publishing.checks import DraftCheck, DraftTests
from dialogs import Dialog
from dialogs.testing import CheckOutcome
from storage.repos.drafts import Draft
from storage.repos.versions import DialogVersion
from storage.tx import Tx

__all__ = [
    "CONTENT_AUTHOR",
    "BundledDialog",
    "DraftOutcome",
    "HistoryEntry",
    "ImportReport",
    "Picture",
    "Preview",
    "PublishNotAllowed",
    "PublishRefused",
    "Published",
    "ReviewView",
    "names_of",
]

CONTENT_AUTHOR = "content/"


class PublishRefused(InvalidInput):
    """A publishing request that cannot be done; `key` names the message in `texts`."""

    def __init__(self, key: str, **values: Any) -> None:
        super().__init__(text("en", key, **values))
        self.key = key
        self.values = values

    def text(self, lang: str) -> str:
        return text(lang, self.key, **self.values)


class PublishNotAllowed(PublishRefused, NotAllowed):
    """A publishing request refused by who asks (`bot.policy`: not the draft's author, one's
    own draft to approve): audited as denied, worded like any publishing refusal."""


@dataclass(frozen=True, slots=True)
class DraftOutcome:
    """What became of an uploaded file."""

    file_name: str
    dialog_id: str | None
    check: DraftCheck | None  # None for a transcript file
    saved: bool
    revised: bool = False
    base_version: int | None = None  # the published version it would replace
    tested: DraftTests | None = None  # None: not run (errors, or no dialog to test)
    tests_from: int | None = None  # the published version whose transcripts it inherited
    tests_only: bool = False
    voided_reviewer: str = ""  # whose approval this revision voided

    @property
    def tests(self) -> tuple[CheckOutcome, ...]:
        return (*self.tested.walk, *self.tested.transcripts) if self.tested else ()

    @property
    def tests_passed(self) -> bool:
        return self.tested is None or self.tested.passed


@dataclass(frozen=True, slots=True)
class Published:
    dialog: Dialog  # at its new version
    version: int
    previous: int | None
    sessions_on_previous: int
    notified: int
    origin: str  # draft | rollback
    psychologists_told: int = 0  # a rollback is announced to the other psychologists


@dataclass(frozen=True, slots=True)
class ReviewView:
    draft: Draft
    author_name: str
    reviewer_name: str
    published: DialogVersion | None  # the newest published version, if any
    own: bool  # the caller wrote this draft


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One published version. `*_via`: the shell user of an operator who acted for that
    person on the command line (`--as NAME`); a name without one acted themselves."""

    version: int
    origin: str
    author: str
    reviewer: str
    published_at: datetime
    checksum: str
    reviewed_at: datetime | None = None
    publisher: str = ""
    author_via: str = ""
    reviewer_via: str = ""
    publisher_via: str = ""
    transcripts: bool = False  # transcript tests are stored with it

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "origin": self.origin,
            "author": self.author,
            "author_via": self.author_via,
            "reviewer": self.reviewer,
            "reviewer_via": self.reviewer_via,
            "reviewed_at": self.reviewed_at.isoformat() if self.reviewed_at else None,
            "publisher": self.publisher,
            "publisher_via": self.publisher_via,
            "published_at": self.published_at.isoformat(),
            "checksum": self.checksum,
            "transcripts": self.transcripts,
        }


@dataclass(frozen=True, slots=True)
class Preview:
    """A draft to run as its users would see it: `dialog` at a negative preview version
    (never a published number), or None and the `errors` that keep it from running."""

    dialog_id: str
    dialog: Dialog | None
    errors: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Picture:
    """The PNG picture of a dialog, or why there is none (Graphviz missing, drawing failed)."""

    png: bytes | None
    problem: Literal["", "graphviz_missing", "failed"] = ""


@dataclass(frozen=True, slots=True)
class BundledDialog:
    dialog_id: str
    source: str
    tests: str | None = None


@dataclass(frozen=True, slots=True)
class ImportReport:
    imported: list[str] = field(default_factory=list)  # new version 1 from content/
    offered: list[str] = field(default_factory=list)  # changed files offered as drafts
    skipped: list[str] = field(default_factory=list)  # changed, but someone's draft is open


async def names_of(tx: Tx, ids: Sequence[str | None]) -> dict[str | None, str]:
    """Practitioner id -> name (None -> "content/")."""
    found = await tx.people.names(ids=[i for i in ids if i])
    names: dict[str | None, str] = {None: CONTENT_AUTHOR}
    names.update(found)
    return names
