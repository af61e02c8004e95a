"""Feedback on the guidance: "Did this help?" at the end of a dialog, and what the people who
write and run the guidance see of the answers.

Giving feedback is anonymous by design. The answer is stored with the dialog, its version, the
language and the day only (`storage.models.feedback`); and it is not audited: an audit entry
names its actor at the second, which would be exactly the key that joins an answer back to
who gave it. The policy still decides who may answer (`Action.GIVE_FEEDBACK`, read from the
practitioner's roles in the same transaction). Reading is audited as usual: the counts under
`Action.VIEW_FEEDBACK` (psychologists, coordinators), the comments under
`Action.READ_FEEDBACK_COMMENTS` (psychologists only), never with who wrote them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from bot.errors import InvalidInput, RoleNotAllowed
from bot.policy import Action, Relation, is_allowed
from bot.usage_measures import Figure
from bot.usecases.base import (
    ActorScope,
    EntryScope,
    UseCases,
    channel_entry,
    operator_command,
    requires_role,
)
from storage.repos.feedback import ANSWERS, FeedbackComment, FeedbackCount

__all__ = [
    "ANSWERS",
    "COMMENT_MAX",
    "FeedbackFigures",
    "FeedbackUseCases",
    "FeedbackWindow",
    "feedback_figures",
]

#: the longest comment kept (characters)
COMMENT_MAX = 2000
#: a comment is attached only to an answer of today or yesterday (the conversation's own)
_COMMENT_DAYS = 1


@dataclass(frozen=True, slots=True)
class FeedbackWindow:
    """The days a summary covers (inclusive) and the answers counted in them."""

    since: date
    until: date
    counts: list[FeedbackCount]


@dataclass(frozen=True, slots=True)
class FeedbackFigures:
    """The answers of one dialog version and language (lang "*": every language together),
    each a `Figure` (below `[evaluation] min_count` it reads "< 5")."""

    dialog_id: str
    version: int
    lang: str
    answers: dict[str, Figure]  # yes | partly | no -> how many


def feedback_figures(
    counts: list[FeedbackCount], min_count: int, *, merge: bool = False
) -> list[FeedbackFigures]:
    """The counts per dialog version and language (`merge`: languages together, lang "*"),
    every answer present (0 when none)."""
    grouped: dict[tuple[str, int, str], dict[str, int]] = {}
    for count in counts:
        key = (count.dialog_id, count.dialog_version, "*" if merge else count.lang)
        answers = grouped.setdefault(key, {})
        answers[count.answer] = answers.get(count.answer, 0) + count.count
    return [
        FeedbackFigures(
            dialog, version, lang, {a: Figure(answers.get(a, 0), min_count) for a in ANSWERS}
        )
        for (dialog, version, lang), answers in sorted(grouped.items())
    ]


class FeedbackUseCases(UseCases):
    async def _may_answer(self, scope: EntryScope, practitioner_id: str) -> None:
        row = await scope.tx.access.actor(practitioner_id=practitioner_id)
        if row is None or not is_allowed(row.roles, Action.GIVE_FEEDBACK, Relation.OTHER):
            raise RoleNotAllowed(f"your role may not do this ({Action.GIVE_FEEDBACK})")

    @channel_entry("feedback.give")
    async def give_feedback(
        self,
        scope: EntryScope,
        practitioner_id: str,
        dialog_id: str,
        dialog_version: int,
        lang: str,
        answer: str,
    ) -> str:
        """Store one answer (yes | partly | no) to "Did this help?"; returns its id, which only
        the conversation keeps (for an optional comment), never the table."""
        if answer not in ANSWERS:
            raise InvalidInput(f"expected one of {', '.join(ANSWERS)}, found {answer!r}").saying(
                "feedback_answer", found=answer, answers=", ".join(ANSWERS)
            )
        await self._may_answer(scope, practitioner_id)
        feedback_id = await scope.tx.feedback.add(
            day=scope.tx.now.date(),
            dialog_id=dialog_id,
            dialog_version=dialog_version,
            lang=lang,
            answer=answer,
        )
        # no log line either: its time, beside the lines of the same turn, would name the giver
        return feedback_id

    @channel_entry("feedback.comment")
    async def comment_feedback(
        self, scope: EntryScope, practitioner_id: str, feedback_id: str, comment: str
    ) -> bool:
        """Attach the optional comment (encrypted) to the answer just given; False if that
        answer is gone, too old or already has one."""
        text = comment.strip()
        if not text:
            raise InvalidInput("the comment is empty").saying("comment_empty")
        if len(text) > COMMENT_MAX:
            raise InvalidInput(f"a comment holds at most {COMMENT_MAX} characters").saying(
                "comment_too_long", most=COMMENT_MAX
            )
        await self._may_answer(scope, practitioner_id)
        since = scope.tx.now.date() - timedelta(days=_COMMENT_DAYS)
        return await scope.tx.feedback.add_comment(
            feedback_id=feedback_id, comment=text, since=since
        )

    @requires_role(Action.VIEW_FEEDBACK)
    async def feedback_counts(
        self, scope: ActorScope, dialog_id: str | None = None, days: int = 30
    ) -> FeedbackWindow:
        """The answers of the last `days` days (today included), per dialog version and
        language; `relais stats` and `/feedback` show them with the small-number rule."""
        until = scope.tx.now.date()
        since = until - timedelta(days=max(1, days) - 1)
        counts = await scope.tx.feedback.counts(since=since, until=until, dialog_id=dialog_id)
        scope.detail = {"dialog": dialog_id or "*", "days": days}
        return FeedbackWindow(since, until, counts)

    @requires_role(Action.READ_FEEDBACK_COMMENTS)
    async def feedback_comments(
        self, scope: ActorScope, dialog_id: str | None = None, days: int = 30
    ) -> list[FeedbackComment]:
        """The comments of the last `days` days, with their answer, never who wrote them nor
        when (ordered by dialog, version and answer)."""
        until = scope.tx.now.date()
        since = until - timedelta(days=max(1, days) - 1)
        scope.detail = {"dialog": dialog_id or "*", "days": days}
        return await scope.tx.feedback.comments(since=since, until=until, dialog_id=dialog_id)

    @operator_command("feedback.stats")
    async def feedback_stats(
        self, scope: EntryScope, dialog_id: str | None = None, *, since: date, until: date
    ) -> FeedbackWindow:
        """`relais stats`: the answers between two days (inclusive), counts only (the
        operator is not a psychologist: comments are read in the chat, `/feedback`)."""
        counts = await scope.tx.feedback.counts(since=since, until=until, dialog_id=dialog_id)
        scope.detail["dialog"] = dialog_id or "*"
        return FeedbackWindow(since, until, counts)
