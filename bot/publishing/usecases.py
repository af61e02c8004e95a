"""The publishing use cases: draft and preview (and, inherited, `ReviewUseCases`: review and
approve, bot/publishing/review.py; `VersionUseCases`: publish, roll back, history).

Each is one transaction with one permission declaration (`bot.usecases.base`), audited with
ids only (dialog id, version, draft id, author, reviewer): never dialog text or a comment.
Practitioner use cases (`@requires_role`) serve the chat layer and `relais dialogs ... --as
NAME` (then the actor carries the operator's shell user, and the audit and history say that
the operator acted for that person); `operator_*` use cases serve the command line without
`--as`.

An approval binds to the revision the reviewer was shown: a button carries the first 16 hex
digits of its checksum, a typed `/approve` approves the revision `/review` last showed that
reviewer, `relais dialogs review --approve` needs `--digest`. A new revision voids an
approval (the reviewer and the author are told).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from bot.policy import Action, Relation, is_allowed
from bot.publishing import notices
from bot.publishing.checks import check_draft, is_transcript_file, transcript_dialog_id
from bot.publishing.common import newest_published
from bot.publishing.records import (
    BundledDialog,
    DraftOutcome,
    HistoryEntry,
    ImportReport,
    Published,
    PublishNotAllowed,
    PublishRefused,
    ReviewView,
    names_of,
)
from bot.publishing.review import DIGEST_CHARS, ReviewUseCases, author_name, draft_relation
from bot.publishing.rules import (
    check_draft_quota,
    check_team_names,
    check_teams,
    shell_user,
    team_of,
)
from bot.publishing.teams import check_draft_team, team_sees
from bot.usecases.base import (
    Actor,
    ActorScope,
    EntryScope,
    operator_command,
    requires_role,
)
from bot.usecases.decorators import decide
from dialogs import load_dialog_text
from dialogs.yamlsafe import parse_yaml
from storage.repos.drafts import Draft
from storage.statuses import DraftStatus
from storage.tx import Tx

__all__ = [
    "DIGEST_CHARS",
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
#: what a practitioner of another team was refused (keys of the catalog's `[publishing]`)
PREVIEW, WITHDRAW = "team.preview", "team.withdraw"


class PublishingUseCases(ReviewUseCases):
    """Needs `dialogs` (the running guidance, for `goto` targets) and `contact_roles`."""

    # -- drafting -----------------------------------------------------------------------------

    @requires_role(Action.DRAFT_DIALOG)
    async def submit_draft(self, scope: ActorScope, file_name: str, data: bytes) -> DraftOutcome:
        """A dialog file (or its `<id>.test.yaml` transcript tests) sent by a practitioner
        (the chat and `--as` count it first with `count_draft_upload`)."""
        return await self._submit(scope.tx, scope.detail, scope.actor, file_name, data)

    @requires_role(Action.DRAFT_DIALOG)
    async def count_draft_upload(self, scope: ActorScope) -> None:
        """One more file sent by this person, before it is even read (a refused file counts
        too: each costs a check), or PublishRefused `too_many_drafts` with when to retry."""
        scope.detail["upload"] = True
        await check_draft_quota(scope.tx, scope.actor, self.config.publishing.drafts_per_hour)

    @operator_command("dialog.draft")
    async def operator_submit_draft(
        self, scope: EntryScope, file_name: str, data: bytes
    ) -> DraftOutcome:
        scope.detail["shell_user"] = shell_user()
        return await self._submit(scope.tx, scope.detail, None, file_name, data)

    async def _submit(
        self,
        tx: Tx,
        detail: dict[str, Any],
        actor: Actor | None,
        file_name: str,
        data: bytes,
    ) -> DraftOutcome:
        author_id = actor.practitioner_id if actor else None
        via = (actor.operator or None) if actor else shell_user()
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
        await check_team_names(tx, dialog.id, dialog.teams)
        check_teams(
            dialog.id, await team_of(tx, actor), self._published_teams(dialog.id), dialog.teams
        )
        existing = await tx.drafts.open_for(dialog_id=dialog.id)
        if existing is not None and actor is not None:  # another team's open draft
            check_draft_team(actor, existing, None, "not_your_team")
        if existing is not None and existing.author_id not in (author_id, None):
            names = await names_of(tx, [existing.author_id])
            raise PublishRefused("draft_clash", dialog=dialog.id, author=names[existing.author_id])
        base = await tx.versions.newest(dialog_id=dialog.id)
        revised = existing is not None and existing.author_id == author_id
        # the draft's own transcript tests, else those of the version it replaces
        tests, tests_from = None, None
        if existing is not None and revised and existing.tests and existing.tests_from is None:
            tests = existing.tests
        elif base is not None:
            published = await tx.versions.get(dialog_id=dialog.id, version=base)
            if published is not None and published.tests:
                tests, tests_from = published.tests, base
        tested = await self.draft_tests(dialog, tests)
        voided = ""
        if existing is not None and revised and existing.checksum == dialog.source_digest():
            draft_id = existing.id  # the same text again: its review, if any, stands
            revised = False
        elif existing is not None and revised:
            if (
                existing.status == DraftStatus.APPROVED
                and existing.checksum != dialog.source_digest()
            ):
                await notices.tell_approval_void(
                    tx,
                    dialog_id=dialog.id,
                    reviewer_id=existing.reviewer_id,
                    checksum=dialog.source_digest(),
                )
                voided = (await names_of(tx, [existing.reviewer_id])).get(
                    existing.reviewer_id, "?"
                )
            await tx.drafts.revise(
                draft_id=existing.id,
                source=dialog.source_text,
                tests=tests,
                base_version=base,
                now=tx.now,
                tests_from=tests_from,
                author_via=via,
            )
            draft_id = existing.id
        else:
            if existing is not None:  # a draft offered from content/: the practitioner's wins
                await tx.drafts.close(
                    draft_id=existing.id, status=DraftStatus.WITHDRAWN, now=tx.now
                )
            draft_id = await tx.drafts.add(
                dialog_id=dialog.id,
                author_id=author_id,
                source=dialog.source_text,
                tests=tests,
                base_version=base,
                now=tx.now,
                tests_from=tests_from,
                author_via=via,
            )
        if self.config.publishing.reviewers_required >= 1:
            detail["reviewers_told"] = await notices.tell_reviewers(
                tx,
                dialog=dialog,
                checksum=dialog.source_digest(),
                author_id=author_id,
                author=actor.name if actor else "operator",
                team_ids=await self._team_ids(tx, dialog.teams),
            )
        detail.update(draft_id=draft_id, saved=True, revised=revised, base_version=base)
        return DraftOutcome(
            file_name,
            dialog.id,
            check,
            saved=True,
            revised=revised,
            base_version=base,
            tested=tested,
            tests_from=tests_from,
            voided_reviewer=voided,
        )

    async def _attach_tests(
        self, tx: Tx, detail: dict[str, Any], author_id: str | None, file_name: str, data: bytes
    ) -> DraftOutcome:
        parsed = parse_yaml(data, "tests.yaml", max_bytes=self.config.publishing.max_file_bytes)
        dialog_id = transcript_dialog_id(data) if parsed.root is not None else None
        if parsed.root is None or dialog_id is None:
            raise PublishRefused("unreadable_tests", file=file_name[:100])
        detail.update(dialog_id=dialog_id[:_MAX_ID], tests=True)
        draft = await tx.drafts.open_for(dialog_id=dialog_id)
        if draft is None or draft.author_id != author_id:
            raise PublishRefused("tests_no_draft", dialog=dialog_id)
        loaded = load_dialog_text(draft.source, f"{dialog_id}.yaml")
        tested = None
        if loaded.dialog is not None:
            tested = await self.draft_tests(loaded.dialog, parsed.text)
        await tx.drafts.set_tests(
            draft_id=draft.id, source=draft.source, tests=parsed.text, now=tx.now
        )
        detail["draft_id"] = draft.id
        return DraftOutcome(file_name, dialog_id, None, saved=True, tested=tested, tests_only=True)

    @requires_role(Action.DRAFT_DIALOG)
    async def draft_to_preview(self, scope: ActorScope, dialog_id: str) -> Draft:
        """The open draft of a dialog, to run it in a preview session."""
        draft, _published = await self._open_draft(scope, dialog_id, None, refused=PREVIEW)
        scope.detail["preview"] = True
        return draft

    @operator_command("dialog.withdraw")
    async def operator_withdraw(self, scope: EntryScope, dialog_id: str) -> Draft:
        draft = await self._find_draft(scope.tx.drafts, dialog_id, None)
        await scope.tx.drafts.close(
            draft_id=draft.id, status=DraftStatus.WITHDRAWN, now=scope.tx.now
        )
        scope.detail.update(dialog_id=dialog_id, draft_id=draft.id, author_id=draft.author_id)
        return draft

    @requires_role(Action.DRAFT_DIALOG)
    async def withdraw_draft(self, scope: ActorScope, dialog_id: str) -> Draft:
        """Drop an open draft: its author, an admin, or anyone for a draft from content/ (of
        their team's guidance: another team's is refused)."""
        draft, _published = await self._open_draft(scope, dialog_id, None, refused=WITHDRAW)
        actor = scope.actor
        relation = draft_relation(draft, actor, authorless=Relation.AUTHOR)  # everyone's to drop
        if not is_allowed(actor.roles, Action.WITHDRAW_DRAFT, relation):
            names = await names_of(scope.tx, [draft.author_id])
            refusal = PublishNotAllowed(
                "not_your_draft", dialog=dialog_id, author=names[draft.author_id]
            )
            decide(actor.roles, Action.WITHDRAW_DRAFT, relation, refusal)
        await scope.tx.drafts.close(
            draft_id=draft.id, status=DraftStatus.WITHDRAWN, now=scope.tx.now
        )
        scope.detail.update(dialog_id=dialog_id, draft_id=draft.id, author_id=draft.author_id)
        return draft

    @requires_role(Action.REVIEW_DIALOG)
    async def list_open_drafts(self, scope: ActorScope) -> list[tuple[Draft, str]]:
        """Every open draft with its author's name, but those of another team's guidance
        (left out, as the chat leaves out their dialogs)."""
        tx, team = scope.tx, scope.actor.team_name
        drafts = []
        for draft in await tx.drafts.all_open():
            published = await newest_published(tx, draft.dialog_id)
            if team_sees(team, published.source if published else None, draft.source):
                drafts.append(draft)
        names = await names_of(scope.tx, [d.author_id for d in drafts])
        return [(d, author_name(names, d)) for d in drafts]
