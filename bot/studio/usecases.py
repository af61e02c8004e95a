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

from bot.errors import InvalidInput, NotAllowed, NotFound
from bot.policy import Action, Relation, is_allowed
from bot.publishing.common import newest_published
from bot.publishing.records import HistoryEntry, ReviewView, names_of
from bot.publishing.review import author_name
from bot.publishing.rules import history_of
from bot.publishing.teams import OTHER_TEAMS, team_sees
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
from dialogs.translations import extract_strings, to_po, to_xliff
from storage.repos.drafts import Draft
from storage.repos.studio import token_digest
from storage.repos.versions import DialogVersion

__all__ = [
    "MAX_SESSION",
    "LoginRefused",
    "OtherTeamsDialog",
    "StringsFile",
    "StudioDialog",
    "StudioLogin",
    "StudioOverview",
    "StudioUseCases",
]

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


class OtherTeamsDialog(NotAllowed):
    """A dialog limited to other teams (`teams:`): the Studio answers as for a dialog that
    does not exist; the refusal is audited as denied."""

    rule = OTHER_TEAMS


@dataclass(frozen=True, slots=True)
class StudioOverview:
    """The dialog list: the newest published version of each dialog, the open drafts."""

    newest: dict[str, DialogVersion]
    drafts: list[tuple[Draft, str]]


@dataclass(frozen=True, slots=True)
class StudioDialog:
    """A dialog's page: its history (oldest first), its newest published version, the
    version asked for (`shown`: the newest unless another was asked), its open draft."""

    dialog_id: str
    history: list[HistoryEntry]
    newest: DialogVersion | None
    shown: DialogVersion | None
    draft: ReviewView | None


@dataclass(frozen=True, slots=True)
class StringsFile:
    """A dialog's texts for translators: the file's name, its text, how many texts."""

    file_name: str
    data: str
    strings: int


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

    # -- reading guidance: one use case (one audit entry) per page ------------------------

    @requires_role(Action.STUDIO_READ)
    async def studio_overview(self, scope: ActorScope) -> StudioOverview:
        """The newest published version of every dialog the reader's team may know of, and
        their open drafts (another team's guidance is left out, as in chat)."""
        tx, team = scope.tx, scope.actor.team_name
        newest: dict[str, DialogVersion] = {}
        for version in await tx.versions.all(dialog_id=None):
            newest[version.dialog_id] = version  # oldest first: the last one stays
        drafts = await tx.drafts.all_open()
        open_by_id = {d.dialog_id: d for d in drafts}
        seen = {
            i
            for i in {*newest, *open_by_id}
            if team_sees(
                team,
                newest[i].source if i in newest else None,
                open_by_id[i].source if i in open_by_id else None,
            )
        }
        names = await names_of(tx, [d.author_id for d in drafts])
        scope.detail["dialogs"] = len(seen)
        return StudioOverview(
            {i: newest[i] for i in seen if i in newest},
            [(d, author_name(names, d)) for d in drafts if d.dialog_id in seen],
        )

    @requires_role(Action.STUDIO_READ)
    async def studio_drafts(self, scope: ActorScope) -> list[tuple[Draft, str]]:
        """Every open draft the reader's team may know of, with its author's name."""
        tx, team = scope.tx, scope.actor.team_name
        drafts = []
        for draft in await tx.drafts.all_open():
            published = await newest_published(tx, draft.dialog_id)
            if team_sees(team, published.source if published else None, draft.source):
                drafts.append(draft)
        names = await names_of(tx, [d.author_id for d in drafts])
        return [(d, author_name(names, d)) for d in drafts]

    @requires_role(Action.STUDIO_READ)
    async def studio_dialog(
        self, scope: ActorScope, dialog_id: str, version: int | None = None
    ) -> StudioDialog | None:
        """A dialog as a reader sees it: its history (who wrote, reviewed and published each
        version), its newest published version (or `version`), and its open draft (a
        reviewer's view, binding what they approve, is `draft_for_review`). None when there
        is no such dialog; `OtherTeamsDialog` (audited as denied) when it is another team's
        guidance."""
        tx = scope.tx
        scope.detail["dialog_id"] = dialog_id[:64]
        history = await history_of(tx, dialog_id)
        newest = await newest_published(tx, dialog_id)
        draft = await tx.drafts.open_for(dialog_id=dialog_id)
        if newest is None and draft is None:
            return None
        if not team_sees(
            scope.actor.team_name,
            newest.source if newest else None,
            draft.source if draft else None,
        ):
            raise OtherTeamsDialog(f"{dialog_id} is another team's guidance")
        shown = newest
        if version is not None and (newest is None or version != newest.version):
            scope.detail["version"] = version
            shown = await tx.versions.get(dialog_id=dialog_id, version=version)
        view = None
        if draft is not None:
            scope.detail["draft_id"] = draft.id
            names = await names_of(tx, [draft.author_id, draft.reviewer_id])
            view = ReviewView(
                draft=draft,
                author_name=author_name(names, draft),
                reviewer_name=names.get(draft.reviewer_id, "") if draft.reviewer_id else "",
                published=newest,
                own=draft.author_id == scope.actor.practitioner_id,
            )
        return StudioDialog(dialog_id, history, newest, shown, view)

    # -- translators ------------------------------------------------------------------------

    @requires_role(Action.STUDIO_READ)
    async def studio_strings(
        self, scope: ActorScope, dialog_id: str, lang: str, fmt: str, source: str | None = None
    ) -> StringsFile:
        """A dialog's texts for translators into `lang`, as PO or XLIFF (`fmt`): of `source`
        (the text a psychologist is editing) or else of the newest published version (or the
        open draft of a dialog never published). Audited with the language, the format and
        the number of texts. Raises NotFound, `OtherTeamsDialog`, or `TranslationError` /
        `RoundTripError` (the text cannot be read, or `lang` is its source language)."""
        tx = scope.tx
        newest = await newest_published(tx, dialog_id)
        draft = await tx.drafts.open_for(dialog_id=dialog_id)
        if newest is None and draft is None:
            raise NotFound(f"no dialog {dialog_id}")
        text = source or (newest.source if newest else draft.source if draft else "")
        if not team_sees(scope.actor.team_name, newest.source if newest else None, text):
            raise OtherTeamsDialog(f"{dialog_id} is another team's guidance")
        table = extract_strings(text, f"{dialog_id}.yaml", lang)
        data = to_po(table) if fmt == "po" else to_xliff(table)
        scope.detail.update(
            dialog_id=dialog_id, export=lang, format=fmt, strings=len(table.entries)
        )
        extension = "po" if fmt == "po" else "xlf"
        return StringsFile(f"{dialog_id}.{lang}.{extension}", data, len(table.entries))

    @requires_role(Action.DRAFT_DIALOG)
    async def studio_strings_imported(
        self, scope: ActorScope, dialog_id: str, lang: str, report: dict[str, int]
    ) -> None:
        """Record a translation file read against a psychologist's working copy (counts only:
        texts changed, refused entries, checker errors, applied or not). What they then
        submit is a draft like any other (`submit_draft`, audited there)."""
        scope.detail.update(dialog_id=dialog_id[:64], imported=lang[:16], **report)
