"""Escalation of a missed check-in and of a page, as a pure state machine (no I/O, no clock).

A chain is frozen when the escalation starts (the Grafana OnCall rule): it lists who is notified
in turn and how long each one has to acknowledge before the next is notified. Editing the
schedule afterwards does not change a running chain, because the chain is stored as data with
the occurrence (`Chain.to_json`).

Check-in reminder::

    reminded --(grace)--> case owner --(second grace)--> team coordinator --(second grace)-->
    fallback contact

Page ("notify this contact now")::

    on call for the role --(timeout)--> next in the rota --(timeout)--> ... --> fallback contact

Rules:
- targets that do not exist (no owner, no coordinator, empty rota) and people already in the
  chain are left out when the chain is frozen, so "nobody to escalate to" goes straight to the
  fallback without waiting out a delay for nobody;
- a target that cannot be reached (unreachable on every channel, or a message given up after
  its retries): the escalation moves on to the next person at once, so an undeliverable
  reminder goes to the case owner, not straight to the fallback contact (chains frozen before
  this rule keep their `on_unreachable="fallback"`);
- the fallback contact is terminal: nothing is scheduled after it (`wait is None`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

__all__ = [
    "Chain",
    "EscalationState",
    "Notify",
    "Step",
    "Target",
    "acknowledge",
    "page_chain",
    "reminder_chain",
    "start",
    "timeout",
    "unreachable",
]

TargetKind = Literal["reminded", "owner", "coordinator", "oncall", "fallback"]
Status = Literal["waiting", "acknowledged", "exhausted"]


@dataclass(frozen=True, slots=True)
class Target:
    kind: TargetKind
    #: who to notify; None only for a fallback contact that has no chat identity (a service)
    practitioner_id: str | None
    #: how long this target has to acknowledge before the next is notified; None = terminal
    wait: timedelta | None


@dataclass(frozen=True, slots=True)
class Chain:
    targets: tuple[Target, ...]
    on_unreachable: Literal["next", "fallback"] = "next"

    def to_json(self) -> str:
        return json.dumps(
            {
                "v": 1,
                "on_unreachable": self.on_unreachable,
                "targets": [
                    [t.kind, t.practitioner_id, None if t.wait is None else t.wait.total_seconds()]
                    for t in self.targets
                ],
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str) -> Chain:
        data = json.loads(text)
        if data.get("v") != 1:
            raise ValueError(f"unknown escalation chain format {data.get('v')!r}")
        targets = tuple(
            Target(kind, pid, None if wait is None else timedelta(seconds=wait))
            for kind, pid, wait in data["targets"]
        )
        return cls(targets, data["on_unreachable"])


def _freeze(
    candidates: Sequence[tuple[TargetKind, str | None, timedelta | None]],
    on_unreachable: Literal["next", "fallback"],
) -> Chain:
    seen: set[str] = set()
    targets: list[Target] = []
    for kind, pid, wait in candidates:
        if pid is None and kind != "fallback":
            continue  # nobody in that position: skip it without waiting
        if pid is not None and pid in seen:
            continue
        if pid is not None:
            seen.add(pid)
        targets.append(Target(kind, pid, wait))
    if targets:
        targets[-1] = replace(targets[-1], wait=None)
    return Chain(tuple(targets), on_unreachable)


def reminder_chain(
    *,
    reminded: str,
    owner: str | None,
    coordinator: str | None,
    fallback: str | None,
    grace: timedelta,
    second_grace: timedelta,
) -> Chain:
    """The frozen chain of a check-in reminder (see the module docstring)."""
    return _freeze(
        [
            ("reminded", reminded, grace),
            ("owner", owner, second_grace),
            ("coordinator", coordinator, second_grace),
            ("fallback", fallback, None),
        ],
        "next",
    )


def page_chain(*, rota: Sequence[str], fallback: str | None, timeout: timedelta) -> Chain:
    """The frozen chain of a page: the rota in order (on call now first), then the fallback."""
    return _freeze(
        [*(("oncall", pid, timeout) for pid in rota), ("fallback", fallback, None)], "next"
    )


@dataclass(frozen=True, slots=True)
class EscalationState:
    level: int  # index in the chain of the latest target notified
    status: Status
    next_at: datetime | None  # when to move on if nobody acknowledges; None = nothing scheduled
    acknowledged_by: str | None = None


@dataclass(frozen=True, slots=True)
class Notify:
    level: int
    target: Target


@dataclass(frozen=True, slots=True)
class Step:
    state: EscalationState
    notify: tuple[Notify, ...] = ()
    #: True when this step made the chain run out (the last target was just notified)
    exhausted: bool = False


def _notify(chain: Chain, level: int, now: datetime, notify: tuple[Notify, ...] = ()) -> Step:
    target = chain.targets[level]
    out = (*notify, Notify(level, target))
    if target.wait is None:
        return Step(EscalationState(level, "exhausted", None), out, exhausted=True)
    return Step(EscalationState(level, "waiting", now + target.wait), out)


def start(chain: Chain, now: datetime) -> Step:
    """Notify the first target of the chain."""
    if not chain.targets:
        return Step(EscalationState(-1, "exhausted", None), exhausted=True)
    return _notify(chain, 0, now)


def timeout(chain: Chain, state: EscalationState, now: datetime) -> Step:
    """The timer fired: if the current target's time is up, notify the next one."""
    if state.status != "waiting" or state.next_at is None or now < state.next_at:
        return Step(state)
    return _notify(chain, state.level + 1, now)


def unreachable(chain: Chain, state: EscalationState, level: int, now: datetime) -> Step:
    """The target at `level` could not be reached on any channel: move on without waiting."""
    if state.status != "waiting" or level != state.level:
        return Step(state)
    nxt = state.level + 1
    if chain.on_unreachable == "fallback" and chain.targets[-1].kind == "fallback":
        nxt = len(chain.targets) - 1
    return _notify(chain, nxt, now)


def acknowledge(state: EscalationState, by: str) -> Step:
    """Someone in the chain acknowledged: stop escalating (also after the chain ran out)."""
    if state.status == "acknowledged":
        return Step(state)
    return Step(EscalationState(state.level, "acknowledged", None, by))
