"""Decisions taken at a case's monthly review (issue 16): recorded on the case as notes tagged
`decision` (so `/notes`, exports, retention and erasure treat them as notes), numbered per case
(`/decisions K-7F3A`), and settled with what became of them (`/decision K-7F3A done 2 the
flat was found`). The next review pack carries each open decision with its outcome.

A note logged with the `decision` tag (`/note`, a dialog's note) is a decision too: numbering
happens where every note is filed (`bot.usecases.notes.file_note`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.errors import CaseClosed, InvalidInput, NotFound
from bot.policy import Action
from bot.usecases.admin import find_case
from bot.usecases.base import CaseScope, EntryScope, UseCases, operator_command, requires
from bot.usecases.notes import MAX_NOTE_LENGTH, file_note
from storage.records import Note
from storage.repos.decisions import DECISION_STATUSES
from storage.tx import Tx

__all__ = ["DECISION_STATUSES", "DecisionUseCases", "DecisionView", "decision_views"]

#: the origin of a note recorded with /decision (or `relais case decision`)
DECISION_ORIGIN = "decision"


@dataclass(frozen=True, slots=True)
class DecisionView:
    number: int
    text: str  # the note's text, as last amended
    taken_at: datetime
    taken_by: str  # the practitioner's name
    status: str  # open | done | dropped
    outcome: str  # "" when none was given
    settled_at: datetime | None
    settled_by: str  # "" while open

    def as_at(self, moment: datetime) -> DecisionView:
        """This decision as it stood at `moment` (a settlement after it is not known yet)."""
        if self.settled_at is None or self.settled_at < moment:
            return self
        return DecisionView(
            self.number, self.text, self.taken_at, self.taken_by, "open", "", None, ""
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "number": self.number,
            "text": self.text,
            "taken_at": self.taken_at.isoformat(),
            "taken_by": self.taken_by,
            "status": self.status,
            "outcome": self.outcome,
            "settled_at": self.settled_at.isoformat() if self.settled_at else None,
            "settled_by": self.settled_by,
        }


def _as_amended(note: Note, notes: dict[str, Note]) -> str:
    amendments = [notes[i] for i in note.amended_by if i in notes]
    return amendments[-1].body if amendments else note.body


async def decision_views(tx: Tx, case_id: str) -> list[DecisionView]:
    """Every decision of the case, by number, with its text and the names of who took and
    settled it (read in the caller's transaction, which has checked the permission)."""
    decisions = await tx.decisions.for_case(case_id=case_id)
    if not decisions:
        return []
    notes = {n.id: n for n in await tx.notes.all_for_case(case_id=case_id)}
    settlers = await tx.people.names(ids=[d.settled_by for d in decisions if d.settled_by])
    views = []
    for d in decisions:
        note = notes.get(d.note_id)
        if note is None:  # pragma: no cover - the decision goes with its note (cascade)
            continue
        views.append(
            DecisionView(
                number=d.number,
                text=_as_amended(note, notes),
                taken_at=d.created_at,
                taken_by=note.author_name,
                status=d.status,
                outcome=d.outcome,
                settled_at=d.settled_at,
                settled_by=settlers.get(d.settled_by, "") if d.settled_by else "",
            )
        )
    return views


class DecisionUseCases(UseCases):
    @requires(Action.RECORD_DECISION)
    async def record_decision(self, scope: CaseScope, text: str) -> DecisionView:
        """`/decision K-7F3A text`: a decision taken at the review, as a note tagged
        `decision` (encrypted like every note); returns it with its number."""
        note = await file_note(scope, text, ("decision",), DECISION_ORIGIN)
        number = int(scope.detail["decision"])
        return DecisionView(
            number, note.body, note.created_at, note.author_name, "open", "", None, ""
        )

    @requires(Action.VIEW_DECISIONS)
    async def list_decisions(self, scope: CaseScope) -> list[DecisionView]:
        """`/decisions K-7F3A`: every decision of the case, numbered, with what became of it."""
        views = await decision_views(scope.tx, scope.case.id)
        scope.detail = {"decisions": len(views)}
        return views

    @requires(Action.SETTLE_DECISION)
    async def settle_decision(
        self, scope: CaseScope, number: int, status: str, outcome: str = ""
    ) -> DecisionView:
        """`/decision K-7F3A done|dropped|open N [outcome]`: what became of decision N (the
        outcome encrypted); `open` takes a settlement back."""
        if status not in DECISION_STATUSES:
            raise InvalidInput(
                f"expected one of {', '.join(DECISION_STATUSES)} for a decision, found {status!r}"
            ).saying("decision_status", found=status, statuses=", ".join(DECISION_STATUSES))
        outcome = outcome.strip()
        if len(outcome) > MAX_NOTE_LENGTH:
            raise InvalidInput(
                f"an outcome holds at most {MAX_NOTE_LENGTH} characters, found {len(outcome)}"
            ).saying("outcome_too_long", most=MAX_NOTE_LENGTH, found=len(outcome))
        if scope.case.status != "open":
            raise CaseClosed(
                f"case {scope.case.code} is closed: its decisions are as they stand"
            ).saying("closed_decisions", case=scope.case.code)
        tx = scope.tx
        found = [
            d for d in await tx.decisions.for_case(case_id=scope.case.id) if d.number == number
        ]
        if not found:
            raise NotFound(
                f"no decision {number} on case {scope.case.code} (/decisions "
                f"{scope.case.code} lists them)"
            ).saying("no_decision", number=number, case=scope.case.code)
        await tx.decisions.settle(
            decision_id=found[0].id,
            status=status,
            outcome=outcome if status != "open" else "",
            by=scope.actor.practitioner_id,
            now=tx.now,
        )
        scope.detail = {"decision": number, "status": status}
        views = await decision_views(tx, scope.case.id)
        return next(v for v in views if v.number == number)

    @operator_command("decision.list")
    async def operator_decisions(self, scope: EntryScope, code: str) -> list[DecisionView]:
        """`relais case decisions K-7F3A`, audited as the operator."""
        case = await find_case(scope.tx, code)
        views = await decision_views(scope.tx, case.id)
        scope.case_id, scope.case_code = case.id, case.code
        scope.detail = {"decisions": len(views)}
        return views
