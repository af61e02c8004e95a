"""Usage figures end to end: practitioners walk dialogs through the chat layer (the path every
channel takes) on a real database, then `relais stats` shows exact figures, "< 5" below the
threshold, and nothing in storage tells one person's walk from another's. SQLite and
PostgreSQL (RELAIS_TEST_POSTGRES)."""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from bot.app import Relais
from bot.chat.usage import FLUSH_EVERY
from bot.cli import main
from bot.clock import FakeClock
from tests.chat.conftest import CONTENT, DATA, Chat, World, build_world, make_config

HERE = Path(__file__).resolve().parent


@pytest.fixture
def content(tmp_path: Path) -> Path:
    folder = tmp_path / "content"
    shutil.copytree(DATA, folder)  # the chat tests' small crisis dialog
    shutil.copy(HERE / "usage_data" / "helper.yaml", folder / "dialogs" / "helper.yaml")
    shutil.copy(CONTENT / "contact_roles.yaml", folder / "contact_roles.yaml")
    shutil.copytree(CONTENT / "catalog", folder / "catalog")
    return folder


@pytest.fixture
async def world(
    database_url: str, tmp_path: Path, clock: FakeClock, content: Path
) -> AsyncIterator[World]:
    config = make_config(database_url, tmp_path)
    async with await Relais.open(config, clock) as relais:
        yield await build_world(relais, config, clock, content)


async def option(chat: Chat, option_id: str) -> None:
    """Press the dialog option `option_id` among the buttons last shown."""
    for reply in chat.last:
        for button in reply.buttons:
            if button.token.startswith("d.") and button.token.endswith(f".{option_id}"):
                await chat.send(button=button.token)
                return
    raise AssertionError(f"no option {option_id} in {[r.text for r in chat.last]}")


async def talk_walk(world: World, chat: Chat) -> None:
    """/crisis -> a difficult talk (after 45 s) -> answer -> no note -> no check-in -> end."""
    await chat.say("/crisis")
    world.clock.advance(timedelta(seconds=45))
    await option(chat, "talk")
    await chat.say("it went badly")
    await option(chat, "no")
    await option(chat, "no")
    assert "Take care of yourself" in "\n".join(r.text for r in chat.last)


async def usage_rows(relais: Relais) -> dict[tuple[Any, ...], int]:
    async with relais.db.connect() as conn:
        rows = (await conn.execute(sa.text("SELECT * FROM usage_counts"))).mappings().all()
        referrals = (await conn.execute(sa.text("SELECT * FROM referral_counts"))).mappings().all()
    found: dict[tuple[Any, ...], int] = {}
    for row in [*rows, *referrals]:
        key = tuple(sorted((k, str(v)) for k, v in row.items() if k != "count"))
        found[key] = int(row["count"])
    return found


async def walk_everything(world: World) -> None:
    alex, sam, cora = world.chat("alex"), world.chat("sam"), world.chat("cora")
    for chat in (alex, sam, alex, sam, alex, sam):
        await talk_walk(world, chat)
    for chat in (alex, sam):  # straight to the emergency contacts
        await chat.say("/crisis")
        await option(chat, "sos")
    await alex.say("/crisis")
    await alex.say("/cancel")
    await sam.say("/crisis")  # left for another dialog
    await sam.say("/dialogs")
    await sam.press("o.helper")
    await option(sam, "nothing")
    await alex.say("/dialogs")  # a page of the on-call psychologist
    await alex.press("o.helper")
    await option(alex, "oncall")
    await alex.say("/dialogs")  # into the crisis dialog by goto, to its emergency screen
    await alex.press("o.helper")
    await option(alex, "crisis")
    await option(alex, "sos")
    await cora.say("/sos")  # outside any dialog
    await sam.say("/crisis")  # /sos from a question, then the conversation expires
    await sam.say("/sos")
    await world.service.usage.flush()
    world.clock.advance(world.config.sessions.expiry + timedelta(minutes=1))
    assert await world.relais.expire_sessions() >= 1


