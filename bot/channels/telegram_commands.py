"""The bot command menu shown by Telegram clients (`setMyCommands`), per language.

The chat layer owns the real list (`bot.chat.catalog.Catalog.commands(lang)`); pass it to
`TelegramChannel(commands=...)`. This default keeps the adapter usable on its own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

__all__ = ["DEFAULT_COMMANDS", "CommandMenu"]

#: language code -> [(command, description)]; the first language is the default for everyone
CommandMenu = Mapping[str, Sequence[tuple[str, str]]]

DEFAULT_COMMANDS: CommandMenu = {
    "en": (
        ("start", "Enrol with an invitation code"),
        ("help", "What I can do"),
        ("sos", "Emergency contacts, now"),
        ("crisis", "Guidance for a difficult situation"),
        ("dialogs", "All guidance you can open"),
        ("note", "Log a note on a case"),
        ("notes", "Latest notes of a case"),
        ("cases", "Your cases"),
        ("checkins", "Your upcoming check-ins"),
        ("lang", "Change language (en, fr)"),
        ("cancel", "Stop the current guidance"),
    ),
    "fr": (
        ("start", "S'inscrire avec un code d'invitation"),
        ("help", "Ce que je sais faire"),
        ("sos", "Contacts d'urgence, tout de suite"),
        ("crisis", "De l'aide pour une situation difficile"),
        ("dialogs", "Tous les guides disponibles"),
        ("note", "Noter quelque chose sur un dossier"),
        ("notes", "Dernières notes d'un dossier"),
        ("cases", "Vos dossiers"),
        ("checkins", "Vos prochains points de suivi"),
        ("lang", "Changer de langue (en, fr)"),
        ("cancel", "Arrêter le guide en cours"),
    ),
}
