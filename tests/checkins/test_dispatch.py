"""Reminders, escalation, quiet hours, snooze, downtime, pages: on a real database, fake clock."""

from __future__ import annotations

from datetime import time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from bot.app import Relais
from bot.checkins.results import ButtonOutcome
from bot.clock import FakeClock
from bot.errors import InvalidInput, NotAllowed, NotFound
from storage.models import AuditEntryRow, CheckinScheduleRow, PractitionerRow
from storage.recurrence import EveryNDays, OneOff, Weekly
from tests.checkins.conftest import CASE, Team, at_paris, build_team

H = timedelta(hours=1)
M = timedelta(minutes=1)


def token(sent_reply_buttons: tuple[object, ...], action: str) -> str:
    for button in sent_reply_buttons:
        tok = getattr(button, "token", "")
        if tok.endswith("." + action):
            return str(tok)
    raise AssertionError(f"no {action} button")


async def weekly(team: Team, *, at: time = time(9, 0), weekday: int = 0, **kw: object) -> str:
    rule = Weekly(weekday, at, team.mentor.time_zone)
    return await team.service.create_schedule(
        team.owner, CASE, rule, reminded_id=team.mentor.practitioner_id, **kw
    )


async def test_reminder_on_time_with_case_code_only_and_done(team: Team) -> None:
    await weekly(team)
    await team.run_until(at_paris(2026, 1, 5, 8, 59))
    team.assert_quiet()
    await team.run_until(at_paris(2026, 1, 5, 9, 0))
    msg = team.take(team.mentor, "Check-in due: case K-7F3A")
    assert msg.reply.text == "Check-in due: case K-7F3A"
    assert msg.at == at_paris(2026, 1, 5, 9, 0)
    assert [b.label for b in msg.reply.buttons] == [
        "Done",
        "Snooze 1 h",
        "Snooze 1 day",
        "Can't reach the person",
    ]
    assert all(len(b.token.encode()) <= 64 for b in msg.reply.buttons)
    replies = await team.chat.handle_button(team.mentor, token(msg.reply.buttons, "done"))
    assert "recorded" in replies[0].text
    note = await team.service.handle_button(team.mentor, token(replies[0].buttons, "note"))
    assert isinstance(note, ButtonOutcome)
    assert (note.kind, note.case_code) == ("note", CASE)  # the chat layer waits for the note
    # acknowledged: nothing more, ever, until next week's reminder
    await team.run_until(at_paris(2026, 1, 12, 8, 59))
    team.assert_quiet()
    again = await team.chat.handle_button(team.mentor, token(msg.reply.buttons, "done"))
    assert "already" in again[0].text
    await team.run_until(at_paris(2026, 1, 12, 9, 0))
    team.take(team.mentor, "Check-in due")


async def test_escalation_timing_to_the_minute(team: Team) -> None:
    await weekly(team)
    await team.run_until(at_paris(2026, 1, 5, 9, 0))
    team.take(team.mentor, "Check-in due")
    await team.run_until(at_paris(2026, 1, 5, 10, 59))
    team.assert_quiet()
    await team.run_until(at_paris(2026, 1, 5, 11, 0))
    msg = team.take(team.owner, "Missed check-in: case K-7F3A")
    assert msg.at == at_paris(2026, 1, 5, 11, 0)
    await team.run_until(at_paris(2026, 1, 5, 12, 59))
    team.assert_quiet()
    await team.run_until(at_paris(2026, 1, 5, 13, 0))
    msg = team.take(team.coordinator, "Missed check-in")  # on Matrix
    assert msg.at == at_paris(2026, 1, 5, 13, 0)
    await team.run_until(at_paris(2026, 1, 5, 15, 0))
    msg = team.take(team.fallback, "Missed check-in")
    assert msg.at == at_paris(2026, 1, 5, 15, 0)
    await team.run_until(at_paris(2026, 1, 5, 23, 0))
    team.assert_quiet()
    # the fallback acknowledges although not on the case: they are in the frozen chain
    reply = await team.chat.handle_button(team.fallback, token(msg.reply.buttons, "ack"))
    assert reply[0].text == "Acknowledged. Thank you."
    async with team.relais.db.connect() as conn:
        actions = (await conn.execute(select(AuditEntryRow.action))).scalars().all()
    assert actions.count("checkin.remind") == 1
    assert actions.count("checkin.escalate") == 3
    assert "checkin.ack" in actions


