"""`/card [DIALOG] [en|fr]`: a crisis dialog's pocket card as a document to print (PDF, or
the HTML page when WeasyPrint is not installed). Default: the crisis guide, in the
practitioner's language. A card holds no case data (situations, key steps, the team's
directory), so it is sent on every channel, Telegram included. Who may have it is the policy
table's `dialog.card` (whoever may open the dialog), checked and audited by the use case."""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from bot.cards.document import card_dialog, card_file, crisis_dialog_ids
from bot.chat.catalog import LANGUAGES
from bot.errors import ConfigError
from bot.messages import Reply

if TYPE_CHECKING:
    from bot.chat.core import ChatCore, Turn

__all__ = ["DEFAULT_CARD", "card_command"]

logger = logging.getLogger(__name__)

DEFAULT_CARD = "crisis"


@runtime_checkable
class CardReader(Protocol):
    """`bot.cards.usecases.CardUseCases` as the chat layer reads it."""

    def card_contacts(self, actor: Any, dialog: Any, lang: str, /) -> Awaitable[Any]: ...


def _arguments(argument: str, lang: str) -> tuple[str, str] | None:
    """(dialog id, language) from `[DIALOG] [LANG]` in either order; None if more words, or
    two that are not a language ("crisis de": a language Relais does not have)."""
    words = argument.split()
    if len(words) > 2:
        return None
    dialog_id, named = DEFAULT_CARD, False
    for word in words:
        if word.lower() in LANGUAGES:
            lang = word.lower()
        elif named:
            return None
        else:
            dialog_id, named = word.lower(), True
    return dialog_id, lang


async def card_command(core: ChatCore, turn: Turn, argument: str) -> list[Reply]:
    known = crisis_dialog_ids(core.dialogs, turn.actor.roles, turn.actor.team_name)
    parsed = _arguments(argument, turn.lang)
    if parsed is None:
        return [core.text(turn, "cards.usage", dialogs=", ".join(known))]
    dialog_id, lang = parsed
    backend = core.backend
    if dialog_id not in known or not isinstance(backend, CardReader):
        # the same answer for a dialog that does not exist and one the roles may not open
        return [core.text(turn, "cards.unknown", dialog=dialog_id, dialogs=", ".join(known))]
    dialog = card_dialog(core.dialogs, dialog_id)
    contacts = await backend.card_contacts(turn.actor, dialog, lang)
    title = dialog.title.get(lang, dialog.default_language)
    try:
        card = await card_file(
            dialog,
            lang,
            dialogs=core.dialogs,
            catalog=core.catalog,
            content_dir=core.config.content_path,
            contacts=contacts,
            today=core.clock.now().date(),
        )
    except ConfigError as exc:  # the template: the operator's log says where
        logger.error("pocket card %s/%s: %s", dialog_id, lang, exc)
        return [core.text(turn, "cards.failed")]
    key = "cards.caption" if card.is_pdf else "cards.caption_html"
    caption = core.catalog.text(turn.lang, key, title=title, language=lang)
    return [Reply(caption, attachment=(card.file_name, card.data))]
