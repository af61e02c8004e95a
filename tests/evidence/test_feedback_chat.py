""" "Did this help?" through the chat layer on a real database: asked at the end of a dialog,
not on a crisis path before help was reached nor with an emergency screen, never as an answer
to /sos; stored with the dialog, version, language and day only, the comment encrypted; the
counts for psychologists and coordinators, the comments for psychologists only."""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.app import Relais
from bot.cli import main
from bot.clock import FakeClock
from bot.errors import NotAllowed
from storage.models import AuditEntryRow
from storage.models.feedback import FeedbackRow
from tests.chat.conftest import World, build_world, chat_content, make_config, texts

HERE = Path(__file__).resolve().parent
QUESTION = "Did this help?"
__all__ = ["chat_content"]  # a fixture


@pytest.fixture
async def world(
    sqlite_url: str, tmp_path: Path, clock: FakeClock, chat_content: Path
) -> AsyncIterator[World]:
    for name in ("risky.yaml", "helper.yaml"):
        shutil.copy(HERE / name, chat_content / "dialogs" / name)
    config = make_config(sqlite_url, tmp_path)
    async with await Relais.open(config, clock) as relais:
        yield await build_world(relais, config, clock, chat_content)


async def _rows(world: World) -> list[sa.Row[tuple[object, ...]]]:
    async with world.relais.db.connect() as conn:
        rows = list((await conn.execute(sa.select(FeedbackRow))).all())
        await conn.rollback()
    return rows


async def _talk_to_the_end(world: World, name: str = "alex") -> None:
    chat = world.chat(name)
    await chat.say("/crisis")
    await chat.press("A difficult talk")
    await chat.say("He shouted about his brother's funeral")
    await chat.press("No")  # no note
    await chat.press("No")  # no check-in


async def test_asked_at_the_end_stored_without_a_person_comment_encrypted(world: World) -> None:
    alex = world.chat("alex")
    await _talk_to_the_end(world)
    assert "Thank you. Take care of yourself too." in texts(alex.last)
    assert alex.last[-1].text == QUESTION
    assert alex.buttons() == ["Yes", "Partly", "No"]
    replies = await alex.press("Partly")
    assert "type a comment now (optional)" in texts(replies)
    assert "never with your name" in texts(replies)
    replies = await alex.say("canary-9f2e the contacts list was out of date")
    assert "your comment is saved" in texts(replies)

    [row] = await _rows(world)
    assert set(FeedbackRow.__table__.columns.keys()) == {
        "id",
        "day",
        "dialog_id",
        "dialog_version",
        "lang",
        "answer",
        "comment_enc",
    }
    assert (row.dialog_id, row.dialog_version, row.lang, row.answer) == (
        "crisis",
        1,
        "en",
        "partly",
    )
    assert row.day == world.clock.now().date()
    assert b"canary-9f2e" not in row.comment_enc
    # nothing in the audit log ties the answer to Alex: no entry for giving it at all
    async with world.relais.db.connect() as conn:
        actions = set((await conn.execute(sa.select(AuditEntryRow.action))).scalars())
        logged = b"".join(
            (detail or "").encode()
            for detail in (await conn.execute(sa.select(AuditEntryRow.detail))).scalars()
        )
        await conn.rollback()
    assert not {a for a in actions if a.startswith("feedback.")}
    assert row.id.encode() not in logged
    # the next message is an ordinary one again
    assert "your comment is saved" not in texts(await alex.say("hello"))

    pia = await world.relais.identify("console", "user-pia")
    cora = await world.relais.identify("console", "user-cora")
    assert pia is not None
    assert cora is not None
    [comment] = await world.relais.feedback_comments(pia, "crisis")
    assert comment.comment == "canary-9f2e the contacts list was out of date"
    assert comment.answer == "partly"
    window = await world.relais.feedback_counts(cora, "crisis")
    assert [(c.answer, c.count) for c in window.counts] == [("partly", 1)]
    with pytest.raises(NotAllowed):
        await world.relais.feedback_comments(cora, "crisis")
    alex_actor = await world.relais.identify("console", "user-alex")
    assert alex_actor is not None
    with pytest.raises(NotAllowed):
        await world.relais.feedback_counts(alex_actor)


async def test_no_comment_and_french(world: World) -> None:
    sam = world.chat("sam")
    await sam.say("/lang fr")
    await sam.say("/crisis")
    await sam.press("Une discussion difficile")
    await sam.say("Il a crié")
    await sam.press("Non")
    await sam.press("Non")
    assert sam.last[-1].text == "Est-ce que cela vous a aidé ?"
    assert sam.buttons() == ["Oui", "En partie", "Non"]
    replies = await sam.press("Oui")
    assert "écrivez un commentaire maintenant (facultatif)" in texts(replies)
    assert texts(await sam.press("Pas de commentaire")) == "Merci."
    [row] = await _rows(world)
    assert (row.answer, row.lang, row.comment_enc) == ("yes", "fr", None)


async def test_not_asked_with_an_emergency_screen_or_after_cancel(world: World) -> None:
    alex = world.chat("alex")
    await alex.say("/crisis")
    replies = await alex.press("Emergency contacts")  # the dialog ends on the contacts
    assert "112" in texts(replies)
    assert QUESTION not in texts(replies)
    await alex.say("/crisis")
    await alex.press("A difficult talk")
    replies = await alex.say("/cancel")
    assert QUESTION not in texts(replies)
    assert await _rows(world) == []


