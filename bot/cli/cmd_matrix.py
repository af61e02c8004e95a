"""`relais matrix status|restore-identity|reset-identity`: the bot's Matrix identity.

They use the `[matrix]` configuration, its password and pickle key, and the device saved in
`store_path` (restore-identity logs in a new device when the store was lost). Stop `relais run`
first: the commands open the same crypto store.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from bot.channels.matrix import MatrixChannel
from bot.channels.matrix_identity import BotIdentity
from bot.channels.matrix_keyfile import IdentityError
from bot.channels.matrix_send import NETWORK_ERRORS
from bot.channels.matrix_state import RECOVERY_KEY_FILE, load_credentials
from bot.cli.cmd_db import confirm, emit_json
from bot.config import Config, load_config
from bot.errors import ConfigError

__all__ = ["register"]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("matrix", help="the bot's Matrix identity: status, restore")
    sub = parser.add_subparsers(dest="matrix_command", metavar="ACTION", required=True)
    status = sub.add_parser(
        "status", help="device, cross-signing (as the homeserver shows it), master key"
    )
    status.add_argument("--json", action="store_true")
    status.set_defaults(func=_status)
    restore = sub.add_parser(
        "restore-identity", help="sign this (new) device with the identity of a recovery key"
    )
    restore.add_argument(
        "--recovery-key-file", metavar="FILE", help="read the recovery key from FILE"
    )
    restore.set_defaults(func=_restore)
    reset = sub.add_parser(
        "reset-identity",
        help="replace the account's identity (practitioners' clients will warn of the change)",
    )
    reset.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    reset.set_defaults(func=_reset)


def _channel(config: Config) -> MatrixChannel:
    if not config.matrix.homeserver or not config.matrix.user_id:
        raise ConfigError("set [matrix] homeserver and user_id first", "matrix")
    store = Path(config.matrix.store_path or config.data_path / "matrix")
    return MatrixChannel(
        config.matrix,
        password=config.matrix_password.read(),
        pickle_key=config.matrix_pickle_key.read(),
        store_path=store,
    )


def _with_identity(args: argparse.Namespace, fn: Callable[[BotIdentity], Awaitable[int]]) -> int:
    channel = _channel(load_config(args.config))

    async def main() -> int:
        try:
            await channel.open()
            return await fn(channel.identity)
        except NETWORK_ERRORS as exc:
            raise IdentityError(
                f"cannot reach {channel.config.homeserver} ({type(exc).__name__}): "
                "check the address and the network"
            ) from exc
        finally:
            await channel.stop()

    return asyncio.run(main())


def _status(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    store = Path(config.matrix.store_path or config.data_path / "matrix")
    if load_credentials(store) is None:
        raise IdentityError(f"no Matrix device in {store} yet: `relais run` logs in first")

    recovery = store / RECOVERY_KEY_FILE

    async def show(identity: BotIdentity) -> int:
        status = await identity.status()
        info = {
            "homeserver": config.matrix.homeserver,
            "user_id": status.user_id,
            "device_id": status.device_id,
            "device_cross_signed": status.device_cross_signed,
            "master_key": status.master_key,
            "master_key_fingerprint": status.fingerprint or None,
            "keys_held": status.keys_held,
            "recovery_key_file": str(recovery) if recovery.exists() else None,
        }
        if args.json:
            emit_json(info)
        else:
            signed = "yes" if status.device_cross_signed else "NO"
            print(f"homeserver   {config.matrix.homeserver}")
            print(f"user         {status.user_id}")
            print(f"device       {status.device_id} (cross-signed: {signed})")
            print(f"master key   {status.fingerprint or '(none: no identity on the account)'}")
            if status.master_key and not status.keys_held:
                print("warning: this store does not hold the identity's keys (README, Matrix)")
            if recovery.exists():
                print(f"warning: copy the recovery key in {recovery} offline, then delete it")
        return 0 if status.device_cross_signed else 1

    return _with_identity(args, show)


def _restore(args: argparse.Namespace) -> int:
    if args.recovery_key_file:
        recovery = Path(args.recovery_key_file).read_text(encoding="utf-8").strip()
        recovery = recovery.splitlines()[-1] if recovery else ""
    else:
        recovery = getpass.getpass("Recovery key (RLS ...): ")

    async def restore(identity: BotIdentity) -> int:
        await identity.restore(recovery)
        print(f"device {identity.device_id} is signed by the bot's identity again")
        return 0

    return _with_identity(args, restore)


def _reset(args: argparse.Namespace) -> int:
    confirm(args, "reset", "replace the bot's cross-signing identity")

    async def reset(identity: BotIdentity) -> int:
        recovery = await identity.reset()
        print(
            "A new identity signs this device. Every practitioner's client will warn that the "
            "bot's identity changed: tell them, and give them the new fingerprint "
            "(`relais matrix status`).\n\nRecovery key (keep it offline, it is shown once):\n"
        )
        print(recovery)
        sys.stdout.flush()
        return 0

    return _with_identity(args, reset)