async def test_owner_acknowledgement_stops_the_chain(team: Team) -> None:
    await weekly(team)
    await team.run_until(at_paris(2026, 1, 5, 11, 0))
    team.take(team.mentor, "Check-in due")
    msg = team.take(team.owner, "Missed check-in")
    await team.chat.handle_button(team.owner, token(msg.reply.buttons, "ack"))
    await team.run_until(at_paris(2026, 1, 5, 20, 0))
    team.assert_quiet()


async def test_nobody_to_escalate_to_goes_straight_to_fallback(
    relais: Relais, start_clock: FakeClock
) -> None:
    team = await build_team(relais, start_clock, owner_is_mentor=True, with_coordinator=False)
    rule = Weekly(0, time(9, 0), "Europe/Paris")
    await team.service.create_schedule(team.mentor, CASE, rule)
    await team.run_until(at_paris(2026, 1, 5, 9, 0))
    team.take(team.mentor, "Check-in due")
    await team.run_until(at_paris(2026, 1, 5, 11, 0))
    msg = team.take(team.fallback, "Missed check-in")
    assert msg.at == at_paris(2026, 1, 5, 11, 0)  # not 13:00 or 15:00: no delay for nobody
    await team.run_until(at_paris(2026, 1, 6, 9, 0))
    team.assert_quiet()


async def test_unreachable_mentor_goes_to_the_owner_at_once(team: Team) -> None:
    """Issue 17: an undeliverable reminder goes to the case owner (not straight to the fallback
    contact) and the coordinators are told, at once."""
    team.telegram.unreachable.add("t-mentor")
    await weekly(team)
    await team.run_until(at_paris(2026, 1, 5, 9, 0))
    msg = team.take(team.owner, "cannot be reached")
    assert msg.at == at_paris(2026, 1, 5, 9, 0)
    alert = team.take(team.coordinator, "could not deliver a check-in reminder")
    assert alert.at == at_paris(2026, 1, 5, 9, 0)
    assert "case K-7F3A to mentor" in alert.reply.text
    async with team.relais.db.connect() as conn:
        flag = await conn.scalar(
            select(PractitionerRow.unreachable).where(
                PractitionerRow.id == team.mentor.practitioner_id
            )
        )
    assert flag is True
    await team.run_until(at_paris(2026, 1, 5, 20, 0))
    team.take(team.coordinator, "Missed check-in")  # the chain goes on: owner's 2 h, then
    team.take(team.fallback, "Missed check-in")
    team.assert_quiet()


async def test_failed_sends_are_retried_with_the_same_key(team: Team) -> None:
    team.telegram.failing.add("t-mentor")
    await weekly(team)
    await team.run_until(at_paris(2026, 1, 5, 9, 0))
    team.assert_quiet()
    team.telegram.failing.clear()
    await team.run_until(at_paris(2026, 1, 5, 9, 1))
    msg = team.take(team.mentor, "Check-in due")
    assert msg.at <= at_paris(2026, 1, 5, 9, 1)


async def test_chain_is_frozen_when_it_starts(team: Team) -> None:
    sid = await weekly(team)
    await team.run_until(at_paris(2026, 1, 5, 9, 0))
    team.take(team.mentor, "Check-in due")
    async with team.relais.db.transaction(team.clock.now()) as tx:  # edit during the escalation
        await tx.conn.execute(
            update(CheckinScheduleRow)
            .where(CheckinScheduleRow.id == sid)
            .values(escalate_to_id=team.mentor.practitioner_id, grace_seconds=60)
        )
    await team.run_until(at_paris(2026, 1, 5, 11, 0))
    team.take(team.owner, "Missed check-in")  # still the owner, still after 2 h
    await team.run_until(at_paris(2026, 1, 5, 15, 0))
    team.take(team.coordinator, "Missed check-in")
    team.take(team.fallback, "Missed check-in")


