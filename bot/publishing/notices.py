"""Who is told what about guidance, through the check-in outbox (sent by its dispatcher, retried,
once per idempotency key), in the caller's transaction.

- the other psychologists: a draft awaits review (once per revision); a rollback;
- the author: their draft was approved, or sent back (with the reviewer's comment);
- a reviewer: the draft they approved was replaced, so their approval no longer applies;
- everyone the dialog addresses: new guidance, or guidance back to an earlier version (the
  title, nothing more).

A dialog limited to teams (`teams:`) is announced to people of those teams only.
"""

from __future__ import annotations

from collections.abc import Collection

from bot.chat.publishing import LANGS, text
from bot.messages import Reply
from bot.messaging.outbox import queue_message
from dialogs import Dialog
from storage.records import Practitioner
from storage.tx import Tx

__all__ = [
    "announce_rollback",
    "tell_approval_void",
    "tell_author",
    "tell_guidance",
    "tell_reviewers",
]

_PSYCHOLOGIST = "psychologist"


def _lang(person: Practitioner) -> str:
    return person.language if person.language in LANGS else "en"


def _title(dialog: Dialog, lang: str) -> str:
    return dialog.title.get(lang, dialog.default_language)


async def _people(
    tx: Tx,
    *,
    exclude: Collection[str | None] = (),
    roles: Collection[str] = (),
    team_ids: set[str] | None = None,
) -> list[Practitioner]:
    found = []
    for person in await tx.people.all():
        if person.revoked or person.id in exclude:
            continue
        if roles and not person.roles & set(roles):
            continue
        if team_ids is not None and person.team_id not in team_ids:
            continue
        found.append(person)
    return found


async def _send(tx: Tx, key: str, person: Practitioner, message: str) -> bool:
    return await queue_message(
        tx, key=key, practitioner_id=person.id, kind="guidance", reply=Reply(message)
    )


async def tell_reviewers(
    tx: Tx,
    *,
    dialog: Dialog,
    checksum: str,
    author_id: str | None,
    author: str,
    team_ids: set[str] | None,
) -> int:
    """A draft of <title> by <author> awaits your review, to every other psychologist."""
    count = 0
    for person in await _people(
        tx, exclude=(author_id,), roles=(_PSYCHOLOGIST,), team_ids=team_ids
    ):
        lang = _lang(person)
        message = text(
            lang, "review_waiting", dialog=dialog.id, title=_title(dialog, lang), author=author
        )
        count += await _send(
            tx, f"review.{dialog.id}.{checksum[:16]}.{person.id}", person, message
        )
    return count


async def tell_author(
    tx: Tx,
    *,
    dialog_id: str,
    draft_id: str,
    checksum: str,
    author_id: str | None,
    reviewer: str,
    approved: bool,
    comment: str,
) -> bool:
    """The author learns the decision (a rejection with the reviewer's comment)."""
    person = await tx.people.get(practitioner_id=author_id) if author_id else None
    if person is None or person.revoked:
        return False
    lang = _lang(person)
    if approved:
        message = text(lang, "review_approved_notice", dialog=dialog_id, reviewer=reviewer)
    else:
        message = text(
            lang, "review_rejected_notice", dialog=dialog_id, reviewer=reviewer, comment=comment
        )
    key = f"reviewed.{draft_id}.{checksum[:16]}.{'a' if approved else 'r'}.{tx.now.isoformat()}"
    return await _send(tx, key, person, message)


async def tell_approval_void(
    tx: Tx, *, dialog_id: str, reviewer_id: str | None, checksum: str
) -> bool:
    """The reviewer whose approval a new revision voided is told so."""
    person = await tx.people.get(practitioner_id=reviewer_id) if reviewer_id else None
    if person is None or person.revoked:
        return False
    message = text(_lang(person), "approval_void_notice", dialog=dialog_id)
    return await _send(tx, f"void.{dialog_id}.{checksum[:16]}.{person.id}", person, message)


async def tell_guidance(
    tx: Tx,
    dialog: Dialog,
    version: int,
    publisher_id: str | None,
    notice: str,
    team_ids: set[str] | None,
) -> int:
    """New guidance available: <title> (or, for a rollback, <title> is back to an earlier
    version; nothing more) for everyone the dialog addresses (but psychologists, for a
    rollback: `announce_rollback` tells them more)."""
    count = 0
    for person in await _people(
        tx, exclude=(publisher_id,), roles=dialog.audience, team_ids=team_ids
    ):
        if notice == "guidance_rolled_back" and _PSYCHOLOGIST in person.roles:
            continue
        lang = _lang(person)
        message = text(lang, notice, title=_title(dialog, lang))
        count += await _send(tx, f"guidance.{dialog.id}.{version}.{person.id}", person, message)
    return count


async def announce_rollback(
    tx: Tx,
    *,
    dialog: Dialog,
    version: int,
    source: int,
    actor_id: str | None,
    who: str,
    team_ids: set[str] | None,
) -> int:
    """Every other psychologist learns that `who` rolled the dialog back (one step, no
    review: an earlier reviewed version)."""
    count = 0
    for person in await _people(
        tx, exclude=(actor_id,), roles=(_PSYCHOLOGIST,), team_ids=team_ids
    ):
        lang = _lang(person)
        message = text(
            lang,
            "rollback_announced",
            dialog=dialog.id,
            title=_title(dialog, lang),
            who=who,
            version=version,
            source=source,
        )
        count += await _send(tx, f"rollback.{dialog.id}.{version}.{person.id}", person, message)
    return count
