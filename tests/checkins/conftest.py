"""Check-in test harness: a team on a real database, a fake clock, and channels that record.

`RecordingChannel` fails the test on any message nobody expected (left over at the end of the
test, or sent twice under the same idempotency key), so lost and doubled reminders are both
caught: every test must `take()` each message it expects.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

import pytest

from bot.app import Relais
from bot.channels.base import IDENTITY_CHANGED, Handler, SendResult
from bot.chat import checkins as shown
from bot.checkins.dispatcher import CheckinDispatcher, TickReport
from bot.checkins.results import ScheduleState
from bot.checkins.service import CheckinService
from bot.clock import FakeClock, SystemClock
from bot.config import Config, StorageConfig
from bot.messages import Reply
from bot.policy import may_send_to
from bot.usecases.base import Actor

CASE = "K-7F3A"


@dataclass
class Sent:
    user_id: str
    reply: Reply
    key: str | None
    at: datetime


@dataclass
class RecordingChannel:
    name: str
    clock: FakeClock
    sent: list[Sent] = field(default_factory=list)
    unreachable: set[str] = field(default_factory=set)
    failing: set[str] = field(default_factory=set)
    keys: dict[str, int] = field(default_factory=dict)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def start(self, handler: Handler) -> None:
        return None

    async def stop(self) -> None:
        return None

    #: user id -> current master key, as Matrix's trust cache answers it (None: none any more)
    identities: dict[str, str | None] = field(default_factory=dict)

    async def send_to_user(
        self,
        user_id: str,
        reply: Reply,
        idempotency_key: str | None = None,
        *,
        expected_identity: str | None = None,
    ) -> SendResult:
        if user_id in self.unreachable:
            return SendResult("unreachable")
        current = self.identities.get(user_id, expected_identity)
        if not may_send_to(expected_identity, current):
            return SendResult("unreachable", detail=IDENTITY_CHANGED, master_key=current)
        if user_id in self.failing:
            return SendResult("failed")
        assert idempotency_key, "check-in messages always carry an idempotency key"
        self.keys[idempotency_key] = self.keys.get(idempotency_key, 0) + 1
        if self.keys[idempotency_key] > 1:
            pytest.fail(f"message {idempotency_key} sent twice on {self.name}")
        self.sent.append(Sent(user_id, reply, idempotency_key, self.clock.now()))
        self.arrived.set()
        return SendResult("sent", message_id=str(len(self.sent)))


@dataclass
class ShownCheckins:
    """The check-in use cases as the chat layer shows them (`bot.chat.checkins`)."""

    service: CheckinService

    async def handle_button(self, actor: Actor, token: str) -> list[Reply]:
        outcome = await self.service.handle_button(actor, token)
        if isinstance(outcome, ScheduleState):
            return [shown.schedule_reply(actor.language, outcome, token)]
        return [shown.button_reply(actor.language, actor.time_zone, outcome, token)]

    async def handle_command(self, actor: Actor, argument: str) -> list[Reply]:
        result = await self.service.handle_command(actor, argument)
        return [shown.command_reply(actor.language, actor.time_zone, result)]

    async def list_upcoming(self, actor: Actor) -> list[Reply]:
        items = await self.service.list_checkins(actor)
        return [shown.upcoming_reply(actor.language, actor.time_zone, items)]

    async def page_contact(self, actor: Actor, role: str, case_code: str | None) -> list[Reply]:
        return [
            shown.page_reply(
                actor.language, await self.service.page_contact(actor, role, case_code)
            )
        ]


@dataclass
class Team:
    relais: Relais
    clock: FakeClock
    service: CheckinService
    dispatcher: CheckinDispatcher
    telegram: RecordingChannel
    matrix: RecordingChannel
    team_id: str
    case_id: str
    mentor: Actor
    owner: Actor
    coordinator: Actor
    fallback: Actor
    outsider: Actor
    users: dict[str, str]  # practitioner id -> channel user id

    @property
    def chat(self) -> ShownCheckins:
        """The use cases' results as the chat layer shows them."""
        return ShownCheckins(self.service)

    async def tick(self) -> TickReport:
        return await self.dispatcher.tick()

    async def run_until(self, when: datetime) -> None:
        """Advance the fake clock to `when`, ticking at each instant the database names (as the
        timer would), never sleeping."""
        while True:
            nxt = await self.dispatcher.next_wakeup()
            if nxt is None or nxt > when:
                break
            if nxt > self.clock.now():
                self.clock.set(nxt)
            await self.tick()
        if when > self.clock.now():
            self.clock.set(when)
        await self.tick()

    def all_sent(self) -> list[Sent]:
        return sorted([*self.telegram.sent, *self.matrix.sent], key=lambda s: s.at)

    def take(self, who: Actor, contains: str) -> Sent:
        """The one message `who` got containing `contains`; fails if none or several."""
        user = self.users[who.practitioner_id]
        found = [
            (ch, s)
            for ch in (self.telegram, self.matrix)
            for s in ch.sent
            if s.user_id == user and contains in s.reply.text
        ]
        assert len(found) == 1, f"expected one message to {who.name} with {contains!r}: {found}"
        ch, msg = found[0]
        ch.sent.remove(msg)
        return msg

    def assert_quiet(self) -> None:
        left = self.all_sent()
        assert not left, f"unexpected messages: {[(s.user_id, s.reply.text) for s in left]}"


