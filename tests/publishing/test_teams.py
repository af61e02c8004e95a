"""Several teams on one Relais (issue 13 §3), through the chat layer: guidance is
organisation-wide unless its file says `teams:`; a team's guidance is drafted, approved,
published and rolled back by that team's psychologists only, and announced to that team; an
organisation-wide dialog cannot be narrowed to a team; a rollback is announced to the other
psychologists."""

from __future__ import annotations

from pathlib import Path

from tests.chat.conftest import Chat
from tests.publishing.conftest import CRISIS, PubWorld, texts
from tests.publishing.test_chat_workflow import guidance_texts

TIPS = (Path(__file__).resolve().parent / "data" / "tips.yaml").read_text("utf-8")
TEAM_TIPS = TIPS.replace("start:", 'teams: ["Team A"]\nstart:', 1)


async def enrol_team_b(world: PubWorld) -> None:
    """Bea, a psychologist, and Ben, a mentor, in Team B."""
    await world.relais.ensure_team("Team B")
    for name, role in (("bea", "psychologist"), ("ben", "mentor")):
        chat = Chat(world.service, world.clock, f"user-{name}")
        invite = await world.relais.create_invite(role=role, name=name.title(), team="Team B")
        assert "Welcome" in texts(await chat.say(f"/start {invite.code}"))
        world.chats[name] = chat
        actor = await world.relais.identify("console", f"user-{name}")
        assert actor is not None
        world.actors[name] = actor


async def test_team_guidance_is_changed_by_its_team_only(world: PubWorld) -> None:
    await enrol_team_b(world)
    assert TEAM_TIPS != TIPS
    bea = world.chat("bea")
    # a psychologist of Team B cannot draft guidance for Team A
    refused = texts(await world.upload("bea", "tips.yaml", TEAM_TIPS))
    assert refused == "tips is guidance of Team A: only their psychologists may change it."

    typo = TEAM_TIPS.replace('"Team A"', '"Team  A"')
    assert texts(await world.upload("pia", "tips.yaml", typo)) == (
        "tips names teams Relais does not know: Team  A. Nothing was saved: use the exact team "
        "names (Team A, Team B)."
    )
    assert "Draft ready: tips" in texts(await world.upload("pia", "tips.yaml", TEAM_TIPS))
    # Team B's psychologist is not asked to review it, and may not approve it
    assert await guidance_texts(world, "bea") == set()
    assert await guidance_texts(world, "paul") == {
        "Pia sent a draft of Tips for a hard day (tips) for review: /review tips"
    }
    await bea.say("/review tips")
    assert "only their psychologists" in texts(await bea.say("/approve tips"))
    await world.chat("paul").say("/review tips")
    assert "You approved" in texts(await world.chat("paul").say("/approve tips"))
    assert "only their psychologists" in texts(await bea.say("/publish tips"))
    replies = await world.chat("pia").say("/publish tips")
    assert "Published tips version 1." in texts(replies)
    # the mentors of Team A are told, not those of Team B
    assert await guidance_texts(world, "alex") == {"New guidance available: Tips for a hard day"}
    assert await guidance_texts(world, "ben") == set()
    # nor may Team B roll it back
    assert "only their psychologists" in texts(await bea.say("/rollback tips 1"))


async def test_org_wide_guidance_stays_org_wide_and_rollbacks_are_announced(
    world: PubWorld,
) -> None:
    await enrol_team_b(world)
    narrowed = CRISIS.replace("start:", 'teams: ["Team B"]\nstart:', 1)
    assert narrowed != CRISIS
    refused = texts(await world.upload("bea", "crisis.yaml", narrowed))
    assert refused == (
        "crisis is guidance for the whole organisation: a draft cannot limit it to teams. "
        "Publish team guidance under a new id."
    )
    # any psychologist may change organisation-wide guidance, reviewed by any other
    v2 = CRISIS.replace("A difficult talk", "A hard conversation")
    assert "Draft ready: crisis" in texts(await world.upload("bea", "crisis.yaml", v2))
    await world.chat("pia").say("/review crisis")
    assert "You approved" in texts(await world.chat("pia").say("/approve crisis"))
    assert "version 2" in texts(await world.chat("bea").say("/publish crisis"))

    # a rollback is one step (no review), and every other psychologist hears of it
    replies = await world.chat("paul").say("/rollback crisis 1")
    assert "Published crisis version 3." in texts(replies)
    assert "2 psychologist(s) told of the rollback." in texts(replies)
    announcement = (
        "Paul rolled back What is happening? (crisis): version 3 is a copy of version 1, "
        "published without a new review. /history crisis"
    )
    for name in ("pia", "bea"):
        told = await guidance_texts(world, name)
        assert announcement in told, name
        assert not any(t.startswith("Guidance changed back") for t in told)  # once is enough
    assert "Guidance changed back to an earlier version: What is happening?" in (
        await guidance_texts(world, "alex")
    )
    assert announcement not in await guidance_texts(world, "paul")
