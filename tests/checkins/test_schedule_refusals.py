"""A schedule id is resolved inside the permission decorator (issue 15): the refusal of
another team's check-in is word for word that of an id that does not exist, whatever the
device, and names no case of that team."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.errors import RelaisError
from bot.policy import DeviceTrust
from bot.usecases.base import Actor
from tests.checkins.conftest import CASE, Team


async def _refusal(team: Team, actor: Actor, token: str) -> str:
    with pytest.raises(RelaisError) as raised:
        await team.chat.handle_button(actor, token)
    return f"{type(raised.value).__name__}: {raised.value}"


@pytest.mark.parametrize("trust", [DeviceTrust.TRUSTED, DeviceTrust.UNSIGNED_DEVICE])
async def test_another_teams_schedule_is_refused_as_a_missing_one(
    team: Team, trust: DeviceTrust
) -> None:
    [reply] = await team.chat.handle_command(team.owner, f"{CASE} weekly MO 09:00")
    pause = next(b.token for b in reply.buttons if b.token.endswith(".sp"))
    sid = pause.split(".")[1]
    async with team.service.db.transaction(team.service.clock.now()) as tx:
        other = await tx.people.add_team(name="Team B", now=tx.now)
        pid = await tx.people.add(
            team_id=other.id,
            name="Bea",
            roles=["coordinator"],
            language="en",
            time_zone="Europe/Paris",
            now=tx.now,
        )
    bea = Actor(pid, "Bea", frozenset({"coordinator"}), other.id, "en", "Europe/Paris")
    bea = replace(bea, device_trust=trust)
    missing = "0" * len(sid)
    for action in ("sp", "sr", "sc"):
        foreign = await _refusal(team, bea, f"ci.{sid}.{action}")
        assert foreign == (await _refusal(team, bea, f"ci.{missing}.{action}")).replace(
            missing, sid
        )
        assert CASE not in foreign
    # the schedule is untouched, and its own team still manages it
    [paused] = await team.chat.handle_button(team.owner, pause)
    assert CASE in paused.text
