"""Pocket cards: a crisis dialog's situations, key steps and the team's contacts on one
printed page (HTML and PDF), for when the phone has no signal or the bot is down."""

from bot.cards.document import (
    CARD_TAG,
    CardContact,
    CardFile,
    PdfUnavailable,
    card_dialog,
    card_file,
    card_html,
    card_pdf,
    card_values,
    crisis_dialog_ids,
    pdf_available,
)

__all__ = [
    "CARD_TAG",
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
