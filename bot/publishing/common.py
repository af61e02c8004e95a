"""What every publishing use case shares: the running guidance, the draft tests (remembered),
the teams of a published dialog, finding a draft (for a practitioner: never another team's,
`_open_draft`), and `--as NAME` on the command line."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from bot.chat.dialog_registry import DialogRegistry
from bot.errors import InvalidInput
from bot.publishing.checks import DraftTests, run_transcripts, run_walk
from bot.publishing.records import PublishRefused
from bot.publishing.rules import shell_user, teams_filter
from bot.publishing.teams import check_draft_team
from bot.usecases.base import Actor, ActorScope, EntryScope, UseCases, actor_of, operator_command
from dialogs import Dialog
from dialogs.testing import CheckOutcome
from storage.repos.drafts import Draft, Drafts, checksum_of
from storage.repos.versions import DialogVersion
from storage.tx import Tx

__all__ = ["PublishingBase", "newest_published"]

_MAX_VERDICTS = 64


class PublishingBase(UseCases):
    """Needs `dialogs` (the running guidance, for `goto` targets) and `contact_roles`."""

    dialogs: DialogRegistry
    contact_roles: frozenset[str] | None = None
    not_use_cases = frozenset({"draft_tests"})

    async def draft_tests(self, dialog: Dialog, tests: str | None) -> DraftTests:
        """The draft's walk and transcript tests, off the event loop and remembered by (text,
        tests, library): the walk (which may explore thousands of states) is run when a file is
        sent, before the use case's transaction, which then finds it done; the transcripts
        (a few steps each) may run inside it."""
        library = self.dialogs.library
        versions = tuple((d.id, d.version) for d in library)
        text_key = checksum_of(dialog.source_text)
        walks: dict[Any, CheckOutcome] = self.__dict__.setdefault("_walks", {})
        transcripts: dict[Any, tuple[CheckOutcome, ...]] = self.__dict__.setdefault(
            "_transcripts", {}
        )
        walk_key = (text_key, versions)
        if walk_key not in walks:
            walks[walk_key] = await asyncio.to_thread(run_walk, library, dialog)
        found: tuple[CheckOutcome, ...] = ()
        if tests:
            key = (text_key, checksum_of(tests), versions)
            if key not in transcripts:
                transcripts[key] = await asyncio.to_thread(run_transcripts, library, dialog, tests)
            found = transcripts[key]
        for memo in (walks, transcripts):
            while len(memo) > _MAX_VERDICTS:
                del memo[next(iter(memo))]
        return DraftTests((walks[walk_key],), found)

    def _published_teams(self, dialog_id: str) -> tuple[str, ...] | None:
        """The teams of the newest running version (None: never published)."""
        running = self.dialogs.library.get(dialog_id)
        return running.teams if running is not None else None

    async def _team_ids(self, tx: Tx, teams: Sequence[str]) -> set[str] | None:
        return teams_filter({t.id: t.name for t in await tx.people.teams()}, teams)

    async def _find_draft(self, drafts: Drafts, dialog_id: str, draft_id: str | None) -> Draft:
        if draft_id:
            draft = await drafts.get(draft_id=draft_id)
            if draft is None or not draft.is_open:
                raise PublishRefused("stale_button")
            return draft
        found = await drafts.open_for(dialog_id=dialog_id)
        if found is None:
            raise PublishRefused("no_draft", dialog=dialog_id)
        return found

    async def _open_draft(
        self, scope: ActorScope, dialog_id: str, draft_id: str | None, *, refused: str
    ) -> tuple[Draft, DialogVersion | None]:
        """The open draft a practitioner acts on, and its dialog's newest published version.
        Another team's guidance (`teams:` in either text) is refused here, for every use case
        of every channel (chat, command line, Studio): PublishNotAllowed `refused` (the
        catalog key saying what was refused), audited as denied."""
        tx = scope.tx
        draft = await self._find_draft(tx.drafts, dialog_id, draft_id)
        published = await newest_published(tx, draft.dialog_id)
        scope.detail.update(dialog_id=draft.dialog_id, draft_id=draft.id)
        check_draft_team(scope.actor, draft, published.source if published else None, refused)
        return draft, published

    @operator_command("dialog.actor")
    async def practitioner_named(self, scope: EntryScope, name: str) -> Actor:
        """`--as NAME` on the command line: the operator acts for that (enrolled, not revoked)
        practitioner; the actor carries the operator's shell user, so that the audit and the
        history say so."""
        scope.audit = False
        found = [p for p in await scope.tx.people.by_name(name=name) if not p.revoked]
        if len(found) != 1:
            raise InvalidInput(
                f"no practitioner named {name!r}"
                if not found
                else f"several practitioners are named {name!r}"
            )
        row = await scope.tx.access.actor(practitioner_id=found[0].id)
        if row is None:  # revoked or gone between the two reads
            raise InvalidInput(f"no practitioner named {name!r}")
        return replace(actor_of(row), operator=shell_user())


async def newest_published(tx: Tx, dialog_id: str) -> DialogVersion | None:
    """The newest published version of a dialog as stored (None: never published)."""
    newest = await tx.versions.newest(dialog_id=dialog_id)
    return await tx.versions.get(dialog_id=dialog_id, version=newest) if newest else None