async def test_sos_is_never_interrupted(world: World) -> None:
    alex = world.chat("alex")
    await alex.say("/crisis")
    await alex.press("A difficult talk")
    replies = await alex.say("/sos")
    assert "112" in texts(replies)
    assert QUESTION not in texts(replies)
    await alex.say("Angry after the hearing")
    await alex.press("No")
    replies = await alex.press("No")
    # /sos showed the contacts, but no risk was taken: the end asks as usual
    assert replies[-1].text == QUESTION
    assert QUESTION not in texts(await alex.say("/sos"))


async def test_not_asked_on_a_risk_path_before_help_was_reached(world: World) -> None:
    alex = world.chat("alex")  # a mentor: the goto into `helper` is skipped, the dialog ends
    await alex.say("/dialogs")
    await alex.press("Risky test")
    replies = await alex.press("Maybe")
    assert "Done." in texts(replies)  # finished, without any help shown
    assert "112" not in texts(replies)
    assert QUESTION not in texts(replies)

    # a risk path that reached the emergency contacts, then ended: asked
    await alex.say("/dialogs")
    await alex.press("Risky test")
    replies = await alex.press("Yes")
    assert "112" in texts(replies)
    assert QUESTION not in texts(replies)  # not beside the emergency screen
    replies = await alex.press("Reached")
    assert replies[-1].text == QUESTION

    # no risk at all: asked
    await alex.say("/dialogs")
    await alex.press("Risky test")
    replies = await alex.press("No")
    assert replies[-1].text == QUESTION
    assert await _rows(world) == []  # nothing stored until an answer is given


async def test_a_stale_answer_button_stores_nothing(world: World) -> None:
    alex = world.chat("alex")
    await _talk_to_the_end(world)
    stale = [b.token for b in alex.last[-1].buttons]
    await alex.say("/crisis")  # a new conversation: the question is left behind
    replies = await alex.send(button=stale[0])
    assert "expired" in texts(replies)
    assert await _rows(world) == []


async def test_feedback_command_counts_for_coordinators_comments_for_psychologists(
    world: World,
) -> None:
    for answer in ("Yes",) * 5 + ("No",):
        await _talk_to_the_end(world)
        await world.chat("alex").press(answer)
    await world.chat("alex").say("canary-c0mment nobody answered the on-call number")
    pia = texts(await world.chat("pia").say("/feedback crisis"))
    assert "crisis v1 (en): yes 5 · partly 0 · no < 5" in pia
    assert "Comments (never with who wrote them):" in pia
    assert "• crisis v1, No: canary-c0mment nobody answered the on-call number" in pia
    assert "Alex" not in pia
    cora = texts(await world.chat("cora").say("/feedback crisis"))
    assert "yes 5 · partly 0 · no < 5" in cora
    assert "canary-c0mment" not in cora
    assert (
        "your role does not allow that"
        in texts(await world.chat("alex").say("/feedback crisis")).lower()
    )
    assert "No answer" in texts(await world.chat("pia").say("/feedback risky"))


async def test_stats_show_feedback_with_the_figures(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`/stats` and `relais stats` (text, JSON, picture) show the answers beside the usage
    figures, small numbers as "< 5"; the comments only to psychologists in the chat, never to
    coordinators nor on the command line, never with who wrote them."""
    for answer in ("Yes",) * 6 + ("Partly",):
        await _talk_to_the_end(world)
        await world.chat("alex").press(answer)
    await world.chat("alex").say("canary-st4ts the number was busy")

    pia = texts(await world.chat("pia").say("/stats crisis"))
    assert "How guidance is used" in pia
    assert "crisis v1 (en): yes 6 · partly < 5 · no 0" in pia
    assert "• crisis v1, Partly: canary-st4ts the number was busy" in pia
    assert "Alex" not in pia
    cora = texts(await world.chat("cora").say("/stats"))
    assert "yes 6 · partly < 5 · no 0" in cora
    assert "canary-st4ts" not in cora

    config = tmp_path / "relais.toml"
    config.write_text(
        f'data_dir = "{tmp_path / "data"}"\ncontent_dir = "{tmp_path / "content"}"\n'
        f'[storage]\nurl = "{world.config.storage.url}"\n'
    )
    base = ["--config", str(config), "stats", "--since", "3650d"]
    capsys.readouterr()
    assert await asyncio.to_thread(main, [*base, "crisis", "--json"]) == 0
    value = json.loads(capsys.readouterr().out)
    assert value["feedback"] == [
        {"dialog": "crisis", "version": 1, "lang": "en", "yes": 6, "partly": "< 5", "no": 0}
    ]
    assert await asyncio.to_thread(main, [*base]) == 0
    text = capsys.readouterr().out
    assert '"Did this help?" answers' in text
    assert "yes 6 · partly < 5 · no 0" in text
    dot = tmp_path / "crisis.dot"
    code = await asyncio.to_thread(main, [*base, "crisis", "--format", "dot", "-o", str(dot)])
    assert code == 0
    assert "Did this help? yes 6 · partly < 5 · no 0" in dot.read_text()
    everything = text + json.dumps(value) + dot.read_text()
    assert "canary-st4ts" not in everything
    assert "Alex" not in everything
