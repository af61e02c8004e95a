"""Publishing as the running Relais holds it: the use cases (drafting, review, versions) plus
what the chat layer and the start-up need around them; it returns data, never replies (the
chat layer presents it: `bot.chat.publishing_flow`, `bot.chat.publishing`).

`PublishingService(relais, dialogs, config, clock)`; `await service.load_published()` at start
imports the bundled content/ dialogs as version 1 (once), offers changed content/ files as
drafts, and puts every published version into the running `DialogRegistry` (sessions stay
pinned to the version they started on; new ones get the newest). `refresh()` adds the versions
published since (by another process), `add_published(published)` one just published here.
`submit_document` files a document sent in a chat, `preview` / `restore_preview` give a draft to
run as a preview, `picture` draws a dialog.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from typing import Any

from bot.chat.dialog_registry import DialogRegistry
from bot.clock import Clock
from bot.config import Config
from bot.publishing.checks import DraftCheck, check_draft, is_transcript_file
from bot.publishing.records import Picture, Preview
from bot.publishing.usecases import (
    BundledDialog,
    DraftOutcome,
    Published,
    PublishingUseCases,
    PublishRefused,
)
from dialogs import Dialog, Library, load_contact_roles, load_dialog_text, render_picture
from dialogs.errors import DialogError, GraphvizMissing
from storage.repos.drafts import Draft

__all__ = ["PublishingService"]

log = logging.getLogger(__name__)

_MAX_DIAGNOSTICS = 25


class PublishingService(PublishingUseCases):
    not_use_cases = frozenset(
        {
            "load_published",
            "refresh",
            "submit_document",
            "preview",
            "restore_preview",
            "picture",
            "draft_tests",
        }
    )

    def __init__(self, relais: Any, dialogs: DialogRegistry, config: Config, clock: Clock) -> None:
        self.relais = relais
        self.db = relais.db
        self.config = config
        self.clock = clock
        self.dialogs = dialogs
        roles_file = config.content_path / "contact_roles.yaml"
        self.contact_roles = (
            frozenset(load_contact_roles(roles_file).roles) if roles_file.exists() else None
        )

    # -- start ------------------------------------------------------------------------------

    async def load_published(self) -> None:
        """Import content/ once, offer changed content/ files as drafts, load every version."""
        folder = self.config.content_path / "dialogs"
        bundled = []
        for dialog in self.dialogs.library:
            tests_file = folder / f"{dialog.id}.test.yaml"
            tests = tests_file.read_text("utf-8") if tests_file.is_file() else None
            if dialog.source_text:
                bundled.append(BundledDialog(dialog.id, dialog.source_text, tests))
        report = await self.import_bundled(bundled)
        if report.imported:
            log.info("imported %d bundled dialog(s) as version 1", len(report.imported))
        for dialog_id in report.offered:
            log.warning(
                "content/ %s differs from its published versions: offered as a draft", dialog_id
            )
        for dialog_id in report.skipped:
            log.warning("content/ %s changed but has an open draft: not offered", dialog_id)
        await self.refresh(replace=True)

    async def refresh(self, *, replace: bool = False) -> int:
        """Add the versions published since (e.g. by `relais dialogs publish` in another
        process); `replace`: rebuild the library from the database. Returns versions added."""
        versions = await self.published_versions(None)
        library = Library() if replace else self.dialogs.library
        added = 0
        for stored in versions:
            if stored.version in library.versions(stored.dialog_id):
                continue
            loaded = load_dialog_text(
                stored.source,
                f"{stored.dialog_id}.yaml",
                max_bytes=len(stored.source.encode()) + 1,
            )
            if loaded.dialog is None or loaded.dialog.id != stored.dialog_id:
                log.error(
                    "stored dialog %s v%d cannot be loaded", stored.dialog_id, stored.version
                )
                continue
            library.add(loaded.dialog, stored.version)
            added += 1
        if replace:
            for dialog in self.dialogs.library:  # bundled but not importable: keep running it
                if dialog.id not in library:
                    library.add(dialog, dialog.version)
            self.dialogs.replace_library(library)
        return added

    def add_published(self, published: Published) -> None:
        """A version just published (or rolled back to) here runs at once."""
        if published.version not in self.dialogs.library.versions(published.dialog.id):
            self.dialogs.add_version(published.dialog, published.version)

    # -- documents --------------------------------------------------------------------------

    async def submit_document(self, actor: Any, file_name: str, data: bytes) -> DraftOutcome:
        """A file sent in a chat: counted against the upload quota, checked, then saved as a
        draft (or as the tests of one). Raises `PublishRefused`."""
        await self.refresh()
        await self.count_draft_upload(actor)
        await self._precheck(file_name, data)
        return await self.submit_draft(actor, file_name, data)

    async def _precheck(self, file_name: str, data: bytes) -> None:
        """Run a new file's walk before the use case's transaction (which then finds it done)."""
        if is_transcript_file(file_name):
            return
        check = await asyncio.to_thread(
            check_draft,
            data,
            file_name,
            library=self.dialogs.library,
            glossary=self.dialogs.glossary,
            roles=self.contact_roles,
            max_bytes=self.config.publishing.max_file_bytes,
        )
        if check.dialog is not None and check.ok:
            await self.draft_tests(check.dialog, None)

    # -- preview ----------------------------------------------------------------------------

    async def preview(self, actor: Any, dialog_id: str) -> Preview:
        """The open draft of `dialog_id` to run as a preview (`Preview.dialog` at a negative
        preview version), or the errors that keep it from running. Raises `PublishRefused`."""
        draft = await self.draft_to_preview(actor, dialog_id.strip().lower())
        check = self._check_for_preview(draft)
        if check.dialog is None or not check.ok:
            errors = tuple(str(d) for d in check.errors[:_MAX_DIAGNOSTICS])
            return Preview(draft.dialog_id, None, errors)
        dialog = check.dialog.with_version(-1 - secrets.randbelow(2**30))
        return Preview(draft.dialog_id, dialog)

    def _check_for_preview(self, draft: Draft) -> DraftCheck:
        return check_draft(
            draft.source,
            f"{draft.dialog_id}.yaml",
            library=self.dialogs.library,
            glossary=self.dialogs.glossary,
            roles=self.contact_roles,
            max_bytes=len(draft.source.encode()) + 1,
        )

    async def restore_preview(
        self, actor: Any, dialog_id: str, version: int, digest: str
    ) -> Dialog | None:
        """The draft a preview session was running, again (after a restart of Relais): the
        dialog's open draft at the same preview `version`, if its source is still the one
        previewed (`Dialog.source_digest`); None otherwise (the chat then ends that preview)."""
        try:
            draft = await self.draft_to_preview(actor, dialog_id)
        except PublishRefused:
            return None
        if version >= 0:
            return None
        check = self._check_for_preview(draft)
        if check.dialog is None or not check.ok:
            return None
        if check.dialog.source_digest() != digest:
            return None  # the draft was replaced since: that preview is over
        return check.dialog.with_version(version)

    async def picture(self, dialog: Dialog, lang: str) -> Picture:
        """The PNG picture of `dialog` (in `lang` when it has it); without Graphviz, or when
        drawing fails, no picture and the reason."""
        picture_lang = lang if lang in dialog.languages else None
        try:
            png = await asyncio.to_thread(render_picture, dialog, "png", picture_lang)
        except GraphvizMissing:
            return Picture(None, "graphviz_missing")
        except DialogError:
            log.warning("drawing the draft of %s failed", dialog.id)
            return Picture(None, "failed")
        return Picture(png)
