"""Pinned Matrix identities through the chat layer: a device the pinned identity does not vouch
for gets crisis guidance and /sos, but no case data and no case notes; the coordinator confirms
a new identity with `trust_identity` (`relais admin trust`); every event is audited."""

from __future__ import annotations

import asyncio
import itertools
import json
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import Relais
from bot.cli import main
from bot.clock import FakeClock
from bot.errors import InvalidInput, UntrustedDevice
from bot.messages import Incoming, Reply, SenderIdentity
from bot.policy import NEEDS_TRUSTED_DEVICE, Action, DeviceTrust
from storage.models import AuditEntryRow, ChannelIdentityRow
from tests.chat.conftest import World, build_world, make_config, texts

KEY_1 = "A" * 43
KEY_2 = "B" * 43
UNSIGNED = "not verified it"
KEY_CHANGED = "security identity has changed"
_events = itertools.count(1)


@dataclass
class MatrixDevice:
    """One Matrix device of a practitioner: its messages carry its cross-signing identity."""

    world: World
    user_id: str
    identity: SenderIdentity | None
    last: list[Reply] = field(default_factory=list)

    async def say(self, text: str) -> list[Reply]:
        return await self._send(text=text)

    async def press(self, label: str) -> list[Reply]:
        token = next(b.token for r in self.last for b in r.buttons if b.label == label)
        return await self._send(button=token)

    async def _send(self, **what: str) -> list[Reply]:
        incoming = Incoming(
            channel="matrix",
            chat_id=f"!dm-{self.user_id}",
            user_id=self.user_id,
            event_id=f"$trust{next(_events)}",
            received_at=self.world.clock.now(),
            sender_identity=self.identity,
            confidential=True,  # an E2EE room
            **what,  # type: ignore[arg-type]
        )
        self.last = await self.world.service.handle(incoming)
        return self.last


async def enrol_on_matrix(
    world: World, name: str, identity: SenderIdentity | None
) -> MatrixDevice:
    device = MatrixDevice(world, f"@{name.lower()}:example.org", identity)
    invite = await world.relais.create_invite(role="mentor", name=name, team="Team A")
    assert "Welcome" in texts(await device.say(f"!start {invite.code}"))
    await world.relais.add_member("K-1", name, role="mentor")
    return device


async def audit(world: World) -> list[tuple[str, str, dict[str, object]]]:
    async with world.relais.db.transaction(world.clock.now()) as tx:
        rows = await tx.conn.execute(select(AuditEntryRow).order_by(AuditEntryRow.seq))
        return [(r.action, r.outcome, json.loads(r.detail)) for r in rows]


async def pinned(world: World, user_id: str) -> tuple[str | None, str | None]:
    async with world.relais.db.transaction(world.clock.now()) as tx:
        row = (
            await tx.conn.execute(
                select(ChannelIdentityRow).where(ChannelIdentityRow.user_id == user_id)
            )
        ).one()
        return row.pinned_master_key, row.seen_master_key


async def notes_on_k1(world: World) -> list[str]:
    cora = await world.relais.identify("console", "user-cora")
    assert cora is not None
    return [note.body for note in await world.relais.list_notes(cora, "K-1")]


async def test_enrolment_pins_the_master_key_and_a_signed_device_sees_cases(world: World) -> None:
    mona = await enrol_on_matrix(world, "Mona", SenderIdentity(KEY_1, True))
    assert await pinned(world, mona.user_id) == (KEY_1, None)
    assert "K-1" in texts(await mona.say("/cases"))
    assert "Note logged on case K-1" in texts(await mona.say("/note K-1 Calm today"))
    assert "Calm today" in texts(await mona.say("/notes K-1"))
    redeemed = [d for a, _o, d in await audit(world) if a == "invite.redeem"]
    assert redeemed[-1].get("pinned") is True


