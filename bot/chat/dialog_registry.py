"""The guidance the bot can run: every version of every dialog, and the contact roles.

Bundled content is loaded from `content/` (version 1 of each dialog); publishing adds the
versions stored in the database. Running sessions ask for their pinned version; new ones get the
newest.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from pathlib import Path

from bot.errors import ConfigError
from bot.policy import Action, dialog_relation, is_allowed
from dialogs import ContactRole, Dialog, DialogSource, Library, load_contact_roles, load_library
from dialogs.diagnostics import has_errors
from dialogs.glossary import GLOSSARY_FILE, Glossary, load_glossary

__all__ = ["DialogRegistry"]

logger = logging.getLogger(__name__)


class DialogRegistry:
    def __init__(
        self,
        library: Library,
        roles: dict[str, ContactRole],
        glossary: Glossary | None = None,
    ) -> None:
        self._library = library
        self._roles = roles
        #: the terms dialogs should avoid (content/glossary.yaml): drafts are checked with it
        self.glossary = glossary

    @classmethod
    def from_content(cls, content_dir: Path) -> DialogRegistry:
        roles_file = content_dir / "contact_roles.yaml"
        roles = load_contact_roles(roles_file)
        if has_errors(roles.diagnostics):
            first = roles.diagnostics[0]
            raise ConfigError(f"contact roles are invalid: {first}; run `relais dialogs check`")
        glossary = None
        if (content_dir / GLOSSARY_FILE).is_file():
            read = load_glossary(content_dir / GLOSSARY_FILE)
            glossary = read.glossary
            if has_errors(read.diagnostics):  # the good entries are kept
                logger.error(
                    "%d error(s) in the glossary: run `relais dialogs check %s`",
                    sum(d.severity == "error" for d in read.diagnostics),
                    content_dir,
                )
        loaded = load_library(content_dir / "dialogs", roles=set(roles.roles), glossary=glossary)
        errors = [d for d in loaded.diagnostics if d.severity == "error"]
        if errors:
            # A broken file never takes the bot down: it is left out, loudly.
            logger.error(
                "%d error(s) in the bundled dialogs; the affected dialogs are left out: "
                "run `relais dialogs check %s`",
                len(errors),
                content_dir,
            )
        return cls(loaded.library, roles.roles, glossary)

    # -- what the chat layer asks ---------------------------------------------------------

    def source(self) -> DialogSource:
        return self._library

    @property
    def library(self) -> Library:
        return self._library

    def add_version(self, dialog: Dialog, version: int) -> None:
        self._library.add(dialog, version)

    def replace_library(self, library: Library) -> None:
        """Every version at once: publishing loads them from the database at start (the
        database's version 1 wins over a bundled file changed since it was imported)."""
        self._library = library

    def allowed(self, dialog: Dialog, roles: Collection[str], team: str) -> bool:
        """May someone of `team` with these roles open the dialog? Never another team's
        guidance (`teams:`); else the policy table's answer (`dialog.open`) about the dialog's
        own `audience`: psychologists and admins open every dialog (`bot.policy`)."""
        relation = dialog_relation(roles, team, audience=dialog.audience, teams=dialog.teams)
        return relation is not None and is_allowed(roles, Action.OPEN_DIALOG, relation)

    def visible(self, dialog: Dialog, team: str) -> bool:
        """Whether someone of `team` may know of the dialog (not another team's guidance)."""
        return dialog_relation((), team, audience=(), teams=dialog.teams) is not None

    def list_for(self, roles: Collection[str], team: str, lang: str) -> list[tuple[str, str]]:
        """(dialog id, title) of the newest version of each dialog they may open."""
        entries = []
        for dialog_id in self._library.ids():
            dialog = self._library.get(dialog_id)
            if dialog is not None and self.allowed(dialog, roles, team):
                entries.append((dialog_id, dialog.title.get(lang, dialog.default_language)))
        return sorted(entries, key=lambda entry: (entry[0] != "crisis", entry[1].casefold()))

    def role_label(self, role: str, lang: str) -> str:
        known = self._roles.get(role)
        return known.label_in(lang) if known else role.replace("_", " ")
