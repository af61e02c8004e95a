"""A refusal names what is wrong in the practitioner's language, through the chat (the
command line and the logs keep the English message): a note too long, the owner put on their
own case again and a review pack of a month to come."""

from __future__ import annotations

from tests.chat.conftest import World, texts


async def test_a_coordinators_refusals_in_french(world: World) -> None:
    cora = world.chat("cora")  # the owner of K-1
    await cora.say("/lang fr")
    said = texts(await cora.say("/note K-1 " + "x" * 10_001))
    assert said.startswith(
        "Une note compte au plus 10000 caractères et celle-ci en compte 10001 : raccourcissez-la"
    ), said
    said = texts(await cora.say("/member K-1 add Cora"))
    assert said.startswith("Cora est déjà responsable du dossier K-1"), said
    said = texts(await cora.say("/review_pack K-1 2099-01"))
    assert said.startswith("Le mois 2099-01 n'a pas encore commencé"), said
    said = texts(await cora.say("/sharing K-1 allow Probation"))
    assert said.startswith("« Probation » ne dit pas qui peut recevoir quoi"), said
    said = texts(await cora.say("/sharing K-1 remove Ecole"))
    assert said.startswith("Le registre de partage ne nomme aucun destinataire ecole"), said
    assert "Cela n'a pas marché" not in said  # the English message is not framed any more


async def test_the_same_refusals_in_english(world: World) -> None:
    cora = world.chat("cora")
    said = texts(await cora.say("/note K-1 " + "x" * 10_001))
    assert said.startswith("A note holds at most 10000 characters and this one has 10001"), said
    said = texts(await cora.say("/review_pack K-1 2099-01"))
    assert said.startswith("The month 2099-01 has not begun yet"), said
