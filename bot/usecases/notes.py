"""Case notes and the caseload: log, list, amend (history kept)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from bot.errors import CaseClosed, InvalidInput, NotAllowed, NotFound
from bot.policy import Action
from bot.usecases.base import ActorScope, CaseScope, UseCases, requires, requires_role
from storage.records import Note

__all__ = [
    "MAX_NOTE_LENGTH",
    "NOTE_TAGS",
    "CaseSummary",
    "NoteUseCases",
    "file_note",
]

log = logging.getLogger(__name__)

#: roles a member can hold on a case
CASE_ROLES = ("mentor", "social_worker", "psychologist", "coordinator")
NOTE_TAGS = ("progress", "relapse", "trigger", "concern", "contact", "decision")
MAX_NOTE_LENGTH = 10_000


@dataclass(frozen=True, slots=True)
class CaseSummary:
    code: str
    status: str
    relation: str  # owner | member
    role_on_case: str | None


def _check_body(body: str) -> str:
    body = body.strip()
    if not body:
        raise InvalidInput("a note needs some text").saying("note_empty")
    if len(body) > MAX_NOTE_LENGTH:
        raise InvalidInput(
            f"a note holds at most {MAX_NOTE_LENGTH} characters, found {len(body)}"
        ).saying("note_too_long", most=MAX_NOTE_LENGTH, found=len(body))
    return body


def _check_tags(tags: Iterable[str]) -> tuple[str, ...]:
    cleaned = tuple(dict.fromkeys(t.strip().lower() for t in tags if t.strip()))
    unknown = [t for t in cleaned if t not in NOTE_TAGS]
    if unknown:
        raise InvalidInput(
            f"unknown tag {unknown[0]!r}: expected some of {', '.join(NOTE_TAGS)}"
        ).saying("note_tag", found=unknown[0], tags=", ".join(NOTE_TAGS))
    return cleaned


class NoteUseCases(UseCases):
    @requires_role(Action.LIST_CASES)
    async def list_cases(self, scope: ActorScope) -> list[CaseSummary]:
        """The actor's caseload: cases they own or are a member of."""
        tx = scope.tx
        found = await tx.cases.for_practitioner(practitioner_id=scope.actor.practitioner_id)
        summaries = []
        for case, relation in found:
            member = await tx.cases.member(
                case_id=case.id, practitioner_id=scope.actor.practitioner_id
            )
            summaries.append(
                CaseSummary(case.code, case.status, relation, member.role if member else None)
            )
        scope.detail = {"cases": len(summaries)}
        return summaries

    @requires(Action.LOG_NOTE)
    async def log_note(
        self, scope: CaseScope, body: str, tags: Iterable[str] = (), origin: str = "chat"
    ) -> Note:
        """Add a note to the case (encrypted at rest)."""
        return await file_note(scope, body, tags, origin)

    @requires(Action.READ_NOTES)
    async def list_notes(self, scope: CaseScope, limit: int = 20) -> list[Note]:
        """The latest notes of the case, newest first (amendments are notes too)."""
        limit = max(1, min(int(limit), 200))
        notes = await scope.tx.notes.latest(case_id=scope.case.id, limit=limit)
        scope.detail = {"notes": len(notes)}
        return notes

    @requires(Action.AMEND_NOTE)
    async def amend_note(self, scope: CaseScope, note_id: str, body: str) -> Note:
        """Correct a note by adding an amendment; only its author may. History is kept."""
        tx = scope.tx
        owner = await tx.notes.owner_case(note_id=note_id)
        if owner is None or owner[0] != scope.case.id:
            raise NotFound(f"no note {note_id} on case {scope.case.code}").saying(
                "no_note", note=note_id, case=scope.case.code
            )
        _case_id, author_id, amends_id = owner
        if author_id != scope.actor.practitioner_id:
            raise NotAllowed("only the author of a note can amend it").saying("note_not_author")
        if scope.case.status != "open":
            raise CaseClosed(f"case {scope.case.code} is closed: notes cannot be amended").saying(
                "closed_notes", case=scope.case.code
            )
        original = amends_id or note_id
        new_body = _check_body(body)
        new_id = await tx.notes.add(
            case_id=scope.case.id,
            author_id=scope.actor.practitioner_id,
            body=new_body,
            tags=(),
            origin="amendment",
            now=tx.now,
            amends_id=original,
        )
        scope.detail = {"note_id": new_id, "amends_id": original}
        note = await tx.notes.get(note_id=new_id)
        assert note is not None
        return note


async def file_note(scope: CaseScope, body: str, tags: Iterable[str], origin: str) -> Note:
    """A note on the case in the use case's transaction; one tagged `decision` is also the
    case's next numbered decision (`scope.detail["decision"]`, `bot.review.decisions`)."""
    if scope.case.status != "open":
        raise CaseClosed(f"case {scope.case.code} is closed: notes cannot be added").saying(
            "closed_notes", case=scope.case.code
        )
    clean_body, clean_tags = _check_body(body), _check_tags(tags)
    origin = origin[:80] or "chat"
    tx = scope.tx
    note_id = await tx.notes.add(
        case_id=scope.case.id,
        author_id=scope.actor.practitioner_id,
        body=clean_body,
        tags=clean_tags,
        origin=origin,
        now=tx.now,
    )
    scope.detail.update(note_id=note_id, origin=origin.split(":", 1)[0])
    if "decision" in clean_tags:  # a decision taken at a review: numbered on its case
        number = await tx.decisions.add(case_id=scope.case.id, note_id=note_id, now=tx.now)
        scope.detail["decision"] = number
    log.info("note %s logged on case %s", note_id, scope.case.id)
    return Note(
        id=note_id,
        case_id=scope.case.id,
        case_code=scope.case.code,
        author_id=scope.actor.practitioner_id,
        author_name=scope.actor.name,
        created_at=tx.now,
        body=clean_body,
        tags=tuple(sorted(clean_tags)),
        origin=origin,
        amends_id=None,
    )
