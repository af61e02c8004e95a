"""The bot's cross-signing identity and the device trust policy, against a real Synapse.

Every check of the bot's identity is made from another user's `/keys/query` (what a
practitioner's client sees), signatures verified by `matrix_crosssign.read_identity`.
"""

from __future__ import annotations

import asyncio
import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from nio import AsyncClient, LoginResponse, UnknownToDeviceEvent

from bot.channels.matrix import MatrixChannel, MatrixChannelError
from bot.channels.matrix_crosssign import fingerprint
from bot.channels.matrix_identity import BotIdentity
from bot.channels.matrix_keyfile import KEY_FILE, BotKeys, keys_from_recovery, save_keys
from bot.channels.matrix_state import RECOVERY_KEY_FILE
from bot.cli import main
from bot.messages import Reply, SenderIdentity
from tests.matrix.conftest import (
    BOT_PASSWORD,
    BOT_PICKLE_KEY,
    PRACTITIONER_PASSWORD,
    BotFactory,
    Practitioner,
    PractitionerFactory,
    RecordingHandler,
)
from tests.matrix.crosssigning import cross_sign, identity_of

pytestmark = pytest.mark.synapse


def _config_file(
    tmp_path: Path, bots: BotFactory, user_id: str, store: str, monkeypatch: pytest.MonkeyPatch
) -> str:
    path = tmp_path / "relais.toml"
    path.write_text(
        f'data_dir = "{tmp_path / "data"}"\n[matrix]\nenabled = true\n'
        f'homeserver = "{bots.synapse.base_url}"\nuser_id = "{user_id}"\n'
        f'store_path = "{store}"\n'
    )
    monkeypatch.setenv("RELAIS_MATRIX_PASSWORD", BOT_PASSWORD)
    monkeypatch.setenv("RELAIS_MATRIX_PICKLE_KEY", BOT_PICKLE_KEY)
    return str(path)


async def _relais(*argv: str) -> int:
    """The `relais` command, as an admin runs it (its own event loop, in a thread)."""
    return await asyncio.to_thread(main, list(argv))


def _recovery_key(bot: MatrixChannel) -> str:
    text = (bot.store_path / RECOVERY_KEY_FILE).read_text()
    return text.strip().splitlines()[-1]


async def test_bot_device_is_signed_by_its_self_signing_key_signed_by_its_master_key(
    bots: BotFactory, practitioners: PractitionerFactory
) -> None:
    bot = await bots.start(RecordingHandler())
    mentor = await practitioners.new("mentor")

    seen = await identity_of(mentor.client, bot.user_id)
    assert seen.master_key is not None
    assert seen.self_signing_key is not None  # validly signed by the master key
    assert seen.device_cross_signed(bot.device_id)
    # the user-signing key is shown to its owner only
    _, own = await bot.identity.query()
    assert own.user_signing_key is not None
    assert own.master_key == seen.master_key

    # the recovery key, written once for the admin (0600), stands for that very master key
    path = bot.store_path / RECOVERY_KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert keys_from_recovery(_recovery_key(bot)).master.public == seen.master_key
    # the private keys on disk are encrypted: the seed is not in the key file
    seed = keys_from_recovery(_recovery_key(bot)).master.seed
    raw = (bot.store_path / KEY_FILE).read_bytes()
    assert seed not in raw
    assert seed.hex().encode() not in raw
    assert stat.S_IMODE((bot.store_path / KEY_FILE).stat().st_mode) == 0o600


async def test_restart_keeps_the_device_and_the_master_key(
    bots: BotFactory, practitioners: PractitionerFactory
) -> None:
    handler = RecordingHandler()
    bot = await bots.start(handler)
    mentor = await practitioners.new("mentor")
    before = await identity_of(mentor.client, bot.user_id)
    device_id = bot.device_id
    (bot.store_path / RECOVERY_KEY_FILE).unlink()  # the admin copied it and deleted it

    bot = await bots.restart(bot, handler)

    after = await identity_of(mentor.client, bot.user_id)
    assert bot.device_id == device_id
    assert after.master_key == before.master_key
    assert after.device_cross_signed(device_id)
    assert not (bot.store_path / RECOVERY_KEY_FILE).exists()  # shown once only
    room = await mentor.open_dm(bot.user_id)
    await mentor.say(room, "still me")
    assert (await mentor.next_message(room, timeout=15)).body == "echo: still me"