def at_paris(y: int, mo: int, d: int, h: int, mi: int = 0) -> datetime:
    from zoneinfo import ZoneInfo

    return datetime(y, mo, d, h, mi, tzinfo=ZoneInfo("Europe/Paris")).astimezone(UTC)


async def build_team(
    relais: Relais,
    clock: FakeClock,
    *,
    fallback_on_call: bool = True,
    with_coordinator: bool = True,
    owner_is_mentor: bool = False,
    zone: str = "Europe/Paris",
    process_id: str | None = None,
) -> Team:
    now = clock.now()
    users: dict[str, str] = {}
    actors: dict[str, Actor] = {}
    async with relais.db.transaction(now) as tx:
        team = await tx.people.add_team(name="Team A", now=now)
        people: list[tuple[str, list[str], str, str]] = [
            ("mentor", ["mentor"], "telegram", "t-mentor"),
            ("owner", ["coordinator"] if with_coordinator else ["mentor"], "telegram", "t-owner"),
            ("coordinator", ["coordinator"] if with_coordinator else ["mentor"], "matrix", "@c:x"),
            ("fallback", ["psychologist"], "telegram", "t-fallback"),
            ("outsider", ["mentor"], "telegram", "t-outsider"),
        ]
        for name, roles, channel, user in people:
            pid = await tx.people.add(
                team_id=team.id, name=name, roles=roles, language="en", time_zone=zone, now=now
            )
            await tx.people.bind(practitioner_id=pid, channel=channel, user_id=user, now=now)
            users[pid] = user
            actors[name] = Actor(pid, name, frozenset(roles), team.id, "en", zone)
            clock.advance(timedelta(seconds=1))  # created_at orders the coordinators
        owner = actors["mentor"] if owner_is_mentor else actors["owner"]
        case = await tx.cases.add(
            code=CASE, team_id=team.id, owner_id=owner.practitioner_id, now=now
        )
        await tx.cases.put_member(
            case_id=case.id,
            practitioner_id=actors["mentor"].practitioner_id,
            role="mentor",
            now=now,
        )
        if fallback_on_call:
            contact = await tx.contacts.add(
                team_id=team.id,
                role="emergency",
                key="duty",
                name="Duty psychologist",
                phone="+33100000000",
                hours="24/7",
                notes=None,
                practitioner_id=actors["fallback"].practitioner_id,
                priority=0,
                now=now,
            )
            await tx.contacts.add_slot(
                team_id=team.id,
                role="emergency",
                contact_id=contact,
                starts_at=now - timedelta(days=1),
                ends_at=now + timedelta(days=800),
                position=0,
            )
    clock.set(now)
    telegram = RecordingChannel("telegram", clock)
    matrix = RecordingChannel("matrix", clock)
    service = CheckinService(relais, relais.config, clock, on_work=lambda: None)
    dispatcher = CheckinDispatcher(
        relais.db,
        clock,
        relais.config.checkins,
        {"telegram": telegram, "matrix": matrix},
        process_id=process_id or "test-1",
    )
    return Team(
        relais,
        clock,
        service,
        dispatcher,
        telegram,
        matrix,
        team.id,
        case.id,
        actors["mentor"],
        owner,
        actors["coordinator"],
        actors["fallback"],
        actors["outsider"],
        users,
    )


TeamFactory = Callable[..., "AsyncIterator[Team]"]
Backend = Literal["sqlite", "postgres"]


@pytest.fixture
def start_clock(clock: FakeClock) -> FakeClock:
    clock.set(datetime(2026, 1, 4, 12, 0, tzinfo=UTC))  # a Sunday
    return clock


@pytest.fixture
async def team(relais: Relais, start_clock: FakeClock) -> AsyncIterator[Team]:
    built = await build_team(relais, start_clock)
    yield built
    built.assert_quiet()


@pytest.fixture
async def sqlite_relais(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Relais:
    """An application on a fresh SQLite database, with the system clock (process tests)."""
    for name in ("RELAIS_DATABASE_URL", "RELAIS_KEYS", "RELAIS_AUDIT_SECRET", "RELAIS_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    config = Config(data_dir=str(tmp_path / "data"), storage=StorageConfig(url=sqlite_url))
    return await Relais.open(config, SystemClock())
