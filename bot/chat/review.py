"""The monthly review from chat (`[review]` of the catalog): `/decision`, `/decisions` and
`/review_pack` (also typed `/review-pack`).

- `/decision K-7F3A text` records a decision taken at the review; `/decision K-7F3A done 2
  outcome` (or `dropped 2`, `open 2`; French: `fait`, `abandon`, `ouvrir`) says what became of
  decision 2. `/decisions K-7F3A` lists them, numbered. Decisions are case notes: where notes
  may not be shown or written (Telegram without `allow_case_notes`, an untrusted device), the
  notes' refusal answers (`ChatCore.notes_refusal`).
- `/review_pack K-7F3A [2026-11] [md|html]` sends the month's review pack (default: last
  month, printable HTML) as a file in this direct conversation: on Matrix an encrypted upload.
  The pack holds case notes: refused where notes are (`ChatCore.notes_allowed`).
"""

from __future__ import annotations

import logging
import re
from datetime import datetime

from bot.chat.core import ChatCore, Turn
from bot.messages import Reply
from bot.reports.documents import DocumentError, Format
from bot.review.render import pack_file_name, render_review_pack
from storage.recurrence import zone

__all__ = ["SETTLE_WORDS", "ReviewFlow"]

log = logging.getLogger(__name__)

#: the word after the case code that settles a decision, in either language
SETTLE_WORDS = {
    "done": "done",
    "fait": "done",
    "faite": "done",
    "dropped": "dropped",
    "drop": "dropped",
    "abandon": "dropped",
    "abandonnee": "dropped",
    "abandonnée": "dropped",
    "open": "open",
    "reopen": "open",
    "ouvrir": "open",
}
_MONTH = re.compile(r"\d{4}-\d{2}")
_FORMATS: dict[str, Format] = {"md": "md", "html": "html"}


class ReviewFlow:
    """Decisions and the review pack, over the chat layer's shared core."""

    COMMANDS = frozenset({"decision", "decisions", "review_pack"})

    def __init__(self, core: ChatCore) -> None:
        self.core = core

    async def command(self, turn: Turn, command: str, argument: str) -> list[Reply]:
        if command == "review_pack":
            return await self.review_pack(turn, argument)
        refusal = self.core.notes_refusal(turn)
        if refusal is not None:
            return [refusal]
        if command == "decisions":
            return await self.decisions(turn, argument)
        return await self.decision(turn, argument)

    def _text(self, turn: Turn, key: str, **values: object) -> Reply:
        return Reply(self.core.catalog.text(turn.lang, f"review.{key}", **values))

    def _status(self, turn: Turn, status: str) -> str:
        return self.core.catalog.text(turn.lang, f"review.status_{status}")

    def _day(self, turn: Turn, moment: datetime) -> str:
        return moment.astimezone(zone(turn.actor.time_zone)).strftime("%Y-%m-%d")

    async def decision(self, turn: Turn, argument: str) -> list[Reply]:
        parts = argument.split(maxsplit=1)
        if len(parts) < 2:
            return [self._text(turn, "decision_usage")]
        code, rest = parts[0].upper(), parts[1].strip()
        words = rest.split(maxsplit=2)
        status = SETTLE_WORDS.get(words[0].lower()) if len(words) >= 2 else None
        if status is not None and words[1].isdigit():
            outcome = words[2] if len(words) > 2 else ""
            view = await self.core.backend.settle_decision(
                turn.actor, code, int(words[1]), status, outcome
            )
            label = self._status(turn, view.status)
            settled = self._text(
                turn, "decision_settled", number=view.number, case=code, status=label
            )
            return [settled]
        view = await self.core.backend.record_decision(turn.actor, code, rest)
        return [self._text(turn, "decision_recorded", number=view.number, case=code)]

    async def decisions(self, turn: Turn, argument: str) -> list[Reply]:
        if not argument.strip() or len(argument.split()) != 1:
            return [self._text(turn, "decisions_usage")]
        code = argument.strip().upper()
        views = await self.core.backend.list_decisions(turn.actor, code)
        if not views:
            return [self._text(turn, "decisions_none", case=code)]
        catalog, lang = self.core.catalog, turn.lang
        lines = [catalog.text(lang, "review.decisions_title", case=code)]
        for view in views:
            lines.append(
                catalog.text(
                    lang,
                    "review.decision_line",
                    number=view.number,
                    text=view.text,
                    when=self._day(turn, view.taken_at),
                    who=view.taken_by,
                    status=self._status(turn, view.status),
                )
            )
            if view.outcome:
                lines.append(catalog.text(lang, "review.decision_outcome", outcome=view.outcome))
        return [Reply("\n".join(lines))]

    async def review_pack(self, turn: Turn, argument: str) -> list[Reply]:
        if not self.core.notes_allowed(turn):
            return [self._text(turn, "pack_refused_telegram")]
        words = argument.split()
        if not words or len(words) > 3:
            return [self._text(turn, "pack_usage")]
        code, month, fmt = words[0].upper(), "", _FORMATS["html"]
        for word in words[1:]:
            if word.lower() in _FORMATS:
                fmt = _FORMATS[word.lower()]
            elif _MONTH.fullmatch(word):
                month = word
            else:
                return [self._text(turn, "pack_usage")]
        pack = await self.core.backend.review_pack(turn.actor, code, month)
        try:
            document = render_review_pack(
                pack,
                content_dir=self.core.config.content_path,
                catalog=self.core.catalog,
                lang=turn.lang,
                fmt=fmt,
            )
        except DocumentError as exc:
            log.error("review pack of case %s: the template failed", pack.case_code)
            return [self._text(turn, "pack_failed", reason=str(exc))]
        return [
            Reply(
                self.core.catalog.text(
                    turn.lang, "review.pack_sent", case=pack.case_code, month=pack.month
                ),
                attachment=(pack_file_name(pack, fmt), document.encode("utf-8")),
            )
        ]
