"""The downtime summary: one message per practitioner for the check-ins too old to remind."""

from __future__ import annotations

from datetime import timedelta

from bot.chat.checkins import text
from bot.checkins.escalation_steps import Lookups
from bot.messages import Reply
from bot.messaging.outbox import payload_meta, queue_message, replace_message
from storage.models import new_id
from storage.tx import Tx

__all__ = ["SUMMARY_HOLD", "summarise"]

#: a downtime summary waits this long for the rest of the catch-up to be merged into it
SUMMARY_HOLD = timedelta(minutes=1)


async def summarise(tx: Tx, look: Lookups, pid: str, codes: list[str]) -> None:
    """One summary per practitioner for the check-ins too old to remind (older than
    `late_window`): merged into the practitioner's summary while it is still queued, which
    is held back a little so that a catch-up in several batches gives one message."""
    person = await look.person(pid)
    lang = person.language if person else "en"
    pending = await tx.outbox.pending_message(practitioner_id=pid, kind="summary")
    if pending is not None:
        meta = payload_meta(tx.keys, pending)
        count = int(meta.get("n", 0)) + len(codes)
        cases = sorted({*meta.get("cases", []), *codes})
        reply = Reply(text(lang, "summary", n=count, cases=", ".join(cases)), kind="alert")
        if await replace_message(tx, pending, reply, {"n": count, "cases": cases}):
            return
    cases = sorted(set(codes))
    await queue_message(
        tx,
        key=f"summary.{pid}.{new_id()}",
        practitioner_id=pid,
        kind="summary",
        reply=Reply(text(lang, "summary", n=len(codes), cases=", ".join(cases)), kind="alert"),
        not_before=tx.now + SUMMARY_HOLD,
        meta={"n": len(codes), "cases": cases},
    )
