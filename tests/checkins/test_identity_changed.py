"""The dispatcher and a Matrix identity whose master key is not the pinned one: the reminder
fails over to the practitioner's other channel, the identity is not marked unreachable, the new
key is recorded as seen and audited once; once trusted, Matrix is used again. (The Matrix
adapter's own comparison on the real Synapse: tests/e2e/test_matrix_trust_reminders.py.)"""

from __future__ import annotations

import json
from datetime import time

from sqlalchemy import select

from storage.models import AuditEntryRow, ChannelIdentityRow
from storage.recurrence import Weekly
from tests.checkins.conftest import CASE, Team, at_paris
from tests.checkins.test_dispatch import token

MATRIX_USER = "@mentor:x"


async def test_a_changed_identity_gets_no_reminder_until_trusted(team: Team) -> None:
    now = team.clock.now()
    async with team.relais.db.transaction(now) as tx:
        await tx.people.bind(
            practitioner_id=team.mentor.practitioner_id,
            channel="matrix",
            user_id=MATRIX_USER,
            now=now,
        )
        await tx.pins.pin(channel="matrix", user_id=MATRIX_USER, master_key="KEY-A")
    team.matrix.identities[MATRIX_USER] = "KEY-B"  # the account's cross-signing was reset
    rule = Weekly(0, time(9, 0), team.mentor.time_zone)
    await team.service.create_schedule(
        team.owner, CASE, rule, reminded_id=team.mentor.practitioner_id
    )

    for day in (5, 12):  # two weekly reminders: both fail over to Telegram
        await team.run_until(at_paris(2026, 1, day, 9, 0))
        msg = team.take(team.mentor, "Check-in due")
        assert msg.user_id == "t-mentor"
        await team.service.handle_button(team.mentor, token(msg.reply.buttons, "done"))
    assert all(s.user_id != MATRIX_USER for s in team.matrix.sent)

    async with team.relais.db.transaction(team.clock.now()) as tx:
        row = (
            await tx.conn.execute(
                select(ChannelIdentityRow).where(ChannelIdentityRow.user_id == MATRIX_USER)
            )
        ).one()
        rows = await tx.conn.execute(
            select(AuditEntryRow).where(AuditEntryRow.action == "identity.device")
        )
        audits = [json.loads(r.detail) for r in rows]
    assert (row.pinned_master_key, row.seen_master_key) == ("KEY-A", "KEY-B")
    assert row.unreachable is False  # sent to again once trusted
    assert len(audits) == 1, audits  # once per new key, not per reminder
    assert audits[0]["event"] == "key_changed"
    assert audits[0]["withheld"] == "remind"

    confirmed = await team.relais.trust_identity("mentor")
    assert [c.master_key for c in confirmed] == ["KEY-B"]
    await team.run_until(at_paris(2026, 1, 19, 9, 0))
    sent = [s for s in team.matrix.sent if s.user_id == MATRIX_USER]
    assert [s.reply.text for s in sent] == [f"Check-in due: case {CASE}"]
    team.matrix.sent.remove(sent[0])
    await team.service.handle_button(team.mentor, token(sent[0].reply.buttons, "done"))