async def test_lost_store_is_refused_then_restored_with_the_recovery_key(
    bots: BotFactory,
    practitioners: PractitionerFactory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bot = await bots.start(RecordingHandler())
    mentor = await practitioners.new("mentor")
    master = (await identity_of(mentor.client, bot.user_id)).master_key
    recovery = _recovery_key(bot)
    await bot.stop()

    # the store is lost: a new device must not silently replace the identity
    fresh = bots.config(bot.user_id, store_path=str(tmp_path / "new-store"))
    lost = MatrixChannel(fresh, BOT_PASSWORD, BOT_PICKLE_KEY, sync_timeout_ms=2000)
    with pytest.raises(MatrixChannelError, match="restore-identity"):
        await lost.start(RecordingHandler())
    assert (await identity_of(mentor.client, bot.user_id)).master_key == master

    # relais matrix restore-identity: the same identity signs the new device
    (tmp_path / "recovery.txt").write_text(recovery + "\n")
    cli = _config_file(tmp_path, bots, bot.user_id, fresh.store_path, monkeypatch)
    assert await _relais("--config", cli, "matrix", "status") == 1  # not cross-signed yet
    restore = ("matrix", "restore-identity", "--recovery-key-file", str(tmp_path / "recovery.txt"))
    assert await _relais("--config", cli, *restore) == 0
    restored = await bots.start(
        RecordingHandler(), user_id=bot.user_id, store_path=fresh.store_path
    )
    seen = await identity_of(mentor.client, bot.user_id)
    assert seen.master_key == master
    assert restored.device_id != bot.device_id
    assert seen.device_cross_signed(restored.device_id)
    room = await mentor.open_dm(restored.user_id)
    await mentor.say(room, "after restore")
    assert (await mentor.next_message(room, timeout=15)).body == "echo: after restore"


async def test_an_identity_made_elsewhere_is_detected_and_not_overwritten(
    bots: BotFactory, practitioners: PractitionerFactory, tmp_path: Path
) -> None:
    user_id = bots.register()
    # someone logged in as the bot in Element, which set up cross-signing
    element = AsyncClient(bots.synapse.base_url, user_id, store_path=str(tmp_path / "element"))
    os.makedirs(tmp_path / "element")
    assert isinstance(await element.login(BOT_PASSWORD, device_name="Element"), LoginResponse)
    try:
        await element.keys_upload()
        elsewhere = await cross_sign(element, BOT_PASSWORD)
    finally:
        await element.close()
    mentor = await practitioners.new("mentor")

    with pytest.raises(MatrixChannelError, match="already has a cross-signing identity"):
        await bots.start(RecordingHandler(), user_id=user_id)

    seen = await identity_of(mentor.client, user_id)
    assert seen.master_key == elsewhere.master.public


async def test_an_unsigned_device_is_reported_and_reads_only_the_answers_to_itself(
    bots: BotFactory, practitioners: PractitionerFactory
) -> None:
    handler = RecordingHandler()
    bot = await bots.start(handler)
    mentor = await practitioners.new("mentor")
    master = practitioners.identities[mentor.user_id].master.public
    room = await mentor.open_dm(bot.user_id, wait_join=True)

    await mentor.say(room, "from my phone")
    assert (await mentor.next_message(room, timeout=15)).body == "echo: from my phone"
    assert handler.seen[-1].sender_identity == SenderIdentity(master, True, enforced=True)

    # a second device the practitioner did not cross-sign (or someone else's login)
    unsigned = await practitioners.new_device(mentor, cross_signed=False)
    await unsigned.wait_for(lambda: room in unsigned.client.rooms, what="room on 2nd device")
    await unsigned.say(room, "from an unsigned laptop")
    # the answer to its own message is readable there (the chat layer keeps case data out)
    assert (await unsigned.next_message(room, timeout=15)).body == "echo: from an unsigned laptop"
    assert handler.seen[-1].sender_identity == SenderIdentity(master, False, enforced=True)
    assert (await mentor.next_message(room, timeout=15)).body == "echo: from an unsigned laptop"
    # ...and nothing after it: the answer to the phone has a session the laptop never gets,
    # and the laptop is told so (m.room_key.withheld), as Element tells a device it excludes
    withheld: list[dict[str, Any]] = []
    unsigned.client.add_to_device_callback(
        lambda event: withheld.append(event.source), UnknownToDeviceEvent
    )
    await mentor.say(room, "from my phone again")
    assert (await mentor.next_message(room, timeout=15)).body == "echo: from my phone again"
    assert (await unsigned.next_message(room, timeout=15)).msgtype == "undecryptable"
    await unsigned.wait_for(lambda: bool(withheld), what="a withheld notice")
    [notice] = withheld
    assert (notice["type"], notice["sender"]) == ("m.room_key.withheld", bot.user_id)
    assert (notice["content"]["code"], notice["content"]["room_id"]) == ("m.unverified", room)
    assert handler.seen[-1].sender_identity == SenderIdentity(master, True, enforced=True)


async def test_device_trust_all_talks_to_devices_without_cross_signing(
    bots: BotFactory, practitioners: PractitionerFactory
) -> None:
    handler = RecordingHandler()
    bot = await bots.start(handler, device_trust="all")
    legacy = await practitioners.new("legacy", cross_signed=False)
    room = await legacy.open_dm(bot.user_id)

    await legacy.say(room, "old client")
    reply = await legacy.next_message(room, timeout=15)
    assert (reply.body, reply.encrypted) == ("echo: old client", True)
    assert handler.seen[-1].sender_identity == SenderIdentity(None, False, enforced=False)
    # the bot itself is still cross-signed
    assert (await identity_of(legacy.client, bot.user_id)).device_cross_signed(bot.device_id)


async def test_strict_bot_encrypts_nothing_but_its_answers_to_a_device_without_cross_signing(
    bots: BotFactory, practitioners: PractitionerFactory
) -> None:
    handler = RecordingHandler()
    bot = await bots.start(handler)  # device_trust = "cross-signed", the default
    legacy = await practitioners.new("legacy", cross_signed=False)
    room = await legacy.open_dm(bot.user_id)

    await legacy.say(room, "old client")
    assert (await legacy.next_message(room, timeout=15)).body == "echo: old client"
    assert handler.seen[-1].sender_identity == SenderIdentity(None, False, enforced=True)
    # a reminder is not an answer: with no cross-signed device, the practitioner is unreachable
    result = await bot.send_to_user(legacy.user_id, Reply("Check-in due"), "ck-1")
    assert (result.status, result.detail) == ("unreachable", "no device")
    await legacy.no_message(room, wait=1.5)

    lenient = await bots.start(RecordingHandler(), device_trust="all")
    other = await lenient.send_to_user(legacy.user_id, Reply("Check-in due"), "ck-2")
    assert other.status == "sent"
    reply = await legacy.next_message(await _room_with(legacy, lenient.user_id), timeout=15)
    assert reply.body == "Check-in due"


async def _room_with(practitioner: Practitioner, user_id: str) -> str:
    def found() -> str | None:
        for room_id, room in practitioner.client.rooms.items():
            if user_id in room.users and practitioner.user_id in room.users:
                return room_id
        return None

    await practitioner.wait_for(lambda: found() is not None, what="the bot's DM")
    room_id = found()
    assert room_id is not None
    return room_id


async def test_status_command_reads_the_cross_signing_from_the_homeserver(
    bots: BotFactory,
    practitioners: PractitionerFactory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    bot = await bots.start(RecordingHandler())
    mentor = await practitioners.new("mentor")
    master = (await identity_of(mentor.client, bot.user_id)).master_key
    assert master is not None
    device_id = bot.device_id
    await bot.stop()
    cli = _config_file(tmp_path, bots, bot.user_id, str(bot.store_path), monkeypatch)
    capsys.readouterr()

    assert await _relais("--config", cli, "matrix", "status", "--json") == 0
    status = json.loads(capsys.readouterr().out)
    assert status == {
        "homeserver": bots.synapse.base_url,
        "user_id": bot.user_id,
        "device_id": device_id,
        "device_cross_signed": True,
        "master_key": master,
        "master_key_fingerprint": fingerprint(master),
        "keys_held": True,
        "recovery_key_file": str(bot.store_path / RECOVERY_KEY_FILE),
    }
    assert await _relais("--config", cli, "matrix", "status") == 0
    text = capsys.readouterr().out
    assert f"device       {device_id} (cross-signed: yes)" in text
    assert f"master key   {fingerprint(master)}" in text
    assert "copy the recovery key" in text
    (bot.store_path / RECOVERY_KEY_FILE).unlink()
    assert await _relais("--config", cli, "matrix", "status") == 0
    assert "recovery key" not in capsys.readouterr().out


async def test_reset_identity_replaces_it_only_with_the_password_and_says_so(
    bots: BotFactory,
    practitioners: PractitionerFactory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    bot = await bots.start(RecordingHandler())
    mentor = await practitioners.new("mentor")
    old = (await identity_of(mentor.client, bot.user_id)).master_key
    await bot.stop()
    cli = _config_file(tmp_path, bots, bot.user_id, str(bot.store_path), monkeypatch)

    # Synapse asks for the password to replace an identity (user-interactive auth)
    monkeypatch.setenv("RELAIS_MATRIX_PASSWORD", "not-the-password")
    assert await _relais("--config", cli, "matrix", "reset-identity", "--yes") == 1
    assert "refused the cross-signing keys: HTTP 401" in capsys.readouterr().err
    assert (await identity_of(mentor.client, bot.user_id)).master_key == old

    monkeypatch.setenv("RELAIS_MATRIX_PASSWORD", BOT_PASSWORD)
    assert await _relais("--config", cli, "matrix", "reset-identity", "--yes") == 0
    printed = capsys.readouterr().out
    new = await identity_of(mentor.client, bot.user_id)
    assert new.master_key not in (None, old)
    assert new.device_cross_signed(bot.device_id)
    recovery = printed.strip().splitlines()[-1]
    assert keys_from_recovery(recovery).master.public == new.master_key
    assert "warn that the bot's identity changed" in printed

    restarted = await bots.start(
        RecordingHandler(), user_id=bot.user_id, store_path=str(bot.store_path)
    )
    assert restarted.device_id == bot.device_id


async def test_a_device_cross_signed_later_is_trusted_once_its_owners_devices_change(
    bots: BotFactory, practitioners: PractitionerFactory
) -> None:
    handler = RecordingHandler()
    bot = await bots.start(handler)
    phone = await practitioners.new("mentor")
    room = await phone.open_dm(bot.user_id, wait_join=True)
    laptop = await practitioners.new_device(phone, cross_signed=False)
    await laptop.wait_for(lambda: room in laptop.client.rooms, what="room on the laptop")
    await laptop.say(room, "before")
    assert (await laptop.next_message(room, timeout=15)).body == "echo: before"
    assert (await phone.next_message(room, timeout=15)).body == "echo: before"
    before = handler.seen[-1].sender_identity
    assert before is not None
    assert not before.device_cross_signed

    # the practitioner verifies the laptop from the phone (signs it with their identity)
    await cross_sign(laptop.client, PRACTITIONER_PASSWORD, practitioners.identities[phone.user_id])

    # the bot learns it from device_lists.changed: the answer to the phone reaches the laptop
    await phone.say(room, "after")
    assert (await phone.next_message(room, timeout=15)).body == "echo: after"
    assert (await laptop.next_message(room, timeout=15)).body == "echo: after"
    await laptop.say(room, "from the verified laptop")
    assert (await laptop.next_message(room, timeout=15)).body == "echo: from the verified laptop"
    after = handler.seen[-1].sender_identity
    assert after is not None
    assert after.device_cross_signed
    assert bot.trust.queries <= 4  # cached between changes, not one query per message


async def test_an_identity_replaced_elsewhere_while_running_stops_the_bot_reading_rooms(
    bots: BotFactory,
    practitioners: PractitionerFactory,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    bot = await bots.start(RecordingHandler())
    mentor = await practitioners.new("mentor")
    room = await mentor.open_dm(bot.user_id, wait_join=True)
    await mentor.say(room, "hello")
    assert (await mentor.next_message(room, timeout=15)).body == "echo: hello"

    # someone with the bot's password resets its cross-signing from another login
    rogue = AsyncClient(bots.synapse.base_url, bot.user_id, store_path=str(tmp_path / "rogue"))
    os.makedirs(tmp_path / "rogue")
    assert isinstance(await rogue.login(BOT_PASSWORD, device_name="Element"), LoginResponse)
    try:
        await rogue.keys_upload()
        await BotIdentity(rogue, tmp_path / "rogue", "rogue-pickle", BOT_PASSWORD).reset()
    finally:
        await rogue.close()

    def noticed() -> bool:
        return any("not reading any room" in r.getMessage() for r in caplog.records)

    await mentor.wait_for(noticed, 30, "the bot to notice its identity changed")
    assert "relais matrix reset-identity" in caplog.text
    await mentor.say(room, "anyone there?")
    await mentor.no_message(room, wait=3.0)


async def test_keys_saved_before_a_failed_upload_are_uploaded_and_their_recovery_key_shown(
    bots: BotFactory, practitioners: PractitionerFactory, tmp_path: Path
) -> None:
    user_id = bots.register()
    store = tmp_path / "interrupted"
    store.mkdir()
    keys = BotKeys.generate()  # as if the first start was cut off between saving and uploading
    save_keys(store, keys, BOT_PICKLE_KEY)

    bot = await bots.start(RecordingHandler(), user_id=user_id, store_path=str(store))

    mentor = await practitioners.new("mentor")
    seen = await identity_of(mentor.client, user_id)
    assert seen.master_key == keys.master.public
    assert seen.device_cross_signed(bot.device_id)
    assert keys_from_recovery(_recovery_key(bot)).master.public == keys.master.public
