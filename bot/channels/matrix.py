"""The Matrix channel: matrix-nio with end-to-end encryption, translated to the neutral model.

    channel = MatrixChannel(config.matrix, password, pickle_key)
    await channel.start(chat_service.handle)      # logs in (or restores), first sync, returns
    await channel.send_to_user("@mentor:example.org", Reply("..."), idempotency_key="ck-42")
    await channel.stop()

`store_path`: default `[matrix] store_path`; `clock` stamps `Incoming.received_at`;
`undecryptable_text` is told when a key never arrives (default `DEFAULT_UNDECRYPTABLE_TEXT`).

Helpers: matrix_login, -identity (cross-signing), -trust, -send, -state, -incoming, -keys,
-rooms, -render, -workers, -sync, -replies. Guarantees (`Incoming.encryption_required`):
- The password is used once; the access token and device id are kept in `store_path` (0600)
  and restored afterwards, so the device and its crypto store (SqliteStore, real pickle key)
  stay the same across restarts.
- Before any invite is joined or room read, the device is signed by the account's
  cross-signing identity (created at first start; refused if the account has one we do not
  hold). Each `Incoming` carries the sender's `SenderIdentity`; with `device_trust =
  "cross-signed"` room keys go only to cross-signed devices, except that the answer to a
  message from an unsigned device is readable by that device (in a Megolm session of its own).
  `send_to_user(..., expected_identity=pinned key)` sends nothing to a user whose master key
  is not that one (unreachable, `IDENTITY_CHANGED`).
- Our own sync loop (`matrix_sync`): errors back off, `M_LIMIT_EXCEEDED` waits.
- The sync token is saved only once every event of its batch has been handled, and handled
  event ids are recorded, so a crash or restart neither loses nor re-answers a message.
- Each room has one worker: messages are handled and answered in order. A message the bot
  cannot decrypt yet holds its room: the room key is requested, decryption retried after every
  sync until `decryption_grace`; then the user is asked to send it again.
- Invites: the bot joins direct invites (or rooms of at most two members) and rejects others;
  it leaves a room that grows beyond two members. A message that still arrives from such a room
  is delivered with `is_direct=False` (the chat layer answers without case data).
- Logs carry room, event and user ids, never message text.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable
from pathlib import Path

from nio import (
    AsyncClient,
    AsyncClientConfig,
    Event,
    MegolmEvent,
    SyncResponse,
)
from nio.crypto import OlmDevice
from nio.store import SqliteStore

from bot.channels.base import Handler, SendResult
from bot.channels.matrix_identity import BotIdentity
from bot.channels.matrix_incoming import is_new, to_incoming
from bot.channels.matrix_keyfile import IdentityError
from bot.channels.matrix_keys import LateKeys
from bot.channels.matrix_login import MatrixChannelError, log_in
from bot.channels.matrix_replies import send_replies, send_reply, send_to_user
from bot.channels.matrix_rooms import Memberships
from bot.channels.matrix_send import NETWORK_ERRORS, Sender
from bot.channels.matrix_state import MatrixState, write_recovery_key
from bot.channels.matrix_sync import SyncLoop
from bot.channels.matrix_trust import TrustCache
from bot.channels.matrix_workers import Batch, RoomWorkers
from bot.chat.catalog import bundled
from bot.clock import Clock, SystemClock
from bot.config import MatrixConfig
from bot.messages import Reply, SenderIdentity

__all__ = ["DEFAULT_UNDECRYPTABLE_TEXT", "MatrixChannel", "MatrixChannelError"]

logger = logging.getLogger(__name__)

DEFAULT_UNDECRYPTABLE_TEXT = bundled().text("en", "undecryptable")


class MatrixChannel:
    name = "matrix"

    def __init__(
        self,
        config: MatrixConfig,
        password: str,
        pickle_key: str,
        *,
        store_path: str | Path | None = None,
        clock: Clock | None = None,
        undecryptable_text: str = DEFAULT_UNDECRYPTABLE_TEXT,
        sync_timeout_ms: int = 30_000,
        send_deadline: float = 600.0,
    ) -> None:
        if not pickle_key or pickle_key == "DEFAULT_KEY":
            raise MatrixChannelError("matrix: a real pickle key is required for the crypto store")
        path = store_path or config.store_path
        if not path:
            raise MatrixChannelError("matrix.store_path: the crypto store needs a directory")
        self.config = config
        self.store_path = Path(path).expanduser()
        self._password = password
        self._pickle_key = pickle_key
        self._now = (clock or SystemClock()).now
        self._undecryptable_text = undecryptable_text
        self._send_deadline = send_deadline
        self._handler: Handler | None = None
        self._client: AsyncClient | None = None
        self._sender: Sender | None = None
        self._state: MatrixState | None = None
        self._workers = RoomWorkers(self._handle_event, self._event_handled)
        self._batches: deque[Batch] = deque()
        self._late_keys: LateKeys | None = None
        self._trust: TrustCache | None = None
        self._identity: BotIdentity | None = None
        self._identity_ready = False  # our device is cross-signed (checked on the server)
        self._memberships: Memberships | None = None
        self._sync = SyncLoop(
            lambda: self.client,
            timeout_ms=sync_timeout_ms,
            ensure_identity=self._ensure_identity,
            after_sync=self._after_sync,
            log_in=self._login,
            on_sync=self._synced,
        )
        #: told after each sync: True when it succeeded (set by operations.health)
        self.on_poll: Callable[[bool], None] | None = None

    # -- properties -------------------------------------------------------------------------

    @property
    def client(self) -> AsyncClient:
        if self._client is None:
            raise MatrixChannelError("the Matrix channel is not started")
        return self._client

    @property
    def user_id(self) -> str:
        return self.config.user_id

    @property
    def device_id(self) -> str:
        return str(self.client.device_id or "")

    @property
    def late_keys(self) -> LateKeys:
        if self._late_keys is None:
            raise MatrixChannelError("the Matrix channel is not started")
        return self._late_keys

    @property
    def sender(self) -> Sender:
        if self._sender is None:
            raise MatrixChannelError("the Matrix channel is not started")
        return self._sender

    @property
    def sync_errors(self) -> int:
        return self._sync.errors  # failed sync requests (each followed by a growing pause)

    @property
    def rate_limited_count(self) -> int:
        return self._sender.rate_limited if self._sender is not None else 0  # sends retried

    @property
    def state(self) -> MatrixState:
        if self._state is None:
            raise MatrixChannelError("the Matrix channel is not started")
        return self._state

    # -- lifecycle --------------------------------------------------------------------------

    async def start(self, handler: Handler, first_sync_timeout: float = 15.0) -> None:
        """Log in (or restore), sync once and return; the loop goes on in the background (a
        homeserver that is down does not hold `start`: it retries with backoff). Raises
        `MatrixChannelError` on an impossible first login or a cross-signing identity that is
        not ours (`matrix_identity`: the message says what to do)."""
        self._handler = handler
        await self.open()
        try:
            await self._ensure_identity()
        except NETWORK_ERRORS as exc:
            logger.warning("matrix: identity check postponed (%s)", type(exc).__name__)
        except IdentityError as exc:
            await self.stop()
            raise MatrixChannelError(f"matrix: {exc}") from exc
        token = self.state.sync_token
        if token:
            self.client.next_batch = token
        self._sync.start(initial=token is None)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._sync.attempted.wait(), first_sync_timeout)

    async def open(self) -> None:
        """Log in (or restore) without syncing (`start`; the `relais matrix` commands)."""
        self.store_path.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._state = MatrixState(self.store_path / "relais-matrix.sqlite")
        client_config = AsyncClientConfig(
            store=SqliteStore,
            encryption_enabled=True,
            # tokens are saved by us once their batch is handled (MatrixState), not on receipt
            store_sync_tokens=False,
            pickle_key=self._pickle_key,
            max_limit_exceeded=0,  # we honour retry_after_ms ourselves
            max_timeouts=0,  # we back off ourselves
            request_timeout=60,
        )
        self._client = AsyncClient(
            self.config.homeserver,
            self.config.user_id,
            store_path=str(self.store_path),
            config=client_config,
        )
        self._late_keys = LateKeys(self._client, self.config.decryption_grace.total_seconds())
        self._memberships = Memberships(self._client, self._state, self.user_id)
        self._trust = TrustCache(self._client, self.config.device_trust)
        if not self._trust.enforced:
            logger.warning(
                'matrix: device_trust = "all": room keys go to, and messages are taken from, '
                "devices their owner has not cross-signed"
            )
        self._sender = Sender(self._client, trust=self._trust, deadline=self._send_deadline)
        await self._login()
        self._identity = BotIdentity(
            self._client, self.store_path, self._pickle_key, self._password
        )
        self._identity_ready = False

    async def stop(self, drain_timeout: float = 10.0) -> None:
        await self._sync.stop()
        await self._workers.stop(drain_timeout)
        self._batches.clear()
        if self._client is not None:
            await self._client.close()
        if self._state is not None:
            self._state.close()
            self._state = None

    async def _login(self) -> None:  # also after the homeserver revoked our token
        await log_in(self.client, self.config, self.store_path, self._password)

    async def _ensure_identity(self) -> None:
        """Our device is signed by the account's cross-signing identity before any invite is
        joined or room read (an Element user's key is withheld from an unsigned device)."""
        if self._identity is None or self._identity_ready:
            return
        recovery = await self._identity.ensure()
        if recovery is not None:
            path = write_recovery_key(self.store_path, recovery)
            logger.warning(
                "matrix: the bot's recovery key was written to %s: copy it somewhere safe "
                "offline, then delete that file (README, Matrix: the bot's identity)",
                path,
            )
        self._identity_ready = True

    @property
    def memberships(self) -> Memberships:
        if self._memberships is None:
            raise MatrixChannelError("the Matrix channel is not started")
        return self._memberships

    @property
    def trust(self) -> TrustCache:
        if self._trust is None:
            raise MatrixChannelError("the Matrix channel is not started")
        return self._trust

    @property
    def identity(self) -> BotIdentity:
        if self._identity is None:
            raise MatrixChannelError("the Matrix channel is not started")
        return self._identity

    def _synced(self, ok: bool) -> None:
        if self.on_poll is not None:
            self.on_poll(ok)

    # -- sync loop --------------------------------------------------------------------------

    async def _after_sync(self, response: SyncResponse, initial: bool) -> None:
        """Handle one sync response (after the crypto chores): trust, invites, new events."""
        self.trust.invalidate([*response.device_list.changed, *response.device_list.left])
        if self.user_id in response.device_list.changed:
            # our own keys changed (our signature, a new login, perhaps a new identity made
            # elsewhere): check again before the next sync that our device is still signed
            self._identity_ready = False
        for to_device in response.to_device_events:
            if to_device.source.get("type") == "m.room_key.withheld":
                self.late_keys.withheld(to_device.source.get("content") or {})

        rooms = self.memberships
        for room_id, invite in response.rooms.invite.items():
            rooms.on_invite(room_id, invite.invite_state)
        for room_id in response.rooms.leave:
            rooms.on_left(room_id)
        await rooms.apply()

        batch = Batch(token=response.next_batch)
        self._batches.append(batch)
        for room_id, info in response.rooms.join.items():
            for event in info.timeline.events:
                if is_new(self.state, self.user_id, room_id, event, initial=initial):
                    self._workers.submit(room_id, event, batch)
            rooms.check_size(room_id)
        self.late_keys.retry()
        self._save_tokens()

    def _save_tokens(self) -> None:
        while self._batches and self._batches[0].remaining == 0:
            self.state.save_sync_token(self._batches.popleft().token)

    # -- handling ---------------------------------------------------------------------------

    def _event_handled(self) -> None:
        if self._state is not None:
            self._save_tokens()

    async def _handle_event(self, room_id: str, event: Event) -> None:
        state = self.state
        if state.is_processed(event.event_id):
            return
        encrypted = isinstance(event, MegolmEvent) or bool(getattr(event, "decrypted", False))
        if isinstance(event, MegolmEvent):
            decrypted = await self.late_keys.wait(event)
            if decrypted is None:
                logger.warning(
                    "matrix: event %s in %s stayed undecryptable", event.event_id, room_id
                )
                if self.late_keys.first_loss(event):  # once per lost session
                    await send_replies(
                        self.sender,
                        room_id,
                        [Reply(self._undecryptable_text)],
                        event.event_id,
                        "",
                    )
                state.mark_processed(event.event_id, room_id)
                return
            event = decrypted
        incoming = to_incoming(
            self.client,
            self.client.rooms.get(room_id),
            room_id,
            event,
            encrypted=encrypted,
            encryption_required=self.config.require_encryption,
            now=self._now,
            sender_identity=await self._sender_identity(room_id, event),
        )
        if incoming is None or self._handler is None:
            state.mark_processed(event.event_id, room_id)
            return
        if incoming.is_direct:
            state.set_direct_room(incoming.user_id, room_id)
        replies = await self._handler(incoming)
        # a device its owner has not cross-signed reads the answer to what it sent (the chat
        # layer keeps case data out of it): a mentor on a new laptop still gets crisis help
        reader = self.trust.unsigned_sender(room_id, event)
        await send_replies(self.sender, room_id, replies, event.event_id, incoming.user_id, reader)
        state.mark_processed(event.event_id, room_id)

    async def _sender_identity(self, room_id: str, event: Event) -> SenderIdentity:
        try:
            return await self.trust.sender_identity(room_id, event)
        except NETWORK_ERRORS as exc:
            logger.warning("matrix: keys of a sender unknown (%s)", type(exc).__name__)
            return SenderIdentity(None, device_cross_signed=False, enforced=self.trust.enforced)

    # -- sending ----------------------------------------------------------------------------

    async def send_reply(
        self,
        room_id: str,
        reply: Reply,
        key: str,
        user_id: str = "",
        *,
        reader: OlmDevice | None = None,
    ) -> SendResult:
        """Send `reply` to a room (`matrix_replies.send_reply`)."""
        if self._sender is None:
            return SendResult("failed", detail="not started")
        return await send_reply(self._sender, room_id, reply, key, user_id, reader=reader)

    async def send_to_user(
        self,
        user_id: str,
        reply: Reply,
        idempotency_key: str | None = None,
        *,
        expected_identity: str | None = None,
    ) -> SendResult:
        client, state, sender, trust = self._client, self._state, self._sender, self._trust
        if client is None or state is None or sender is None or trust is None:
            return SendResult("failed", detail="not started")
        if expected_identity is not None:
            refused = await trust.refuse_unless(user_id, expected_identity)
            if refused is not None:
                return refused
        return await send_to_user(client, state, sender, user_id, reply, idempotency_key)
