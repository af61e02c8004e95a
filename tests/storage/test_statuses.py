"""Statuses (issue 15): one enum and one transition table each; a change the table does not
allow is refused, with what and from where, before anything is written."""

from __future__ import annotations

import pytest

from storage.statuses import (
    DRAFT_TRANSITIONS,
    OCCURRENCE_TRANSITIONS,
    OUTBOX_TRANSITIONS,
    SCHEDULE_TRANSITIONS,
    DraftStatus,
    IllegalTransition,
    OccurrenceStatus,
    OutboxStatus,
    ScheduleStatus,
    transition,
)

TABLES = [
    (ScheduleStatus, SCHEDULE_TRANSITIONS),
    (OccurrenceStatus, OCCURRENCE_TRANSITIONS),
    (OutboxStatus, OUTBOX_TRANSITIONS),
    (DraftStatus, DRAFT_TRANSITIONS),
]


def test_the_stored_strings_are_the_enum_values() -> None:
    assert [s.value for s in ScheduleStatus] == ["active", "paused", "done", "cancelled"]
    assert set(OccurrenceStatus) == {
        "pending",
        "waiting",
        "exhausted",
        "acknowledged",
        "snoozed",
        "cancelled",
    }
    assert set(OutboxStatus) == {"pending", "sending", "sent", "failed", "unreachable"}
    assert set(DraftStatus) == {"draft", "approved", "rejected", "published", "withdrawn"}


@pytest.mark.parametrize(("kind", "table"), TABLES)
def test_every_pair_is_allowed_or_refused_as_the_table_says(kind: type, table: dict) -> None:
    assert set(table) == set(kind)
    for old in kind:
        for new in kind:
            if new in table[old]:
                assert transition(table, old.value, new.value) is new
            else:
                with pytest.raises(IllegalTransition, match=f"from {old} to {new}"):
                    transition(table, old.value, new.value)


def test_final_states_and_unknown_words_are_refused_with_the_reason() -> None:
    with pytest.raises(IllegalTransition, match="none, it is final"):
        transition(SCHEDULE_TRANSITIONS, "cancelled", "active")
    with pytest.raises(IllegalTransition, match="'archived' is not a ScheduleStatus"):
        transition(SCHEDULE_TRANSITIONS, "active", "archived")
    # several starting states (a compare-and-set statement): each must allow the change
    assert transition(OCCURRENCE_TRANSITIONS, ("waiting", "exhausted"), "snoozed") == "snoozed"
    with pytest.raises(IllegalTransition, match="from acknowledged to waiting"):
        transition(OCCURRENCE_TRANSITIONS, ("waiting", "acknowledged"), "waiting")


async def test_the_repositories_refuse_an_illegal_change_before_writing(relais: object) -> None:
    from bot.app import Relais

    assert isinstance(relais, Relais)
    async with relais.db.transaction(relais.clock.now()) as tx:
        with pytest.raises(IllegalTransition, match="ScheduleStatus may not go from done"):
            await tx.schedules.update(
                schedule_id="x", now=tx.now, expected_status=("done",), status="active"
            )
        with pytest.raises(IllegalTransition, match="OccurrenceStatus may not go from snoozed"):
            await tx.occurrences.update(
                occurrence_id="x", now=tx.now, expected_status=("snoozed",), status="waiting"
            )
        with pytest.raises(IllegalTransition, match="'archived' is not a DraftStatus"):
            await tx.drafts.close(draft_id="x", status="archived", now=tx.now)
