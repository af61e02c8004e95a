"""Who does what on a case, through the chat: `/case CODE` (status, owner, members with their
roles on it, release date) and `/member CODE add|remove NAME [ROLE]` (the case owner, audited;
a name is looked for in the case's team only). Names are case data: never over a channel that
is not confidential."""

from __future__ import annotations

from datetime import timedelta

from tests.chat.conftest import Chat, World, texts


async def test_case_shows_who_does_what(world: World) -> None:
    alex = world.chat("alex")  # a mentor on K-1, owned by Cora
    shown = texts(await alex.say("/case k-1"))
    assert "Case K-1 (open)" in shown
    assert "Case owner: Cora" in shown
    assert "• Alex – mentor" in shown
    assert "No release date set" in shown
    assert "You: team member." in shown
    assert "Usage: /case CASE" in texts(await alex.say("/case"))
    assert "No case K-2 among yours" in texts(await alex.say("/case K-2"))
    assert "No case K-404 among yours" in texts(await alex.say("/case K-404"))

    cora = world.chat("cora")
    release = (world.clock.now() + timedelta(days=60)).date().isoformat()
    await cora.say(f"/release K-1 {release}")
    shown = texts(await cora.say("/case K-1"))
    assert f"Release date: {release}" in shown
    assert "You: case owner." in shown
    assert "/case CASE – who does what" in texts(await cora.say("/help"))


async def test_the_owner_puts_people_on_the_case_and_takes_them_off(world: World) -> None:
    cora, sam = world.chat("cora"), world.chat("sam")
    assert "No case K-1 among yours" in texts(await sam.say("/case K-1"))
    replies = await cora.say("/member K-1 add sam social_worker")
    assert "Sam is on case K-1 as social worker." in texts(replies)
    assert "• Sam – social worker" in texts(replies)
    assert "• Sam – social worker" in texts(await sam.say("/case K-1"))
    assert "Pia is on case K-1 as mentor." in texts(await cora.say("/member K-1 add Pia"))

    assert "Sam is no longer on case K-1." in texts(await cora.say("/member K-1 remove Sam"))
    assert "Sam was not on case K-1: nothing changed." in texts(
        await cora.say("/member K-1 remove Sam")
    )
    assert "No case K-1 among yours" in texts(await sam.say("/case K-1"))

    trail = await world.relais.audit_export("K-1")
    managed = [(e.action, e.outcome, sorted(e.detail)) for e in trail if e.action == "case.manage"]
    assert managed == [
        ("case.manage", "ok", ["practitioner_id", "role"]),
        ("case.manage", "ok", ["practitioner_id", "role"]),
        ("case.manage", "ok", ["practitioner_id", "removed"]),
        ("case.manage", "ok", ["practitioner_id", "removed"]),
    ]


async def test_member_refusals_say_what_is_wrong(world: World) -> None:
    cora, alex = world.chat("cora"), world.chat("alex")
    assert "Usage: /member CASE add NAME" in texts(await cora.say("/member K-1 invite Sam"))
    assert "Usage: /member CASE add NAME" in texts(await cora.say("/member K-1 add"))
    assert "Nobody named Nobody in your team" in texts(await cora.say("/member K-1 add Nobody"))
    # someone of another team is not found either: a name says nothing beyond the team
    await world.relais.ensure_team("Team B")
    await world.relais.create_invite(role="mentor", name="Bea", team="Team B")
    assert "Nobody named Bea in your team" in texts(await cora.say("/member K-1 add Bea"))
    assert "Cora owns case K-1 already" in texts(await cora.say("/member K-1 add Cora"))
    # a member is not the owner: the policy refuses, and the refusal is audited
    assert "You are not allowed to do that on this case." in texts(
        await alex.say("/member K-1 add Sam")
    )
    trail = await world.relais.audit_export("K-1")
    assert [e.outcome for e in trail if e.action == "case.manage"] == ["denied"]


async def test_names_on_a_case_never_travel_by_a_channel_that_is_not_confidential(
    world: World,
) -> None:
    invite = await world.relais.create_invite(role="coordinator", name="Tom", team="Team A")
    tom = Chat(world.service, world.clock, "tg-tom", channel="telegram", encrypted=False)
    await tom.say(f"/start {invite.code}")
    await world.relais.set_owner("K-2", "Tom")
    for command in ("/case K-2", "/member K-2 add Alex"):
        shown = texts(await tom.say(command))
        assert "not end-to-end encrypted" in shown
        assert "Alex" not in shown
        assert "Tom" not in shown
    cora = world.chat("cora")
    assert "No one else is on the case yet" in texts(await cora.say("/case K-2"))


async def test_case_in_french(world: World) -> None:
    cora = world.chat("cora")
    await cora.say("/lang fr")
    shown = texts(await cora.say("/case K-1"))
    assert "Dossier K-1 (ouvert)" in shown
    assert "Responsable du dossier : Cora" in shown
    assert "Vous : responsable du dossier." in shown