async def test_quiet_hours_defer_unless_urgent(team: Team) -> None:
    async with team.relais.db.transaction(team.clock.now()) as tx:
        await tx.conn.execute(
            update(PractitionerRow)
            .where(PractitionerRow.id == team.mentor.practitioner_id)
            .values(quiet_start="21:00", quiet_end="07:30")
        )
    await weekly(team, at=time(22, 0))
    await weekly(team, at=time(23, 0), weekday=1, urgent=True)
    await team.run_until(at_paris(2026, 1, 6, 7, 29))
    team.assert_quiet()
    await team.run_until(at_paris(2026, 1, 6, 7, 30))
    msg = team.take(team.mentor, "Check-in due")
    assert msg.at == at_paris(2026, 1, 6, 7, 30)
    await team.chat.handle_button(team.mentor, token(msg.reply.buttons, "done"))
    await team.run_until(at_paris(2026, 1, 6, 23, 0))
    msg = team.take(team.mentor, "Check-in due")  # urgent: at night
    assert msg.at == at_paris(2026, 1, 6, 23, 0)
    await team.chat.handle_button(team.mentor, token(msg.reply.buttons, "done"))


@pytest.mark.parametrize("change", ["pause", "cancel"])
async def test_a_reminder_held_back_is_withdrawn_when_its_schedule_stops(
    team: Team, change: str
) -> None:
    """A reminder waiting for the end of quiet hours is withdrawn when its schedule is paused
    or cancelled meanwhile: nobody is reminded of a check-in that no longer runs."""
    async with team.relais.db.transaction(team.clock.now()) as tx:
        await tx.conn.execute(
            update(PractitionerRow)
            .where(PractitionerRow.id == team.mentor.practitioner_id)
            .values(quiet_start="21:00", quiet_end="07:30")
        )
    sid = await weekly(team, at=time(22, 0))
    await team.run_until(at_paris(2026, 1, 5, 23, 0))  # due, held back until 07:30
    team.assert_quiet()
    expected = "paused" if change == "pause" else "cancelled"
    assert await team.service.set_schedule_status(team.owner, sid, change) == expected
    await team.run_until(at_paris(2026, 1, 6, 8, 0))
    team.assert_quiet()


async def test_snooze_one_hour_and_one_day(team: Team) -> None:
    await weekly(team)
    await team.run_until(at_paris(2026, 1, 5, 9, 0))
    msg = team.take(team.mentor, "Check-in due")
    team.clock.advance(10 * M)
    reply = await team.chat.handle_button(team.mentor, token(msg.reply.buttons, "s1h"))
    assert "10:10" in reply[0].text
    await team.run_until(at_paris(2026, 1, 5, 10, 9))
    team.assert_quiet()
    await team.run_until(at_paris(2026, 1, 5, 10, 10))
    msg = team.take(team.mentor, "Check-in due")
    with pytest.raises(NotAllowed):  # only the reminded person snoozes
        await team.chat.handle_button(team.owner, token(msg.reply.buttons, "s1d"))
    await team.chat.handle_button(team.mentor, token(msg.reply.buttons, "s1d"))
    await team.run_until(at_paris(2026, 1, 6, 10, 9))
    team.assert_quiet()  # the original 11:00 escalation never happens: the snooze replaced it
    await team.run_until(at_paris(2026, 1, 6, 10, 10))
    msg = team.take(team.mentor, "Check-in due")
    await team.run_until(at_paris(2026, 1, 6, 12, 10))
    team.take(team.owner, "Missed check-in")
    await team.chat.handle_button(team.owner, token(msg.reply.buttons, "done"))