async def test_figures_are_exact_and_small_ones_hidden(world: World) -> None:
    await walk_everything(world)
    report = await world.relais.usage_stats("crisis")
    [crisis] = report.versions
    assert (crisis.dialog_id, crisis.version, crisis.lang) == ("crisis", 1, "en")
    first = crisis.nodes["first"]
    assert first.visits.shown() == "12"
    assert first.choices["talk"].shown() == "6"
    assert first.choices["sos"].count == 3
    assert first.choices["sos"].shown() == "< 5"
    assert {k: f.count for k, f in first.exits.items()} == {
        "cancelled": 1,
        "abandoned": 1,
        "timeout": 1,
    }
    assert first.sos is not None
    assert first.sos.count == 1
    assert first.median_time == "60"  # six waited 45 s, five moved on at once
    assert crisis.nodes["done"].exits["completed"].shown() == "6"
    assert crisis.nodes["note"].choices["no"].shown() == "6"
    emergency = crisis.nodes["emergency"]
    assert emergency.visits.count == 3
    assert emergency.emergency is not None
    assert emergency.emergency.count == 3
    assert emergency.exits["completed"].count == 2  # the third went back to `helper`

    helper = (await world.relais.usage_stats("helper")).versions[0].nodes
    assert helper["first"].visits.count == 3
    assert helper["page"].pages["on_call_psychologist"].count == 1
    assert helper["bye"].exits["completed"].count == 3

    [every] = [r for r in await world.relais.referrals_by_team() if r.team_id is None]
    rows = {(r.dialog_id, r.entry, r.kind): r.count.count for r in every.rows}
    assert rows == {
        ("crisis", "crisis", "emergency"): 2,
        ("crisis", "sos", "emergency"): 1,
        ("crisis", "goto", "emergency"): 1,
        ("", "sos", "emergency"): 1,
        ("helper", "button", "page"): 1,
    }
    assert every.emergency.shown() == "5"
    assert every.pages.shown() == "< 5"


