"""Retention per tag (idempotent), case export and erasure, contacts import, demo data."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from bot.app import Relais
from bot.clock import FakeClock
from bot.config import RetentionConfig
from bot.demo import DEMO_CASES, seed_demo
from bot.errors import InvalidInput, NotFound
from tests.storage.helpers import make_world


async def test_retention_per_tag_and_idempotent(relais: Relais, clock: FakeClock) -> None:
    world = await make_world(relais)
    relais.config = dataclasses.replace(
        relais.config, retention=RetentionConfig(notes="30d", tags={"concern": "90d"})
    )
    await relais.log_note(world.mentor, "K-1", "old progress", ["progress"])
    await relais.log_note(world.mentor, "K-1", "old concern", ["concern"])
    await relais.log_note(world.mentor, "K-1", "old both", ["progress", "concern"])
    clock.advance(timedelta(days=60))
    await relais.log_note(world.mentor, "K-1", "recent", ["progress"])
    result = await relais.apply_retention()
    assert result.notes_deleted == 1
    bodies = {n.body for n in await relais.list_notes(world.owner, "K-1")}
    assert bodies == {"old concern", "old both", "recent"}
    assert (await relais.apply_retention()).notes_deleted == 0
    clock.advance(timedelta(days=31))  # the concerns are 91 days old, "recent" 31
    assert (await relais.apply_retention()).notes_deleted == 3
    trail = [e.action for e in await relais.audit_export("K-1")]
    assert trail.count("retention.delete") == 2


async def test_retention_keeps_everything_by_default(relais: Relais, clock: FakeClock) -> None:
    world = await make_world(relais)
    await relais.log_note(world.mentor, "K-1", "x", [])
    clock.advance(timedelta(days=3650))
    assert (await relais.apply_retention()).notes_deleted == 0


async def test_export_then_erase(relais: Relais) -> None:
    world = await make_world(relais)
    note = await relais.log_note(world.mentor, "K-1", "to be erased", ["decision"])
    await relais.amend_note(world.mentor, "K-1", note.id, "amended")
    export = await relais.export_case("K-1")
    assert export["case"]["owner"] == "Olga Owner"
    assert {n["body"] for n in export["notes"]} == {"to be erased", "amended"}
    # a note tagged `decision` is the case's decision 1, shown as last amended
    assert [(d["number"], d["text"]) for d in export["decisions"]] == [(1, "amended")]
    assert export["members"][0]["role"] == "mentor"
    assert any(e["action"] == "note.log" for e in export["audit"])
    result = await relais.erase_case("K-1")
    assert result.notes_erased == 2
    with pytest.raises(NotFound):
        await relais.list_notes(world.owner, "K-1")
    trail = await relais.audit_export("K-1")
    assert trail[-1].action == "case.erase"
    assert (await relais.audit_verify()).ok


async def test_contacts_import_and_resolution(relais: Relais, clock: FakeClock) -> None:
    world = await make_world(relais)
    now = clock.now()
    data = {
        "contact": [
            {"key": "e", "role": "emergency", "name": "Emergency", "phone": "112"},
            {"key": "a", "role": "on_call_psychologist", "name": "Dr A", "phone": "1"},
            {"key": "b", "role": "on_call_psychologist", "name": "Dr B", "phone": "2"},
            {
                "key": "o",
                "role": "case_owner",
                "name": "Olga",
                "phone": "3",
                "practitioner": "Olga Owner",
            },
        ],
        "oncall": [
            {"contact": "b", "from": now - timedelta(hours=1), "to": now + timedelta(hours=1)},
            {"contact": "a", "from": now + timedelta(hours=1), "to": now + timedelta(hours=9)},
        ],
    }
    result = await relais.import_contacts(data, team="North")
    assert (result.contacts, result.rota_slots) == (4, 2)
    entries = await relais.contacts_for(
        world.mentor, ["on_call_psychologist", "emergency", "case_owner"], "K-1"
    )
    assert [(e.role, e.name, e.on_call) for e in entries] == [
        ("on_call_psychologist", "Dr B", True),
        ("on_call_psychologist", "Dr A", False),
        ("emergency", "Emergency", False),
        ("case_owner", "Olga Owner", False),
    ]
    assert entries[-1].phone == "3"
    outsider = await relais.contacts_for(world.outsider, ["case_owner"], "K-1")
    assert outsider == []  # may not see the case: left out, no error
    clock.advance(timedelta(hours=2))
    entries = await relais.contacts_for(world.mentor, ["on_call_psychologist"])
    assert [(e.name, e.on_call) for e in entries] == [("Dr A", True), ("Dr B", False)]
    await relais.import_contacts(data, team="North")  # replaces, does not duplicate
    assert len(await relais.contacts_for(world.mentor, ["emergency"])) == 1
    with pytest.raises(InvalidInput, match="contact_roles"):
        await relais.import_contacts(
            {"contact": [{"role": "astrologer", "name": "x"}]}, team="North"
        )
    bad_time = {
        "contact": data["contact"][:1],
        "oncall": [{"contact": "e", "from": now.replace(tzinfo=None), "to": now}],
    }
    with pytest.raises(InvalidInput, match="offset"):
        await relais.import_contacts(bad_time, team="North")


async def test_demo_seed_is_idempotent(relais: Relais) -> None:
    first = await seed_demo(relais)
    assert first.created
    assert first.mentor.roles == frozenset({"mentor"})
    second = await seed_demo(relais)
    assert not second.created
    assert second.mentor == first.mentor
    assert [c.code for c in await relais.list_cases(first.mentor)] == sorted(DEMO_CASES)
    roles = [
        "emergency",
        "on_call_psychologist",
        "on_call_psychiatrist",
        "probation_officer",
        "police_liaison",
        "social_services",
        "exit_worker",
        "team_coordinator",
    ]
    entries = await relais.contacts_for(first.mentor, [*roles, "case_owner"], DEMO_CASES[0])
    assert {e.role for e in entries} == {*roles, "case_owner"}
    assert await relais.identify("console", "demo") == first.mentor
    note = await relais.log_note(first.mentor, DEMO_CASES[0], "demo note", ["progress"])
    assert (await relais.list_notes(first.coordinator, DEMO_CASES[0]))[0].id == note.id
