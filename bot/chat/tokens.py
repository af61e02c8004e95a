"""Button tokens: short, versioned strings that stay within Telegram's 64-byte callback data.

d.<sid>.<turn>.<option>   an option of a running dialog (sid = the session's random id,
                          turn = the prompt's counter: a button from an older prompt, an older
                          session or an older dialog version no longer matches)
o.<dialog_id>             open a dialog from the /dialogs list
c.<case_code>             pick a case for a pending note or check-in
t.<tag>                   pick a tag for a quick note
ci.<...>                  check-in actions (bot.checkins)
pub.<...>                 publishing actions (review, approve, reject)
sos                       what /sos does: the "Emergency contacts" button of crisis screens
                          (bot.chat.crisis_help; it never expires)
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["MAX_TOKEN_BYTES", "DialogToken", "dialog_token", "parse_dialog_token"]

MAX_TOKEN_BYTES = 64


@dataclass(frozen=True, slots=True)
class DialogToken:
    sid: str
    turn: int
    option: str


def dialog_token(sid: str, turn: int, option: str) -> str:
    token = f"d.{sid}.{turn}.{option}"
    if len(token.encode()) > MAX_TOKEN_BYTES:
        raise ValueError(f"button token for option {option!r} exceeds {MAX_TOKEN_BYTES} bytes")
    return token


def parse_dialog_token(token: str) -> DialogToken | None:
    parts = token.split(".", 3)
    if len(parts) != 4 or parts[0] != "d" or not parts[2].isdigit():
        return None
    return DialogToken(sid=parts[1], turn=int(parts[2]), option=parts[3])
