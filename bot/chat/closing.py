"""`/close K-7F3A` (issue 16): the case owner closes a case from chat. The bot asks first, with
three buttons `cl.<case>.<f|n|k>` (Telegram: inline; Matrix and the console: type the number):
close with the post-exit follow-up, close without it, keep the case open. The question is
answered once (`ChatService._on_button`): afterwards a typed number picks nothing ("1" after
"Keep it open" closes nothing). The use case (`CheckinService.close_case_from_chat`, policy
`case.close`, audited) closes it; this module only asks and shows what it returns, with the
texts of `[course]` and the follow-up's labels of `content/exit_report.yaml`. Case codes, dates
and generic labels only: no case text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.chat.dates import local_time
from bot.errors import NotAllowed, NotFound
from bot.exit.plan import load_exit_plan
from bot.messages import Button, Reply
from bot.policy import Action, Relation, is_allowed

if TYPE_CHECKING:
    from bot.chat.core import ChatCore, Turn

__all__ = ["CLOSE_TOKEN", "CloseFlow"]

CLOSE_TOKEN = "cl"
_WITH, _WITHOUT, _KEEP = "f", "n", "k"


class CloseFlow:
    def __init__(self, core: ChatCore) -> None:
        self.core = core

    def _text(self, turn: Turn, key: str, **values: object) -> str:
        return self.core.catalog.text(turn.lang, f"course.{key}", **values)

    def _label(self, turn: Turn, label: dict[str, str]) -> str:
        return label.get(turn.lang) or label["en"]

    async def command(self, turn: Turn, argument: str) -> list[Reply]:
        """`/close CODE`: the question and its buttons, to the one who may close the case (the
        policy's answer for their relation to it; the use case checks again and audits)."""
        words = argument.split()
        if len(words) != 1:
            return [Reply(self._text(turn, "close_usage"))]
        code = words[0].upper()
        mine = [c for c in await self.core.backend.list_cases(turn.actor) if c.code == code]
        if not mine:
            raise NotFound(f"no case {code}").saying("no_case", case=code)  # as a missing one
        if not is_allowed(turn.actor.roles, Action.CLOSE_CASE, Relation(mine[0].relation)):
            raise NotAllowed(f"you may not close case {code}")
        plan = load_exit_plan(self.core.config.content_path)
        steps = "; ".join(self._label(turn, step.label) for step in plan.follow_up)
        buttons = tuple(
            Button(self._text(turn, key), f"{CLOSE_TOKEN}.{code}.{flag}")
            for key, flag in (
                ("close_with_follow_up", _WITH),
                ("close_without_follow_up", _WITHOUT),
                ("close_keep", _KEEP),
            )
        )
        return [Reply(self._text(turn, "close_confirm", case=code, steps=steps), buttons)]

    async def on_button(self, turn: Turn, token: str) -> list[Reply]:
        code, _, flag = token[len(CLOSE_TOKEN) + 1 :].rpartition(".")
        if not code or flag not in (_WITH, _WITHOUT, _KEEP):
            return self.core.expired(turn)
        if flag == _KEEP:
            return [Reply(self._text(turn, "close_kept", case=code))]
        if self.core.checkins is None:
            return [self.core.text(turn, "checkin_unavailable")]
        closed = await self.core.checkins.close_case_from_chat(turn.actor, code, flag == _WITH)
        if not closed.follow_up:
            return [Reply(self._text(turn, "close_done", case=code, ended=closed.ended))]
        lines = "\n".join(
            self._text(
                turn,
                "close_line",
                when=local_time(step.due_at, turn.actor.time_zone, turn.lang, self.core.catalog),
                step=self._label(turn, step.label),
            )
            for step in closed.follow_up
        )
        done = self._text(turn, "close_done_follow_up", case=code, ended=closed.ended, lines=lines)
        return [Reply(done)]
