"""`relais dialogs card [DIALOG] --lang fr -o card.pdf|card.html [--team NAME]`: a crisis
dialog's pocket card to print, with the team's contacts from the directory (bot.cards).

The dialog is the newest published version (the bundled one when nothing is published); the
format comes from the output's extension. Audited as the operator (`dialog.card`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from bot.app import Relais
from bot.cards.document import PdfUnavailable, card_dialog, card_html, card_pdf
from bot.chat.catalog import LANGUAGES, Catalog
from bot.chat.dialog_registry import DialogRegistry
from bot.cli.cmd_db import with_relais
from bot.errors import ConfigError, NotFound
from bot.publishing.service import PublishingService

__all__ = ["register_card"]

_FORMATS = {".pdf": "pdf", ".html": "html", ".htm": "html"}


def register_card(sub: Any) -> None:
    card = sub.add_parser(
        "card", help="a crisis dialog's pocket card to print (HTML or PDF, from -o's extension)"
    )
    card.add_argument("dialog", nargs="?", default="crisis", metavar="DIALOG")
    card.add_argument("--lang", choices=LANGUAGES, default=None, help="default: the config's")
    card.add_argument("--team", help="whose contacts (needed when there are several teams)")
    card.add_argument("-o", "--output", required=True, metavar="card.pdf|card.html")
    card.set_defaults(func=_card)


def _fail(message: str) -> int:
    print(f"relais: {message}", file=sys.stderr)
    return 1


def _card(args: argparse.Namespace) -> int:
    output = Path(args.output)
    fmt = _FORMATS.get(output.suffix.lower())
    if fmt is None:
        return _fail(f"{output}: name the card .pdf or .html (the format comes from it)")

    made: dict[str, str] = {}

    async def run(relais: Relais) -> int:
        config = relais.config
        lang = args.lang or config.default_language
        registry = DialogRegistry.from_content(config.content_path)
        await PublishingService(relais, registry, config, relais.clock).load_published()
        try:
            dialog = card_dialog(registry, args.dialog)
        except NotFound as exc:
            return _fail(str(exc))
        contacts = await relais.card_directory(dialog.id, lang, team=args.team)
        try:
            made["html"] = card_html(
                dialog.id,
                lang,
                dialogs=registry,
                catalog=Catalog.load(config.content_path),
                content_dir=config.content_path,
                contacts=contacts,
                today=relais.clock.now().date(),
                version=dialog.version,
            )
        except ConfigError as exc:
            return _fail(str(exc))
        made["what"] = f"{dialog.id} v{dialog.version} ({lang}, {len(contacts)} contact(s))"
        return 0

    if with_relais(args, run) != 0:
        return 1
    if fmt == "pdf":
        try:
            output.write_bytes(card_pdf(made["html"]))
        except PdfUnavailable as exc:
            return _fail(f"{exc}. Nothing written to {output}.")
    else:
        output.write_text(made["html"], encoding="utf-8")
    print(f"pocket card of {made['what']} written to {output}", file=sys.stderr)
    return 0
