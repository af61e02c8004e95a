"""Information sharing in chat (issue 16): `/sharing CASE` shows the case's sharing record (the
disclosure form) with a button to the information-sharing guidance on that case; the owner
changes it with `/sharing CASE allow|remove|signed|review|informed ...`; and the guidance
dialogs named in content/lifecycle/sharing.yaml show the record first when they run on a case
(`record_before_dialog`: the practitioner is asking "may I tell ...?").

The record names agencies and who signed the form: like notes, it is neither shown nor changed
over Telegram unless `[telegram] allow_case_notes` is set. Texts: `[sharing]` in the catalog.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from bot.chat.handover import parse_date
from bot.errors import InvalidInput, NotAllowed, NotFound, UntrustedDevice
from bot.lifecycle.content import SharingRules, sharing_rules
from bot.messages import Button, Reply
from bot.usecases.sharing import SharingChange, SharingView, parse_allowance

if TYPE_CHECKING:
    from bot.chat.core import ChatCore, Turn

__all__ = ["SHARING_TOKEN", "SharingFlow", "record_before_dialog"]

SHARING_TOKEN = "sh"
_YES, _NO = ("yes", "oui", "y", "o"), ("no", "non", "n")

OpenDialog = Callable[["Turn", str, str], Awaitable[list[Reply]]]


def _rules(core: ChatCore) -> SharingRules:
    return sharing_rules(core.config.content_path)


def record_lines(core: ChatCore, lang: str, view: SharingView) -> list[str]:
    """The record as lines of text (the /sharing reply and the screen before the guidance)."""
    text, rules = core.catalog.text, _rules(core)
    record = view.record
    if record is None:
        return [text(lang, "sharing.none", case=view.case_code)]
    lines = [text(lang, "sharing.title", case=view.case_code)]
    for allowance in record.allowed:
        labels = ", ".join(rules.label(c, lang) for c in allowance.categories)
        lines.append(
            text(lang, "sharing.allow_line", recipient=allowance.recipient, categories=labels)
        )
    if not record.allowed:
        lines.append(text(lang, "sharing.allow_none"))
    if record.signed_on and record.signed_by:
        lines.append(text(lang, "sharing.signed", date=record.signed_on, who=record.signed_by))
    elif record.signed_on:
        lines.append(text(lang, "sharing.signed_date", date=record.signed_on))
    else:
        lines.append(text(lang, "sharing.not_signed"))
    if record.review_on is None:
        lines.append(text(lang, "sharing.no_review"))
    else:
        key = "sharing.review_due" if view.review_due else "sharing.review"
        lines.append(text(lang, key, date=record.review_on, case=view.case_code))
    informed = {True: "yes", False: "no", None: "unknown"}[record.person_informed]
    lines.append(text(lang, f"sharing.informed_{informed}"))
    lines.append(text(lang, "sharing.left_out"))
    return lines


def _shown_here(core: ChatCore, turn: Turn) -> bool:
    return turn.incoming.channel != "telegram" or core.config.telegram.allow_case_notes


async def record_before_dialog(
    core: ChatCore, turn: Turn, dialog_id: str, case_code: str
) -> list[Reply]:
    """The screen shown before a guidance dialog of `sharing.yaml`'s `dialogs`: the record of
    the case it runs on, or how to see one. Nothing for other dialogs, nothing over Telegram
    without `allow_case_notes`, nothing when the actor may not see the record (the guidance
    goes on: it never depends on this screen)."""
    if dialog_id not in _rules(core).dialogs or not _shown_here(core, turn):
        return []
    if not case_code:
        return [Reply(core.catalog.text(turn.lang, "sharing.dialog_no_case"))]
    try:
        view = await core.backend.sharing(turn.actor, case_code)
    except (NotAllowed, NotFound, UntrustedDevice):
        return []
    if view.record is None:
        return [Reply(core.catalog.text(turn.lang, "sharing.dialog_none", case=case_code))]
    return [Reply("\n".join(record_lines(core, turn.lang, view)))]


class SharingFlow:
    """`/sharing` and its guidance button `sh.g.<case>`, over the chat core."""

    def __init__(self, core: ChatCore, open_dialog: OpenDialog) -> None:
        self.core = core
        self.open_dialog = open_dialog

    def _text(self, turn: Turn, key: str, **values: object) -> str:
        return self.core.catalog.text(turn.lang, f"sharing.{key}", **values)

    async def command(self, turn: Turn, argument: str) -> list[Reply]:
        rules = _rules(self.core)
        words = argument.split(maxsplit=2)
        if not words:
            return [Reply(self._text(turn, "usage", categories=", ".join(rules.ids)))]
        if not _shown_here(self.core, turn):
            return [Reply(self._text(turn, "not_on_telegram"))]
        code = words[0].upper()
        if len(words) == 1:
            return [self._show(turn, await self.core.backend.sharing(turn.actor, code))]
        change = self._change(turn, words[1].lower(), words[2] if len(words) > 2 else "", rules)
        if change is None:
            return [Reply(self._text(turn, "usage", categories=", ".join(rules.ids)))]
        view = await self.core.backend.set_sharing(turn.actor, code, change)
        shown = self._show(turn, view)
        return [Reply(f"{self._text(turn, 'updated', case=view.case_code)}\n\n{shown.text}")]

    def _change(
        self, turn: Turn, verb: str, rest: str, rules: SharingRules
    ) -> SharingChange | None:
        rest = rest.strip()
        if verb == "allow" and rest:
            return SharingChange(allow=(parse_allowance(rest, rules),))
        if verb == "remove" and rest:
            return SharingChange(remove=(rest,))
        if verb in ("signed", "review") and rest:
            day, _, who = rest.partition(" ")
            when = parse_date(self.core, turn, day)
            if verb == "review":
                return SharingChange(review_on=when)
            return SharingChange(signed_on=when, signed_by=who.strip() or None)
        if verb == "informed" and rest:
            answer = rest.lower()
            if answer not in (*_YES, *_NO):
                raise InvalidInput(self._text(turn, "bad_informed", found=rest[:20]))
            return SharingChange(person_informed=answer in _YES)
        return None

    def _show(self, turn: Turn, view: SharingView) -> Reply:
        lines = record_lines(self.core, turn.lang, view)
        dialogs = _rules(self.core).dialogs
        if not dialogs or self.core.dialogs.source().get(dialogs[0]) is None:
            return Reply("\n".join(lines))
        button = Button(self._text(turn, "b_guidance"), f"{SHARING_TOKEN}.g.{view.case_code}")
        return Reply("\n".join(lines), (button,))

    async def on_button(self, turn: Turn, token: str) -> list[Reply]:
        """`sh.g.<case>`: the information-sharing guidance, run on that case."""
        dialogs = _rules(self.core).dialogs
        prefix = f"{SHARING_TOKEN}.g."
        if not token.startswith(prefix) or not dialogs:
            return self.core.expired(turn)
        return await self.open_dialog(turn, dialogs[0], token[len(prefix) :])