async def test_an_unsigned_device_gets_crisis_help_but_no_case_data(world: World) -> None:
    await enrol_on_matrix(world, "Mona", SenderIdentity(KEY_1, True))
    laptop = MatrixDevice(world, "@mona:example.org", SenderIdentity(KEY_1, False))

    for command in ("/cases", "/notes K-1", "/note K-1 typed on the laptop", "/note"):
        replies = await laptop.say(command)
        assert UNSIGNED in texts(replies), (command, texts(replies))
        assert "K-1" not in texts(replies)
    assert "typed on the laptop" not in " ".join(await notes_on_k1(world))

    # /sos and a whole crisis walk still work; the note it offers is refused, not lost silently
    assert "112" in texts(await laptop.say("/sos"))
    assert "What is happening" in texts(await laptop.say("/crisis"))
    await laptop.press("A difficult talk")
    assert laptop.last[-1].buttons == ()
    assert "What happened" in texts(laptop.last)
    replies = await laptop.say("He shouted about the hearing")
    assert [b.label for b in replies[-1].buttons] == ["Yes", "No", "Emergency contacts"]
    replies = await laptop.press("Yes")
    assert UNSIGNED in texts(replies), texts(replies)
    assert "Note logged" not in texts(replies)
    assert "He shouted" not in " ".join(await notes_on_k1(world))

    entries = await audit(world)
    seen = [d for a, _o, d in entries if a == "identity.device"]
    assert seen
    assert all(d["event"] == "unsigned_device" for d in seen)
    denied = {(a, d.get("device")) for a, o, d in entries if o == "denied"}
    assert ("cases.list", "unsigned_device") in denied


async def test_a_changed_master_key_blocks_case_data_until_the_coordinator_trusts_it(
    world: World,
) -> None:
    mona = await enrol_on_matrix(world, "Mona", SenderIdentity(KEY_1, True))
    mona.identity = SenderIdentity(KEY_2, True)  # the account's cross-signing was reset

    replies = await mona.say("/cases")
    assert KEY_CHANGED in texts(replies)
    assert "K-1" not in texts(replies)
    assert "112" in texts(await mona.say("/sos"))
    assert await pinned(world, mona.user_id) == (KEY_1, KEY_2)
    changed = [d for a, _o, d in await audit(world) if a == "identity.device"]
    assert changed[-1]["event"] == "key_changed"
    assert changed[-1]["seen_key"] == "BBBB " * 10 + "BBB"

    confirmed = await world.relais.trust_identity("Mona")
    assert [(c.user_id, c.master_key) for c in confirmed] == [(mona.user_id, KEY_2)]
    assert await pinned(world, mona.user_id) == (KEY_2, None)
    assert "K-1" in texts(await mona.say("/cases"))
    trusted = [(a, d) for a, _o, d in await audit(world) if a == "identity.trust"]
    assert trusted
    assert trusted[-1][1]["identities"] == 1

    # the old identity is now the stranger
    mona.identity = SenderIdentity(KEY_1, True)
    assert KEY_CHANGED in texts(await mona.say("/cases"))


async def test_trust_without_a_new_identity_seen_says_what_to_do(world: World) -> None:
    await enrol_on_matrix(world, "Mona", SenderIdentity(KEY_1, True))
    with pytest.raises(InvalidInput, match="write to Relais from their device"):
        await world.relais.trust_identity("Mona")


async def test_an_identity_enrolled_without_a_key_is_pinned_on_first_use(world: World) -> None:
    mona = await enrol_on_matrix(world, "Mona", None)  # enrolled before cross-signing
    assert await pinned(world, mona.user_id) == (None, None)
    mona.identity = SenderIdentity(KEY_1, True)
    assert "K-1" in texts(await mona.say("/cases"))
    assert await pinned(world, mona.user_id) == (KEY_1, None)
    events = [d["event"] for a, _o, d in await audit(world) if a == "identity.device"]
    assert events == ["pinned"]
    mona.identity = SenderIdentity(KEY_2, True)
    assert KEY_CHANGED in texts(await mona.say("/cases"))


async def test_no_cross_signing_at_all_is_an_unsigned_device_by_default(world: World) -> None:
    mona = await enrol_on_matrix(world, "Mona", SenderIdentity(None, False))
    assert await pinned(world, mona.user_id) == (None, None)
    assert UNSIGNED in texts(await mona.say("/cases"))
    assert "112" in texts(await mona.say("/sos"))


