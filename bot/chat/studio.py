"""`/studio`: a one-time link to Relais Studio, for psychologists and coordinators
(`Action.STUDIO_LOGIN`), valid `[studio] link_minutes` and once, bound to who asked."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from bot.messages import Reply

if TYPE_CHECKING:
    from bot.chat.core import ChatCore, Turn

__all__ = ["studio_command"]


async def studio_command(core: ChatCore, turn: Turn, argument: str = "") -> list[Reply]:
    studio = core.config.studio
    if not studio.listen:
        return [core.text(turn, "studio.off")]
    token = await core.backend.studio_link(turn.actor, timedelta(minutes=studio.link_minutes))
    url = f"{studio.public_url.rstrip('/')}/login/{token}"
    return [core.text(turn, "studio.link", url=url, minutes=studio.link_minutes)]
