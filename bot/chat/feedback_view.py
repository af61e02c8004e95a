"""`/feedback [DIALOG]`: what practitioners answered to "Did this help?" in the last 30 days,
per dialog version and language, for psychologists and coordinators (`Action.VIEW_FEEDBACK`);
and the comments, for psychologists only (`Action.READ_FEEDBACK_COMMENTS`), each with its
answer, never with who wrote it or when. Counts below `[evaluation] min_count` read "< 5"."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.messages import Reply
from bot.policy import Action, Relation, is_allowed
from bot.usage_measures import Figure
from storage.repos.feedback import ANSWERS

if TYPE_CHECKING:
    from bot.chat.core import ChatCore, Turn

__all__ = ["DAYS", "feedback_lines", "show_feedback"]

DAYS = 30


async def show_feedback(core: ChatCore, turn: Turn, argument: str) -> list[Reply]:
    dialog_id = argument.strip().lower() or None
    return [Reply("\n".join(await feedback_lines(core, turn, dialog_id)))]


async def feedback_lines(core: ChatCore, turn: Turn, dialog_id: str | None) -> list[str]:
    """The answers of the last `DAYS` days, and the comments for psychologists (`/feedback`,
    and `/stats` under the usage figures)."""
    lang, catalog = turn.lang, core.catalog
    window = await core.backend.feedback_counts(turn.actor, dialog_id, DAYS)
    min_count = core.config.evaluation.min_count
    grouped: dict[tuple[str, int, str], dict[str, int]] = {}
    for count in window.counts:
        key = (count.dialog_id, count.dialog_version, count.lang)
        grouped.setdefault(key, {})[count.answer] = count.count
    if not grouped:
        return [catalog.text(lang, "feedback_view_none", days=DAYS)]
    lines = [catalog.text(lang, "feedback_view_title", days=DAYS, min_count=min_count)]
    for (dialog, version, answer_lang), answers in sorted(grouped.items()):
        shown = {a: str(Figure(answers.get(a, 0), min_count)) for a in ANSWERS}
        lines.append(
            catalog.text(
                lang,
                "feedback_view_line",
                dialog=dialog,
                version=version,
                in_lang=answer_lang,
                **shown,
            )
        )
    if is_allowed(turn.actor.roles, Action.READ_FEEDBACK_COMMENTS, Relation.OTHER):
        comments = await core.backend.feedback_comments(turn.actor, dialog_id, DAYS)
        if comments:
            lines.append("")
            lines.append(catalog.text(lang, "feedback_view_comments"))
            for comment in comments:
                answer = catalog.text(lang, f"feedback_{comment.answer}")
                lines.append(
                    catalog.text(
                        lang,
                        "feedback_view_comment",
                        dialog=comment.dialog_id,
                        version=comment.dialog_version,
                        answer=answer,
                        comment=comment.comment,
                    )
                )
    return lines
