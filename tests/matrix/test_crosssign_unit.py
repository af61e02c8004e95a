"""Cross-signing signatures, the key file and the raw API calls, without Synapse: what must be
refused, and what is only a transient failure."""

from __future__ import annotations

import base64
import copy
import stat
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from nio import AsyncClient

from bot.channels.matrix_api import ServerUnavailable, keys_query
from bot.channels.matrix_crosssign import (
    SigningKey,
    canonical_json,
    cross_signing_key,
    read_identity,
    sign_object,
    verify_object,
)
from bot.channels.matrix_keyfile import (
    KEY_FILE,
    BotKeys,
    IdentityError,
    keys_from_recovery,
    load_keys,
    recovery_key,
    save_keys,
)

USER = "@mentor:localhost"


def _device(user: str, device_id: str, device_key: SigningKey) -> dict[str, Any]:
    body = {
        "user_id": user,
        "device_id": device_id,
        "algorithms": ["m.olm.v1.curve25519-aes-sha2", "m.megolm.v1.aes-sha2"],
        "keys": {
            f"ed25519:{device_id}": device_key.public,
            f"curve25519:{device_id}": "Y3VydmUyNTUxOWtleW9mdGhpc2RldmljZTAxMjM0NTY",
        },
        "unsigned": {"device_display_name": "phone"},
    }
    signed = sign_object(body, user, device_key)
    # sign_object keys signatures by the public key; a device signs as ed25519:<device id>
    signature = signed["signatures"][user].pop(f"ed25519:{device_key.public}")
    signed["signatures"][user][f"ed25519:{device_id}"] = signature
    return signed


def _answer(keys: BotKeys, devices: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {
        "device_keys": {USER: devices},
        "master_keys": {USER: cross_signing_key(USER, "master", keys.master.public)},
        "self_signing_keys": {
            USER: sign_object(
                cross_signing_key(USER, "self_signing", keys.self_signing.public),
                USER,
                keys.master,
            )
        },
    }


def test_canonical_json_sorts_keys_without_spaces_and_keeps_unicode() -> None:
    assert canonical_json({"b": 1, "a": {"d": "é", "c": [1, 2]}}) == (
        '{"a":{"c":[1,2],"d":"é"},"b":1}'.encode()
    )


def test_a_device_signed_by_the_self_signing_key_is_cross_signed() -> None:
    keys = BotKeys.generate()
    device_key = SigningKey.generate()
    device = sign_object(_device(USER, "PHONE", device_key), USER, keys.self_signing)
    identity = read_identity(_answer(keys, {"PHONE": device}), USER)
    assert identity.master_key == keys.master.public
    assert identity.self_signing_key == keys.self_signing.public
    assert identity.device_cross_signed("PHONE")
    assert verify_object(device, USER, "PHONE", device_key.public)


def test_what_is_not_cross_signed() -> None:
    keys = BotKeys.generate()
    other = BotKeys.generate()
    device_key = SigningKey.generate()
    unsigned = _device(USER, "LAPTOP", device_key)
    by_stranger = sign_object(_device(USER, "STRANGE", device_key), USER, other.self_signing)
    tampered = sign_object(_device(USER, "TAMPER", device_key), USER, keys.self_signing)
    tampered["keys"]["curve25519:TAMPER"] = "c3dhcHBlZGN1cnZla2V5YnlhbmF0dGFja2VyMDEyMzQ"
    answer = _answer(keys, {"LAPTOP": unsigned, "STRANGE": by_stranger, "TAMPER": tampered})
    identity = read_identity(answer, USER)
    assert identity.devices == {"LAPTOP", "STRANGE", "TAMPER"}
    assert dict(identity.cross_signed_devices) == {}

    # a self-signing key the master key did not sign makes every device unsigned
    good = sign_object(_device(USER, "PHONE", device_key), USER, other.self_signing)
    forged = _answer(keys, {"PHONE": good})
    forged["self_signing_keys"][USER] = sign_object(
        cross_signing_key(USER, "self_signing", other.self_signing.public), USER, other.master
    )
    identity = read_identity(forged, USER)
    assert identity.self_signing_key is None
    assert not identity.device_cross_signed("PHONE")

    # a master key published for another user is no master key
    moved = copy.deepcopy(forged)
    moved["master_keys"][USER]["user_id"] = "@other:localhost"
    assert read_identity(moved, USER).master_key is None


def test_recovery_key_round_trip_and_typo() -> None:
    keys = BotKeys.generate()
    text = recovery_key(keys)
    assert text.startswith("RLS ")
    again = keys_from_recovery(text.lower().replace(" ", ""))
    assert (again.master.public, again.self_signing.public, again.user_signing.public) == (
        keys.master.public,
        keys.self_signing.public,
        keys.user_signing.public,
    )
    groups = text.split()
    typo = groups[1][0].replace("A", "B") if groups[1][0] == "A" else "A"
    groups[1] = typo + groups[1][1:]
    with pytest.raises(IdentityError, match="mistyped"):
        keys_from_recovery(" ".join(groups))
    with pytest.raises(IdentityError, match="not a Relais recovery key"):
        keys_from_recovery("EsTc 1234 abcd")


def test_key_file_is_private_encrypted_and_needs_the_pickle_key(tmp_path: Path) -> None:
    keys = BotKeys.generate()
    save_keys(tmp_path, keys, "the-pickle-key")
    path = tmp_path / KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    raw = path.read_bytes()
    assert keys.master.seed not in raw
    assert base64.b64encode(keys.master.seed) not in raw
    loaded = load_keys(tmp_path, "the-pickle-key")
    assert loaded is not None
    assert loaded.master.public == keys.master.public
    with pytest.raises(IdentityError, match="cannot be decrypted with this pickle key"):
        load_keys(tmp_path, "another-key")
    path.write_text("{}")
    with pytest.raises(IdentityError, match="damaged"):
        load_keys(tmp_path, "the-pickle-key")
    assert load_keys(tmp_path / "nowhere", "the-pickle-key") is None


async def test_an_overloaded_homeserver_is_a_transient_failure_not_a_refusal() -> None:
    status = {"code": 502}

    async def handler(request: web.Request) -> web.Response:
        if status["code"] != 200:
            return web.Response(status=status["code"], text="<html>Bad gateway</html>")
        return web.json_response({"device_keys": {USER: {}}})

    app = web.Application()
    app.router.add_post("/_matrix/client/v3/keys/query", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    client = AsyncClient(f"http://127.0.0.1:{port}", USER)
    client.access_token = "token"
    try:
        with pytest.raises(ServerUnavailable, match="HTTP 502"):
            await keys_query(client, [USER])
        status["code"] = 429
        with pytest.raises(ServerUnavailable, match="HTTP 429"):
            await keys_query(client, [USER])
        status["code"] = 200
        assert await keys_query(client, [USER]) == {"device_keys": {USER: {}}}
    finally:
        await client.close()
        await runner.cleanup()
