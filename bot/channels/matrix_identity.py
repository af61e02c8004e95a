"""The bot's own cross-signing identity on its homeserver (spec: "Cross-signing").

    identity = BotIdentity(client, store_path, pickle_key, password)
    new_recovery_key = await identity.ensure()   # before any invite is joined or room read
    report = await identity.status()             # what the server says, not what we believe

`ensure()` (at every start, one `/keys/query` when all is in place):
- the account has no identity: master, self-signing and user-signing keys are made
  (`matrix_keyfile`), saved encrypted beside the crypto store, uploaded with
  `POST /keys/device_signing/upload` (the password answers user-interactive auth if the server
  asks), and the recovery key is returned (the caller shows it once);
- the account's identity is ours (same master key as the key file): nothing to upload;
- the account has an identity we do not hold (made in Element, or our key file was lost):
  `IdentityError` telling the admin to restore it (`relais matrix restore-identity`, with the
  recovery key) or replace it (`relais matrix reset-identity`, which needs the password and
  alarms every practitioner). Never overwritten silently.
Then the bot's device is signed with the self-signing key (`POST /keys/signatures/upload`) if
the server does not show that signature yet, and the result is checked from `/keys/query`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nio import AsyncClient

from bot.channels.matrix_api import call, keys_query
from bot.channels.matrix_crosssign import (
    CrossSigningIdentity,
    cross_signing_key,
    fingerprint,
    read_identity,
    sign_object,
)
from bot.channels.matrix_keyfile import (
    BotKeys,
    IdentityError,
    keys_from_recovery,
    load_keys,
    recovery_key,
    save_keys,
)

__all__ = ["BotIdentity", "IdentityStatus"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class IdentityStatus:
    user_id: str
    device_id: str
    master_key: str | None  # on the server
    device_cross_signed: bool  # checked from the server's /keys/query
    keys_held: bool  # the key file holds the private keys of that master key

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.master_key) if self.master_key else ""


class BotIdentity:
    def __init__(self, client: AsyncClient, store: Path, pickle_key: str, password: str) -> None:
        self.client = client
        self.store = store
        self.pickle_key = pickle_key
        self.password = password

    @property
    def user_id(self) -> str:
        return str(self.client.user_id)

    @property
    def device_id(self) -> str:
        return str(self.client.device_id)

    async def query(self) -> tuple[dict[str, Any], CrossSigningIdentity]:
        response = await keys_query(self.client, [self.user_id])
        if not response:
            raise IdentityError("the homeserver refused to list the bot's keys (/keys/query)")
        return response, read_identity(response, self.user_id)

    async def status(self) -> IdentityStatus:
        _, server = await self.query()
        local = load_keys(self.store, self.pickle_key)
        return IdentityStatus(
            user_id=self.user_id,
            device_id=self.device_id,
            master_key=server.master_key,
            device_cross_signed=server.device_cross_signed(self.device_id),
            keys_held=local is not None and local.master.public == server.master_key,
        )

    async def ensure(self) -> str | None:
        """Make sure the account has our identity and our device is signed by it; returns a
        new recovery key when the identity was just created."""
        response, server = await self.query()
        local = load_keys(self.store, self.pickle_key)
        new_recovery: str | None = None
        if server.master_key is None:
            if local is None:
                local = BotKeys.generate()
                save_keys(self.store, local, self.pickle_key)
            await self._upload(local)
            # shown once the identity exists (an upload that failed before showed nothing)
            new_recovery = recovery_key(local)
            logger.info("matrix: cross-signing identity created for the bot's account")
            response, server = await self.query()
        elif local is None or local.master.public != server.master_key:
            raise IdentityError(_foreign_identity(self.user_id, server.master_key))
        await self._sign_device(local, response, server)
        return new_recovery

    async def restore(self, recovery: str) -> None:
        """Take the identity back from its recovery key (after a lost store): the key file is
        written again and this device signed."""
        keys = keys_from_recovery(recovery)
        response, server = await self.query()
        if server.master_key != keys.master.public:
            raise IdentityError(
                "this recovery key is not the one of the identity on the account "
                f"(its master key is {fingerprint(server.master_key or '(none)')})"
            )
        save_keys(self.store, keys, self.pickle_key)
        await self._sign_device(keys, response, server)

    async def reset(self) -> str:
        """Replace the account's identity with a new one (needs the password); returns the new
        recovery key. Every practitioner's client will warn that the bot's identity changed."""
        if not self.password:
            raise IdentityError("replacing the identity needs the bot account's password")
        keys = BotKeys.generate()
        await self._upload(keys, force_auth=True)
        save_keys(self.store, keys, self.pickle_key)
        response, server = await self.query()
        await self._sign_device(keys, response, server)
        return recovery_key(keys)

    # -- internals --------------------------------------------------------------------------

    async def _upload(self, keys: BotKeys, *, force_auth: bool = False) -> None:
        user = self.user_id
        ssk = cross_signing_key(user, "self_signing", keys.self_signing.public)
        usk = cross_signing_key(user, "user_signing", keys.user_signing.public)
        body: dict[str, Any] = {
            "master_key": cross_signing_key(user, "master", keys.master.public),
            "self_signing_key": sign_object(ssk, user, keys.master),
            "user_signing_key": sign_object(usk, user, keys.master),
        }
        path = ["keys", "device_signing", "upload"]
        status, answer = await call(self.client, "POST", path, body)
        if status == 401 and "session" in answer:
            if not _offers_password(answer):
                raise IdentityError(
                    "the homeserver asks for a login step other than the password to set up "
                    "cross-signing; set it up once in Element, then restore or reset it"
                )
            if not self.password:
                raise IdentityError("setting up cross-signing needs the bot account's password")
            body["auth"] = {
                "type": "m.login.password",
                "identifier": {"type": "m.id.user", "user": user},
                "password": self.password,
                "session": answer["session"],
            }
            status, answer = await call(self.client, "POST", path, body)
        elif force_auth and status == 200:
            logger.warning("matrix: the homeserver replaced the identity without asking")
        if status != 200:
            raise IdentityError(
                f"the homeserver refused the cross-signing keys: HTTP {status} "
                f"{answer.get('errcode', '')} (is the password right?)"
            )

    async def _sign_device(
        self, keys: BotKeys, response: dict[str, Any], server: CrossSigningIdentity
    ) -> None:
        if server.self_signing_key != keys.self_signing.public:
            raise IdentityError(
                "the account's self-signing key is not ours: run `relais matrix reset-identity`"
            )
        if server.device_cross_signed(self.device_id):
            return
        device = ((response.get("device_keys") or {}).get(self.user_id) or {}).get(self.device_id)
        if not isinstance(device, dict):
            raise IdentityError("the bot's device keys are not on the homeserver yet")
        signed = sign_object(device, self.user_id, keys.self_signing)
        status, answer = await call(
            self.client,
            "POST",
            ["keys", "signatures", "upload"],
            {self.user_id: {self.device_id: signed}},
        )
        if status != 200 or answer.get("failures"):
            raise IdentityError(
                f"the homeserver refused the device signature: HTTP {status} "
                f"{sorted((answer.get('failures') or {}).get(self.user_id, {}))}"
            )
        _, server = await self.query()
        if not server.device_cross_signed(self.device_id):
            raise IdentityError("the device signature was accepted but does not verify")
        logger.info("matrix: device %s signed by the bot's identity", self.device_id)


def _offers_password(answer: dict[str, Any]) -> bool:
    flows = answer.get("flows") or []
    return any(flow.get("stages") == ["m.login.password"] for flow in flows)


def _foreign_identity(user_id: str, master_key: str) -> str:
    return (
        f"the account {user_id} already has a cross-signing identity (master key "
        f"{fingerprint(master_key)}) whose keys Relais does not hold. If Relais created it and "
        "you kept its recovery key: `relais matrix restore-identity`. Otherwise (made in "
        "Element, or the recovery key is lost): `relais matrix reset-identity` replaces it; "
        "every practitioner's client will then warn that the bot's identity changed"
    )
