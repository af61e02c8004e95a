"""Reviewing a draft: what a reviewer is shown (`draft_for_review`) and their decision
(`review_draft`: approve or reject). An approval binds to the revision the reviewer was shown
(the first `DIGEST_CHARS` hex digits of its checksum); publishing follows in `VersionUseCases`.
A draft of another team's guidance is neither shown nor decided (`PublishingBase._open_draft`:
refused and audited as denied, whichever channel asks).
"""

from __future__ import annotations

from bot.policy import Action, Relation
from bot.publishing import notices
from bot.publishing.records import (
    PublishNotAllowed,
    PublishRefused,
    ReviewView,
    names_of,
)
from bot.publishing.rules import (
    check_teams,
    team_of,
)
from bot.publishing.versions import VersionUseCases
from bot.usecases.base import (
    Actor,
    ActorScope,
    requires_role,
)
from bot.usecases.decorators import decide
from dialogs import load_dialog_text
from storage.publishing_guard import PublishingGuard
from storage.repos.drafts import Draft
from storage.tx import Tx

__all__ = ["DIGEST_CHARS", "STALE_APPROVAL", "ReviewUseCases", "author_name", "draft_relation"]

#: hex digits of a revision's checksum that bind an approval (buttons, `--digest`)
DIGEST_CHARS = 16
#: the audit's name for a refused approval of a revision the reviewer was not shown
STALE_APPROVAL = "revision_not_shown"
#: what a reviewer of another team was refused (keys of the catalog's `[publishing]` texts)
REVIEW, APPROVE, REJECT = "team.review", "team.approve", "team.reject"


class ReviewUseCases(VersionUseCases):
    """Review and approval of drafts (mixed under `PublishingUseCases`)."""

    @requires_role(Action.REVIEW_DIALOG)
    async def draft_for_review(
        self, scope: ActorScope, dialog_id: str, draft_id: str | None = None
    ) -> ReviewView:
        """The draft as a reviewer is shown it; that revision is what their `/approve` binds
        to (remembered per reviewer)."""
        draft, published = await self._open_draft(scope, dialog_id, draft_id, refused=REVIEW)
        names = await names_of(scope.tx, [draft.author_id, draft.reviewer_id])
        own = draft.author_id == scope.actor.practitioner_id
        if not own:
            await PublishingGuard(scope.tx.conn).shown_to_reviewer(
                draft_id=draft.id,
                reviewer_id=scope.actor.practitioner_id,
                checksum=draft.checksum,
                now=scope.tx.now,
            )
        return ReviewView(
            draft=draft,
            author_name=author_name(names, draft),
            reviewer_name=names.get(draft.reviewer_id, "") if draft.reviewer_id else "",
            published=published,
            own=own,
        )

    @requires_role(Action.APPROVE_DIALOG)
    async def review_draft(
        self,
        scope: ActorScope,
        dialog_id: str,
        approve: bool,
        comment: str = "",
        draft_id: str | None = None,
        digest: str | None = None,
    ) -> Draft:
        """Approve, or send back with a comment; never by the draft's author, only by a
        psychologist. An approval is of the revision `digest` (a checksum prefix of at least
        `DIGEST_CHARS`), else of the revision `/review` last showed this reviewer; a rejection
        is refused too if the reviewer was last shown another revision."""
        refused = APPROVE if approve else REJECT
        draft, _published = await self._open_draft(scope, dialog_id, draft_id, refused=refused)
        actor = scope.actor
        scope.detail["approved"] = approve
        relation = draft_relation(draft, actor, authorless=Relation.OTHER)  # anyone's to review
        decide(actor.roles, Action.REVIEW_DRAFT, relation, PublishNotAllowed("own_review"))
        comment = comment.strip()
        if not approve and not comment:
            raise PublishRefused("reject_needs_comment", dialog=draft.dialog_id)
        if approve:
            await self._check_approval(scope.tx, draft, actor, digest)
        else:  # a comment on an earlier text is not sent back as one on this text
            shown = digest or await PublishingGuard(scope.tx.conn).last_shown(
                draft_id=draft.id, reviewer_id=actor.practitioner_id
            )
            if shown and not draft.checksum.startswith(shown.strip().lower()):
                raise PublishRefused("changed_since_shown", dialog=draft.dialog_id)
        written = await scope.tx.drafts.review(
            draft_id=draft.id,
            reviewer_id=actor.practitioner_id,
            approved=approve,
            comment=comment,
            now=scope.tx.now,
            checksum=draft.checksum,
            reviewer_via=actor.operator or None,
        )
        if not written:  # replaced between the read and the write
            raise PublishRefused("changed_since_shown", dialog=draft.dialog_id)
        await notices.tell_author(
            scope.tx,
            dialog_id=draft.dialog_id,
            draft_id=draft.id,
            checksum=draft.checksum,
            author_id=draft.author_id,
            reviewer=actor.name,
            approved=approve,
            comment=comment,
        )
        scope.detail.update(author_id=draft.author_id, checksum=draft.checksum[:DIGEST_CHARS])
        reviewed = await scope.tx.drafts.get(draft_id=draft.id)
        assert reviewed is not None
        return reviewed

    async def _check_approval(
        self, tx: Tx, draft: Draft, actor: Actor, digest: str | None
    ) -> None:
        shown = digest.strip().lower() if digest else None
        if shown is not None and len(shown) < DIGEST_CHARS:
            raise PublishRefused("digest_too_short", chars=DIGEST_CHARS)
        if shown is None:
            shown = await PublishingGuard(tx.conn).last_shown(
                draft_id=draft.id, reviewer_id=actor.practitioner_id
            )
            if shown is None:
                raise PublishRefused("review_first", dialog=draft.dialog_id)
        if not draft.checksum.startswith(shown):
            # approving a text the reviewer was not shown: refused, and audited as denied
            stale = PublishNotAllowed("changed_since_shown", dialog=draft.dialog_id)
            stale.rule = STALE_APPROVAL
            raise stale
        if (
            actor.operator
            and draft.author_via == actor.operator
            and not self.config.publishing.operator_may_act_for_two
        ):
            raise PublishRefused("one_operator_two_people", dialog=draft.dialog_id)
        loaded = load_dialog_text(
            draft.source, f"{draft.dialog_id}.yaml", max_bytes=len(draft.source.encode()) + 1
        )
        teams = loaded.dialog.teams if loaded.dialog is not None else ()
        check_teams(
            draft.dialog_id,
            await team_of(tx, actor),
            self._published_teams(draft.dialog_id),
            teams,
        )


def draft_relation(draft: Draft, actor: Actor, *, authorless: Relation) -> Relation:
    """The actor's relation to a draft (`bot.policy`): its author, or other; `authorless`
    for a draft from content/, which has no author."""
    if draft.author_id is None:
        return authorless
    return Relation.AUTHOR if draft.author_id == actor.practitioner_id else Relation.OTHER


def author_name(names: dict[str | None, str], draft: Draft) -> str:
    """The author's name; empty for the operator without `--as` (`author_via` says who)."""
    if draft.author_id is None and draft.author_via:
        return ""
    return names.get(draft.author_id, "?")
