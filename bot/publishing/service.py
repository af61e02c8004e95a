"""The publishing workflow as the chat layer sees it (`bot.chat.ports.PublishingPort`).

`PublishingService(relais, dialogs, config, clock)`; `await service.load_published()` at start
imports the bundled content/ dialogs as version 1 (once), offers changed content/ files as
drafts, and puts every published version into the running `DialogCatalog` (sessions stay
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
from datetime import timedelta
from typing import Any

from bot.chat.dialog_catalog import DialogCatalog
from bot.clock import Clock
from bot.config import Config
from bot.messages import Button, Reply
from bot.publishing.checks import DraftCheck, check_draft, diff_sources, is_transcript_file
from bot.publishing.texts import LANGS, text
from bot.publishing.usecases import (
    BundledDialog,
    DraftOutcome,
    HistoryEntry,
    Published,
    PublishingUseCases,
    PublishRefused,
    ReviewView,
)
from dialogs import Dialog, Library, load_contact_roles, load_dialog_text, render_picture
from dialogs.errors import DialogError, GraphvizMissing
from storage.publishing_repo import Draft

__all__ = ["PublishingService"]

log = logging.getLogger(__name__)

#: how often a running bot looks for versions published by another process
REFRESH_EVERY = timedelta(seconds=10)
#: room left for the header of a message (Telegram allows 4,096 characters)
_MAX_BODY = 3500
_MAX_DIAGNOSTICS = 25


def _lang(actor: Any) -> str:
    lang = str(getattr(actor, "language", "en"))
    return lang if lang in LANGS else "en"


def _clip(body: str, lang: str) -> str:
    if len(body) <= _MAX_BODY:
        return body
    return body[:_MAX_BODY].rsplit("\n", 1)[0] + "\n" + text(lang, "review_truncated")


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
            "start",
            "stop",
        }
    )

    def __init__(self, relais: Any, dialogs: DialogCatalog, config: Config, clock: Clock) -> None:
        self.relais = relais
        self.db = relais.db
        self.config = config
        self.clock = clock
        self.dialogs = dialogs
        roles_file = config.content_path / "contact_roles.yaml"
        self.contact_roles = (
            frozenset(load_contact_roles(roles_file).roles) if roles_file.exists() else None
        )
        self._poller: asyncio.Task[None] | None = None

    # -- lifecycle (`relais run`) ---------------------------------------------------------------

    def start(self, every: timedelta = REFRESH_EVERY) -> None:
        """Re-read the published versions every `every`, so that a version published by
        another process (`relais dialogs publish`) reaches new conversations."""
        if self._poller is None:
            self._poller = asyncio.get_running_loop().create_task(self._poll(every))

    async def stop(self) -> None:
        poller, self._poller = self._poller, None
        if poller is not None:
            poller.cancel()
            await asyncio.gather(poller, return_exceptions=True)

    async def _poll(self, every: timedelta) -> None:
        while True:
            await asyncio.sleep(every.total_seconds())
            try:
                added = await self.refresh()
            except Exception as exc:  # the database is away for a moment: next time
                log.warning("refreshing the published dialogs failed: %s", type(exc).__name__)
                continue
            if added:
                log.info("%d dialog version(s) published elsewhere loaded", added)

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
        await self._precheck(file_name, data)
        try:
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
        dialog_id = outcome.dialog_id or ""
        lines: list[str] = []
        if outcome.tests_only:
            lines.append(text(lang, "tests_attached", dialog=dialog_id))
        elif not outcome.saved:
            assert outcome.check is not None
            diagnostics = outcome.check.diagnostics
            errors = len(outcome.check.errors)
            lines.append(
                text(
                    lang,
                    "draft_errors",
                    file=outcome.file_name[:100],
                    errors=errors,
                    warnings=len(diagnostics) - errors,
                )
            )
            lines.extend(str(d) for d in diagnostics[:_MAX_DIAGNOSTICS])
            if len(diagnostics) > _MAX_DIAGNOSTICS:
                lines.append(f"(+{len(diagnostics) - _MAX_DIAGNOSTICS})")
            return [Reply(_clip("\n".join(lines), lang))]
        else:
            assert outcome.check is not None
            assert outcome.check.dialog is not None
            dialog = outcome.check.dialog
            if outcome.revised:
                lines.append(text(lang, "draft_revised", dialog=dialog_id))
            if outcome.base_version is not None:
                lines.append(
                    text(lang, "draft_replaces", dialog=dialog_id, version=outcome.base_version)
                )
            warnings = outcome.check.diagnostics
            lines.append(
                text(
                    lang,
                    "draft_ready",
                    dialog=dialog_id,
                    title=dialog.title.get(lang, dialog.default_language),
                    warnings=len(warnings),
                )
            )
            lines.extend(str(d) for d in warnings[:_MAX_DIAGNOSTICS])
        if outcome.tests:
            failed = [o for o in outcome.tests if not o.passed]
            kind = outcome.test_kind
            if failed:
                lines.append(text(lang, "tests_failed", kind=kind, failed=len(failed)))
                lines.extend(str(o) for o in failed[:5])
            else:
                lines.append(text(lang, "tests_passed", kind=kind, passed=len(outcome.tests)))
        key = (
            "draft_next_review"
            if self.config.publishing.reviewers_required >= 1
            else "draft_next_publish"
        )
        lines.append(text(lang, key, dialog=dialog_id))
        return [Reply(_clip("\n".join(lines), lang))]

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
                    return self._history_replies(
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
                text(lang, "draft_line", dialog=d.dialog_id, status=d.status, author=author)
                for d, author in drafts
            )
        else:
            lines.append(text(lang, "drafts_none"))
        return [Reply("\n".join(lines))]

    def _review_replies(self, view: ReviewView, lang: str) -> list[Reply]:
        draft = view.draft
        loaded = load_dialog_text(
            draft.source, f"{draft.dialog_id}.yaml", max_bytes=len(draft.source.encode()) + 1
        )
        title = (
            loaded.dialog.title.get(lang, loaded.dialog.default_language)
            if loaded.dialog
            else draft.dialog_id
        )
        lines = [
            text(
                lang,
                "review_title",
                dialog=draft.dialog_id,
                title=title,
                author=view.author_name,
                status=draft.status,
            )
        ]
        if draft.review_comment and view.reviewer_name:
            lines.append(
                text(
                    lang,
                    "review_comment",
                    reviewer=view.reviewer_name,
                    comment=draft.review_comment,
                )
            )
        published = view.published
        if published is None:
            lines.append(text(lang, "review_new"))
            body = draft.source
        else:
            body = diff_sources(
                published.source,
                draft.source,
                f"{draft.dialog_id} v{published.version}",
                f"{draft.dialog_id} draft",
            )
            key = "review_diff" if body else "review_same"
            lines.append(text(lang, key, version=published.version))
        header = "\n".join(lines)
        replies = [Reply(header)]
        if body:
            replies.append(Reply(_clip(body, lang)))
        if view.own:
            replies.append(Reply(text(lang, "review_own")))
        else:
            buttons = [
                Button(text(lang, "approve"), f"pub.a.{draft.id}"),
                Button(text(lang, "reject"), f"pub.r.{draft.id}"),
            ]
            if draft.status == "approved" or self.config.publishing.reviewers_required == 0:
                buttons.append(Button(text(lang, "publish"), f"pub.p.{draft.id}"))
            replies[-1] = Reply(replies[-1].text, tuple(buttons))
        return replies

    def _history_replies(
        self, dialog_id: str, entries: list[HistoryEntry], lang: str
    ) -> list[Reply]:
        if not entries:
            return [Reply(text(lang, "history_none", dialog=dialog_id))]
        lines = [text(lang, "history_title", dialog=dialog_id)]
        for entry in entries:
            reviewer = (
                text(lang, "history_reviewer", reviewer=entry.reviewer) if entry.reviewer else ""
            )
            lines.append(
                text(
                    lang,
                    "history_line",
                    version=entry.version,
                    when=entry.published_at.strftime("%Y-%m-%d %H:%M UTC"),
                    origin=entry.origin,
                    author=entry.author,
                    reviewer=reviewer,
                )
            )
        return [Reply(_clip("\n".join(lines), lang))]

    def _published_replies(self, published: Published, lang: str) -> list[Reply]:
        self._add_published(published)
        dialog = published.dialog
        lines = [text(lang, "published", dialog=dialog.id, version=published.version)]
        if published.previous is not None:
            lines.append(
                text(
                    lang,
                    "published_sessions",
                    sessions=published.sessions_on_previous,
                    old=published.previous,
                    version=published.version,
                )
            )
        told = "rollback_notified" if published.origin == "rollback" else "published_notified"
        lines.append(text(lang, told, notified=published.notified))
        return [Reply("\n".join(lines))]

    # -- buttons ----------------------------------------------------------------------------

    async def handle_button(self, actor: Any, token: str) -> list[Reply]:
        lang = _lang(actor)
        parts = token.split(".")
        if len(parts) != 3 or parts[0] != "pub" or not parts[2].isalnum():
            return [Reply(text(lang, "stale_button"))]
        _, action, draft_id = parts
        await self.refresh()
        try:
            if action == "a":
                draft = await self.review_draft(actor, "", True, "", draft_id)
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
            return [Reply(_clip("\n".join(lines), lang))], None
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
