"""The strict test practitioner against known refusals (real Synapse): like current Element
with "exclude insecure devices", it does not show a message from a device its owner has not
cross-signed, and does not encrypt to such a device. Without these tests a lenient fake would
keep a silent bot green."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.fakes.synapse import SynapseServer
from tests.matrix.crosssigning import cross_sign, identity_of
from tests.matrix.practitioner import Practitioner

pytestmark = pytest.mark.synapse

PASSWORD = "practitioner-password"


class Clients:
    def __init__(self, synapse: SynapseServer, directory: Path, suffix: str) -> None:
        self.synapse, self.directory, self.suffix = synapse, directory, suffix
        self.all: list[Practitioner] = []

    async def new(self, name: str, *, cross_signed: bool, strict: bool) -> Practitioner:
        localpart = f"{name}-{self.suffix}"
        client = await Practitioner.create(
            self.synapse, localpart, self.directory / localpart, strict=strict
        )
        self.all.append(client)
        if cross_signed:
            await cross_sign(client.client, PASSWORD)
        return client


@pytest.fixture
async def clients(synapse: SynapseServer, tmp_path: Path, unique: str) -> AsyncIterator[Clients]:
    made = Clients(synapse, tmp_path / "clients", unique)
    yield made
    for client in made.all:
        await client.close()


async def test_a_device_not_cross_signed_is_not_heard_and_gets_no_key(clients: Clients) -> None:
    """`legacy` is a plain matrix-nio device without cross-signing: what Relais's own device
    was before it cross-signed itself. (The bot cannot be made to run uncross-signed any more:
    it stops reading rooms when its account's identity is one it does not hold.)"""
    strict = await clients.new("strict", cross_signed=True, strict=True)
    legacy = await clients.new("legacy", cross_signed=False, strict=False)
    room = await legacy.open_dm(strict.user_id, wait_join=True)

    event_id = await legacy.say(room, "hello from a device nobody vouches for")
    await strict.no_message(room, wait=3.0)
    await strict.wait_for(lambda: event_id in strict.refused, 10, "the refusal")

    await strict.say(room, "are you there?")
    answer = await legacy.next_message(room, timeout=10)
    assert answer.msgtype == "undecryptable"  # no room key for an unsigned device


async def test_cross_signed_devices_hear_each_other(clients: Clients) -> None:
    alice = await clients.new("alice", cross_signed=True, strict=True)
    bob = await clients.new("bob", cross_signed=True, strict=True)
    room = await alice.open_dm(bob.user_id, wait_join=True)

    await alice.say(room, "hello Bob")
    received = await bob.next_message(room, timeout=10)
    assert (received.body, received.encrypted) == ("hello Bob", True)
    await bob.say(room, "hello Alice")
    assert (await alice.next_message(room, timeout=10)).body == "hello Alice"
    assert alice.refused == bob.refused == []
    # what made it acceptable, from Bob's side: Alice's device signed by her identity
    identity = await identity_of(bob.client, alice.user_id)
    assert identity.master_key is not None
    assert identity.device_cross_signed(str(alice.client.device_id))
