"""`/amend CASE text`: correct one's latest note on a case. A note is never edited: the text is
added as an amendment of it (`amend_note`, author only, open cases), and the history stays.
Texts: `[amend]`."""

from __future__ import annotations

from bot.chat.core import ChatCore, Turn
from bot.messages import Reply

__all__ = ["amend_command"]

#: how far back /amend looks for the practitioner's own latest note on the case
_LOOK_BACK = 50


async def amend_command(core: ChatCore, turn: Turn, argument: str) -> list[Reply]:
    refusal = core.notes_refusal(turn)
    if refusal is not None:
        return [refusal]
    parts = argument.strip().split(maxsplit=1)
    if len(parts) != 2:
        return [core.text(turn, "amend.usage")]
    case_code, body = parts[0].upper(), parts[1]
    notes = await core.backend.list_notes(turn.actor, case_code, _LOOK_BACK)
    mine = next((n for n in notes if n.author_id == turn.actor.practitioner_id), None)
    if mine is None:
        return [core.text(turn, "amend.none", case=case_code)]
    await core.backend.amend_note(turn.actor, case_code, mine.id, body)
    when = mine.created_at.strftime("%Y-%m-%d %H:%M")
    return [core.text(turn, "amend.done", case=case_code, when=when)]