async def test_relais_stats_command(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await walk_everything(world)
    config = tmp_path / "relais.toml"
    config.write_text(
        f'data_dir = "{tmp_path / "data"}"\ncontent_dir = "{tmp_path / "content"}"\n'
        f'[storage]\nurl = "{world.config.storage.url}"\n'
    )
    base = ["--config", str(config), "stats", "--since", "3650d"]  # the fake clock is in 2026-01
    capsys.readouterr()
    assert await asyncio.to_thread(main, [*base, "crisis", "--json"]) == 0
    value = json.loads(capsys.readouterr().out)
    first = value["dialogs"][0]["nodes"]["first"]
    assert first["visits"] == 12
    assert first["choices"] == {"sos": "< 5", "talk": 6}
    assert first["exits"] == {"abandoned": "< 5", "cancelled": "< 5", "timeout": "< 5"}
    assert first["median_time"] == "30 s – 1 min"
    assert value["referrals"]["emergency_screens"] == "< 5"  # crisis only: 4
    assert await asyncio.to_thread(main, [*base]) == 0
    text = capsys.readouterr().out
    assert "visits 12; chose: sos < 5, talk 6" in text
    assert "emergency screen 5" in text
    dot = tmp_path / "crisis.dot"
    code = await asyncio.to_thread(main, [*base, "crisis", "--format", "dot", "-o", str(dot)])
    assert code == 0
    drawn = dot.read_text()
    assert "visits 12" in drawn
    assert "stopped here: abandoned < 5, cancelled < 5, timeout < 5" in drawn
    assert "(< 5)" in drawn
    assert "(6)" in drawn
    assert "visits 3" not in drawn  # the emergency screen: 3 visits read "< 5"
    if shutil.which("dot"):
        svg = tmp_path / "crisis.svg"
        args = [*base, "crisis", "--format", "svg", "-o", str(svg)]
        assert await asyncio.to_thread(main, args) == 0
        assert svg.read_text().lstrip().startswith(("<?xml", "<svg"))


async def test_two_peoples_walks_are_indistinguishable(world: World) -> None:
    """The same walk by two people adds exactly the same counts to exactly the same rows, and
    no stored value names a person, a chat or a case."""
    await talk_walk(world, world.chat("alex"))
    await world.service.usage.flush()
    after_alex = await usage_rows(world.relais)
    assert after_alex
    await talk_walk(world, world.chat("sam"))
    await world.service.usage.flush()
    after_both = await usage_rows(world.relais)
    assert set(after_both) == set(after_alex)
    assert after_both == {key: 2 * count for key, count in after_alex.items()}
    people = await world.relais.list_practitioners()
    traces = {"alex", "sam", "user-", "chat-", "k-1", "console"}
    traces |= {p.id.lower() for p, _team in people} | {p.name.lower() for p, _team in people}
    for key in after_both:
        for _column, value in key:
            assert not any(trace in value.lower() for trace in traces), (key, value)


async def test_counts_are_written_in_the_background(world: World) -> None:
    """Nobody calls flush: once FLUSH_EVERY has passed, a turn hands the counts kept so far
    to a background task, and they reach the day totals."""
    alex = world.chat("alex")
    await alex.say("/crisis")
    await alex.say("/cancel")
    assert await usage_rows(world.relais) == {}  # kept in memory: the reply did not write
    world.clock.advance(FLUSH_EVERY + timedelta(seconds=1))
    await alex.say("/crisis")
    for _ in range(200):  # the task runs beside the conversation
        if await usage_rows(world.relais):
            break
        await asyncio.sleep(0.01)
    report = await world.relais.usage_stats("crisis")
    first = report.versions[0].nodes["first"]
    assert first.exits["cancelled"].count == 1
    assert first.visits.count == 2


async def test_a_walk_across_midnight_counts_on_each_day(world: World) -> None:
    """Each count goes to the day (UTC) its step was taken: a conversation that crosses
    midnight is shown on both days, and the clock going back is followed too."""
    alex = world.chat("alex")
    world.clock.set(datetime(2026, 3, 1, 23, 59, 50, tzinfo=UTC))
    await alex.say("/crisis")  # the first question shown on 1 March
    world.clock.advance(timedelta(seconds=20))
    await option(alex, "talk")  # chosen on 2 March, after 20 s
    world.clock.set(datetime(2026, 3, 1, 12, 0, tzinfo=UTC))
    await alex.say("/cancel")  # (a clock set back) left on 1 March
    await world.service.usage.flush()
    days: dict[tuple[str, str, str], str] = {}
    for key in await usage_rows(world.relais):
        row = dict(key)
        days[(row["node_id"], row["measure"], row["item"])] = row["day"]
    assert days[("first", "visit", "")] == "2026-03-01"
    assert days[("first", "choice", "talk")] == "2026-03-02"
    assert days[("first", "time", "20")] == "2026-03-02"
    exits = [k for k in days if k[1] == "exit"]
    assert exits, days
    assert all(days[k] == "2026-03-01" for k in exits), days


async def test_stats_in_chat_for_psychologists_and_coordinators(world: World) -> None:
    await walk_everything(world)
    pia, cora, alex = world.chat("pia"), world.chat("cora"), world.chat("alex")
    replies = await pia.say("/stats crisis")
    text = replies[0].text
    assert "crisis version 1 (en): started 12" in text
    assert "• first: visits 12; chose sos < 5, talk 6" in text
    assert "stopped: left for another guide < 5, cancelled < 5, timed out < 5" in text
    assert "median time 30 s – 1 min" in text
    assert "• emergency: visits < 5" in text
    if shutil.which("dot"):
        assert replies[1].attachment is not None
        name, data = replies[1].attachment
        assert name == "crisis.png"
        assert data.startswith(b"\x89PNG")
    # the referral counts of the team this (fake) month: 5 emergency screens, 1 page
    assert "1 conversation" not in text
    assert "< 5 conversation(s) reached a page of a human, 5 an emergency screen" in text
    overview = texts_of(await cora.say("/stats"))
    assert overview.startswith("How guidance is used: every guide, last 30 days"), overview
    assert "crisis version 1 (en): started 12" in overview
    assert "helper version 1 (en): started < 5" in overview
    assert "• first" not in overview  # per node only for one dialog
    await pia.say("/lang fr")
    french = texts_of(await pia.say("/stats crisis"))
    assert texts_of(await pia.say("/stats")).startswith("Usage des guides : tous les guides")
    assert "• first : passages 12 ; choix sos < 5, talk 6" in french
    assert "écrans d'urgence" in french
    refused = texts_of(await alex.say("/stats crisis"))
    assert "visits" not in refused
    assert world.service.catalog.text("en", "not_allowed_role") in refused


def texts_of(replies: list[Any]) -> str:
    return "\n".join(reply.text for reply in replies)


async def test_a_conversation_found_expired_counts_a_timeout(world: World) -> None:
    """The chat's next message finds its conversation expired (before any housekeeping): it
    is counted as a timeout where it stood, once."""
    alex = world.chat("alex")
    await alex.say("/crisis")
    await option(alex, "talk")
    world.clock.advance(world.config.sessions.expiry + timedelta(minutes=1))
    await alex.say("/help")
    assert await world.relais.expire_sessions() == 0  # already gone: not counted twice
    await world.service.usage.flush()
    nodes = (await world.relais.usage_stats("crisis")).versions[0].nodes
    assert nodes["ask"].exits["timeout"].count == 1
    assert "timeout" not in nodes["first"].exits


async def test_sos_while_the_chat_is_busy_is_a_referral(world: World) -> None:
    alex = world.chat("alex")
    await alex.say("/crisis")
    lock = world.service._locks[("console", "chat-user-alex")]
    async with lock:  # another message of the chat is being handled
        replies = await alex.say("/sos")
    assert "112" in texts_of(replies)
    await world.service.usage.flush()
    [every] = [r for r in await world.relais.referrals_by_team() if r.team_id is None]
    assert {(r.dialog_id, r.entry, r.kind): r.count.count for r in every.rows} == {
        ("crisis", "sos", "emergency"): 1
    }


async def test_figures_per_team_never_reveal_a_team_of_one(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Counts are kept per team (a team is not a person); the small-number rule applies to
    each team's cell, and the programme's total is withheld where, less the team figures
    shown beside it, it would give a team of one away."""
    relais = world.relais
    invite = await relais.create_invite(role="mentor", name="Solo Canary", team="Solo")
    solo = world.chat("solo")
    await solo.say(f"/start {invite.code}")
    for chat in (world.chat("alex"), world.chat("sam")) * 3 + (solo,) * 3:
        await talk_walk(world, chat)
    await world.service.usage.flush()

    async with relais.db.connect() as conn:
        teams: dict[str, str] = dict(
            (await conn.execute(sa.text("SELECT name, id FROM teams"))).all()
        )
        counted = (
            await conn.execute(
                sa.text(
                    "SELECT team_id, SUM(count) FROM usage_counts WHERE measure = 'visit' "
                    "AND node_id = 'first' GROUP BY team_id"
                )
            )
        ).all()
        await conn.rollback()
    assert {row[0]: row[1] for row in counted} == {teams["Team A"]: 6, teams["Solo"]: 3}

    config = tmp_path / "relais.toml"
    config.write_text(
        f'data_dir = "{tmp_path / "data"}"\ncontent_dir = "{tmp_path / "content"}"\n'
        f'[storage]\nurl = "{world.config.storage.url}"\n'
    )
    base = ["--config", str(config)]
    capsys.readouterr()
    stats = [*base, "stats", "crisis", "--since", "3650d", "--json"]
    assert await asyncio.to_thread(main, [*stats, "--team", "Solo"]) == 0
    solo_figures = json.loads(capsys.readouterr().out)
    first = solo_figures["dialogs"][0]["nodes"]["first"]
    assert first["visits"] == "< 5"  # the lone mentor's three walks
    assert first["choices"] == {"talk": "< 5"}
    assert await asyncio.to_thread(main, [*stats, "--team", "Team A"]) == 0
    assert json.loads(capsys.readouterr().out)["dialogs"][0]["nodes"]["first"]["visits"] == 6
    # every team together: 9 less Team A's 6 would be the lone mentor's 3 walks
    assert await asyncio.to_thread(main, stats) == 0
    first = json.loads(capsys.readouterr().out)["dialogs"][0]["nodes"]["first"]
    assert first["visits"] == "withheld"
    assert first["choices"] == {"talk": "withheld"}
    assert await asyncio.to_thread(main, stats[:-1]) == 0
    assert "visits withheld; chose: talk withheld" in capsys.readouterr().out
    # and so in the chat, in the practitioner's language
    pia = world.chat("pia")
    english = texts_of(await pia.say("/stats crisis"))
    assert "crisis version 1 (en): started withheld" in english
    assert "• first: visits withheld; chose talk withheld" in english
    assert "9" not in english.split("crisis version 1")[1].split("Your team")[0]
    await pia.say("/lang fr")
    french = texts_of(await pia.say("/stats crisis"))
    assert texts_of(await pia.say("/stats")).startswith("Usage des guides : tous les guides")
    assert "• first : passages non communiqué ; choix talk non communiqué" in french
    assert await asyncio.to_thread(main, [*stats, "--team", "Nobody"]) == 1
    assert "no team named 'Nobody'" in capsys.readouterr().err

    shutil.copytree(CONTENT / "templates", tmp_path / "content" / "templates")
    month = world.clock.now().strftime("%Y-%m")
    out = tmp_path / "report.md"
    report = [*base, "report", "evaluation", "--month", month, "--format", "md", "-o", str(out)]
    assert await asyncio.to_thread(main, report) == 0
    text = out.read_text(encoding="utf-8")
    team_a = text.split("## Team: Team A")[1].split("## Team:")[0]
    lone = text.split("## Team: Solo")[1].split("## Team:")[0]
    opened = "Dialogs opened by the team, by situation"
    assert opened in team_a
    assert opened in lone
    crisis = [line for line in lone.splitlines() if line.startswith("| ") and "< 5" in line]
    assert crisis, lone  # the lone mentor's dialogs read "< 5"
    assert "| 3 |" not in text  # neither in the team nor by subtraction from the programme
    programme = text.split("## Team:")[0]
    assert "| withheld (it would give a small figure away) |" in programme
    assert "Solo Canary" not in text
    # Team A's coordinator sees Team A and the programme: the programme's total less Team A's
    # would be the lone mentor's three walks, so it is withheld there too
    mine = [*report[:-2], "--as", "Cora", "-o", str(tmp_path / "mine.md")]
    assert await asyncio.to_thread(main, mine) == 0
    own = (tmp_path / "mine.md").read_text(encoding="utf-8")
    assert "## Team: Solo" not in own
    assert "| 9 |" not in own
    assert "withheld" in own.split("## Team:")[0]


async def test_referrals_per_team_never_reveal_a_small_team_by_subtraction(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Team A's 6 pages and a small team's 3: `relais stats --team` shows each team's (the
    small one "< 5"), so `relais stats` withholds every team's together (9 less 6 is 3), and
    the evaluation report and `/stats` read each team's figure as `relais stats --team`."""
    relais = world.relais
    await relais.ensure_team("Solo")
    async with relais.db.connect() as conn:
        teams: dict[str, str] = dict(
            (await conn.execute(sa.text("SELECT name, id FROM teams"))).all()
        )
        await conn.rollback()
    day = world.clock.now().date().isoformat()
    await relais.record_usage(
        {},
        {
            (day, teams["Team A"], "crisis", "crisis", "page"): 6,
            (day, teams["Solo"], "crisis", "crisis", "page"): 3,
            (day, teams["Team A"], "crisis", "sos", "emergency"): 7,
        },
    )
    config = tmp_path / "relais.toml"
    config.write_text(
        f'data_dir = "{tmp_path / "data"}"\ncontent_dir = "{tmp_path / "content"}"\n'
        f'[storage]\nurl = "{world.config.storage.url}"\n'
    )
    base = ["--config", str(config)]
    stats = [*base, "stats", "--since", "3650d"]
    capsys.readouterr()
    outputs = {}
    for team in (None, "Team A", "Solo"):
        view = [] if team is None else ["--team", team]
        assert await asyncio.to_thread(main, [*stats, *view, "--json"]) == 0
        outputs[team] = json.loads(capsys.readouterr().out)["referrals"]
        assert await asyncio.to_thread(main, [*stats, *view]) == 0
        outputs[team]["text"] = capsys.readouterr().out
    assert outputs["Team A"]["pages"] == 6
    assert outputs["Solo"]["pages"] == "< 5"
    assert outputs[None]["pages"] == "withheld"  # not 9
    assert outputs[None]["emergency_screens"] == 7
    assert [r["count"] for r in outputs[None]["by_dialog_and_entry"]] == ["withheld", 7]
    assert "a page of a human withheld" in outputs[None]["text"]
    assert " 9" not in outputs[None]["text"]
    assert " 3" not in "".join(o["text"] for o in outputs.values())

    shutil.copytree(CONTENT / "templates", tmp_path / "content" / "templates")
    month = world.clock.now().strftime("%Y-%m")
    out = tmp_path / "report.md"
    report = [*base, "report", "evaluation", "--month", month, "--format", "md", "-o", str(out)]
    assert await asyncio.to_thread(main, report) == 0
    text = out.read_text(encoding="utf-8")
    solo = text.split("## Team: Solo")[1].split("## Team:")[0]
    assert "| 3 |" not in text
    assert "< 5" in solo
    assert "| 6 |" in text.split("## Team: Team A")[1].split("## Team:")[0]

    replies = "\n".join(r.text for r in await world.chat("pia").say("/stats"))
    assert "6 conversation(s) reached a page of a human, 7 an emergency screen" in replies


def test_a_conversations_marker_is_short_and_unreadable_ones_count_nothing() -> None:
    """`ChatSession.usage` is saved at every turn: one short string. A marker from before this
    format (a dict) or a damaged one is dropped, never an error: the conversation's figures
    go on from its next node."""
    from bot.chat.session import ChatSession
    from bot.chat.usage import _marker

    assert _marker("c.1764900000000.pe") == ("c", 1764900000000, "pe")
    assert _marker("b..e") == ("b", 0, "e")
    for damaged in ("", "c.12", "c.12x.", "c.1.2.3", "c.1,5."):
        assert _marker(damaged) == ("", 0, "")
    earlier = {"format": ChatSession().to_dict()["format"], "usage": {"d": "crisis", "t": 1.5}}
    assert ChatSession.from_dict(earlier).usage == ""
    kept = ChatSession.from_dict({**earlier, "usage": "c.1764900000000."})
    assert kept.usage == "c.1764900000000."