async def test_cant_reach_alerts_owner_and_opens_guidance(team: Team) -> None:
    await weekly(team)
    await team.run_until(at_paris(2026, 1, 5, 9, 0))
    msg = team.take(team.mentor, "Check-in due")
    reply = await team.service.handle_button(team.mentor, token(msg.reply.buttons, "cant"))
    assert isinstance(reply, ButtonOutcome)
    assert reply.open_dialog == "who_to_contact"
    await team.tick()
    alert = team.take(team.owner, "could not reach the person")
    assert CASE in alert.reply.text
    await team.run_until(at_paris(2026, 1, 5, 20, 0))
    team.assert_quiet()


async def test_downtime_late_within_window_and_one_summary(team: Team) -> None:
    start = team.clock.now()
    rule = EveryNDays(1, time(9, 0), "Europe/Paris", start.date())
    await team.service.create_schedule(
        team.owner, CASE, rule, reminded_id=team.mentor.practitioner_id
    )
    await team.service.create_schedule(
        team.owner,
        CASE,
        Weekly(0, time(8, 0), "Europe/Paris"),
        reminded_id=team.mentor.practitioner_id,
    )
    # the bot is down from now until Friday 12:00: due Mon..Fri 09:00 daily + Mon 08:00 weekly
    team.clock.set(at_paris(2026, 1, 9, 12, 0))
    await team.tick()
    late = [s for s in team.telegram.sent if "late" in s.reply.text]
    assert len(late) == 2  # Thu 09:00 and Fri 09:00 (within 48 h)
    assert {s.at for s in late} == {at_paris(2026, 1, 9, 12, 0)}
    team.take(team.mentor, "was due Thu 08 Jan 09:00")
    team.take(team.mentor, "was due Fri 09 Jan 09:00")
    team.assert_quiet()  # the summary waits a minute for the rest of a catch-up
    await team.run_until(at_paris(2026, 1, 9, 12, 1))
    summary = team.take(team.mentor, "While Relais was offline")
    assert "4 check-ins were missed" in summary.reply.text  # Mon, Tue, Wed 09:00 + Mon 08:00
    assert "Check-in due" not in summary.reply.text
    # the late ones escalate normally from their delivery
    await team.run_until(at_paris(2026, 1, 9, 14, 0))
    assert len([s for s in team.telegram.sent if "Missed" in s.reply.text]) == 2
    team.telegram.sent.clear()


async def test_page_rota_timeout_then_ack(team: Team) -> None:
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
    reply = await team.chat.page_contact(team.mentor, "on_call_psychologist", CASE)
    assert "Paging" in reply[0].text
    await team.tick()
    first = team.take(team.coordinator, "Contact requested now: case K-7F3A, asked by mentor")
    await team.run_until(now + 9 * M)
    team.assert_quiet()
    await team.run_until(now + 10 * M)
    second = team.take(team.outsider, "Contact requested now")
    assert second.at == now + 10 * M
    await team.chat.handle_button(team.outsider, token(second.reply.buttons, "ack"))
    await team.tick()
    told = team.take(team.mentor, "outsider acknowledged your request (case K-7F3A)")
    assert told.reply.kind == "alert"
    late = await team.chat.handle_button(team.coordinator, token(first.reply.buttons, "ack"))
    assert "already" in late[0].text
    await team.run_until(now + 2 * H)
    team.assert_quiet()


async def test_page_nobody_acknowledges(team: Team) -> None:
    now = team.clock.now()
    await team.service.page_contact(team.mentor, "emergency", None)
    await team.tick()
    team.take(team.fallback, "Contact requested now, asked by mentor")
    team.take(team.mentor, "Nobody on call acknowledged")
    await team.run_until(now + H)
    team.assert_quiet()


async def test_page_ignores_quiet_hours(team: Team) -> None:
    async with team.relais.db.transaction(team.clock.now()) as tx:
        await tx.conn.execute(
            update(PractitionerRow).values(quiet_start="00:00", quiet_end="23:59")
        )
    await team.service.page_contact(team.mentor, "emergency", CASE)
    await team.tick()
    team.take(team.fallback, "Contact requested now")
    team.take(team.mentor, "Nobody on call")


async def denied_on_case(team: Team) -> list[str | None]:
    return [e.actor_id for e in await team.relais.audit_export(CASE) if e.outcome == "denied"]


