"""The exit report's storage and use cases on SQLite and PostgreSQL: answers encrypted and bound
to their row, revisions, who may write and read, closed cases; closing with the post-exit
follow-up (schedules that run after the case is closed, and only those)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.app import Relais
from bot.checkins.dispatcher import CheckinDispatcher
from bot.checkins.operator import CheckinOperator
from bot.checkins.service import CheckinService
from bot.clock import FakeClock
from bot.errors import CaseClosed, InvalidInput, NotAllowed, NotFound
from bot.exit.usecases import MAX_ANSWER_LENGTH
from storage.crypto import DecryptionError, key_id_of
from storage.models import CheckinOccurrenceRow, CheckinScheduleRow, ExitAnswerRow
from storage.recurrence import OneOff, zone
from tests.storage.helpers import enrol, make_world


async def test_answers_are_encrypted_bound_to_their_row_and_revised_in_place(
    relais: Relais, clock: FakeClock
) -> None:
    world = await make_world(relais)
    await relais.create_case("K-2", owner="Olga Owner")
    async with relais.db.transaction(clock.now()) as tx:
        k1 = await tx.cases.by_code(code="K-1")
        k2 = await tx.cases.by_code(code="K-2")
        assert k1 is not None
        assert k2 is not None
        owner = world.owner.practitioner_id
        put = tx.exit_answers.put
        assert (
            await put(
                case_id=k1.id, element="residual_risk", text="low", author_id=owner, now=tx.now
            )
            == 1
        )
        assert (
            await put(
                case_id=k2.id,
                element="residual_risk",
                text="other case",
                author_id=owner,
                now=tx.now,
            )
            == 1
        )
    clock.advance(timedelta(hours=1))
    async with relais.db.transaction(clock.now()) as tx:
        first = (
            await tx.conn.execute(select(ExitAnswerRow).where(ExitAnswerRow.case_id == k1.id))
        ).one()
        revision = await tx.exit_answers.put(
            case_id=k1.id,
            element="residual_risk",
            text="moderate after review",
            author_id=world.mentor.practitioner_id,
            now=tx.now,
        )
        assert revision == 2
        # written only over the revision the writer saw: none when another came meanwhile
        for expected in (0, 1):
            assert (
                await tx.exit_answers.put(
                    case_id=k1.id,
                    element="residual_risk",
                    text="stale",
                    author_id=owner,
                    now=tx.now,
                    expected_revision=expected,
                )
                is None
            )
        [answer] = await tx.exit_answers.for_case(case_id=k1.id)
        rows = (await tx.conn.execute(select(ExitAnswerRow))).all()
    assert (answer.text, answer.revision, answer.author_name) == (
        "moderate after review",
        2,
        "Mehdi Mentor",
    )
    assert answer.created_at < answer.updated_at
    assert len(rows) == 2  # one row per (case, element)
    revised = next(r for r in rows if r.case_id == k1.id)
    assert revised.id == first.id
    assert revised.answer_enc != first.answer_enc
    for row in rows:  # the raw table holds no answer in plaintext
        assert b"moderate" not in row.answer_enc
        assert b"other case" not in row.answer_enc
    other = next(r for r in rows if r.case_id == k2.id)
    with pytest.raises(DecryptionError):  # bound to its row: not readable as another's
        relais.db.keys.decrypt(
            other.answer_enc, table="exit_answers", column="answer", row_id=revised.id
        )


async def test_who_may_write_and_read_the_exit_report(relais: Relais) -> None:
    world = await make_world(relais)  # Olga owns K-1 (coordinator), Mehdi is a mentor on it
    psychologist = await enrol(relais, "Pam Psy", "psychologist")
    await relais.add_member("K-1", "Pam Psy", role="psychologist")
    progress = await relais.save_exit_answer(world.owner, "K-1", "residual_risk", " low ")
    assert progress.missing[0] == "service_strategies"
    progress = await relais.save_exit_answer(psychologist, "K-1", "return_risk", "low, SAPROF")
    assert set(progress.answers) == {"residual_risk", "return_risk"}
    assert progress.first_missing() == "service_strategies"
    assert progress.first_missing(after="return_risk") == "self_evaluation"
    with pytest.raises(NotAllowed):  # a mentor on the case reads it, does not write it
        await relais.save_exit_answer(world.mentor, "K-1", "residual_risk", "mine")
    with pytest.raises(NotAllowed):
        await relais.exit_progress(world.mentor, "K-1")
    report = await relais.exit_report(world.mentor, "K-1")
    assert report.progress.answers["residual_risk"].text == "low"
    with pytest.raises(NotAllowed):  # not on the case: answered like a missing case
        await relais.exit_report(world.outsider, "K-1")
    with pytest.raises(NotFound):  # another team
        await relais.exit_report(world.stranger, "K-1")
    with pytest.raises(InvalidInput, match="unknown element 'risk'"):
        await relais.save_exit_answer(world.owner, "K-1", "risk", "x")
    with pytest.raises(InvalidInput, match="needs some text"):
        await relais.save_exit_answer(world.owner, "K-1", "residual_risk", "  ")
    with pytest.raises(InvalidInput, match="at most"):
        await relais.save_exit_answer(
            world.owner, "K-1", "residual_risk", "x" * (MAX_ANSWER_LENGTH + 1)
        )
    await relais.close_case("K-1")
    with pytest.raises(CaseClosed):
        await relais.save_exit_answer(world.owner, "K-1", "residual_risk", "late")
    assert (await relais.operator_exit_report("K-1")).case.status == "closed"


async def test_closing_with_the_follow_up_schedules_check_ins_that_run_after_closing(
    relais: Relais, clock: FakeClock
) -> None:
    world = await make_world(relais)
    checkins = CheckinService(relais, relais.config, relais.clock, on_work=lambda: None)
    regular = await checkins.schedule_followup(world.mentor, "K-1", timedelta(days=2))
    operator = CheckinOperator(relais, relais.config, relais.clock)
    case, made = await operator.close_with_follow_up("K-1")
    assert case.status == "closed"
    assert [m.label["en"] for m in made] == [
        "Post-exit follow-up, 1 month",
        "Post-exit follow-up, 3 months",
        "Post-exit follow-up, 6 months",
        "Post-exit follow-up, 12 months",
    ]
    owner_zone = zone(world.owner.time_zone)  # at 10:00 in the owner's time zone
    closing_day = clock.now().astimezone(owner_zone).date()
    local = [m.due_at.astimezone(owner_zone) for m in made]
    assert [(d.date() - closing_day).days for d in local] == [30, 91, 182, 365]
    assert {(d.hour, d.minute) for d in local} == {(10, 0)}
    async with relais.db.transaction(clock.now()) as tx:
        rows = (await tx.conn.execute(select(CheckinScheduleRow))).all()
    # the mentor's check-in, the case's monthly review (the owner's), the follow-up
    assert sorted((r.after_close, r.reminded_id) for r in rows) == sorted(
        [
            (False, world.mentor.practitioner_id),
            (False, world.owner.practitioner_id),
            *[(True, world.owner.practitioner_id)] * 4,
        ]
    )
    # existing behaviour kept: a closed case takes no new note or check-in
    with pytest.raises(CaseClosed):
        await relais.log_note(world.owner, "K-1", "after", [])
    with pytest.raises(CaseClosed):
        await checkins.schedule_followup(world.owner, "K-1", timedelta(days=1))
    with pytest.raises(InvalidInput, match="already has its post-exit follow-up"):
        await operator.close_with_follow_up("K-1")
    # the closing ended the regular check-in of the case; the dispatcher runs the follow-up
    dispatcher = CheckinDispatcher(relais.db, clock, relais.config.checkins, {})
    clock.advance(timedelta(days=31))
    await dispatcher.tick()
    async with relais.db.transaction(clock.now()) as tx:
        schedules = {r.id: r for r in (await tx.conn.execute(select(CheckinScheduleRow))).all()}
        occurrences = (await tx.conn.execute(select(CheckinOccurrenceRow))).all()
    assert [o.recipient_id for o in occurrences] == [world.owner.practitioner_id]
    assert schedules[occurrences[0].schedule_id].after_close
    assert {r.status for r in schedules.values() if not r.after_close} == {"cancelled"}
    assert regular is not None
    report = await relais.exit_report(world.owner, "K-1")
    assert [f.status for f in report.follow_up] == ["done", "active", "active", "active"]
    assert report.follow_up[0].due_at == made[0].due_at


async def test_a_case_closed_earlier_gets_the_steps_still_ahead(
    relais: Relais, clock: FakeClock
) -> None:
    world = await make_world(relais)
    await relais.close_case("K-1")
    clock.advance(timedelta(days=100))
    _case, made = await CheckinOperator(relais, relais.config, relais.clock).close_with_follow_up(
        "K-1"
    )
    assert [m.label["en"] for m in made] == [
        "Post-exit follow-up, 6 months",
        "Post-exit follow-up, 12 months",
    ]
    async with relais.db.transaction(clock.now()) as tx:
        schedule = await tx.schedules.get(schedule_id=made[0].schedule_id)
    assert schedule is not None
    assert schedule.after_close
    assert isinstance(schedule.rule, OneOff)
    assert schedule.reminded_id == world.owner.practitioner_id


async def test_key_rotation_re_encrypts_the_answers(relais: Relais) -> None:
    world = await make_world(relais)
    await relais.save_exit_answer(world.owner, "K-1", "residual_risk", "before rotation")
    done = await relais.rotate_keys()
    assert done.finished
    async with relais.db.connect() as conn:
        blobs = (await conn.execute(select(ExitAnswerRow.answer_enc))).scalars().all()
    assert {key_id_of(b) for b in blobs} == {done.target_key_id}
    report = await relais.exit_report(world.owner, "K-1")
    assert report.progress.answers["residual_risk"].text == "before rotation"
