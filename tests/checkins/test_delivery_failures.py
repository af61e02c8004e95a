"""Issue 17: a message is never given up silently; only real send failures count.

On a real database with the fake clock and recording channels (`tests.checkins.conftest`).
"""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.app import Relais
from bot.checkins.dispatcher import TickReport
from bot.cli import main
from bot.clock import FakeClock
from storage.models import OutboxRow
from tests.checkins.conftest import CASE, Team, at_paris, build_team
from tests.checkins.test_dispatch import token, weekly

H = timedelta(hours=1)
M = timedelta(minutes=1)


async def _outbox(team: Team, kind: str) -> list[Any]:
    async with team.relais.db.connect() as conn:
        rows = await conn.execute(select(OutboxRow).where(OutboxRow.kind == kind))
        return list(rows.all())


async def test_claims_cut_short_by_crashes_do_not_use_up_the_retries(team: Team) -> None:
    """The issue's crash loop: a message claimed many times by processes that died while
    sending, then a failed send (an outage): retried, not given up, nobody alerted."""
    await weekly(team)
    team.clock.set(at_paris(2026, 1, 5, 9, 0))
    await team.dispatcher._materialise(team.clock.now(), TickReport())
    await team.dispatcher._escalate(team.clock.now(), TickReport())
    lease = team.relais.config.checkins.send_lease
    for i in range(14):  # 14 kills while sending: claimed, never recorded
        async with team.relais.db.transaction(team.clock.now()) as tx:
            claimed = await tx.outbox.claim(
                now=team.clock.now(), owner=f"dead-{i}", lease=lease, limit=10
            )
        assert len(claimed) == 1
        team.clock.advance(lease + timedelta(seconds=1))
    team.telegram.failing.add("t-mentor")  # then the outage
    await team.tick()
    (row,) = await _outbox(team, "remind")
    assert (row.status, row.attempts, row.failures) == ("pending", 15, 1)
    assert row.last_error == "telegram:failed"
    team.telegram.failing.clear()
    await team.run_until(team.clock.now() + M)
    team.take(team.mentor, "Check-in due")
    (row,) = await _outbox(team, "remind")
    assert (row.status, row.failures) == ("sent", 1)
    team.assert_quiet()  # no alert, no escalation


async def test_a_reminder_that_keeps_failing_is_retried_then_told_to_owner_and_coordinators(
    team: Team,
) -> None:
    team.telegram.failing.add("t-mentor")
    await weekly(team)
    await team.run_until(at_paris(2026, 1, 5, 9, 0))
    await team.run_until(at_paris(2026, 1, 5, 11, 0))  # grace over: the owner, as usual
    team.take(team.owner, "Missed check-in")
    await team.run_until(at_paris(2026, 1, 5, 13, 0))
    team.take(team.coordinator, "Missed check-in")
    (row,) = await _outbox(team, "remind")
    assert row.status == "pending"
    assert row.failures > 3
    await team.run_until(at_paris(2026, 1, 5, 14, 59))
    team.assert_quiet()
    await team.run_until(at_paris(2026, 1, 5, 15, 11))  # retry_for (6 h) is over: given up
    team.take(team.fallback, "Missed check-in")
    (row,) = await _outbox(team, "remind")
    assert (row.status, row.last_error) == ("failed", "telegram:failed")
    owner = team.take(team.owner, "could not deliver a check-in reminder")
    assert "case K-7F3A to mentor (the chat service kept failing)" in owner.reply.text
    team.take(team.coordinator, "could not deliver a check-in reminder")
    await team.run_until(at_paris(2026, 1, 6, 12, 0))
    team.assert_quiet()


async def test_a_failed_reminder_is_given_up_quietly_once_acknowledged(team: Team) -> None:
    team.telegram.failing.add("t-mentor")
    await weekly(team)
    await team.run_until(at_paris(2026, 1, 5, 11, 0))
    msg = team.take(team.owner, "Missed check-in")
    await team.chat.handle_button(team.owner, token(msg.reply.buttons, "ack"))
    await team.run_until(at_paris(2026, 1, 5, 12, 0))
    (row,) = await _outbox(team, "remind")
    assert row.status == "failed"
    assert row.last_error == "telegram:failed;no longer needed"
    team.assert_quiet()  # nobody is alarmed about a check-in already handled


async def _page_rota(team: Team) -> None:
    now = team.clock.now()
    async with team.relais.db.transaction(now) as tx:
        for pos, who in enumerate((team.coordinator, team.outsider)):
            contact = await tx.contacts.add(
                team_id=team.team_id,
                role="on_call_psychologist",
                key=f"p{pos}",
                name=who.name,
                phone=None,
                hours=None,
                notes=None,
                practitioner_id=who.practitioner_id,
                priority=pos,
                now=now,
            )
            await tx.contacts.add_slot(
                team_id=team.team_id,
                role="on_call_psychologist",
                contact_id=contact,
                starts_at=now - H,
                ends_at=now + 24 * H,
                position=pos,
            )