async def test_permissions_and_sub_objects(team: Team) -> None:
    rule = Weekly(0, time(9, 0), "Europe/Paris")
    with pytest.raises(NotAllowed):  # not on the case
        await team.service.create_schedule(team.outsider, CASE, rule)
    with pytest.raises(NotFound):
        await team.service.create_schedule(team.owner, "K-NOPE", rule)
    with pytest.raises(InvalidInput):  # the reminded person must be on the case
        await team.service.create_schedule(
            team.owner, CASE, rule, reminded_id=team.outsider.practitioner_id
        )
    with pytest.raises(InvalidInput):
        await team.service.create_schedule(
            team.owner, CASE, OneOff(team.clock.now() - H), reminded_id=None
        )
    sid = await weekly(team)
    with pytest.raises(NotFound, match=f"^no check-in {sid}$"):  # never names the case
        await team.service.set_schedule_status(team.outsider, sid, "pause")
    await team.run_until(at_paris(2026, 1, 5, 9, 0))
    msg = team.take(team.mentor, "Check-in due")
    denied_before = await denied_on_case(team)
    with pytest.raises(NotAllowed):  # not in the chain, not on the case
        await team.chat.handle_button(team.outsider, token(msg.reply.buttons, "done"))
    # the refused press is in the case's audit trail, with who tried
    assert await denied_on_case(team) == [*denied_before, team.outsider.practitioner_id]
    with pytest.raises(InvalidInput):
        await team.chat.handle_button(team.mentor, "ci.nothex.done")
    with pytest.raises(NotFound):
        await team.chat.handle_button(team.mentor, "ci." + "a" * 32 + ".done")
    await team.chat.handle_button(team.mentor, token(msg.reply.buttons, "done"))


async def test_pause_resume_cancel_and_list(team: Team) -> None:
    sid = await weekly(team)
    due = await team.service.schedule_followup(team.mentor, CASE, 24 * H, "follow-up")
    assert due == team.clock.now() + 24 * H
    mine = await team.service.list_checkins(team.mentor)
    assert [(u.case_code, u.next_at) for u in mine] == [
        (CASE, at_paris(2026, 1, 5, 9, 0)),
        (CASE, due),
    ]
    assert len(await team.service.list_checkins(team.owner)) == 2
    assert await team.service.list_checkins(team.outsider) == []
    text = (await team.chat.list_upcoming(team.mentor))[0].text
    assert "K-7F3A — Mon 05 Jan 09:00" in text
    assert await team.service.set_schedule_status(team.owner, sid, "pause") == "paused"
    await team.run_until(due - M)
    team.assert_quiet()
    await team.run_until(due)
    followup = team.take(team.mentor, "Check-in due")  # the one-off follow-up
    await team.chat.handle_button(team.mentor, token(followup.reply.buttons, "done"))
    assert await team.service.set_schedule_status(team.owner, sid, "resume") == "active"
    await team.run_until(at_paris(2026, 1, 12, 9, 0))
    msg = team.take(team.mentor, "Check-in due")
    await team.chat.handle_button(team.mentor, token(msg.reply.buttons, "done"))
    assert await team.service.set_schedule_status(team.owner, sid, "cancel") == "cancelled"
    await team.run_until(at_paris(2026, 2, 12, 9, 0))
    team.assert_quiet()
    with pytest.raises(InvalidInput):
        await team.service.set_schedule_status(team.owner, sid, "resume")


@pytest.mark.parametrize("zone", ["Europe/Paris", "Asia/Tokyo"])
async def test_a_year_of_weekly_checkins_across_dst(
    relais: Relais, start_clock: FakeClock, zone: str
) -> None:
    team = await build_team(relais, start_clock, zone=zone)
    rule = Weekly(0, time(9, 0), zone)
    await team.service.create_schedule(
        team.owner, CASE, rule, reminded_id=team.mentor.practitioner_id
    )
    end = start_clock.now() + timedelta(days=364)
    count = 0
    while True:
        nxt = await team.dispatcher.next_wakeup()
        if nxt is None or nxt > end:
            break
        team.clock.set(nxt)
        await team.tick()
        for sent in list(team.telegram.sent):
            local = sent.at.astimezone(ZoneInfo(zone))
            assert (local.weekday(), local.hour, local.minute) == (0, 9, 0), local
            await team.chat.handle_button(team.mentor, token(sent.reply.buttons, "done"))
            team.telegram.sent.remove(sent)
            count += 1
    assert count == 52
    team.assert_quiet()


