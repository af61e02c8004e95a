"""The escalation state machine: timing to the minute, freezing, skipping, unreachable targets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from bot.checkins.escalation import (
    Chain,
    acknowledge,
    page_chain,
    reminder_chain,
    start,
    timeout,
    unreachable,
)

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
H = timedelta(hours=1)
M = timedelta(minutes=1)


def full_chain() -> Chain:
    return reminder_chain(
        reminded="p1", owner="p2", coordinator="p3", fallback="p4", grace=2 * H, second_grace=2 * H
    )


def test_reminder_escalates_to_the_minute() -> None:
    chain = full_chain()
    step = start(chain, T0)
    assert [n.target.practitioner_id for n in step.notify] == ["p1"]
    assert step.state.next_at == T0 + 2 * H
    assert timeout(chain, step.state, T0 + 2 * H - M).notify == ()
    step = timeout(chain, step.state, T0 + 2 * H)
    assert [(n.target.kind, n.target.practitioner_id) for n in step.notify] == [("owner", "p2")]
    assert step.state.next_at == T0 + 4 * H
    assert timeout(chain, step.state, T0 + 4 * H - M).notify == ()
    step = timeout(chain, step.state, T0 + 4 * H)
    assert [n.target.kind for n in step.notify] == ["coordinator"]
    step = timeout(chain, step.state, T0 + 6 * H)
    assert [n.target.kind for n in step.notify] == ["fallback"]
    assert step.exhausted
    assert step.state.next_at is None
    assert timeout(chain, step.state, T0 + 100 * H).notify == ()


def test_acknowledge_stops_and_is_idempotent() -> None:
    chain = full_chain()
    step = start(chain, T0)
    step = acknowledge(step.state, "p1")
    assert step.state.status == "acknowledged"
    assert step.state.acknowledged_by == "p1"
    assert timeout(chain, step.state, T0 + 10 * H).notify == ()
    assert acknowledge(step.state, "p2").state.acknowledged_by == "p1"


def test_nobody_to_escalate_to_goes_straight_to_fallback() -> None:
    chain = reminder_chain(
        reminded="p1", owner=None, coordinator=None, fallback="p9", grace=2 * H, second_grace=2 * H
    )
    assert [t.kind for t in chain.targets] == ["reminded", "fallback"]
    step = timeout(chain, start(chain, T0).state, T0 + 2 * H)
    assert [n.target.practitioner_id for n in step.notify] == ["p9"]


def test_owner_is_the_reminded_person_is_not_notified_twice() -> None:
    chain = reminder_chain(
        reminded="p1", owner="p1", coordinator="p3", fallback="p3", grace=H, second_grace=H
    )
    assert [(t.kind, t.practitioner_id) for t in chain.targets] == [
        ("reminded", "p1"),
        ("coordinator", "p3"),
    ]
    assert chain.targets[-1].wait is None


def test_unreachable_reminded_goes_to_the_owner_at_once() -> None:
    chain = full_chain()
    step = start(chain, T0)
    step = unreachable(chain, step.state, 0, T0 + M)
    assert [n.target.kind for n in step.notify] == ["owner"]
    assert step.state.next_at == T0 + M + 2 * H
    assert not step.exhausted


def test_a_chain_frozen_before_issue_17_still_jumps_to_the_fallback() -> None:
    old = Chain.from_json(full_chain().to_json().replace('"next"', '"fallback"'))
    step = unreachable(old, start(old, T0).state, 0, T0 + M)
    assert [n.target.kind for n in step.notify] == ["fallback"]
    assert step.exhausted


def test_stale_unreachable_is_ignored() -> None:
    chain = full_chain()
    state = timeout(chain, start(chain, T0).state, T0 + 2 * H).state
    assert unreachable(chain, state, 0, T0 + 2 * H).notify == ()


def test_page_moves_through_rota_then_fallback() -> None:
    chain = page_chain(rota=["p5", "p6"], fallback="p7", timeout=10 * M)
    step = start(chain, T0)
    assert step.notify[0].target.practitioner_id == "p5"
    step = timeout(chain, step.state, T0 + 10 * M)
    assert step.notify[0].target.practitioner_id == "p6"
    step = unreachable(chain, step.state, 1, T0 + 11 * M)  # next at once, not the fallback jump
    assert step.notify[0].target.kind == "fallback"
    assert step.exhausted


def test_page_unreachable_moves_to_next_in_rota() -> None:
    chain = page_chain(rota=["p5", "p6", "p8"], fallback=None, timeout=10 * M)
    step = unreachable(chain, start(chain, T0).state, 0, T0)
    assert step.notify[0].target.practitioner_id == "p6"
    assert step.state.next_at == T0 + 10 * M


def test_empty_rota_pages_fallback() -> None:
    chain = page_chain(rota=[], fallback="p7", timeout=10 * M)
    step = start(chain, T0)
    assert step.notify[0].target.kind == "fallback"
    assert step.exhausted


def test_chain_is_frozen_data() -> None:
    chain = full_chain()
    assert Chain.from_json(chain.to_json()) == chain


@given(
    ids=st.lists(
        st.one_of(st.none(), st.sampled_from(["a", "b", "c", "d", "e"])), min_size=4, max_size=4
    ),
    grace=st.integers(1, 600),
    second=st.integers(1, 600),
)
def test_reminder_chain_property(ids: list[str | None], grace: int, second: int) -> None:
    reminded = ids[0] or "a"
    chain = reminder_chain(
        reminded=reminded,
        owner=ids[1],
        coordinator=ids[2],
        fallback=ids[3],
        grace=grace * M,
        second_grace=second * M,
    )
    pids = [t.practitioner_id for t in chain.targets if t.practitioner_id is not None]
    assert len(pids) == len(set(pids))
    assert chain.targets[0].practitioner_id == reminded
    assert chain.targets[-1].wait is None
    # run to exhaustion by timeouts only: every target notified once, in order, on time
    now = T0
    step = start(chain, now)
    seen = [n.target for n in step.notify]
    while not step.exhausted:
        assert step.state.next_at is not None
        now = step.state.next_at
        step = timeout(chain, step.state, now)
        seen.extend(n.target for n in step.notify)
    assert tuple(seen) == chain.targets
