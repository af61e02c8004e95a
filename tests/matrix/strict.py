"""Element's "exclude insecure devices" (MSC4153) for the test practitioner.

Current Element refuses an encrypted message from a device its owner has not cross-signed (it
is not shown: `UNSIGNED_SENDER_DEVICE`) and does not give its room keys to such a device. A test
client more lenient than that made a silent bot look fine, so the strict practitioner copies it:

    trust = StrictTrust(client)
    if not await trust.accepts(room_id, decrypted_event): ...   # refused: not "received"
    await trust.restrict(room_id, members)      # before encrypting: only cross-signed devices

A device is cross-signed when the owner's `/keys/query` answer holds a master key, a
self-signing key signed by it, and the device's keys signed by that self-signing key (checked
with `bot.channels.matrix_crosssign.read_identity`). The sending device is the one whose keys
opened the Megolm session (Olm-authenticated), never the device id an event claims; a forwarded
session proves no device, so it is refused too.
"""

from __future__ import annotations

from collections.abc import Iterable

from nio import AsyncClient, Event

from bot.channels.matrix_api import keys_query
from bot.channels.matrix_crosssign import CrossSigningIdentity, read_identity

__all__ = ["StrictTrust"]


class StrictTrust:
    def __init__(self, client: AsyncClient) -> None:
        self.client = client
        #: event ids of messages refused because their device was not cross-signed
        self.refused: list[str] = []

    async def identities(self, users: Iterable[str]) -> dict[str, CrossSigningIdentity]:
        """Fresh from the homeserver each time (a test must see a signature made just now)."""
        wanted = sorted(set(users))
        answer = await keys_query(self.client, wanted)
        return {user: read_identity(answer, user) for user in wanted}

    async def accepts(self, room_id: str, event: Event) -> bool:
        """Whether a decrypted message comes from a device its owner cross-signed."""
        olm = self.client.olm
        sender_key = getattr(event, "sender_key", None)
        session_id = getattr(event, "session_id", None)
        if olm is None or not sender_key or not session_id:
            return False
        session = olm.inbound_group_store.get(room_id, sender_key, session_id)
        accepted = False
        if session is not None and not session.forwarding_chain:
            identity = (await self.identities([event.sender]))[event.sender]
            accepted = identity.cross_signed_device_with(session.ed25519, sender_key) is not None
        if not accepted:
            self.refused.append(event.event_id)
        return accepted

    async def restrict(self, room_id: str, members: Iterable[str]) -> None:
        """Mark every device of `members` verified if cross-signed, else blacklisted (nio then
        gives it no room key); a changed mark starts a new Megolm session."""
        client, olm = self.client, self.client.olm
        if olm is None:
            return
        changed = False
        for user_id, identity in (await self.identities(members)).items():
            for device in olm.device_store.active_user_devices(user_id):
                if device.id == client.device_id and user_id == client.user_id:
                    continue
                signed = identity.cross_signed_devices.get(device.id)
                if signed == (device.ed25519, device.curve25519):
                    changed |= not device.verified and client.verify_device(device)
                else:
                    changed |= not device.blacklisted and client.blacklist_device(device)
        if changed:
            olm.outbound_group_sessions.pop(room_id, None)
