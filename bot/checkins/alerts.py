"""Alerts to a team's coordinators (and a few more people) when something could not be done:
a message given up, a fallback contact nobody can message. Queued in the caller's transaction,
one per person, with an idempotency key so that a step applied twice alerts once."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from bot.messages import Reply
from bot.messaging.outbox import queue_message
from storage.tx import Tx

if TYPE_CHECKING:
    from bot.checkins.escalation_steps import Lookups

__all__ = ["ALERT_KIND", "tell_coordinators"]

#: the kind of these alerts (an alert that cannot be delivered is not alerted about again)
ALERT_KIND = "delivery_alert"


async def tell_coordinators(
    tx: Tx,
    look: Lookups,
    *,
    key: str,
    team_id: str | None,
    render: Callable[[str, str], str],
    extra: Iterable[str | None] = (),
    exclude: Iterable[str | None] = (),
) -> list[str]:
    """Queue `render(language, time_zone)` to the team's coordinators and the `extra` people,
    minus
    `exclude`. Returns who was alerted (in order: `extra` first)."""
    people: list[str] = [p for p in extra if p]
    if team_id is not None:
        people += await tx.checkin_reads.team_coordinators(team_id=team_id)
    skip = {p for p in exclude if p}
    alerted: list[str] = []
    for pid in dict.fromkeys(people):
        if pid in skip:
            continue
        person = await look.person(pid)
        await queue_message(
            tx,
            key=f"{key}.{pid}",
            practitioner_id=pid,
            kind=ALERT_KIND,
            reply=Reply(
                render(person.language, person.time_zone) if person else render("en", "UTC"),
                kind="alert",
            ),
        )
        alerted.append(pid)
    return alerted
