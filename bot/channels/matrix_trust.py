"""Which devices the bot trusts: its owner's cross-signing, read from `/keys/query`.

matrix-nio's device store knows device keys, not cross-signing, so this module queries the
homeserver itself (`matrix_api.keys_query`), checks every signature (`matrix_crosssign`) and
keeps the result per user until the user's devices change (`device_lists.changed` in a sync:
`invalidate`).

- `sender_identity(room_id, event)`: the `SenderIdentity` of a decrypted message. The sending
  device is the one whose identity keys opened the Megolm session (the session's curve25519
  and ed25519, authenticated by Olm), never the device id the event claims; a session received
  as a forwarded key proves no device, so it counts as not cross-signed.
- `apply(users)`: before a room key is shared, marks each device of `users` in nio's store:
  with `device_trust = "cross-signed"` a cross-signed device is verified and any other is
  blacklisted (nio then never gives it the room key); with "all" nothing is blacklisted.
  Returns whether a mark changed (the caller then starts a new Megolm session, so a device
  that lost its signature cannot read what follows).
- `refuse_unless(user, pinned key)`: before a message the bot sends on its own, the user's
  current master key (`current_master_key`) is compared with the pinned one
  (`bot.policy.may_send_to`); a different one answers unreachable (`IDENTITY_CHANGED`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Literal

from nio import AsyncClient, Event
from nio.crypto import OlmDevice

from bot.channels.base import IDENTITY_CHANGED, SendResult
from bot.channels.matrix_api import keys_query
from bot.channels.matrix_crosssign import CrossSigningIdentity, read_identity
from bot.channels.matrix_send import NETWORK_ERRORS
from bot.logsafe import pseudonym
from bot.messages import SenderIdentity
from bot.policy import may_send_to

__all__ = ["DEVICE_TRUST_VALUES", "DeviceTrust", "TrustCache"]

logger = logging.getLogger(__name__)

DeviceTrust = Literal["cross-signed", "all"]
DEVICE_TRUST_VALUES: tuple[DeviceTrust, ...] = ("cross-signed", "all")


class TrustCache:
    def __init__(self, client: AsyncClient, policy: DeviceTrust | str) -> None:
        self.client = client
        self.policy = policy
        self._identities: dict[str, CrossSigningIdentity] = {}
        #: how many `/keys/query` requests this cache made (tests check it caches)
        self.queries = 0

    @property
    def enforced(self) -> bool:
        return self.policy != "all"  # anything but the explicit legacy value is strict

    def invalidate(self, users: Iterable[str]) -> None:
        """Forget what is known of `users` (their devices or keys changed)."""
        for user_id in users:
            self._identities.pop(user_id, None)

    async def refresh(self, users: Iterable[str]) -> None:
        wanted = sorted(set(users))
        if not wanted:
            return
        self.queries += 1
        response = await keys_query(self.client, wanted)
        if not response:
            logger.warning("matrix: keys query for %d users refused", len(wanted))
            return
        for user_id in wanted:
            if user_id in (response.get("device_keys") or {}):
                self._identities[user_id] = read_identity(response, user_id)

    async def identity(self, user_id: str, *, device_id: str = "") -> CrossSigningIdentity:
        """`user_id`'s identity (queried when unknown, or when `device_id` is a device the
        cached answer did not list); an empty identity if the server would not say."""
        known = self._identities.get(user_id)
        if known is None or (device_id and device_id not in known.devices):
            await self.refresh([user_id])
            known = self._identities.get(user_id)
        return known or CrossSigningIdentity(user_id=user_id)

    async def current_master_key(self, user_id: str) -> str | None:
        """`user_id`'s master key as the homeserver last said (None: no cross-signing).
        Raises LookupError when the homeserver would not say."""
        if user_id not in self._identities:
            await self.refresh([user_id])
        known = self._identities.get(user_id)
        if known is None:
            raise LookupError(user_id)
        return known.master_key

    async def refuse_unless(self, user_id: str, expected: str) -> SendResult | None:
        """None when `user_id`'s master key is `expected` (a message may be encrypted to their
        devices); else the result to report: unreachable (`IDENTITY_CHANGED`, with the key
        they have now), or failed when the homeserver would not say (retried later)."""
        try:
            current = await self.current_master_key(user_id)
        except LookupError:
            return SendResult("failed", detail="keys query refused")
        except NETWORK_ERRORS as exc:
            return SendResult("failed", detail=f"keys query: {type(exc).__name__}")
        if may_send_to(expected, current):
            return None
        logger.warning("matrix: %s has a new master key: not sent", pseudonym(user_id))
        return SendResult("unreachable", detail=IDENTITY_CHANGED, master_key=current)

    async def sender_identity(self, room_id: str, event: Event) -> SenderIdentity:
        identity = await self.identity(event.sender)
        keys = self._session_keys(room_id, event)
        if keys is not None and keys not in identity.device_keys.values():
            # a device newer than what we know (a change not synced yet): ask once more
            self.invalidate([event.sender])
            identity = await self.identity(event.sender)
        device_id = None if keys is None else identity.cross_signed_device_with(*keys)
        return SenderIdentity(
            master_key=identity.master_key,
            device_cross_signed=device_id is not None,
            enforced=self.enforced,
        )

    def _session_keys(self, room_id: str, event: Event) -> tuple[str, str] | None:
        """(ed25519, curve25519) of the device whose Megolm session carried `event`, as Olm
        authenticated them; None for a forwarded key or an unencrypted event."""
        olm = self.client.olm
        sender_key = getattr(event, "sender_key", None)
        session_id = getattr(event, "session_id", None)
        if olm is None or not getattr(event, "decrypted", False) or not sender_key:
            return None
        session = olm.inbound_group_store.get(room_id, sender_key, session_id)
        if session is None or session.forwarding_chain:
            return None
        return str(session.ed25519), str(sender_key)

    def unsigned_sender(self, room_id: str, event: Event) -> OlmDevice | None:
        """The device (in nio's store) that sent `event` when its owner has not cross-signed
        it and the policy is enforced: the answer to it may be made readable by that device."""
        olm = self.client.olm
        keys = self._session_keys(room_id, event)
        if olm is None or keys is None or not self.enforced:
            return None
        identity = self._identities.get(event.sender)
        if identity is not None and identity.cross_signed_device_with(*keys) is not None:
            return None
        for device in olm.device_store.active_user_devices(event.sender):
            if (device.ed25519, device.curve25519) == keys:
                return device
        return None

    async def apply(self, users: Iterable[str]) -> bool:
        """Mark the devices of `users` in nio's store by the policy; True if a mark changed."""
        olm = self.client.olm
        if olm is None:
            return False
        wanted = list(set(users))  # the bot's own other devices included
        missing = [u for u in wanted if u not in self._identities]
        await self.refresh(missing)
        changed = False
        for user_id in wanted:
            identity = self._identities.get(user_id) or CrossSigningIdentity(user_id=user_id)
            for device in olm.device_store.active_user_devices(user_id):
                keys = identity.cross_signed_devices.get(device.id)
                signed = keys == (device.ed25519, device.curve25519)
                if signed and not olm.is_device_verified(device):
                    changed |= bool(olm.verify_device(device))
                elif not signed and olm.is_device_verified(device):
                    changed |= bool(olm.unverify_device(device))
                blacklisted = olm.is_device_blacklisted(device)
                if self.enforced and not signed and not blacklisted:
                    logger.info(
                        "matrix: device %s of %s is not cross-signed: no room keys for it",
                        device.id,
                        pseudonym(user_id),
                    )
                    changed |= bool(olm.blacklist_device(device))
                elif blacklisted and (signed or not self.enforced):
                    changed |= bool(olm.unblacklist_device(device))
        return changed
