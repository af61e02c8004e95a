"""A dialog that pages the person on call, run 30 times in a fraction of a second (a double tap,
two colleagues on one crisis, a script): one page goes out; the other requests join it and are
told so. Through the chat layer, the use cases and SQLite."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from bot.app import Relais
from bot.chat.catalog import Catalog
from bot.chat.dialog_registry import DialogRegistry
from bot.chat.service import ChatService
from bot.checkins.service import CheckinService
from bot.clock import FakeClock
from storage.models import CheckinOccurrenceRow
from tests.chat.conftest import CONTENT, World, build_world, chat_content, make_config, texts
from tests.checkins.conftest import CASE, Team

__all__ = ["chat_content"]  # the fixture, used here

PAGE_DIALOG = """\
id: crisis
title: {en: "Alert on call", fr: "Alerter l'astreinte"}
summary: {en: "Pages the on-call psychologist", fr: "Alerte le psychologue d'astreinte"}
audience: [mentor, social_worker, coordinator, psychologist]
tags: [test]
languages: [en, fr]
source: "tests"
status: draft
reviewed_by: ""
start: page
nodes:
  page:
    kind: contact
    text: {en: "The on-call psychologist is being alerted.", fr: "Le psychologue est alerté."}
    roles: [on_call_psychologist]
    page: true
"""


PAGE_LATER = PAGE_DIALOG.replace("start: page", "start: ask").replace(
    "nodes:\n",
    """nodes:
  ask:
    kind: question
    text: {en: "Is someone at risk?", fr: "Quelqu'un est-il en danger ?"}
    options:
      - id: yes
        label: {en: "Yes", fr: "Oui"}
        next: page
