"""Pinned practitioner identities on Matrix: what a device may see, and the coordinator's
confirmation of a new identity.

The invite redemption pins the master key the practitioner enrolled with (trust on first use,
bound to the code: `IdentityUseCases.redeem_invite`). Every chat turn then judges the device
(`bot.policy.device_trust`, in `ChatTurnUseCases.begin_turn`, no extra transaction when all is
well); a turn from a device that is not trusted, or from an identity with nothing pinned yet, is
recorded here (audited), and the chat layer tells the practitioner to ask their coordinator.
`relais admin trust NAME` pins the key last seen (`trust_identity`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.errors import InvalidInput
from bot.messages import SenderIdentity
from bot.policy import DeviceTrust, device_trust
from bot.usecases.admin import one_practitioner
from bot.usecases.base import EntryScope, UseCases, channel_entry, operator_command

__all__ = ["DeviceTrustUseCases", "TrustedIdentity", "fingerprint"]

log = logging.getLogger(__name__)


def fingerprint(master_key: str | None) -> str:
    """A master key as people compare it: groups of four characters (Element shows it so)."""
    if not master_key:
        return "(none)"
    return " ".join(master_key[i : i + 4] for i in range(0, len(master_key), 4))


@dataclass(frozen=True, slots=True)
class TrustedIdentity:
    """An identity `relais admin trust` confirmed: its key is pinned from now on."""

    channel: str
    user_id: str
    master_key: str


class DeviceTrustUseCases(UseCases):
    @channel_entry("identity.device")
    async def record_device(
        self, scope: EntryScope, channel: str, user_id: str, sender: SenderIdentity
    ) -> DeviceTrust:
        """A turn from a device that is not trusted, or with nothing pinned yet: pin the key
        on first use (enrolled before pinning existed, or without cross-signing then), or
        remember the different key for the coordinator; audited either way."""
        tx = scope.tx
        row = await tx.access.actor_for_identity(channel=channel, user_id=str(user_id))
        if row is None:
            scope.audit = False
            return DeviceTrust.TRUSTED
        trust = device_trust(row.pinned_key, sender)
        detail: dict[str, object] = {"actor_id": row.practitioner_id, "channel": channel}
        if row.pinned_key is None and sender.master_key is not None:
            await tx.pins.pin(channel=channel, user_id=str(user_id), master_key=sender.master_key)
            detail["event"] = "pinned"
            detail["device"] = str(trust)
            log.info("pinned the identity of practitioner %s", row.practitioner_id)
        elif trust is DeviceTrust.KEY_CHANGED:
            if sender.master_key is not None and sender.master_key != row.seen_key:
                await tx.pins.see(
                    channel=channel, user_id=str(user_id), master_key=sender.master_key
                )
            detail["event"] = "key_changed"
            detail["seen_key"] = fingerprint(sender.master_key)
            log.warning("practitioner %s: master key changed", row.practitioner_id)
        elif trust is DeviceTrust.UNSIGNED_DEVICE:
            detail["event"] = "unsigned_device"
            log.warning("practitioner %s: message from an unsigned device", row.practitioner_id)
        else:
            scope.audit = False
            return trust
        scope.audit = True
        scope.detail = detail
        return trust

    @operator_command("identity.trust")
    async def trust_identity(self, scope: EntryScope, name: str) -> list[TrustedIdentity]:
        """Pin the master key last seen for each chat identity of practitioner `name` (the
        coordinator has confirmed it out of band). Raises InvalidInput when no new key was
        seen: the practitioner should write to Relais from their device first."""
        tx = scope.tx
        practitioner = await one_practitioner(tx, name)
        confirmed: list[TrustedIdentity] = []
        for identity in await tx.pins.of_practitioner(practitioner_id=practitioner.id):
            if identity.seen_key is None:
                continue
            await tx.pins.pin(
                channel=identity.channel, user_id=identity.user_id, master_key=identity.seen_key
            )
            confirmed.append(
                TrustedIdentity(identity.channel, identity.user_id, identity.seen_key)
            )
        if not confirmed:
            raise InvalidInput(
                f"no new identity was seen for {name}: ask them to write to Relais from their "
                "device, then run this again"
            )
        scope.detail = {
            "practitioner_id": practitioner.id,
            "identities": len(confirmed),
            "keys": [fingerprint(c.master_key) for c in confirmed],
        }
        return confirmed
