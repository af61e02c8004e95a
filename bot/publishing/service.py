"""The publishing workflow as the chat layer sees it (`bot.chat.ports.PublishingPort`).

`PublishingService(relais, dialogs, config, clock)`; `await service.load_published()` at start
imports the bundled content/ dialogs as version 1 (once), offers changed content/ files as
drafts, and puts every published version into the running `DialogRegistry` (sessions stay
pinned to the version they started on; new ones get the newest).

Chat commands: /draft (list), /preview ID, /review [ID], /approve ID [comment], /reject ID
comment, /publish ID; a document is a draft (or its `<id>.test.yaml` tests); buttons are
``pub.a.<draft id>`` (approve), ``pub.r.<draft id>`` (reject: asks for a comment) and
``pub.p.<draft id>`` (publish).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from typing import Any

from bot.chat.dialog_registry import DialogRegistry
from bot.chat.publishing import LANGS, text
from bot.clock import Clock
from bot.config import Config
from bot.messages import Reply
from bot.publishing.checks import DraftCheck, check_draft, is_transcript_file
from bot.publishing.presenters import (
    clip,
    draft_replies,
    history_replies,
    published_replies,
    review_replies,
    who,
)
from bot.publishing.usecases import (
    BundledDialog,
    DraftOutcome,
    Published,
    PublishingUseCases,
    PublishRefused,
    ReviewView,
)
from dialogs import Dialog, Library, load_contact_roles, load_dialog_text, render_picture
from dialogs.errors import DialogError, GraphvizMissing
from storage.repos.drafts import Draft

__all__ = ["PublishingService"]

log = logging.getLogger(__name__)

_MAX_DIAGNOSTICS = 25


def _lang(actor: Any) -> str:
    lang = str(getattr(actor, "language", "en"))
    return lang if lang in LANGS else "en"


class PublishingService(PublishingUseCases):
    not_use_cases = frozenset(
        {
            "load_published",
            "refresh",
            "handle_command",
            "handle_button",
            "handle_document",
            "preview_draft",
            "restore_preview",
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

    def _add_published(self, published: Published) -> None:
        if published.version not in self.dialogs.library.versions(published.dialog.id):
            self.dialogs.add_version(published.dialog, published.version)

    # -- documents --------------------------------------------------------------------------

    async def handle_document(self, actor: Any, file_name: str, data: bytes) -> list[Reply]:
        lang = _lang(actor)
        await self.refresh()
        try:
            await self.count_draft_upload(actor)
            await self._precheck(file_name, data)
            outcome = await self.submit_draft(actor, file_name, data)
        except PublishRefused as refused:
            return [Reply(refused.text(lang))]
        return self.draft_replies(outcome, lang)

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

    def draft_replies(self, outcome: DraftOutcome, lang: str) -> list[Reply]:
        return draft_replies(outcome, lang, self.config.publishing.reviewers_required)

    # -- commands ---------------------------------------------------------------------------

    async def handle_command(self, actor: Any, command: str, argument: str) -> list[Reply]:
        lang = _lang(actor)
        await self.refresh()
        dialog_id, _, rest = argument.strip().partition(" ")
        dialog_id = dialog_id.strip().lower()
        try:
            match command:
                case "draft" if dialog_id == "withdraw" and rest.strip():
                    draft = await self.withdraw_draft(actor, rest.strip().lower())
                    return [Reply(text(lang, "withdrawn", dialog=draft.dialog_id))]
                case "draft":
                    return await self._list(actor, lang, usage=True)
                case "review" if not dialog_id:
                    return await self._list(actor, lang, usage=False)
                case "review":
                    view = await self.draft_for_review(actor, dialog_id)
                    replies = self._review_replies(view, lang)
                    loaded = load_dialog_text(
                        view.draft.source,
                        f"{view.draft.dialog_id}.yaml",
                        max_bytes=len(view.draft.source.encode()) + 1,
                    )
                    if loaded.dialog is None:
                        return replies
                    caption = text(lang, "picture_caption", dialog=view.draft.dialog_id)
                    return [*await self._with_picture(caption, loaded.dialog, lang), *replies]
                case _ if not dialog_id:
                    return [Reply(text(lang, "usage", command=command))]
                case "preview":
                    replies, _dialog = await self.preview_draft(actor, dialog_id)
                    return replies
                case "approve" | "reject":
                    draft = await self.review_draft(actor, dialog_id, command == "approve", rest)
                    key = "approved" if command == "approve" else "rejected"
                    return [Reply(text(lang, key, dialog=draft.dialog_id))]
                case "publish":
                    return self._published_replies(
                        await self.publish_draft(actor, dialog_id), lang
                    )
                case "history":
                    return history_replies(
                        dialog_id, await self.version_history(actor, dialog_id), lang
                    )
                case "rollback":
                    version = rest.strip().lstrip("v")
                    if not version.isdigit():
                        return [Reply(text(lang, "rollback_usage"))]
                    published = await self.rollback_dialog(actor, dialog_id, int(version))
                    replies = self._published_replies(published, lang)
                    note = text(
                        lang,
                        "rolled_back",
                        dialog=dialog_id,
                        version=published.version,
                        source=int(version),
                    )
                    return [Reply(f"{replies[0].text}\n{note}")]
        except PublishRefused as refused:
            return [Reply(refused.text(lang))]
        return [Reply(text(lang, "draft_usage"))]

    async def _list(self, actor: Any, lang: str, *, usage: bool) -> list[Reply]:
        drafts = await self.list_open_drafts(actor)
        lines = [text(lang, "draft_usage")] if usage else []
        if drafts:
            lines.append(text(lang, "drafts_open"))
            lines.extend(
                text(
                    lang,
                    "draft_line",
                    dialog=d.dialog_id,
                    status=d.status,
                    author=who(lang, author, d.author_via or ""),
                )
                for d, author in drafts
            )
        else:
            lines.append(text(lang, "drafts_none"))
        return [Reply("\n".join(lines))]

    def _review_replies(self, view: ReviewView, lang: str) -> list[Reply]:
        return review_replies(view, lang, self.config.publishing.reviewers_required)

    def _published_replies(self, published: Published, lang: str) -> list[Reply]:
        self._add_published(published)
        return published_replies(published, lang)

    # -- buttons ----------------------------------------------------------------------------

    async def handle_button(self, actor: Any, token: str) -> list[Reply]:
        lang = _lang(actor)
        parts = token.split(".")
        if len(parts) not in (3, 4) or parts[0] != "pub" or not all(p.isalnum() for p in parts):
            return [Reply(text(lang, "stale_button"))]
        action, draft_id = parts[1], parts[2]
        digest = parts[3] if len(parts) == 4 else None
        await self.refresh()
        try:
            if action == "a" and digest is not None:
                draft = await self.review_draft(actor, "", True, "", draft_id, digest)
                return [Reply(text(lang, "approved", dialog=draft.dialog_id))]
            if action == "r":
                view = await self.draft_for_review(actor, "", draft_id)
                return [Reply(text(lang, "reject_needs_comment", dialog=view.draft.dialog_id))]
            if action == "p":
                return self._published_replies(await self.publish_draft(actor, "", draft_id), lang)
        except PublishRefused as refused:
            return [Reply(refused.text(lang))]
        return [Reply(text(lang, "stale_button"))]

    # -- preview ----------------------------------------------------------------------------

    async def preview_draft(self, actor: Any, dialog_id: str) -> tuple[list[Reply], Dialog | None]:
        """The replies that introduce a preview (with the draft's picture) and the draft as a
        `Dialog` at a negative preview version (never a published number), or None."""
        lang = _lang(actor)
        try:
            draft = await self.draft_to_preview(actor, dialog_id.strip().lower())
        except PublishRefused as refused:
            return [Reply(refused.text(lang))], None
        check = self._check_for_preview(draft)
        if check.dialog is None or not check.ok:
            lines = [text(lang, "preview_errors", dialog=draft.dialog_id)]
            lines.extend(str(d) for d in check.errors[:_MAX_DIAGNOSTICS])
            return [Reply(clip("\n".join(lines), lang))], None
        dialog = check.dialog.with_version(-1 - secrets.randbelow(2**30))
        intro = text(lang, "preview_intro", dialog=draft.dialog_id)
        return await self._with_picture(intro, dialog, lang), dialog

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

    async def _with_picture(self, caption: str, dialog: Dialog, lang: str) -> list[Reply]:
        """`caption` with the PNG picture of the dialog; without Graphviz, a clear note."""
        picture_lang = lang if lang in dialog.languages else None
        try:
            png = await asyncio.to_thread(render_picture, dialog, "png", picture_lang)
        except GraphvizMissing:
            return [Reply(caption), Reply(text(lang, "picture_missing"))]
        except DialogError:
            log.warning("drawing the draft of %s failed", dialog.id)
            return [Reply(caption), Reply(text(lang, "picture_failed"))]
        return [Reply(caption, attachment=("dialog.png", png))]
