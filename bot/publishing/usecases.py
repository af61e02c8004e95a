"""The publishing use cases: draft, preview, review, publish, roll back, history.

Each is one transaction with one permission declaration (`bot.usecases.base`), audited with
ids only (dialog id, version, draft id, author, reviewer): never dialog text or a comment.
Practitioner use cases (`@requires_role`) serve the chat layer and `relais dialogs ... --as
NAME`; `operator_*` use cases serve the command line without `--as`.

Errors (an `InvalidInput` subclass, so callers that know nothing of publishing still show them)::

    InvalidInput
     └── PublishRefused(key, **values)   the reason, as a message key of `bot.publishing.texts`
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.chat.dialog_catalog import DialogCatalog
from bot.checkins.outbox import queue_message
from bot.errors import InvalidInput
from bot.messages import Reply
from bot.policy import Action
from bot.publishing.checks import (
    DraftCheck,
    check_draft,
    is_transcript_file,
    run_draft_tests,
    transcript_dialog_id,
)
from bot.publishing.texts import LANGS, text
from bot.usecases.base import (
    Actor,
    ActorScope,
    EntryScope,
    UseCases,
    operator_command,
    requires_role,
)
from dialogs import Dialog, load_dialog_text
from dialogs.testing import CheckOutcome
from dialogs.yamlsafe import parse_yaml
from storage.publishing_repo import DialogVersion, Draft, PublishingRepo, checksum_of
from storage.tx import Tx

__all__ = [
    "BundledDialog",
    "DraftOutcome",
    "HistoryEntry",
    "ImportReport",
    "PublishRefused",
    "Published",
    "PublishingUseCases",
    "ReviewView",
]

log = logging.getLogger(__name__)

#: the `dialog_versions.dialog_id` column's width
_MAX_ID = 64
CONTENT_AUTHOR = "content/"
_MAX_VERDICTS = 64


class PublishRefused(InvalidInput):
    """A publishing request that cannot be done; `key` names the message in `texts`."""

    def __init__(self, key: str, **values: Any) -> None:
        super().__init__(text("en", key, **values))
        self.key = key
        self.values = values

    def text(self, lang: str) -> str:
        return text(lang, self.key, **self.values)


@dataclass(frozen=True, slots=True)
class DraftOutcome:
    """What became of an uploaded file."""

    file_name: str
    dialog_id: str | None
    check: DraftCheck | None  # None for a transcript file
    saved: bool
    revised: bool = False
    base_version: int | None = None  # the published version it would replace
    tests: tuple[CheckOutcome, ...] = ()
    test_kind: str = ""  # "walk" | "transcripts" | "" (not run)
    tests_only: bool = False

    @property
    def tests_passed(self) -> bool:
        return all(o.passed for o in self.tests)


@dataclass(frozen=True, slots=True)
class Published:
    dialog: Dialog  # at its new version
    version: int
    previous: int | None
    sessions_on_previous: int
    notified: int
    origin: str  # draft | rollback


@dataclass(frozen=True, slots=True)
class ReviewView:
    draft: Draft
    author_name: str
    reviewer_name: str
    published: DialogVersion | None  # the newest published version, if any
    own: bool  # the caller wrote this draft


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    version: int
    origin: str
    author: str
    reviewer: str
    published_at: datetime
    checksum: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "origin": self.origin,
            "author": self.author,
            "reviewer": self.reviewer,
            "published_at": self.published_at.isoformat(),
            "checksum": self.checksum,
        }


@dataclass(frozen=True, slots=True)
class BundledDialog:
    dialog_id: str
    source: str
    tests: str | None = None


@dataclass(frozen=True, slots=True)
class ImportReport:
    imported: list[str] = field(default_factory=list)  # new version 1 from content/
    offered: list[str] = field(default_factory=list)  # changed files offered as drafts
    skipped: list[str] = field(default_factory=list)  # changed, but someone's draft is open


async def _names(tx: Tx, ids: Sequence[str | None]) -> dict[str | None, str]:
    found = await tx.people.names(ids=[i for i in ids if i])
    names: dict[str | None, str] = {None: CONTENT_AUTHOR}
    names.update(found)
    return names


class PublishingUseCases(UseCases):
    """Needs `dialogs` (the running guidance, for `goto` targets) and `contact_roles`."""

    dialogs: DialogCatalog
    contact_roles: frozenset[str] | None = None
    not_use_cases = frozenset({"draft_tests"})

    async def draft_tests(
        self, dialog: Dialog, tests: str | None
    ) -> tuple[list[CheckOutcome], str]:
        """The draft's transcript tests, or its walk: off the event loop (a walk may explore
        thousands of states) and remembered by (text, tests, library), so that the check run
        when a draft is sent (outside any transaction) spares the publishing transaction."""
        library = self.dialogs.library
        key = (
            checksum_of(dialog.source_text),
            checksum_of(tests or ""),
            tuple((d.id, d.version) for d in library),
        )
        verdicts: dict[Any, tuple[list[CheckOutcome], str]] = self.__dict__.setdefault(
            "_verdicts", {}
        )
        if key not in verdicts:
            verdicts[key] = await asyncio.to_thread(run_draft_tests, library, dialog, tests)
            while len(verdicts) > _MAX_VERDICTS:
                del verdicts[next(iter(verdicts))]
        return verdicts[key]

    # -- drafting -----------------------------------------------------------------------------

    @requires_role(Action.DRAFT_DIALOG)
    async def submit_draft(self, scope: ActorScope, file_name: str, data: bytes) -> DraftOutcome:
        """A dialog file (or its `<id>.test.yaml` transcript tests) sent by a practitioner."""
        return await self._submit(
            scope.tx, scope.detail, scope.actor.practitioner_id, file_name, data
        )

    @operator_command("dialog.draft")
    async def operator_submit_draft(
        self, scope: EntryScope, file_name: str, data: bytes
    ) -> DraftOutcome:
        return await self._submit(scope.tx, scope.detail, None, file_name, data)

    async def _submit(
        self,
        tx: Tx,
        detail: dict[str, Any],
        author_id: str | None,
        file_name: str,
        data: bytes,
    ) -> DraftOutcome:
        if is_transcript_file(file_name):
            return await self._attach_tests(tx, detail, author_id, file_name, data)
        check = await asyncio.to_thread(
            check_draft,
            data,
            file_name,
            library=self.dialogs.library,
            glossary=self.dialogs.glossary,
            roles=self.contact_roles,
            max_bytes=self.config.publishing.max_file_bytes,
        )
        dialog = check.dialog
        detail.update(errors=len(check.errors), saved=False)
        if dialog is None or not check.ok:
            if dialog is not None:
                detail["dialog_id"] = dialog.id[:_MAX_ID]
            return DraftOutcome(file_name, dialog.id if dialog else None, check, saved=False)
        detail["dialog_id"] = dialog.id[:_MAX_ID]
        if len(dialog.id) > _MAX_ID:
            raise PublishRefused("id_too_long", dialog=dialog.id[:_MAX_ID], limit=_MAX_ID)
        repo = PublishingRepo(tx.conn, tx.keys)
        existing = await repo.open_draft(dialog_id=dialog.id)
        if existing is not None and existing.author_id not in (author_id, None):
            names = await _names(tx, [existing.author_id])
            raise PublishRefused("draft_clash", dialog=dialog.id, author=names[existing.author_id])
        base = await repo.newest_version(dialog_id=dialog.id)
        revised = existing is not None and existing.author_id == author_id
        tests = existing.tests if existing is not None and revised else None
        outcomes, kind = await self.draft_tests(dialog, tests)
        if existing is not None and revised:
            await repo.revise_draft(
                draft_id=existing.id,
                source=dialog.source_text,
                tests=tests,
                base_version=base,
                now=tx.now,
            )
            draft_id = existing.id
        else:
            if existing is not None:  # a draft offered from content/: the practitioner's wins
                await repo.close_draft(draft_id=existing.id, status="withdrawn", now=tx.now)
            draft_id = await repo.add_draft(
                dialog_id=dialog.id,
                author_id=author_id,
                source=dialog.source_text,
                tests=None,
                base_version=base,
                now=tx.now,
            )
        detail.update(draft_id=draft_id, saved=True, revised=revised, base_version=base)
        return DraftOutcome(
            file_name,
            dialog.id,
            check,
            saved=True,
            revised=revised,
            base_version=base,
            tests=tuple(outcomes),
            test_kind=kind,
        )

    async def _attach_tests(
        self, tx: Tx, detail: dict[str, Any], author_id: str | None, file_name: str, data: bytes
    ) -> DraftOutcome:
        parsed = parse_yaml(data, "tests.yaml", max_bytes=self.config.publishing.max_file_bytes)
        dialog_id = transcript_dialog_id(data) if parsed.root is not None else None
        if parsed.root is None or dialog_id is None:
            raise PublishRefused("unreadable_tests", file=file_name[:100])
        detail.update(dialog_id=dialog_id[:_MAX_ID], tests=True)
        repo = PublishingRepo(tx.conn, tx.keys)
        draft = await repo.open_draft(dialog_id=dialog_id)
        if draft is None or draft.author_id != author_id:
            raise PublishRefused("tests_no_draft", dialog=dialog_id)
        loaded = load_dialog_text(draft.source, f"{dialog_id}.yaml")
        outcomes: list[CheckOutcome] = []
        kind = ""
        if loaded.dialog is not None:
            outcomes, kind = await self.draft_tests(loaded.dialog, parsed.text)
        await repo.set_tests(draft_id=draft.id, source=draft.source, tests=parsed.text, now=tx.now)
        detail["draft_id"] = draft.id
        return DraftOutcome(
            file_name,
            dialog_id,
            None,
            saved=True,
            tests=tuple(outcomes),
            test_kind=kind,
            tests_only=True,
        )

    @requires_role(Action.DRAFT_DIALOG)
    async def draft_to_preview(self, scope: ActorScope, dialog_id: str) -> Draft:
        """The open draft of a dialog, to run it in a preview session."""
        draft = await PublishingRepo(scope.tx.conn, scope.tx.keys).open_draft(dialog_id=dialog_id)
        if draft is None:
            raise PublishRefused("no_draft", dialog=dialog_id)
        scope.detail.update(dialog_id=dialog_id, draft_id=draft.id, preview=True)
        return draft

    @operator_command("dialog.withdraw")
    async def operator_withdraw(self, scope: EntryScope, dialog_id: str) -> Draft:
        repo = PublishingRepo(scope.tx.conn, scope.tx.keys)
        draft = await self._find_draft(repo, dialog_id, None)
        await repo.close_draft(draft_id=draft.id, status="withdrawn", now=scope.tx.now)
        scope.detail.update(dialog_id=dialog_id, draft_id=draft.id, author_id=draft.author_id)
        return draft

    @requires_role(Action.DRAFT_DIALOG)
    async def withdraw_draft(self, scope: ActorScope, dialog_id: str) -> Draft:
        """Drop an open draft: its author, an admin, or anyone for a draft from content/."""
        repo = PublishingRepo(scope.tx.conn, scope.tx.keys)
        draft = await self._find_draft(repo, dialog_id, None)
        actor = scope.actor
        if draft.author_id not in (None, actor.practitioner_id) and "admin" not in actor.roles:
            names = await _names(scope.tx, [draft.author_id])
            raise PublishRefused("not_your_draft", dialog=dialog_id, author=names[draft.author_id])
        await repo.close_draft(draft_id=draft.id, status="withdrawn", now=scope.tx.now)
        scope.detail.update(dialog_id=dialog_id, draft_id=draft.id, author_id=draft.author_id)
        return draft

    @requires_role(Action.REVIEW_DIALOG)
    async def list_open_drafts(self, scope: ActorScope) -> list[tuple[Draft, str]]:
        """Every open draft with its author's name."""
        drafts = await PublishingRepo(scope.tx.conn, scope.tx.keys).open_drafts()
        names = await _names(scope.tx, [d.author_id for d in drafts])
        return [(d, names.get(d.author_id, "?")) for d in drafts]

    # -- review -------------------------------------------------------------------------------

    @requires_role(Action.REVIEW_DIALOG)
    async def draft_for_review(
        self, scope: ActorScope, dialog_id: str, draft_id: str | None = None
    ) -> ReviewView:
        repo = PublishingRepo(scope.tx.conn, scope.tx.keys)
        draft = await self._find_draft(repo, dialog_id, draft_id)
        newest = await repo.newest_version(dialog_id=draft.dialog_id)
        published = (
            await repo.version(dialog_id=draft.dialog_id, version=newest) if newest else None
        )
        names = await _names(scope.tx, [draft.author_id, draft.reviewer_id])
        scope.detail.update(dialog_id=draft.dialog_id, draft_id=draft.id)
        return ReviewView(
            draft=draft,
            author_name=names.get(draft.author_id, "?"),
            reviewer_name=names.get(draft.reviewer_id, "") if draft.reviewer_id else "",
            published=published,
            own=draft.author_id == scope.actor.practitioner_id,
        )

    @requires_role(Action.REVIEW_DIALOG)
    async def review_draft(
        self,
        scope: ActorScope,
        dialog_id: str,
        approve: bool,
        comment: str = "",
        draft_id: str | None = None,
    ) -> Draft:
        """Approve, or send back with a comment; never by the draft's author."""
        repo = PublishingRepo(scope.tx.conn, scope.tx.keys)
        draft = await self._find_draft(repo, dialog_id, draft_id)
        if draft.author_id == scope.actor.practitioner_id:
            raise PublishRefused("own_review")
        comment = comment.strip()
        if not approve and not comment:
            raise PublishRefused("reject_needs_comment", dialog=draft.dialog_id)
        await repo.review_draft(
            draft_id=draft.id,
            reviewer_id=scope.actor.practitioner_id,
            approved=approve,
            comment=comment,
            now=scope.tx.now,
        )
        scope.detail.update(
            dialog_id=draft.dialog_id,
            draft_id=draft.id,
            approved=approve,
            author_id=draft.author_id,
        )
        reviewed = await repo.draft(draft_id=draft.id)
        assert reviewed is not None
        return reviewed

    async def _find_draft(
        self, repo: PublishingRepo, dialog_id: str, draft_id: str | None
    ) -> Draft:
        if draft_id:
            draft = await repo.draft(draft_id=draft_id)
            if draft is None or not draft.is_open:
                raise PublishRefused("stale_button")
            return draft
        found = await repo.open_draft(dialog_id=dialog_id)
        if found is None:
            raise PublishRefused("no_draft", dialog=dialog_id)
        return found

    # -- publishing ---------------------------------------------------------------------------

    @requires_role(Action.PUBLISH_DIALOG)
    async def publish_draft(
        self, scope: ActorScope, dialog_id: str, draft_id: str | None = None
    ) -> Published:
        return await self._publish(
            scope.tx, scope.detail, scope.actor.practitioner_id, dialog_id, draft_id
        )

    @operator_command("dialog.publish")
    async def operator_publish(self, scope: EntryScope, dialog_id: str) -> Published:
        return await self._publish(scope.tx, scope.detail, None, dialog_id, None)

    async def _publish(
        self,
        tx: Tx,
        detail: dict[str, Any],
        publisher_id: str | None,
        dialog_id: str,
        draft_id: str | None,
    ) -> Published:
        repo = PublishingRepo(tx.conn, tx.keys)
        draft = await self._find_draft(repo, dialog_id, draft_id)
        dialog_id = draft.dialog_id
        if draft.status == "rejected":
            raise PublishRefused("was_rejected", dialog=dialog_id)
        if self.config.publishing.reviewers_required >= 1 and (
            draft.status != "approved" or draft.reviewer_id in (None, draft.author_id)
        ):
            raise PublishRefused("needs_review", dialog=dialog_id)
        check = await asyncio.to_thread(
            check_draft,
            draft.source,
            f"{dialog_id}.yaml",
            library=self.dialogs.library,
            glossary=self.dialogs.glossary,
            roles=self.contact_roles,
            max_bytes=max(self.config.publishing.max_file_bytes, len(draft.source.encode())),
        )
        if check.dialog is None or not check.ok:
            raise PublishRefused("has_errors", dialog=dialog_id, errors=len(check.errors))
        outcomes, _kind = await self.draft_tests(check.dialog, draft.tests)
        if not all(o.passed for o in outcomes):
            raise PublishRefused("failing_tests", dialog=dialog_id)
        await repo.close_draft(draft_id=draft.id, status="published", now=tx.now)
        detail["draft_id"] = draft.id
        return await self._new_version(
            tx,
            detail,
            check.dialog,
            origin="draft",
            author_id=draft.author_id,
            reviewer_id=draft.reviewer_id,
            publisher_id=publisher_id,
            notify=True,
        )

    async def _new_version(
        self,
        tx: Tx,
        detail: dict[str, Any],
        dialog: Dialog,
        *,
        origin: str,
        author_id: str | None,
        reviewer_id: str | None,
        publisher_id: str | None,
        notify: bool,
    ) -> Published:
        repo = PublishingRepo(tx.conn, tx.keys)
        previous = await repo.newest_version(dialog_id=dialog.id)
        version = (previous or 0) + 1
        await repo.add_version(
            dialog_id=dialog.id,
            version=version,
            source=dialog.source_text,
            origin=origin,
            author_id=author_id,
            reviewer_id=reviewer_id,
            now=tx.now,
        )
        sessions = 0
        if previous is not None:
            sessions = await tx.sessions.count_on_version(
                dialog_id=dialog.id, version=previous, now=tx.now
            )
        notified = 0
        if notify:
            notice = "guidance_rolled_back" if origin == "rollback" else "new_guidance"
            notified = await self._notify(tx, dialog, version, publisher_id, notice)
        detail.update(
            dialog_id=dialog.id,
            version=version,
            origin=origin,
            author_id=author_id,
            reviewer_id=reviewer_id,
            sessions_on_previous=sessions,
            notified=notified,
        )
        log.info("dialog %s version %d published (%s)", dialog.id, version, origin)
        return Published(
            dialog.with_version(version), version, previous, sessions, notified, origin
        )

    async def _notify(
        self, tx: Tx, dialog: Dialog, version: int, publisher_id: str | None, notice: str
    ) -> int:
        """Queue "New guidance available: <title>" (or, for a rollback, "<title> is back to an
        earlier version"; nothing more) for everyone the dialog addresses, through the check-in
        outbox (sent by its dispatcher, retried, once)."""
        audience = set(dialog.audience)
        count = 0
        for person in await tx.people.all():
            if person.revoked or person.id == publisher_id:
                continue
            if audience and not person.roles & audience:
                continue
            lang = person.language if person.language in LANGS else "en"
            title = dialog.title.get(lang, dialog.default_language)
            queued = await queue_message(
                tx,
                key=f"guidance.{dialog.id}.{version}.{person.id}",
                practitioner_id=person.id,
                kind="guidance",
                reply=Reply(text(lang, notice, title=title)),
            )
            count += int(queued)
        return count

    # -- rollback -----------------------------------------------------------------------------

    @requires_role(Action.ROLLBACK_DIALOG)
    async def rollback_dialog(self, scope: ActorScope, dialog_id: str, version: int) -> Published:
        """A new version that is a copy of an older one (history is never rewritten)."""
        return await self._rollback(
            scope.tx, scope.detail, scope.actor.practitioner_id, dialog_id, version
        )

    @operator_command("dialog.rollback")
    async def operator_rollback(
        self, scope: EntryScope, dialog_id: str, version: int
    ) -> Published:
        return await self._rollback(scope.tx, scope.detail, None, dialog_id, version)

    async def _rollback(
        self,
        tx: Tx,
        detail: dict[str, Any],
        who: str | None,
        dialog_id: str,
        version: int,
    ) -> Published:
        repo = PublishingRepo(tx.conn, tx.keys)
        old = await repo.version(dialog_id=dialog_id, version=int(version))
        if old is None:
            raise PublishRefused("no_version", dialog=dialog_id, version=version)
        loaded = load_dialog_text(
            old.source, f"{dialog_id}.yaml", max_bytes=len(old.source) * 4 + 1024
        )
        if loaded.dialog is None:
            raise PublishRefused("has_errors", dialog=dialog_id, errors=len(loaded.diagnostics))
        detail["rollback_to"] = old.version
        return await self._new_version(
            tx,
            detail,
            loaded.dialog,
            origin="rollback",
            author_id=who,
            reviewer_id=None,
            publisher_id=who,
            notify=True,
        )

    # -- reading ------------------------------------------------------------------------------

    @operator_command("dialog.history")
    async def dialog_history(self, scope: EntryScope, dialog_id: str) -> list[HistoryEntry]:
        scope.audit = False  # published guidance, no case data: nothing to audit
        return await _history(scope.tx, dialog_id)

    @requires_role(Action.REVIEW_DIALOG)
    async def version_history(self, scope: ActorScope, dialog_id: str) -> list[HistoryEntry]:
        """The published versions of a dialog, oldest first (psychologists, in chat)."""
        scope.detail["dialog_id"] = dialog_id[:_MAX_ID]
        return await _history(scope.tx, dialog_id)

    @operator_command("dialog.versions")
    async def published_versions(
        self, scope: EntryScope, dialog_id: str | None = None
    ) -> list[DialogVersion]:
        scope.audit = False
        return await PublishingRepo(scope.tx.conn, scope.tx.keys).versions(dialog_id=dialog_id)

    @operator_command("dialog.actor")
    async def practitioner_named(self, scope: EntryScope, name: str) -> Actor:
        """`--as NAME` on the command line: act as that (enrolled, not revoked) practitioner."""
        scope.audit = False
        found = [p for p in await scope.tx.people.by_name(name=name) if not p.revoked]
        if len(found) != 1:
            raise InvalidInput(
                f"no practitioner named {name!r}"
                if not found
                else f"several practitioners are named {name!r}"
            )
        person = found[0]
        return Actor(
            practitioner_id=person.id,
            name=person.name,
            roles=person.roles,
            team_id=person.team_id,
            language=person.language,
            time_zone=person.time_zone,
        )

    # -- bundled content ----------------------------------------------------------------------

    @operator_command("dialog.import")
    async def import_bundled(
        self, scope: EntryScope, bundled: list[BundledDialog]
    ) -> ImportReport:
        """content/ dialogs: version 1 of a dialog the database does not know yet; a file that
        differs from every stored version is offered as a draft (author "content/"), never
        published silently."""
        repo = PublishingRepo(scope.tx.conn, scope.tx.keys)
        report = ImportReport()
        for item in bundled:
            versions = await repo.versions(dialog_id=item.dialog_id)
            if not versions:
                await repo.add_version(
                    dialog_id=item.dialog_id,
                    version=1,
                    source=item.source,
                    origin="bundled",
                    author_id=None,
                    reviewer_id=None,
                    now=scope.tx.now,
                )
                report.imported.append(item.dialog_id)
                continue
            checksum = checksum_of(item.source)
            if checksum in {v.checksum for v in versions} or await repo.draft_with_checksum(
                dialog_id=item.dialog_id, checksum=checksum
            ):
                continue
            existing = await repo.open_draft(dialog_id=item.dialog_id)
            if existing is not None and existing.author_id is not None:
                report.skipped.append(item.dialog_id)
                continue
            base = max(v.version for v in versions)
            if existing is not None:
                await repo.revise_draft(
                    draft_id=existing.id,
                    source=item.source,
                    tests=item.tests,
                    base_version=base,
                    now=scope.tx.now,
                )
            else:
                await repo.add_draft(
                    dialog_id=item.dialog_id,
                    author_id=None,
                    source=item.source,
                    tests=item.tests,
                    base_version=base,
                    now=scope.tx.now,
                )
            report.offered.append(item.dialog_id)
        scope.detail.update(imported=report.imported, offered=report.offered)
        scope.audit = bool(report.imported or report.offered)
        return report


async def _history(tx: Tx, dialog_id: str) -> list[HistoryEntry]:
    versions = await PublishingRepo(tx.conn, tx.keys).versions(dialog_id=dialog_id)
    names = await _names(tx, [v.author_id for v in versions] + [v.reviewer_id for v in versions])
    return [
        HistoryEntry(
            version=v.version,
            origin=v.origin,
            author=names.get(v.author_id, "?") if v.author_id else _no_author(v.origin),
            reviewer=names.get(v.reviewer_id, "?") if v.reviewer_id else "",
            published_at=v.published_at,
            checksum=v.checksum,
        )
        for v in versions
    ]


def _no_author(origin: str) -> str:
    return CONTENT_AUTHOR if origin == "bundled" else "operator"
