"""Cross-signing for test clients, with the bot's own code (`bot.channels.matrix_identity`).

    keys = await cross_sign(practitioner.client, "practitioner-password")      # a new identity
    await cross_sign(second_device.client, "practitioner-password", keys)       # same identity
    identity = await identity_of(observer.client, bot.user_id)                  # as others see it
    await reset_cross_signing(practitioner.client, "practitioner-password")     # a new identity

`identity_of` reads another user's identity through the observer's own `/keys/query`, every
signature checked (`matrix_crosssign.read_identity`): what a practitioner's client sees.
"""

from __future__ import annotations

from pathlib import Path

from nio import AsyncClient

from bot.channels.matrix_api import keys_query
from bot.channels.matrix_crosssign import CrossSigningIdentity, read_identity
from bot.channels.matrix_identity import BotIdentity
from bot.channels.matrix_keyfile import BotKeys, load_keys, save_keys

__all__ = ["cross_sign", "identity_of", "reset_cross_signing"]

_PICKLE_KEY = "test-cross-signing-pickle-key"


async def cross_sign(client: AsyncClient, password: str, keys: BotKeys | None = None) -> BotKeys:
    """Give the client's account a cross-signing identity (or reuse `keys`, already uploaded)
    and sign the client's device with it; returns the keys."""
    store = Path(client.store_path)
    if keys is not None:
        save_keys(store, keys, _PICKLE_KEY)
    await BotIdentity(client, store, _PICKLE_KEY, password).ensure()
    saved = load_keys(store, _PICKLE_KEY)
    assert saved is not None
    return saved


async def identity_of(observer: AsyncClient, user_id: str) -> CrossSigningIdentity:
    return read_identity(await keys_query(observer, [user_id]), user_id)


async def reset_cross_signing(client: AsyncClient, password: str) -> BotKeys:
    """Replace the account's identity with a new one signing this device (what "reset
    cross-signing" in Element, or someone else taking over the account, does)."""
    store = Path(client.store_path)
    await BotIdentity(client, store, _PICKLE_KEY, password).reset()
    saved = load_keys(store, _PICKLE_KEY)
    assert saved is not None
    return saved
