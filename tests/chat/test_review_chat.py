"""The monthly review in chat (console channel, real database): /decision, its settlement and
refusals, /decisions, and /review_pack sending the pack as a file."""

from __future__ import annotations

from tests.chat.conftest import World, texts


async def test_decisions_are_recorded_settled_and_listed_by_the_right_people(
    world: World,
) -> None:
    cora, alex, sam = world.chat("cora"), world.chat("alex"), world.chat("sam")
    assert "Usage:" in texts(await alex.say("/decision"))
    assert "Usage:" in texts(await alex.say("/decision K-1"))
    recorded = texts(await alex.say("/decision k-1 Ask the housing office for a flat"))
    assert recorded == "Decision 1 recorded on case K-1. /decisions K-1 lists them all."
    # a mentor on the case records, but the owner (or a psychologist or coordinator on the
    # case) says what became of it
    assert "not allowed" in texts(await alex.say("/decision K-1 done 1 Flat found"))
    missing = texts(await cora.say("/decision K-1 done 9 Flat found"))
    assert "No decision 9 on case K-1: /decisions K-1 lists them." in missing
    assert "/decisions K-1" in missing
    settled = texts(await cora.say("/decision K-1 done 1 A flat in Roubaix"))
    assert settled == "Decision 1 on case K-1: done."
    listed = texts(await alex.say("/decisions K-1"))
    assert "1. Ask the housing office for a flat" in listed
    assert "taken 2026-01-05 by Alex – done" in listed
    assert "outcome: A flat in Roubaix" in listed
    assert "#decision" in texts(await alex.say("/notes K-1"))
    # not on the case: the same answer as a case that does not exist
    assert texts(await sam.say("/decisions K-1")) == texts(
        await sam.say("/decisions K-404")
    ).replace("K-404", "K-1")
    # in French, with the French words
    await cora.say("/lang fr")
    again = texts(await cora.say("/decision K-1 ouvrir 1"))
    assert again == "Décision 1 du dossier K-1 : en cours."
    assert "Usage :" in texts(await cora.say("/decisions"))


async def test_review_pack_is_sent_as_a_file_with_the_case_content(world: World) -> None:
    cora, alex = world.chat("cora"), world.chat("alex")
    await alex.say("/note K-1 Calmer this week, found a training course")
    await cora.say("/decision K-1 Meet the probation officer")
    assert "Usage:" in texts(await cora.say("/review_pack"))
    assert "Usage:" in texts(await cora.say("/review_pack K-1 soon"))
    assert "is not a month: write it like 2026-11" in texts(
        await cora.say("/review_pack K-1 2026-13")
    )
    assert "has not begun" in texts(await cora.say("/review_pack K-1 2026-02"))
    [reply] = await alex.say("/review-pack K-1 2026-01 md")
    assert reply.text.startswith("Review pack of case K-1 for 2026-01")
    assert reply.attachment is not None
    name, data = reply.attachment
    assert name == "review-pack-K-1-2026-01.md"
    document = data.decode("utf-8")
    assert "Calmer this week, found a training course" in document
    assert "1. **Meet the probation officer**" in document
    [html] = await cora.say("/review_pack K-1 2026-01")
    assert html.attachment is not None
    assert html.attachment[0].endswith(".html")
    assert b"Meet the probation officer" in html.attachment[1]
    [pack] = await cora.say("/review_pack K-2 2026-01 md")  # Cora's other case
    assert pack.attachment is not None
    assert b"Monthly review pack: K-2, 2026-01" in pack.attachment[1]
    assert b"probation" not in pack.attachment[1]  # nothing of K-1 in it
