"""Release and continuity of care in chat (issue 16): `/release CASE YYYY-MM-DD` (the case
owner), `/handover CASE` (the plan and the checklist), and the checklist's buttons
`ho.<case>.<item>.<1|0>` (tick, untick; on Matrix and the console a typed number picks one).

The use cases (`bot.usecases.handover`) decide and audit; this module only shows what they
return, with the texts of `[handover]` in the catalog and the labels of the plan
(content/lifecycle/handover.yaml). No name, no note: case codes, dates and generic labels.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from bot.chat.dates import local_time
from bot.errors import InvalidInput
from bot.lifecycle.content import HandoverPlan, handover_plan
from bot.messages import Button, Reply

if TYPE_CHECKING:
    from bot.chat.core import ChatCore, Turn
    from bot.usecases.handover import HandoverView

__all__ = ["HANDOVER_TOKEN", "HandoverFlow", "parse_date"]

HANDOVER_TOKEN = "ho"


def parse_date(core: ChatCore, turn: Turn, word: str) -> date:
    try:
        return date.fromisoformat(word)
    except ValueError:
        raise InvalidInput(core.catalog.text(turn.lang, "handover.bad_date", date=word)) from None


class HandoverFlow:
    """`/release`, `/handover` and the checklist buttons, over the chat core."""

    def __init__(self, core: ChatCore) -> None:
        self.core = core

    def _plan(self) -> HandoverPlan:
        return handover_plan(self.core.config.content_path)

    def _text(self, turn: Turn, key: str, **values: object) -> str:
        return self.core.catalog.text(turn.lang, f"handover.{key}", **values)

    async def command(self, turn: Turn, command: str, argument: str) -> list[Reply]:
        words = argument.split()
        if command == "release":
            if len(words) != 2:
                return [Reply(self._text(turn, "usage_release"))]
            when = parse_date(self.core, turn, words[1])
            view = await self.core.backend.set_release(turn.actor, words[0], when)
            done = self._text(turn, "release_set", case=view.case_code, date=when.isoformat())
            return [Reply(done), self.show(turn, view)]
        if len(words) != 1:
            return [Reply(self._text(turn, "usage"))]
        return [self.show(turn, await self.core.backend.handover(turn.actor, words[0]))]

    async def on_button(self, turn: Turn, token: str) -> list[Reply]:
        """`ho.<case>.<item>.<1|0>`: tick (1) or untick (0) an item, then the checklist."""
        parts = token[len(HANDOVER_TOKEN) + 1 :].rsplit(".", 2)
        if len(parts) != 3 or parts[2] not in ("0", "1"):
            return self.core.expired(turn)
        code, item_id, flag = parts
        view = await self.core.backend.tick_handover(turn.actor, code, item_id, flag == "1")
        item = self._plan().item(item_id)
        label = item.text(turn.lang) if item else item_id
        said = self._text(turn, "ticked" if flag == "1" else "unticked", label=label)
        shown = self.show(turn, view)
        return [Reply(f"{said}\n\n{shown.text}", shown.buttons)]

    def show(self, turn: Turn, view: HandoverView) -> Reply:
        """The release date, the plan's check-ins and the checklist: a button per item, showing
        whether it is ticked (Telegram: inline buttons; Matrix, console: a numbered list)."""
        plan = self._plan()
        if view.release_on is None:
            lines = [self._text(turn, "title_no_release", case=view.case_code)]
        else:
            lines = [self._text(turn, "title", case=view.case_code, date=view.release_on)]
        if view.steps:
            lines.append(self._text(turn, "plan_title"))
            for step in view.steps:
                known = plan.step(step.step_id)
                when = local_time(step.due_at, turn.actor.time_zone, turn.lang, self.core.catalog)
                lines.append(
                    self._text(
                        turn,
                        "plan_line",
                        when=when,
                        step=known.text(turn.lang) if known else step.step_id,
                        status=self._text(turn, f"status_{step.status}"),
                    )
                )
        total, still_open = len(view.items), len(view.open_items)
        lines += ["", self._text(turn, "checklist_title", open=still_open, total=total)]
        buttons: list[Button] = []
        for state in view.items:
            label = state.item.text(turn.lang)
            shown = self._text(turn, "item_done" if state.done else "item_open", label=label)
            flag = "0" if state.done else "1"
            token = f"{HANDOVER_TOKEN}.{view.case_code}.{state.item.id}.{flag}"
            buttons.append(Button(shown, token))
        lines.append(self._text(turn, "tap_hint"))
        return Reply("\n".join(lines), tuple(buttons))
