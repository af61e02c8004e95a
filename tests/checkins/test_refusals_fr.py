"""Refusals read in the practitioner's language through the chat, with the check-in service
on: a closed case's notes, decisions, exit report and release; a check-in button that cannot
act. A check-in of a case one has no part in reads word for word as one that does not exist."""

from __future__ import annotations

from bot.checkins.tokens import checkin_token
from tests.chat.conftest import World, texts
from tests.checkins.test_chat_bounds import chat_content, world

__all__ = ["chat_content", "world"]  # the fixtures (chat and check-ins on SQLite), used here


async def test_a_closed_cases_refusals_in_french(world: World) -> None:
    cora = world.chat("cora")  # the owner of K-1
    await cora.say("/lang fr")
    assert "Note enregistrée" in texts(await cora.say("/note K-1 Appel à la famille"))
    await cora.say("/close K-1")
    assert texts(await cora.say("2")).startswith("Le dossier K-1 est clôturé")  # no follow-up
    said = texts(await cora.say("/amend K-1 Appel à la mère"))
    assert said.startswith(
        "Le dossier K-1 est clôturé : on ne peut plus y ajouter ni rectifier de notes."
    ), said
    said = texts(await cora.say("/decision K-1 fait 1"))
    assert said.startswith("Le dossier K-1 est clôturé : ses décisions restent telles quelles"), (
        said
    )
    said = texts(await cora.say("/exit K-1"))
    assert said.startswith("Le dossier K-1 est clôturé : son rapport de sortie se lit"), said
    said = texts(await cora.say("/release K-1 2027-01-15"))
    assert said.startswith("Le dossier K-1 est clôturé : il n'a pas de sortie à planifier"), said
    assert "closed" not in said  # no English inside
    assert "Cela n'a pas marché" not in said


async def test_check_in_buttons_refused_in_french(world: World) -> None:
    cora = world.chat("cora")
    await cora.say("/lang fr")
    replies = await cora.say("/checkin K-1 weekly MO 09:00 Alex")
    pause = replies[0].buttons[0].token
    schedule = pause.split(".")[1]
    said = texts(await cora.press(checkin_token(schedule, "sr")))  # resume: it is not paused
    assert said.startswith(f"Le point de suivi {schedule} n'est pas en pause"), said
    sam = world.chat("sam")  # same team, not on K-1
    await sam.say("/lang fr")
    theirs = texts(await sam.press(pause))
    nothing = texts(await sam.press(checkin_token("0" * 32, "sp")))
    assert nothing.startswith(f"Aucun point de suivi {'0' * 32} parmi les vôtres"), nothing
    assert theirs == nothing.replace("0" * 32, schedule)
    assert "K-1" not in theirs
    assert texts(await cora.press(checkin_token(schedule, "sc")))  # cancelled
    said = texts(await cora.press(pause))
    assert said.startswith(f"Le point de suivi {schedule} est terminé (fait ou annulé)"), said
