"""The pocket card of a crisis dialog as a printable HTML page or a PDF.

`card_html` builds plain values (`card_values`: the situations and key steps from
`bot.cards.steps`, the team's contacts, the labels of `[cards]` in the catalog) and renders
`content/templates/pocket_card.html.j2` through the one sandboxed document renderer
(`bot.reports.documents.render_document`). `card_pdf` turns that page into a PDF with
WeasyPrint, which may fetch nothing (only `data:` URLs): a template cannot make the server
read a file or call a URL. Without WeasyPrint (or the pango libraries it needs), `card_pdf`
raises `PdfUnavailable`, saying how to install it; the HTML still works.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from bot.cards.steps import intro, situations
from bot.chat.catalog import Catalog
from bot.chat.dialog_registry import DialogRegistry
from bot.errors import ConfigError, NotFound
from bot.reports.documents import render_document
from dialogs.model import Dialog

__all__ = [
    "CARD_TAG",
    "TEMPLATE",
    "CardContact",
    "CardFile",
    "PdfUnavailable",
    "card_dialog",
    "card_file",
    "card_html",
    "card_pdf",
    "card_values",
    "crisis_dialog_ids",
    "pdf_available",
]

log = logging.getLogger(__name__)

#: a dialog with this tag has a pocket card
CARD_TAG = "crisis"
TEMPLATE = "pocket_card.html.j2"
#: a card is one printed page: more contacts than this are left out (the directory has them)
MAX_CONTACTS = 24
_PDF_HELP = (
    "install WeasyPrint and the pango libraries it needs (Debian/Ubuntu: apt-get install "
    "libpango-1.0-0 libpangoft2-1.0-0, then ./dev setup or pip install weasyprint), or write "
    "the card as HTML (-o card.html) and print it from a browser"
)


class PdfUnavailable(ConfigError):
    """WeasyPrint cannot be loaded here: the message says how to install it."""


@dataclass(frozen=True, slots=True)
class CardContact:
    """One line of the card's contacts: a role, who, their number and hours (the directory)."""

    role: str
    name: str
    phone: str = ""
    hours: str = ""


def crisis_dialog_ids(
    dialogs: DialogRegistry, roles: Collection[str] | None = None, team: str = ""
) -> list[str]:
    """The dialogs that have a card (tagged `crisis`), those `roles` of `team` may open when
    given (never another team's guidance)."""
    found = []
    for dialog in dialogs.library:
        if CARD_TAG in dialog.tags and (roles is None or dialogs.allowed(dialog, roles, team)):
            found.append(dialog.id)
    return sorted(found, key=lambda i: (i != "crisis", i))


def card_dialog(dialogs: DialogRegistry, dialog_id: str, version: int | None = None) -> Dialog:
    """The newest (or given) version of a crisis dialog; NotFound otherwise."""
    dialog = dialogs.source().get(dialog_id, version)
    if dialog is None or CARD_TAG not in dialog.tags:
        known = ", ".join(crisis_dialog_ids(dialogs)) or "none"
        raise NotFound(f"no crisis dialog {dialog_id!r} (dialogs with a card: {known})")
    return dialog


def _roles_met(steps_roles: list[str]) -> list[str]:
    return list(dict.fromkeys(steps_roles))


