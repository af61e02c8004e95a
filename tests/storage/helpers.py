"""Small builders for storage tests: a team with people and cases, through the use cases."""

from __future__ import annotations

from dataclasses import dataclass

from bot.app import Relais
from bot.usecases.base import Actor

__all__ = ["World", "enrol", "make_world"]


async def enrol(
    relais: Relais, name: str, role: str, *, team: str = "North", user_id: str | None = None
) -> Actor:
    invite = await relais.create_invite(role=role, name=name, team=team)
    return await relais.redeem_invite("telegram", user_id or f"tg-{name}", invite.code)


@dataclass(frozen=True)
class World:
    owner: Actor  # coordinator, owner of K-1
    mentor: Actor  # member of K-1
    outsider: Actor  # mentor of the same team, not on K-1
    stranger: Actor  # coordinator of another team


async def make_world(relais: Relais) -> World:
    owner = await enrol(relais, "Olga Owner", "coordinator")
    mentor = await enrol(relais, "Mehdi Mentor", "mentor")
    outsider = await enrol(relais, "Oscar Outsider", "mentor")
    stranger = await enrol(relais, "Sam Stranger", "coordinator", team="South")
    await relais.create_case("K-1", owner="Olga Owner")
    await relais.add_member("K-1", "Mehdi Mentor", role="mentor")
    return World(owner, mentor, outsider, stranger)
