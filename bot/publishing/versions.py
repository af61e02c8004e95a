"""Publishing use cases about versions: publish, roll back, history, bundled import.

A published version keeps what was tested and reviewed with it: the YAML the reviewer approved
(bound by its checksum), the transcript tests it passed, who reviewed it and when, who
published it, and for an action done on the command line for someone (`--as NAME`), the
shell user of the operator who did it. Audited with ids only.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from bot.policy import Action
from bot.publishing import notices
from bot.publishing.checks import check_draft
from bot.publishing.common import PublishingBase
from bot.publishing.records import (
    BundledDialog,
    HistoryEntry,
    ImportReport,
    Published,
    PublishRefused,
)
from bot.publishing.rules import check_teams, history_of, shell_user, team_of
from bot.usecases.base import (
    Actor,
    ActorScope,
    EntryScope,
    operator_command,
    requires_role,
)
from dialogs import Dialog, load_dialog_text
from storage.repos.drafts import checksum_of
from storage.repos.versions import DialogVersion
from storage.statuses import DraftStatus
from storage.tx import Tx
from storage.upsert import lock_key

__all__ = ["VersionUseCases"]

log = logging.getLogger(__name__)

_MAX_VERDICTS = 64


class VersionUseCases(PublishingBase):
    # -- publishing ---------------------------------------------------------------------------

    @requires_role(Action.PUBLISH_DIALOG)
    async def publish_draft(
        self, scope: ActorScope, dialog_id: str, draft_id: str | None = None
    ) -> Published:
        """Publish the open draft (approved, passing its tests); another team's guidance is
        refused first, as every use case about a draft does (`_open_draft`)."""
        draft, _published = await self._open_draft(
            scope, dialog_id, draft_id, refused="not_your_team"
        )
        return await self._publish(scope.tx, scope.detail, scope.actor, draft.dialog_id, draft.id)

    @operator_command("dialog.publish")
    async def operator_publish(self, scope: EntryScope, dialog_id: str) -> Published:
        scope.detail["shell_user"] = shell_user()
        return await self._publish(scope.tx, scope.detail, None, dialog_id, None)

    async def _publish(
        self,
        tx: Tx,
        detail: dict[str, Any],
        actor: Actor | None,
        dialog_id: str,
        draft_id: str | None,
    ) -> Published:
        draft = await self._find_draft(tx.drafts, dialog_id, draft_id)
        dialog_id = draft.dialog_id
        if draft.status == DraftStatus.REJECTED:
            raise PublishRefused("was_rejected", dialog=dialog_id)
        if self.config.publishing.reviewers_required >= 1 and (
            not draft.approved or draft.reviewer_id in (None, draft.author_id)
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
        check_teams(
            dialog_id,
            await team_of(tx, actor),
            self._published_teams(dialog_id),
            check.dialog.teams,
        )
        tested = await self.draft_tests(check.dialog, draft.tests)
        if not tested.passed:
            failed = tested.failed
            raise PublishRefused(
                "failing_tests",
                dialog=dialog_id,
                failed=len(failed),
                names="; ".join(o.name for o in failed[:5]),
            )
        await tx.drafts.close(draft_id=draft.id, status=DraftStatus.PUBLISHED, now=tx.now)
        detail["draft_id"] = draft.id
        version = await self._new_version(
            tx,
            detail,
            check.dialog,
            origin="draft",
            record=DialogVersion(
                dialog_id=dialog_id,
                version=0,
                source=check.dialog.source_text,
                checksum=draft.checksum,
                origin="draft",
                author_id=draft.author_id,
                reviewer_id=draft.reviewer_id,
                published_at=tx.now,
                tests=draft.tests,
                reviewed_at=draft.reviewed_at,
                publisher_id=actor.practitioner_id if actor else None,
                author_via=draft.author_via,
                reviewer_via=draft.reviewer_via,
                publisher_via=(actor.operator or None) if actor else shell_user(),
            ),
        )
        return version

    async def _new_version(
        self, tx: Tx, detail: dict[str, Any], dialog: Dialog, *, origin: str, record: DialogVersion
    ) -> Published:
        previous = await tx.versions.newest(dialog_id=dialog.id)
        version = (previous or 0) + 1
        await tx.versions.add(
            dialog_id=dialog.id,
            version=version,
            source=dialog.source_text,
            origin=origin,
            author_id=record.author_id,
            reviewer_id=record.reviewer_id,
            now=tx.now,
            tests=record.tests,
            reviewed_at=record.reviewed_at,
            publisher_id=record.publisher_id,
            author_via=record.author_via,
            reviewer_via=record.reviewer_via,
            publisher_via=record.publisher_via,
        )
        sessions = 0
        if previous is not None:
            sessions = await tx.sessions.count_on_version(
                dialog_id=dialog.id, version=previous, now=tx.now
            )
        notice = "guidance_rolled_back" if origin == "rollback" else "new_guidance"
        team_ids = await self._team_ids(tx, dialog.teams)
        notified = await notices.tell_guidance(
            tx, dialog, version, record.publisher_id, notice, team_ids
        )
        detail.update(
            dialog_id=dialog.id,
            version=version,
            origin=origin,
            author_id=record.author_id,
            reviewer_id=record.reviewer_id,
            sessions_on_previous=sessions,
            notified=notified,
        )
        log.info("dialog %s version %d published (%s)", dialog.id, version, origin)
        return Published(
            dialog.with_version(version), version, previous, sessions, notified, origin
        )

    # -- rollback -----------------------------------------------------------------------------

    @requires_role(Action.ROLLBACK_DIALOG)
    async def rollback_dialog(self, scope: ActorScope, dialog_id: str, version: int) -> Published:
        """A new version that is a copy of an older one (history is never rewritten)."""
        return await self._rollback(scope.tx, scope.detail, scope.actor, dialog_id, version)

    @operator_command("dialog.rollback")
    async def operator_rollback(
        self, scope: EntryScope, dialog_id: str, version: int
    ) -> Published:
        scope.detail["shell_user"] = shell_user()
        return await self._rollback(scope.tx, scope.detail, None, dialog_id, version)

    async def _rollback(
        self,
        tx: Tx,
        detail: dict[str, Any],
        actor: Actor | None,
        dialog_id: str,
        version: int,
    ) -> Published:
        newest = await tx.versions.newest(dialog_id=dialog_id)
        old = None
        if newest is not None and 1 <= version <= newest:
            old = await tx.versions.get(dialog_id=dialog_id, version=version)
        if old is None:
            raise PublishRefused("no_version", dialog=dialog_id, version=str(version)[:20])
        loaded = load_dialog_text(
            old.source, f"{dialog_id}.yaml", max_bytes=len(old.source) * 4 + 1024
        )
        if loaded.dialog is None:
            raise PublishRefused("has_errors", dialog=dialog_id, errors=len(loaded.diagnostics))
        check_teams(
            dialog_id,
            await team_of(tx, actor),
            self._published_teams(dialog_id),
            loaded.dialog.teams,
        )
        detail["rollback_to"] = old.version
        via = (actor.operator or None) if actor else shell_user()
        actor_id = actor.practitioner_id if actor else None
        published = await self._new_version(
            tx,
            detail,
            loaded.dialog,
            origin="rollback",
            record=DialogVersion(
                dialog_id=dialog_id,
                version=0,
                source=old.source,
                checksum=old.checksum,
                origin="rollback",
                author_id=actor_id,
                reviewer_id=None,
                published_at=tx.now,
                tests=old.tests,
                publisher_id=actor_id,
                author_via=via,
                publisher_via=via,
            ),
        )
        who = actor.name if actor else "operator"
        told = await notices.announce_rollback(
            tx,
            dialog=loaded.dialog,
            version=published.version,
            source=old.version,
            actor_id=actor_id,
            who=who,
            team_ids=await self._team_ids(tx, loaded.dialog.teams),
        )
        detail["psychologists_told"] = told
        return Published(
            published.dialog,
            published.version,
            published.previous,
            published.sessions_on_previous,
            published.notified,
            published.origin,
            psychologists_told=told,
        )

    # -- reading ------------------------------------------------------------------------------

    @operator_command("dialog.history")
    async def dialog_history(self, scope: EntryScope, dialog_id: str) -> list[HistoryEntry]:
        scope.audit = False  # published guidance, no case data: nothing to audit
        return await history_of(scope.tx, dialog_id)

    @requires_role(Action.REVIEW_DIALOG)
    async def version_history(self, scope: ActorScope, dialog_id: str) -> list[HistoryEntry]:
        """The published versions of a dialog, oldest first (psychologists, in chat)."""
        scope.detail["dialog_id"] = dialog_id[:64]
        return await history_of(scope.tx, dialog_id)

    @operator_command("dialog.versions")
    async def published_versions(
        self, scope: EntryScope, dialog_id: str | None = None
    ) -> list[DialogVersion]:
        scope.audit = False
        return await scope.tx.versions.all(dialog_id=dialog_id)

    # -- bundled content ----------------------------------------------------------------------

    @operator_command("dialog.import")
    async def import_bundled(
        self, scope: EntryScope, bundled: list[BundledDialog]
    ) -> ImportReport:
        """content/ dialogs: version 1 of a dialog the database does not know yet, stored with
        its transcript tests (`<id>.test.yaml`); a file that differs from every stored version
        is offered as a draft (author "content/"), never published silently."""
        # Processes starting at once import one after the other: the second reads the
        # versions the first committed instead of inserting version 1 again.
        await lock_key(scope.tx.conn, "dialogs:import-bundled")
        report = ImportReport()
        for item in bundled:
            versions = await scope.tx.versions.all(dialog_id=item.dialog_id)
            if not versions:
                await scope.tx.versions.add(
                    dialog_id=item.dialog_id,
                    version=1,
                    source=item.source,
                    origin="bundled",
                    author_id=None,
                    reviewer_id=None,
                    now=scope.tx.now,
                    tests=item.tests,
                )
                report.imported.append(item.dialog_id)
                continue
            checksum = checksum_of(item.source)
            same = [v for v in versions if v.checksum == checksum]
            if same and item.tests:  # imported before versions kept their tests
                for v in same:
                    if v.origin == "bundled" and v.tests is None:
                        await scope.tx.versions.set_tests(
                            dialog_id=item.dialog_id, version=v.version, tests=item.tests
                        )
            if same or await scope.tx.drafts.has_open_with_checksum(
                dialog_id=item.dialog_id, checksum=checksum
            ):
                continue
            existing = await scope.tx.drafts.open_for(dialog_id=item.dialog_id)
            if existing is not None and existing.author_id is not None:
                report.skipped.append(item.dialog_id)
                continue
            base = max(v.version for v in versions)
            if existing is not None:
                await scope.tx.drafts.revise(
                    draft_id=existing.id,
                    source=item.source,
                    tests=item.tests,
                    base_version=base,
                    now=scope.tx.now,
                )
            else:
                await scope.tx.drafts.add(
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