@pytest.mark.parametrize("trust", [DeviceTrust.UNSIGNED_DEVICE, DeviceTrust.KEY_CHANGED])
async def test_the_use_cases_refuse_case_data_to_an_untrusted_device(
    world: World, trust: DeviceTrust
) -> None:
    """The decision is the decorators' (bot.policy.NEEDS_TRUSTED_DEVICE), not the chat
    layer's: calling the use cases directly with such an actor is refused and audited."""
    alex = await world.relais.identify("console", "user-alex")
    assert alex is not None
    untrusted = replace(alex, device_trust=trust)
    attempts = {
        Action.READ_NOTES: world.relais.list_notes(untrusted, "K-1"),
        Action.LOG_NOTE: world.relais.log_note(untrusted, "K-1", "from a stranger", (), "chat"),
        Action.LIST_CASES: world.relais.list_cases(untrusted),
    }
    for action, attempt in attempts.items():
        assert action in NEEDS_TRUSTED_DEVICE
        with pytest.raises(UntrustedDevice):
            await attempt
    assert "from a stranger" not in " ".join(await notes_on_k1(world))
    denied = [(a, d) for a, o, d in await audit(world) if o == "denied"]
    assert {a for a, _d in denied} == {str(a) for a in attempts}
    assert all(d == {"device": str(trust)} for _a, d in denied)
    # crisis help is not case data: contacts for /sos answer the same device
    contacts = await world.relais.contacts_for(untrusted, ["emergency", "case_owner"], "K-1")
    assert [c.role for c in contacts] == ["emergency"]  # the case's owner is case data


async def test_relais_admin_trust_confirms_the_new_identity(
    world: World,
    sqlite_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The coordinator's command on the same database as the running bot."""
    mona = await enrol_on_matrix(world, "Mona", SenderIdentity(KEY_1, True))
    for name in ("RELAIS_KEYS", "RELAIS_AUDIT_SECRET", "RELAIS_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("RELAIS_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("RELAIS_DATA_DIR", world.config.data_dir)

    code = await asyncio.to_thread(main, ["admin", "trust", "Mona"])
    assert code != 0
    assert "no new identity was seen for Mona" in capsys.readouterr().err

    mona.identity = SenderIdentity(KEY_2, True)
    assert KEY_CHANGED in texts(await mona.say("/cases"))
    assert await asyncio.to_thread(main, ["admin", "list"]) == 0
    assert "matrix (identity changed: confirm with `relais admin trust`)" in (
        capsys.readouterr().out
    )
    code = await asyncio.to_thread(main, ["admin", "trust", "Mona"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "identity pinned" in out
    assert "BBBB BBBB" in out
    assert "K-1" in texts(await mona.say("/cases"))
    assert await asyncio.to_thread(main, ["admin", "list", "--json"]) == 0
    [listed] = [p for p in json.loads(capsys.readouterr().out) if p["name"] == "Mona"]
    [identity] = listed["identities"]
    assert (identity["master_key"], identity["identity_changed"]) == (KEY_2, False)


async def test_device_trust_all_admits_a_practitioner_without_cross_signing(world: World) -> None:
    """`[matrix] device_trust = "all"` (the adapter sends enforced=False): a legacy client
    with no identity works; once an identity is pinned, its unsigned devices do not."""
    legacy = SenderIdentity(None, False, enforced=False)
    mona = await enrol_on_matrix(world, "Mona", legacy)
    assert "K-1" in texts(await mona.say("/cases"))
    mona.identity = SenderIdentity(KEY_1, True, enforced=False)  # she sets up cross-signing
    assert "K-1" in texts(await mona.say("/cases"))
    assert await pinned(world, mona.user_id) == (KEY_1, None)
    mona.identity = SenderIdentity(KEY_1, False, enforced=False)
    assert UNSIGNED in texts(await mona.say("/cases"))


async def test_pinning_on_each_backend(
    database_url: str, tmp_path: Path, clock: FakeClock, chat_content: Path
) -> None:
    """The identity query of a chat turn reads the pinned key (SQLite's fast path and
    PostgreSQL alike); a changed key is held back, then confirmed."""
    config = make_config(database_url, tmp_path)
    async with await Relais.open(config, clock) as relais:
        world = await build_world(relais, config, clock, chat_content)
        mona = await enrol_on_matrix(world, "Mona", SenderIdentity(KEY_1, True))
        assert "K-1" in texts(await mona.say("/cases"))
        mona.identity = SenderIdentity(KEY_2, True)
        assert KEY_CHANGED in texts(await mona.say("/cases"))
        await relais.trust_identity("Mona")
        assert "K-1" in texts(await mona.say("/cases"))