def card_values(
    dialog: Dialog,
    lang: str,
    *,
    dialogs: DialogRegistry,
    catalog: Catalog,
    contacts: Sequence[CardContact],
    today: date,
) -> dict[str, Any]:
    """The plain values the template sees: `card` and `t` (labels of `[cards]`)."""
    found = situations(dialogs.source(), dialog, lang)
    met = _roles_met([role for s in found for step in s.steps for role in step.roles])
    order = {role: index for index, role in enumerate(met)}
    ranked = sorted(contacts, key=lambda c: (order.get(c.role, len(order)), c.role))
    listed = {c.role for c in ranked}

    def label(role: str) -> str:
        return dialogs.role_label(role, lang)

    return {
        "card": {
            "lang": lang,
            "dialog": dialog.id,
            "version": dialog.version,
            "date": today.isoformat(),
            "title": dialog.title.get(lang, dialog.default_language),
            "intro": intro(dialog, lang),
            "situations": [
                {
                    "label": s.label,
                    "risk": s.risk,
                    "steps": [
                        {
                            "text": step.text,
                            "roles": [label(r) for r in step.roles],
                            "page": step.page,
                            "choices": [{"label": c.label, "risk": c.risk} for c in step.choices],
                        }
                        for step in s.steps
                    ],
                }
                for s in found
            ],
            "contacts": [
                {"role": label(c.role), "name": c.name, "phone": c.phone, "hours": c.hours}
                for c in ranked[:MAX_CONTACTS]
            ],
            "roles_without_contact": [
                label(role) for role in met if role not in listed and role != "case_owner"
            ],
        },
        "t": dict(catalog.messages.get(lang, {}).get("cards", {})),
    }


def card_html(
    dialog_id: str,
    lang: str,
    *,
    dialogs: DialogRegistry,
    catalog: Catalog,
    content_dir: Path,
    contacts: Sequence[CardContact],
    today: date,
    version: int | None = None,
) -> str:
    """The card of a crisis dialog in `lang` as a printable HTML page (one A4 page).

    NotFound when the dialog is unknown or has no card; `DocumentError` (a ConfigError)
    naming the template's file and line when the template fails."""
    dialog = card_dialog(dialogs, dialog_id, version)
    values = card_values(
        dialog, lang, dialogs=dialogs, catalog=catalog, contacts=contacts, today=today
    )
    return render_document(content_dir / "templates", TEMPLATE, values)


def _weasyprint() -> Any:
    try:
        import weasyprint
    except (ImportError, OSError) as exc:  # OSError: pango missing
        raise PdfUnavailable(f"no PDF: WeasyPrint cannot be loaded ({exc}); {_PDF_HELP}") from None
    return weasyprint


def pdf_available() -> bool:
    try:
        _weasyprint()
    except PdfUnavailable:
        return False
    return True


def card_pdf(html: str) -> bytes:
    """The card's HTML as a PDF (WeasyPrint; nothing fetched but `data:` URLs). Blocking: call
    it in a thread from async code. PdfUnavailable when WeasyPrint is not installed."""
    weasyprint = _weasyprint()
    fetcher = weasyprint.urls.URLFetcher(allowed_protocols={"data"})
    document = weasyprint.HTML(string=html, url_fetcher=fetcher, base_url=None)
    data = document.write_pdf()
    if not isinstance(data, bytes):
        raise PdfUnavailable("no PDF: WeasyPrint returned nothing")
    return data


@dataclass(frozen=True, slots=True)
class CardFile:
    """A card ready to hand over: a PDF, or the printable HTML page when no PDF can be made."""

    file_name: str
    data: bytes
    content_type: str

    @property
    def is_pdf(self) -> bool:
        return self.content_type == "application/pdf"


async def card_file(
    dialog: Dialog,
    lang: str,
    *,
    dialogs: DialogRegistry,
    catalog: Catalog,
    content_dir: Path,
    contacts: Sequence[CardContact],
    today: date,
) -> CardFile:
    """The card of `dialog` (this version) as `<id>-<lang>.pdf`, or `.html` when WeasyPrint is
    unavailable (logged). `DocumentError` (a ConfigError) when the template fails."""
    html = card_html(
        dialog.id,
        lang,
        dialogs=dialogs,
        catalog=catalog,
        content_dir=content_dir,
        contacts=contacts,
        today=today,
        version=dialog.version,
    )
    name = f"{dialog.id}-{lang}"
    try:
        pdf = await asyncio.to_thread(card_pdf, html)
    except PdfUnavailable as exc:
        log.warning("pocket card sent as HTML: %s", exc)
        return CardFile(f"{name}.html", html.encode("utf-8"), "text/html")
    return CardFile(f"{name}.pdf", pdf, "application/pdf")
