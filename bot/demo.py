"""Demo data: a team, three cases, contacts for every role, an on-call rota and three demo
practitioners (the mentor bound to the console identity ("console", "demo")). Idempotent.

Everything goes through the use cases (so the demo data is encrypted and audited like real
data). Names and numbers are fictitious.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from bot.usecases.base import Actor
from bot.usecases.dataprotection import known_contact_roles

if TYPE_CHECKING:  # pragma: no cover
    from bot.app import Relais

__all__ = ["DEMO_CASES", "DEMO_TEAM", "DemoInfo", "seed_demo"]

DEMO_TEAM = "Demo team"
DEMO_CASES = ("K-7F3A", "K-2B9C", "K-5D1E")
MENTOR = ("Demo Mentor", "mentor", ("console", "demo"))
COORDINATOR = ("Claire Coordinator", "coordinator", ("console", "demo-coordinator"))
PSYCHOLOGIST = ("Paul Psychologist", "psychologist", ("console", "demo-psychologist"))

_ROLES = (
    "emergency",
    "on_call_psychologist",
    "on_call_psychiatrist",
    "case_owner",
    "probation_officer",
    "police_liaison",
    "social_services",
    "exit_worker",
    "team_coordinator",
)
_CONTACTS: dict[str, tuple[str, str, str]] = {
    "emergency": ("Emergency services", "112", "24/7"),
    "on_call_psychologist": ("Paul Psychologist", "+33 6 00 00 00 01", "on call rota"),
    "on_call_psychiatrist": ("Dr Demo, psychiatric emergency unit", "+33 1 00 00 00 02", "24/7"),
    "case_owner": ("Claire Coordinator", "+33 6 00 00 00 03", "Mon-Fri 9:00-18:00"),
    "probation_officer": ("Probation service (demo)", "+33 1 00 00 00 04", "Mon-Fri 9:00-17:00"),
    "police_liaison": ("Police liaison desk (demo)", "+33 1 00 00 00 05", "24/7"),
    "social_services": ("Social services duty desk (demo)", "+33 1 00 00 00 06", "Mon-Fri"),
    "exit_worker": ("Exit programme worker (demo)", "+33 6 00 00 00 07", "Mon-Sat 10:00-19:00"),
    "team_coordinator": ("Claire Coordinator", "+33 6 00 00 00 03", "Mon-Fri 9:00-18:00"),
}


@dataclass(frozen=True, slots=True)
class DemoInfo:
    team: str
    cases: tuple[str, ...]
    mentor: Actor
    coordinator: Actor
    psychologist: Actor
    created: bool  # False when the demo data was already there


async def _person(relais: Relais, spec: tuple[str, str, tuple[str, str]]) -> tuple[Actor, bool]:
    name, role, (channel, user_id) = spec
    actor = await relais.identify(channel, user_id)
    if actor is not None:
        return actor, False
    invite = await relais.create_invite(role=role, name=name, team=DEMO_TEAM)
    return await relais.redeem_invite(channel, user_id, invite.code), True


async def seed_demo(relais: Relais) -> DemoInfo:
    """Create the demo world unless it exists; returns who is who."""
    await relais.ensure_team(DEMO_TEAM)
    mentor, new_m = await _person(relais, MENTOR)
    coordinator, new_c = await _person(relais, COORDINATOR)
    psychologist, new_p = await _person(relais, PSYCHOLOGIST)
    created = new_m or new_c or new_p
    existing = {c.code for c, _ in await relais.all_cases()}
    for index, code in enumerate(DEMO_CASES):
        if code in existing:
            continue
        created = True
        await relais.create_case(code, owner=COORDINATOR[0], team=DEMO_TEAM)
        await relais.add_member(code, MENTOR[0], role="mentor")
        if index == 0:
            await relais.add_member(code, PSYCHOLOGIST[0], role="psychologist")
    if created or not await relais.contacts_for(mentor, ["emergency"]):
        await relais.import_contacts(_contacts(relais), team=DEMO_TEAM)
    return DemoInfo(DEMO_TEAM, DEMO_CASES, mentor, coordinator, psychologist, created)


def _contacts(relais: Relais) -> dict[str, Any]:
    declared = known_contact_roles(relais.config.content_path) or set(_ROLES)
    contacts: list[dict[str, Any]] = []
    for role in sorted(declared):
        name, phone, hours = _CONTACTS.get(role, (f"{role} (demo)", "+33 1 00 00 00 99", ""))
        entry: dict[str, Any] = {
            "key": role,
            "role": role,
            "name": name,
            "phone": phone,
            "hours": hours,
        }
        if role == "on_call_psychologist":
            entry["practitioner"] = PSYCHOLOGIST[0]
        elif role in ("case_owner", "team_coordinator"):
            entry["practitioner"] = COORDINATOR[0]
        contacts.append(entry)
    now = relais.clock.now()
    start, end = now - timedelta(days=1), now + timedelta(days=365)
    rota = [
        {"role": role, "contact": role, "from": start, "to": end, "position": 0}
        for role in ("on_call_psychologist", "on_call_psychiatrist")
        if role in declared
    ]
    return {"contact": contacts, "oncall": rota}
