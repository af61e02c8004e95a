"""A practitioner sets the time zone and quiet hours their reminders follow, from the chat
(`/timezone`, `/quiet`); a value that is not one says what is wrong and how to write it."""

from __future__ import annotations

from tests.chat.conftest import World, texts


async def _profile(world: World, name: str) -> tuple[str, str | None, str | None]:
    async with world.relais.db.transaction(world.clock.now()) as tx:
        [person] = await tx.people.by_name(name=name)
    return person.time_zone, person.quiet_start, person.quiet_end


async def test_time_zone_and_quiet_hours_from_the_chat(world: World) -> None:
    alex = world.chat("alex")
    zone, _start, _end = await _profile(world, "Alex")
    assert f"Your time zone is {zone}." in texts(await alex.say("/timezone"))
    replies = await alex.say("/timezone America/Montreal")
    assert "Your time zone is now America/Montreal" in texts(replies)
    refused = texts(await alex.say("/timezone Mars/Olympus"))
    assert "“Mars/Olympus” is not a time zone: write one like Europe/Paris." in refused
    assert await _profile(world, "Alex") == ("America/Montreal", None, None)

    assert "/quiet 22:00 07:00" in texts(await alex.say("/quiet"))
    replies = await alex.say("/quiet 22:00 07:00")
    assert "Quiet hours: 22:00 to 07:00 (America/Montreal)" in texts(replies)
    refused = texts(await alex.say("/quiet 25:00 7"))
    assert "“25:00” is not a time of day: write it like 22:00." in refused
    assert await _profile(world, "Alex") == ("America/Montreal", "22:00", "07:00")
    assert "No quiet hours" in texts(await alex.say("/quiet off"))
    assert await _profile(world, "Alex") == ("America/Montreal", None, None)

    await alex.say("/lang fr")
    assert "Votre fuseau horaire est désormais Europe/Paris" in texts(
        await alex.say("/timezone Europe/Paris")
    )
    assert "Heures de silence : de 21:30 à 06:30" in texts(await alex.say("/quiet 21:30 06:30"))


async def test_refusals_in_french_name_what_is_wrong(world: World) -> None:
    """A refused request reads in the practitioner's language (the command line keeps the
    English message), and a case one has no part in reads exactly as one that does not
    exist, in French too."""
    alex = world.chat("alex")
    await alex.say("/lang fr")
    refused = texts(await alex.say("/timezone Mars/Olympus"))
    assert refused.startswith("« Mars/Olympus » n'est pas un fuseau horaire"), refused
    refused = texts(await alex.say("/quiet 25:00 07:00"))
    assert refused.startswith("« 25:00 » n'est pas une heure"), refused
    missing = texts(await alex.say("/case K-404"))
    assert missing.startswith("Aucun dossier K-404 parmi les vôtres"), missing
    not_his = texts(await alex.say("/case K-2"))  # a case that exists, Alex is not on it
    assert not_his == missing.replace("K-404", "K-2")
    assert "K-1" in texts(await alex.say("/case K-1"))  # his own: shown
    assert "Aucun dossier" not in texts(await alex.say("/case K-1"))


async def test_a_case_owners_refusals_in_french(world: World) -> None:
    cora = world.chat("cora")
    await cora.say("/lang fr")
    said = texts(await cora.say("/release K-1 1999-01-01"))
    assert said.startswith("1999-01-01 n'est pas une date de sortie que Relais peut"), said
    said = texts(await cora.say("/decision K-1 fait 9"))
    assert said.startswith("Pas de décision 9 sur le dossier K-1"), said
    said = texts(await cora.say("/sharing K-1 allow Probation: gossip"))
    assert said.startswith("Pas de catégorie gossip pour Probation : les catégories sont"), said
