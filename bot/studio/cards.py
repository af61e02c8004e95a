"""The "Pocket card" of a crisis dialog, from its page: `GET /dialogs/<id>/card?lang=fr`
downloads the printable one-page card (PDF; the HTML page when WeasyPrint is not installed),
built by `bot.cards` with the reader's team contacts (`card_contacts`: the policy table's
`dialog.card`, audited). Only for dialogs tagged `crisis` (`bot.cards.CARD_TAG`)."""

from __future__ import annotations

import logging

from aiohttp import web

from bot.cards import card_dialog, card_file
from bot.chat.catalog import LANGUAGES
from bot.errors import ConfigError, NotAllowed, NotFound
from bot.studio.context import context_of, require_reader, text
from bot.studio.pages import DIALOG_ID

__all__ = ["routes"]

log = logging.getLogger(__name__)

routes = web.RouteTableDef()


@routes.get(f"/dialogs/{DIALOG_ID}/card")
async def pocket_card(request: web.Request) -> web.StreamResponse:
    actor = require_reader(request)
    context = context_of(request)
    dialog_id = request.match_info["dialog_id"]
    lang = request.query.get("lang", "")
    try:
        dialog = card_dialog(context.dialogs, dialog_id)
        if lang not in LANGUAGES or lang not in dialog.languages:
            lang = dialog.default_language
        # audited; refused (and the refusal audited) for another team's guidance, as /card
        contacts = await context.relais.card_contacts(actor, dialog, lang)
    except (NotFound, NotAllowed):
        raise web.HTTPNotFound(text=text(request, "no_card", dialog=dialog_id)) from None
    try:
        card = await card_file(
            dialog,
            lang,
            dialogs=context.dialogs,
            catalog=context.catalog,
            content_dir=context.config.content_path,
            contacts=contacts,
            today=context.clock.now().date(),
        )
    except ConfigError as exc:  # the template: the operator's log says where
        log.error("pocket card %s/%s: %s", dialog_id, lang, exc)
        raise web.HTTPNotFound(text=text(request, "card_failed")) from None
    body, file_name, content_type = card.data, card.file_name, card.content_type
    return web.Response(
        body=body,
        content_type=content_type,
        headers={"Content-Disposition": f'attachment; filename="{file_name}"'},
    )