async def test_a_page_failing_on_one_channel_goes_to_the_other_at_once(team: Team) -> None:
    await _page_rota(team)
    async with team.relais.db.transaction(team.clock.now()) as tx:
        await tx.people.bind(
            practitioner_id=team.coordinator.practitioner_id,
            channel="telegram",
            user_id="t-coordinator",
            now=team.clock.now(),
        )
    team.matrix.failing.add("@c:x")  # Matrix first (end-to-end encrypted), and it fails
    await team.service.page_contact(team.mentor, "on_call_psychologist", CASE)
    await team.tick()
    sent = [s for s in team.telegram.sent if s.user_id == "t-coordinator"]
    assert len(sent) == 1
    assert "Contact requested now" in sent[0].reply.text
    team.telegram.sent.remove(sent[0])
    team.assert_quiet()


async def test_a_page_failing_on_every_channel_goes_to_the_next_person_at_once(
    team: Team,
) -> None:
    await _page_rota(team)
    team.matrix.failing.add("@c:x")
    now = team.clock.now()
    await team.service.page_contact(team.mentor, "on_call_psychologist", CASE)
    await team.tick()
    second = team.take(team.outsider, "Contact requested now")
    assert second.at == now  # not after the 10 min page timeout
    team.matrix.failing.clear()  # the first page is still retried: they may still answer
    await team.run_until(now + M)
    team.take(team.coordinator, "Contact requested now")
    team.assert_quiet()


async def test_a_fallback_without_chat_identity_is_told_to_the_coordinators(
    relais: Relais, start_clock: FakeClock
) -> None:
    team = await build_team(relais, start_clock, fallback_on_call=False)
    await team.service.page_contact(team.mentor, "emergency", CASE)
    await team.tick()
    team.take(team.mentor, "Nobody on call acknowledged")
    for who in (team.owner, team.coordinator):
        alert = team.take(who, "fallback contact has no chat account")
        assert "Case K-7F3A" in alert.reply.text
    team.assert_quiet()


async def test_relais_deliveries_lists_every_message_with_its_status(
    team: Team, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    team.telegram.failing.add("t-mentor")
    await weekly(team)
    await team.run_until(at_paris(2026, 1, 5, 11, 0))
    msg = team.take(team.owner, "Missed check-in")
    await team.run_until(at_paris(2026, 1, 5, 11, 1))
    (row,) = await _outbox(team, "remind")
    config = tmp_path / "relais.toml"
    config.write_text(
        f'data_dir = "{team.relais.config.data_dir}"\n'
        f'[storage]\nurl = "{team.relais.config.database_url()}"\n',
        encoding="utf-8",
    )

    async def cli(*argv: str) -> list[dict[str, Any]]:
        code = await asyncio.to_thread(main, ["--config", str(config), "deliveries", *argv])
        assert code == 0
        return list(json.loads(capsys.readouterr().out))

    listed = {d["kind"]: d for d in await cli("--since", "3650d", "--json")}
    assert listed["remind"]["status"] == "queued"
    assert listed["remind"]["reason"] == "telegram:failed"
    assert listed["remind"]["failures"] == row.failures > 0
    assert listed["remind"]["case_code"] == CASE
    assert listed["escalate"]["status"] == "sent"
    assert listed["escalate"]["channel"] == "telegram"
    failed = await cli("--since", "3650d", "--failed", "--json")
    assert [d["kind"] for d in failed] == ["remind"]
    await team.chat.handle_button(team.owner, token(msg.reply.buttons, "ack"))
    await team.run_until(at_paris(2026, 1, 5, 12, 0))
    listed = {d["kind"]: d for d in await cli("--since", "3650d", "--json")}
    assert listed["escalate"]["status"] == "acknowledged"
    assert listed["remind"]["status"] == "failed"
    assert listed["remind"]["reason"] == "telegram:failed;no longer needed"
    assert "Missed" not in json.dumps(listed)  # statuses and codes, never a message's text
    code = await asyncio.to_thread(
        main, ["--config", str(config), "deliveries", "--failed", "--since", "3650d"]
    )
    assert code == 0
    [line] = capsys.readouterr().out.splitlines()
    assert "  failed       remind         K-7F3A" in line
    assert f"to {team.mentor.practitioner_id}" in line
    assert line.endswith("telegram:failed;no longer needed")


async def test_an_escalation_failing_everywhere_goes_to_the_next_person_at_once(
    team: Team,
) -> None:
    await weekly(team)
    await team.run_until(at_paris(2026, 1, 5, 9, 0))
    team.take(team.mentor, "Check-in due")
    team.telegram.failing.add("t-owner")  # the owner's only channel fails
    await team.run_until(at_paris(2026, 1, 5, 11, 0))
    msg = team.take(team.coordinator, "cannot be reached")
    assert msg.at == at_paris(2026, 1, 5, 11, 0)  # not two hours later
    team.telegram.failing.clear()  # the owner's copy is still retried, and arrives
    await team.run_until(at_paris(2026, 1, 5, 11, 5))
    team.take(team.owner, "Missed check-in")
    await team.run_until(at_paris(2026, 1, 5, 13, 0))
    team.take(team.fallback, "Missed check-in")
    team.assert_quiet()