""",
)


@pytest.fixture
async def world(
    sqlite_url: str, tmp_path: Path, clock: FakeClock, chat_content: Path
) -> AsyncIterator[World]:
    # the crisis guide of this test pages at once: `/crisis K-1` is the whole dialog
    async for world in _world(sqlite_url, tmp_path, clock, chat_content, PAGE_DIALOG):
        yield world


@pytest.fixture
async def later_world(
    sqlite_url: str, tmp_path: Path, clock: FakeClock, chat_content: Path
) -> AsyncIterator[World]:
    # here the crisis guide asks one question first, then pages
    async for world in _world(sqlite_url, tmp_path, clock, chat_content, PAGE_LATER):
        yield world


async def _world(
    sqlite_url: str, tmp_path: Path, clock: FakeClock, chat_content: Path, dialog: str
) -> AsyncIterator[World]:
    (chat_content / "dialogs" / "crisis.yaml").write_text(dialog, encoding="utf-8")
    config = make_config(sqlite_url, tmp_path)
    async with await Relais.open(config, clock) as relais:
        world = await build_world(relais, config, clock, chat_content)
        checkins = CheckinService(relais, config, clock, on_work=lambda: None)
        service = ChatService(
            relais,
            DialogRegistry.from_content(chat_content),
            Catalog.load(CONTENT),
            clock,
            config,
            checkins=checkins,
        )
        for chat in world.chats.values():
            chat.service = service
        pia = await relais.identify("console", "user-pia")
        assert pia is not None
        async with relais.db.transaction(clock.now()) as tx:  # Pia is on call
            contact = await tx.contacts.add(
                team_id=pia.team_id,
                role="on_call_psychologist",
                key="pia",
                name="Pia",
                phone=None,
                hours=None,
                notes=None,
                practitioner_id=pia.practitioner_id,
                priority=0,
                now=clock.now(),
            )
            await tx.contacts.add_slot(
                team_id=pia.team_id,
                role="on_call_psychologist",
                contact_id=contact,
                starts_at=clock.now() - timedelta(hours=1),
                ends_at=clock.now() + timedelta(hours=24),
                position=0,
            )
        yield world


async def _pages(relais: Relais) -> int:
    async with relais.db.connect() as conn:
        count = await conn.scalar(
            select(func.count())
            .select_from(CheckinOccurrenceRow)
            .where(CheckinOccurrenceRow.kind == "page")
        )
        await conn.rollback()
    return int(count or 0)


async def test_thirty_pages_in_a_burst_become_one(world: World) -> None:

    async def page(chat_name: str) -> str:
        return texts(await world.chat(chat_name).say("/crisis K-1"))

    burst = [page("alex") for _ in range(20)] + [page("cora") for _ in range(10)]
    answers = await asyncio.gather(*burst)
    assert await _pages(world.relais) == 1
    sent = [a for a in answers if "Paging the person on call now" in a]
    joined = [a for a in answers if "already being paged for this" in a]
    assert len(sent) == 1
    assert len(joined) == 29
    # whoever asked second is told who asked first (and is not paged twice)
    first = "Alex" if any("Paging" in a for a in answers[:20]) else "Cora"
    others = answers[20:] if first == "Alex" else answers[:20]
    assert all(f"asked by {first}" in a for a in others)


async def test_a_page_answered_or_given_up_lets_a_new_one_go(world: World) -> None:
    alex = world.chat("alex")
    assert "Paging the person on call now" in texts(await alex.say("/crisis K-1"))
    assert "already being paged" in texts(await alex.say("/crisis K-1"))
    async with world.relais.db.transaction(world.clock.now()) as tx:  # Pia acknowledged
        await tx.conn.execute(update(CheckinOccurrenceRow).values(status="acked"))
    assert "Paging the person on call now" in texts(await alex.say("/crisis K-1"))
    assert await _pages(world.relais) == 2
    # without a case, a page is one per person and role
    assert "Paging the person on call now" in texts(await alex.say("/crisis"))
    assert "already being paged" in texts(await alex.say("/crisis"))
    assert await _pages(world.relais) == 3


async def test_concurrent_pages_on_both_databases_become_one(team: Team) -> None:
    """Thirty requests at once, each in its own transaction (truly concurrent on PostgreSQL):
    the lock on the case makes each see the page the first one started."""
    replies = await asyncio.gather(
        *(team.chat.page_contact(team.mentor, "emergency", CASE) for _ in range(30))
    )
    assert await _pages(team.relais) == 1
    assert sum("Paging the person on call now" in r[0].text for r in replies) == 1
    await team.tick()
    team.take(team.fallback, "Contact requested now")  # one page, not thirty
    team.take(team.mentor, "Nobody on call acknowledged")


async def test_the_page_names_who_asks_without_their_invisible_characters(
    world: World,
) -> None:
    """A message from the outbox (here a page naming who asks) is shown neutralised too."""
    from bot.checkins.dispatcher import CheckinDispatcher
    from tests.checkins.conftest import RecordingChannel

    relais = world.relais
    invite = await relais.create_invite(role="mentor", name="Eve\u202eevil\x1b[2J", team="Team A")
    eve = world.chat("eve", channel="console")
    eve.service = world.chat("alex").service
    await eve.say(f"/start {invite.code}")
    await relais.add_member("K-1", "Eve\u202eevil\x1b[2J", role="mentor")
    assert "Paging the person on call now" in texts(await eve.say("/crisis K-1"))
    console = RecordingChannel("console", world.clock)
    dispatcher = CheckinDispatcher(
        relais.db, world.clock, world.config.checkins, {"console": console}
    )
    await dispatcher.tick()
    [page] = [s for s in console.sent if s.user_id == "user-pia"]
    assert "asked by Eveevil\u241b[2J" in page.reply.text
    assert "\x1b" not in page.reply.text
    assert "\u202e" not in page.reply.text


async def test_a_page_refused_by_its_case_goes_out_without_it(later_world: World) -> None:
    """Taken off the case mid-crisis: the page still goes, about no case (never a refusal)."""
    alex = later_world.chat("alex")
    replies = await alex.say("/crisis K-1")
    assert "Is someone at risk?" in texts(replies)
    await later_world.relais.remove_member("K-1", "Alex")
    replies = await alex.press("Yes")
    assert "Paging the person on call now" in texts(replies), texts(replies)
    async with later_world.relais.db.connect() as conn:
        cases = (await conn.execute(select(CheckinOccurrenceRow.case_id))).scalars().all()
        await conn.rollback()
    assert cases == [None]
