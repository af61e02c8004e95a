"""The Studio's own use cases (mixed into `bot.app.Relais`): login links, browser sessions,
and what a reader (a psychologist or a coordinator) may see of the guidance.

Every change to guidance made in the Studio goes through the publishing use cases
(`bot.publishing`: draft, review, approve, publish, roll back), which keep their rules and
their audit; nothing here writes guidance. Tokens are 256-bit random strings handed to the
practitioner once; the database keeps their SHA-256 digest (`storage.repos.studio`).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from bot.errors import InvalidInput
from bot.policy import Action, Relation, is_allowed
from bot.publishing.records import HistoryEntry, ReviewView, names_of
from bot.publishing.review import author_name
from bot.publishing.rules import history_of
from bot.usecases.base import (
    Actor,
    ActorScope,
    CommitThenRaise,
    EntryScope,
    UseCases,
    actor_of,
    channel_entry,
    requires_role,
)
from storage.repos.drafts import Draft
from storage.repos.studio import token_digest
from storage.repos.versions import DialogVersion

__all__ = ["MAX_SESSION", "LoginRefused", "StudioLogin", "StudioUseCases"]

#: a session ends after this long whatever happens (the idle limit ends it sooner)
MAX_SESSION = timedelta(hours=12)
#: links and sessions over for this long are forgotten
_FORGET_AFTER = timedelta(days=1)


class LoginRefused(InvalidInput):
    """A login link that cannot be used: `reason` is "used", "expired", "unknown" or
    "not_allowed" (the practitioner was revoked, or their role no longer opens the Studio)."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"login link refused ({reason})")
        self.reason = reason


@dataclass(frozen=True, slots=True)
class StudioLogin:
    session_token: str  # goes into the cookie, never stored
    practitioner_id: str


class StudioUseCases(UseCases):
    # -- logging in -----------------------------------------------------------------------

    @requires_role(Action.STUDIO_LOGIN)
    async def studio_link(self, scope: ActorScope, valid: timedelta) -> str:
        """A one-time login link token for the actor, valid `valid` (sent in chat, `/studio`)."""
        token = secrets.token_urlsafe(32)
        scope.detail["link_id"] = await scope.tx.studio.add_link(
            token_hash=token_digest(token),
            practitioner_id=scope.actor.practitioner_id,
            now=scope.tx.now,
            valid=valid,
        )
        return token

    @channel_entry("studio.session_open")
    async def studio_login(self, scope: EntryScope, link_token: str) -> StudioLogin:
        """Use a login link once: a new session (its token for the cookie), or `LoginRefused`
        (audited as failed, with the reason)."""
        tx = scope.tx
        scope.audit = True
        await tx.studio.forget_old(before=tx.now - _FORGET_AFTER)
        digest = token_digest(link_token)
        redeemed = await tx.studio.redeem_link(token_hash=digest, now=tx.now)
        if redeemed is None:
            reason = await tx.studio.link_state(token_hash=digest, now=tx.now)
            scope.detail["reason"] = reason
            raise CommitThenRaise(LoginRefused(reason))
        link_id, practitioner_id = redeemed
        scope.detail.update(actor_id=practitioner_id, link_id=link_id)
        row = await tx.access.actor(practitioner_id=practitioner_id)
        if row is None or not is_allowed(row.roles, Action.STUDIO_LOGIN, Relation.OTHER):
            scope.detail["reason"] = "not_allowed"
            raise CommitThenRaise(LoginRefused("not_allowed"))
        token = secrets.token_urlsafe(32)
        scope.detail["session_id"] = await tx.studio.add_session(
            token_hash=token_digest(token),
            practitioner_id=practitioner_id,
            now=tx.now,
            lasts=MAX_SESSION,
        )
        return StudioLogin(token, practitioner_id)

    @channel_entry("studio.session")
    async def studio_visitor(
        self, scope: EntryScope, session_token: str, idle: timedelta
    ) -> Actor | None:
        """The practitioner behind a session cookie, if the session is open (used within
        `idle`) and they are still enrolled; marks the session used. Not audited: every page
        asks it; what they do there is audited by the use case doing it."""
        session = await scope.tx.studio.use_session(
            token_hash=token_digest(session_token), now=scope.tx.now, idle=idle
        )
        if session is None:
            return None
        row = await scope.tx.access.actor(practitioner_id=session.practitioner_id)
        return actor_of(row) if row is not None else None

    @channel_entry("studio.session_end")
    async def studio_logout(self, scope: EntryScope, session_token: str) -> None:
        ended = await scope.tx.studio.end_session(
            token_hash=token_digest(session_token), now=scope.tx.now
        )
        if ended is not None:
            scope.audit = True
            scope.detail["session_id"] = ended

    # -- reading guidance -------------------------------------------------------------------

    @requires_role(Action.STUDIO_READ)
    async def studio_versions(self, scope: ActorScope) -> list[DialogVersion]:
        """Every published version of every dialog, oldest first."""
        return await scope.tx.versions.all(dialog_id=None)

    @requires_role(Action.STUDIO_READ)
    async def studio_history(self, scope: ActorScope, dialog_id: str) -> list[HistoryEntry]:
        """A dialog's published versions with who wrote, reviewed and published each."""
        scope.detail["dialog_id"] = dialog_id[:64]
        return await history_of(scope.tx, dialog_id)

    @requires_role(Action.STUDIO_READ)
    async def studio_version(
        self, scope: ActorScope, dialog_id: str, version: int
    ) -> DialogVersion | None:
        scope.detail.update(dialog_id=dialog_id[:64], version=version)
        return await scope.tx.versions.get(dialog_id=dialog_id, version=version)

    @requires_role(Action.STUDIO_READ)
    async def studio_drafts(self, scope: ActorScope) -> list[tuple[Draft, str]]:
        """Every open draft with its author's name."""
        drafts = await scope.tx.drafts.all_open()
        names = await names_of(scope.tx, [d.author_id for d in drafts])
        return [(d, author_name(names, d)) for d in drafts]

    @requires_role(Action.STUDIO_READ)
    async def studio_draft(self, scope: ActorScope, dialog_id: str) -> ReviewView | None:
        """A dialog's open draft as a reader sees it (a reviewer's view, binding what they
        approve, is `draft_for_review`): the draft, its author and reviewer, and the newest
        published version. None when the dialog has no open draft."""
        scope.detail["dialog_id"] = dialog_id[:64]
        draft = await scope.tx.drafts.open_for(dialog_id=dialog_id)
        if draft is None:
            return None
        scope.detail["draft_id"] = draft.id
        newest = await scope.tx.versions.newest(dialog_id=dialog_id)
        published = (
            await scope.tx.versions.get(dialog_id=dialog_id, version=newest) if newest else None
        )
        names = await names_of(scope.tx, [draft.author_id, draft.reviewer_id])
        return ReviewView(
            draft=draft,
            author_name=author_name(names, draft),
            reviewer_name=names.get(draft.reviewer_id, "") if draft.reviewer_id else "",
            published=published,
            own=draft.author_id == scope.actor.practitioner_id,
        )
