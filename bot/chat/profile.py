"""A practitioner's own settings from the chat: `/lang en|fr`, `/timezone ZONE` (the IANA time
zone their check-in reminders follow) and `/quiet START END` or `/quiet off` (quiet hours:
reminders due at night are held back until they end, unless urgent). Texts: `[profile]`."""

from __future__ import annotations

from dataclasses import replace

from bot.chat.catalog import LANGUAGES
from bot.chat.core import ChatCore, Turn
from bot.messages import Reply

__all__ = ["profile_command"]


async def profile_command(core: ChatCore, turn: Turn, command: str, argument: str) -> list[Reply]:
    """`/lang`, `/timezone` or `/quiet`; a value the use case refuses raises `InvalidInput`,
    which names what is wrong and how to write it."""
    words = argument.split()
    if command == "lang":
        lang = argument.strip().lower()
        if lang not in LANGUAGES:
            return [core.text(turn, "lang_usage")]
        await core.backend.set_language(turn.actor, lang)
        turn.lang = lang
        return [core.text(turn, "lang_set")]
    if command == "timezone":
        if len(words) != 1:
            return [core.text(turn, "profile.timezone_usage", zone=turn.actor.time_zone)]
        actor = await core.backend.set_time_zone(turn.actor, words[0])
        turn.actor = replace(turn.actor, time_zone=actor.time_zone)
        return [core.text(turn, "profile.timezone_set", zone=actor.time_zone)]
    if words and words[0].lower() in ("off", "none") and len(words) == 1:
        await core.backend.set_quiet_hours(turn.actor, None, None)
        return [core.text(turn, "profile.quiet_off")]
    if len(words) != 2:
        return [core.text(turn, "profile.quiet_usage")]
    await core.backend.set_quiet_hours(turn.actor, words[0], words[1])
    zone = turn.actor.time_zone
    return [core.text(turn, "profile.quiet_set", start=words[0], end=words[1], zone=zone)]