async def test_audit_has_no_content(team: Team) -> None:
    await weekly(team)
    await team.run_until(at_paris(2026, 1, 5, 9, 0))
    team.take(team.mentor, "Check-in due")
    async with team.relais.db.connect() as conn:
        rows = (await conn.execute(select(AuditEntryRow.detail))).scalars().all()
    assert rows
    assert not any("Check-in due" in r or "mentor" in r for r in rows)


async def test_chat_command_sets_a_weekly_checkin_with_buttons(team: Team) -> None:
    usage = await team.chat.handle_command(team.owner, "K-7F3A weekly")
    assert usage[0].text.startswith("Usage")
    replies = await team.chat.handle_command(team.owner, "k-7f3a weekly lu 9h00 mentor")
    reply = replies[0]
    assert reply.text == (
        "Check-in scheduled on case K-7F3A: weekly:MO@09:00 Europe/Paris. Next: Mon 05 Jan 09:00."
    )
    assert [b.label for b in reply.buttons] == ["Pause", "Cancel"]
    paused = await team.chat.handle_button(team.owner, reply.buttons[0].token)
    assert paused[0].text == "Check-in on case K-7F3A is now paused."
    assert [b.label for b in paused[0].buttons] == ["Resume", "Cancel"]
    with pytest.raises(NotFound, match=r"^no check-in [0-9a-f]{32}$"):  # the case unnamed
        await team.chat.handle_button(team.outsider, paused[0].buttons[0].token)
    await team.run_until(at_paris(2026, 1, 5, 9, 0))
    team.assert_quiet()
    await team.chat.handle_button(team.owner, paused[0].buttons[0].token)
    await team.run_until(at_paris(2026, 1, 12, 9, 0))
    msg = team.take(team.mentor, "Check-in due")
    await team.chat.handle_button(team.mentor, token(msg.reply.buttons, "done"))
    followup = await team.chat.handle_command(team.mentor, "K-7F3A in 2h")
    assert "Next: Mon 12 Jan 11:00" in followup[0].text
    await team.run_until(at_paris(2026, 1, 12, 11, 0))
    msg = team.take(team.mentor, "Check-in due")
    await team.chat.handle_button(team.mentor, token(msg.reply.buttons, "done"))


async def test_one_summary_per_practitioner_across_batches(team: Team) -> None:
    team.dispatcher.batch = 2  # the catch-up runs in several transactions
    for hour in (8, 9, 10, 11, 12):
        await weekly(team, at=time(hour, 0))
    team.clock.set(at_paris(2026, 1, 22, 12, 0))  # down until Thursday: 3 Mondays > 48 h ago
    await team.tick()
    team.assert_quiet()
    await team.run_until(at_paris(2026, 1, 22, 12, 1))
    summary = team.take(team.mentor, "While Relais was offline")
    assert "15 check-ins were missed: K-7F3A." in summary.reply.text  # 5 schedules x 3 weeks


async def test_done_still_counts_after_an_escalation_step_taken_meanwhile(team: Team) -> None:
    await weekly(team)
    await team.run_until(at_paris(2026, 1, 5, 9, 0))
    msg = team.take(team.mentor, "Check-in due")
    await team.run_until(at_paris(2026, 1, 5, 11, 0))  # escalated to the owner meanwhile
    team.take(team.owner, "Missed check-in")
    replies = await team.chat.handle_button(team.mentor, token(msg.reply.buttons, "done"))
    assert "recorded" in replies[0].text
    await team.run_until(at_paris(2026, 1, 5, 20, 0))
    team.assert_quiet()
