"""The first message after enrolment, on the console channel: Relais says it is an automated
assistant and not a clinician, that it shows the team psychologists' guidance, and how to reach
a human in an emergency (/sos and the team's contacts). EN and FR. (Telegram and Matrix:
tests/e2e/test_first_message_channels.py.)"""

from __future__ import annotations

import io

from bot.channels.console import ConsoleChannel
from tests.chat.conftest import World

DISCLOSURE_EN = (
    "I am Relais, an automated assistant: a program, not a clinician and not a person.",
    "guidance written by your team's psychologists",
    "To reach a human in an emergency, send /sos at any time",
    "Emergency services: Emergency services – 112",
)
DISCLOSURE_FR = (
    "Je suis Relais, un assistant automatisé : un programme, ni un clinicien ni une personne.",
    "conseils rédigés par les psychologues de votre équipe",
    "Pour joindre un humain en cas d'urgence, envoyez /sos à tout moment",
    "Services d'urgence : Emergency services – 112",
)


async def _console_enrolment(world: World, user_id: str, code: str) -> str:
    out = io.StringIO()
    console = ConsoleChannel(user_id, stdin=io.StringIO(""), stdout=out, now=world.clock.now)
    await console.start(world.service.handle)
    try:
        await console.submit(f"/start {code}")
    finally:
        await console.stop()
    return out.getvalue()


async def test_first_message_on_the_console_says_what_relais_is_in_english(world: World) -> None:
    invite = await world.relais.create_invite(role="mentor", name="Noor", team="Team A")
    shown = await _console_enrolment(world, "user-noor", invite.code)
    assert "Welcome, Noor." in shown
    for line in DISCLOSURE_EN:
        assert line in shown, shown
    assert "On-call psychologist: Dr Martin – +33 1 00 00 00 01 (24/7)" in shown


async def test_first_message_on_the_console_in_french(world: World) -> None:
    invite = await world.relais.create_invite(
        role="mentor", name="Noé", team="Team A", language="fr"
    )
    shown = await _console_enrolment(world, "user-noe", invite.code)
    assert "Bienvenue, Noé." in shown
    for line in DISCLOSURE_FR:
        assert line in shown, shown


async def test_first_message_without_contacts_still_says_how_to_reach_a_human(
    world: World,
) -> None:
    await world.relais.ensure_team("Team Empty")
    invite = await world.relais.create_invite(role="mentor", name="Ivo", team="Team Empty")
    shown = await _console_enrolment(world, "user-ivo", invite.code)
    assert "send /sos at any time" in shown
    assert "call your local emergency number (112 anywhere in Europe)" in shown
