"""When an outgoing message is retried, given up, and who is told when it is given up.

Only a real send failure counts (the channel answered "failed", or the message could not be
prepared): a claim cut short by a crash is not a failure, so a crash loop never uses up a
reminder's retries (`outbox.failures`, apart from `outbox.attempts`, which counts claims).

A failed message is retried with backoff (5 s, 10 s, 20 s, ... up to 10 min) for as long as it
is useful: at least `MIN_FAILURES` times, and until `checkins.retry_for` after it was queued, or
until its check-in or page is over (acknowledged, done, cancelled). Then it is given up, and
never silently: the case owner and the team's coordinators are told (`undelivered`), except the
person the message was for and those the escalation has just notified. A page or an escalation
moves on to the next person at once when every channel of its recipient failed (the message
itself keeps being retried: they may still acknowledge).

A Matrix identity whose master key is no longer the one pinned at enrolment (an account reset,
perhaps a takeover) gets nothing: the channel answers unreachable (`IDENTITY_CHANGED`), the
dispatcher tries the recipient's other channel, else moves on as for any unreachable recipient,
and `record_identity_change` remembers the new key for `relais admin trust NAME` (audited once
per new key). The identity is not marked unreachable: once trusted, it is sent to again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from bot.chat.checkins import text
from bot.checkins import escalation as esc
from bot.checkins.alerts import ALERT_KIND, tell_coordinators
from bot.checkins.escalation_steps import Lookups, apply_step, state_of
from bot.usecases.device_trust import fingerprint
from storage import checkins_repo as repo
from storage.database import Database
from storage.tx import Tx

__all__ = [
    "ALERT_KIND",
    "ESCALATING_KINDS",
    "FAILOVER_KINDS",
    "MIN_FAILURES",
    "alert_undelivered",
    "backoff",
    "give_up",
    "move_on",
    "record_identity_change",
]

log = logging.getLogger(__name__)

#: a failed message is retried at least this many times before it can be given up
MIN_FAILURES = 3
#: messages that take part in an escalation (their recipient is a level of a chain)
ESCALATING_KINDS = frozenset({"remind", "escalate", "page"})
#: messages tried on the recipient's other channel at once, and whose escalation moves on at
#: once when every channel failed (a reminder waits for a retry on the same channel instead)
FAILOVER_KINDS = frozenset({"escalate", "page"})
#: occurrences whose messages are still useful (not acknowledged, done or cancelled)
USEFUL_OCCURRENCE = frozenset({"pending", "waiting", "exhausted"})


def backoff(failures: int) -> timedelta:
    """The wait before the next try after `failures` real failures."""
    return timedelta(seconds=min(600, 5 * 2 ** max(0, failures - 1)))


def give_up(
    *,
    failures: int,
    created_at: datetime | None,
    now: datetime,
    retry_for: timedelta,
    useful: bool,
) -> bool:
    """True when a message that has just failed for the `failures`-th time is given up."""
    if not useful:
        return True
    if failures < MIN_FAILURES:
        return False
    return created_at is None or now - created_at >= retry_for


def _what(kind: str) -> str:
    return f"w_{kind}" if kind in ESCALATING_KINDS else "w_other"


async def _team_of(look: Lookups, case: repo.CaseRef | None, pid: str | None) -> str | None:
    if case is not None:
        return case.team_id
    person = await look.person(pid)
    return person.team_id if person else None


async def alert_undelivered(
    tx: Tx,
    item: repo.OutboxItem,
    *,
    status: str,
    notified: Iterable[str] = (),
) -> list[str]:
    """A message was given up (`status` failed or unreachable): tell the case owner and the
    coordinators, except its recipient and the people in `notified`. Audited; returns who was
    told (empty: nobody could be, which is logged as an error)."""
    if item.kind == ALERT_KIND:
        log.error("outbox %s: a delivery alert could not be delivered (%s)", item.id, status)
        return []
    look = Lookups(tx)
    occ = (
        await tx.occurrences.get(occurrence_id=item.occurrence_id) if item.occurrence_id else None
    )
    case = await look.case(occ.case_id) if occ else None
    team = await _team_of(look, case, item.practitioner_id)
    who = await look.name(item.practitioner_id) if item.practitioner_id else "-"
    why = "why_unreachable" if status == "unreachable" else "why_failed"

    def render(lang: str, _zone: str) -> str:
        values = {"what": text(lang, _what(item.kind)), "who": who, "why": text(lang, why)}
        if case is None:
            return text(lang, "undelivered_nocase", **values)
        return text(lang, "undelivered", case=case.code, **values)

    alerted = await tell_coordinators(
        tx,
        look,
        key=f"{item.id}.undelivered",
        team_id=team,
        extra=[case.owner_id if case else None],
        exclude=[item.practitioner_id, *notified],
        render=render,
    )
    await tx.audit(
        actor_kind="system",
        actor_id=None,
        action="delivery.given_up",
        case_id=case.id if case else None,
        case_code=case.code if case else None,
        detail={"outbox": item.id, "kind": item.kind, "status": status, "told": alerted},
    )
    if not alerted and not notified:
        log.error("outbox %s: given up (%s) and nobody else could be told", item.id, status)
    return alerted


async def move_on(db: Database, item: repo.OutboxItem, final: str | None, now: datetime) -> None:
    """The recipient of a message cannot be reached: an escalation moves on to the next
    person at once; a message given up for good (`final`: failed | unreachable) is told to
    the case owner and the coordinators."""
    async with db.transaction(now) as tx:
        notified: list[str] = []
        occ = (
            await tx.occurrences.get(occurrence_id=item.occurrence_id)
            if item.occurrence_id and item.kind in ESCALATING_KINDS
            else None
        )
        if occ is not None and occ.status == "waiting":
            chain = esc.Chain.from_json(occ.escalation_chain)
            levels = [
                i for i, t in enumerate(chain.targets) if t.practitioner_id == item.practitioner_id
            ]
            step = (
                esc.unreachable(chain, state_of(occ), levels[0], now)
                if levels
                else esc.Step(state_of(occ))
            )
            if step.notify and await apply_step(tx, occ, chain, step, reason="unreachable"):
                notified = [
                    n.target.practitioner_id for n in step.notify if n.target.practitioner_id
                ]
        if final is not None:
            await alert_undelivered(tx, item, status=final, notified=notified)


async def record_identity_change(
    tx: Tx, item: repo.OutboxItem, ident: repo.Identity, key: str | None
) -> None:
    """`item` was not sent to `ident`: its master key is now `key`, not the pinned one. The key
    is remembered as seen (shown by `relais admin list`, confirmed by `relais admin trust`), and
    audited when it is new (a gone identity, `key` None, every time)."""
    if key is not None and key == ident.seen_key:
        return
    await tx.pins.see(channel=ident.channel, user_id=ident.user_id, master_key=key)
    await tx.audit(
        actor_kind="system",
        actor_id=None,
        action="identity.device",
        outcome="denied",
        detail={
            "actor_id": item.practitioner_id,
            "channel": ident.channel,
            "event": "key_changed",
            "seen_key": fingerprint(key),
            "withheld": item.kind,
        },
    )
    log.warning(
        "practitioner %s: master key changed, %s not sent", item.practitioner_id, item.kind
    )
