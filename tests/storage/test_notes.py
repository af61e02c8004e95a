"""Notes through the use cases: log, list, amend; sub-object and team checks."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.app import Relais
from bot.clock import FakeClock
from bot.errors import InvalidInput, NotAllowed, NotFound
from tests.storage.helpers import enrol, make_world


async def test_log_list_amend(relais: Relais, clock: FakeClock) -> None:
    world = await make_world(relais)
    first = await relais.log_note(world.mentor, "k-1", "First visit went well", ["progress"])
    clock.advance(timedelta(minutes=5))
    await relais.log_note(world.owner, "K-1", "Lost his job", ["trigger", "concern"])
    clock.advance(timedelta(minutes=5))
    amendment = await relais.amend_note(world.mentor, "K-1", first.id, "First visit went OK")
    assert amendment.amends_id == first.id
    notes = await relais.list_notes(world.owner, "K-1")
    assert [n.body for n in notes] == [
        "First visit went OK",
        "Lost his job",
        "First visit went well",
    ]
    assert notes[1].tags == ("concern", "trigger")
    assert notes[2].amended_by == (amendment.id,)
    assert notes[2].author_name == "Mehdi Mentor"
    assert len(await relais.list_notes(world.owner, "K-1", limit=1)) == 1
    cases = await relais.list_cases(world.mentor)
    assert [(c.code, c.relation, c.role_on_case) for c in cases] == [("K-1", "member", "mentor")]


async def test_amend_checks_author_and_case(relais: Relais) -> None:
    world = await make_world(relais)
    await relais.create_case("K-2", owner="Olga Owner")
    await relais.add_member("K-2", "Mehdi Mentor", role="mentor")
    note = await relais.log_note(world.mentor, "K-1", "text", [])
    with pytest.raises(NotFound):
        await relais.amend_note(world.mentor, "K-2", note.id, "moved")  # note of another case
    with pytest.raises(NotAllowed):
        await relais.amend_note(world.owner, "K-1", note.id, "not my note")
    with pytest.raises(NotFound):
        await relais.amend_note(world.mentor, "K-1", "nope", "x")


async def test_validation_and_closed_case(relais: Relais) -> None:
    world = await make_world(relais)
    with pytest.raises(InvalidInput, match="tag"):
        await relais.log_note(world.mentor, "K-1", "x", ["gossip"])
    with pytest.raises(InvalidInput):
        await relais.log_note(world.mentor, "K-1", "   ", [])
    with pytest.raises(InvalidInput):
        await relais.log_note(world.mentor, "K-1", "x" * 10_001, [])
    await relais.close_case("K-1")
    with pytest.raises(InvalidInput, match="closed"):
        await relais.log_note(world.mentor, "K-1", "x", [])
    assert await relais.list_notes(world.mentor, "K-1") == []


async def test_other_team_and_unknown_case_are_not_found(relais: Relais) -> None:
    world = await make_world(relais)
    with pytest.raises(NotFound):
        await relais.list_notes(world.stranger, "K-1")
    with pytest.raises(NotFound):
        await relais.log_note(world.mentor, "K-404", "x", [])
    with pytest.raises(NotAllowed):
        await relais.list_notes(world.outsider, "K-1")


async def test_denials_are_audited(relais: Relais) -> None:
    world = await make_world(relais)
    with pytest.raises(NotAllowed):
        await relais.log_note(world.outsider, "K-1", "x", [])
    trail = await relais.audit_export("K-1")
    denied = [e for e in trail if e.outcome == "denied"]
    assert [(e.action, e.actor_id) for e in denied] == [
        ("note.log", world.outsider.practitioner_id)
    ]


async def test_assign_member_by_owner_only_same_team(relais: Relais) -> None:
    world = await make_world(relais)
    newcomer = await enrol(relais, "Nora Social", "social_worker")
    change = await relais.assign_member(world.owner, "K-1", "Nora Social", "social_worker")
    assert (change.name, change.role, change.changed) == ("Nora Social", "social_worker", True)
    info = await relais.case_info(newcomer, "K-1")
    assert info.relation == "member"
    assert info.owner_name == "Olga Owner"
    assert ("Nora Social", "social_worker") in [(n, r) for _i, n, r in info.members]
    with pytest.raises(NotFound):
        await relais.assign_member(world.owner, "K-1", world.stranger.name, "mentor")
    with pytest.raises(NotAllowed):
        await relais.assign_member(world.mentor, "K-1", "Nora Social", "mentor")


async def test_amendments_listed_oldest_first(relais: Relais, clock: FakeClock) -> None:
    world = await make_world(relais)
    note = await relais.log_note(world.mentor, "K-1", "v1", [])
    ids = []
    for text in ("v2", "v3", "v4"):
        clock.advance(timedelta(seconds=1, microseconds=500))
        ids.append((await relais.amend_note(world.mentor, "K-1", note.id, text)).id)
    clock.advance(timedelta(seconds=1))
    again = await relais.amend_note(world.mentor, "K-1", ids[0], "v5")  # amends the original
    assert again.amends_id == note.id
    original = next(n for n in await relais.list_notes(world.owner, "K-1") if n.id == note.id)
    assert original.amended_by == (*ids, again.id)
