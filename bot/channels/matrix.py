"""The Matrix channel: matrix-nio with end-to-end encryption, translated to the neutral model.

    channel = MatrixChannel(config.matrix, password, pickle_key)
    await channel.start(chat_service.handle)      # logs in (or restores), first sync, returns
    await channel.send_to_user("@mentor:example.org", Reply("..."), idempotency_key="ck-42")
    await channel.stop()

`store_path` defaults to `[matrix] store_path`; `clock` stamps `Incoming.received_at`;
`undecryptable_text` is what a practitioner is told when a message's key never arrives (pass the
catalog's localised text).

Lifecycle and guarantees (helpers: `matrix_login` the device's session, `matrix_identity` its
cross-signing, `matrix_trust` which devices of others it trusts, `matrix_send` sending with
retries and transaction ids, `matrix_state` what is kept on disk, `matrix_incoming` events ->
`Incoming`, `matrix_keys` late or withheld room keys, `matrix_rooms` invites and DMs,
`matrix_render` `Reply` -> message content):
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
- Our own sync loop (not nio's `sync_forever`, which retries a failing server at once): errors
  back off exponentially, `M_LIMIT_EXCEEDED` waits `retry_after_ms`.
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
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nio import (
    AsyncClient,
    AsyncClientConfig,
    Event,
    MegolmEvent,
    RoomMemberEvent,
    RoomMessageText,
    SyncResponse,
)
from nio.crypto import OlmDevice
from nio.store import SqliteStore

from bot.channels.base import Handler, SendResult
from bot.channels.matrix_identity import BotIdentity
from bot.channels.matrix_incoming import is_answerable, to_incoming
from bot.channels.matrix_keyfile import IdentityError
from bot.channels.matrix_keys import LateKeys
from bot.channels.matrix_login import MatrixChannelError, log_in
from bot.channels.matrix_render import render_reply
from bot.channels.matrix_rooms import DirectRooms, Memberships
from bot.channels.matrix_send import NETWORK_ERRORS, Sender, backoff, retry_delay, tx_id_for
from bot.channels.matrix_state import MatrixState, write_recovery_key
from bot.channels.matrix_trust import TrustCache
from bot.clock import Clock, SystemClock
from bot.config import MatrixConfig
from bot.messages import Reply, SenderIdentity, is_sos

__all__ = ["DEFAULT_UNDECRYPTABLE_TEXT", "MatrixChannel", "MatrixChannelError"]

logger = logging.getLogger(__name__)

DEFAULT_UNDECRYPTABLE_TEXT = (
    "I could not decrypt your last message (its key did not reach me). Please send it again."
)
_SYNC_FILTER: dict[str, Any] = {
    "room": {"timeline": {"limit": 100}, "state": {"lazy_load_members": False}},
    "presence": {"types": []},
}


@dataclass(slots=True)
class _Batch:
    """The events of one sync response; its token is saved once they are all handled."""

    token: str
    remaining: int = 0


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
        self._sync_timeout_ms = sync_timeout_ms
        self._send_deadline = send_deadline
        self._handler: Handler | None = None
        self._client: AsyncClient | None = None
        self._sender: Sender | None = None
        self._state: MatrixState | None = None
        self._sync_task: asyncio.Task[None] | None = None
        self._workers: dict[str, asyncio.Task[None]] = {}
        self._queues: dict[str, asyncio.Queue[tuple[Event, _Batch]]] = {}
        #: rooms whose worker is handling an event, and the /sos handled beside them
        self._handling: set[str] = set()
        self._express: set[asyncio.Task[None]] = set()
        self._beside: set[str] = set()  # rooms with a /sos handled beside (one at a time)
        self._batches: deque[_Batch] = deque()
        self._late_keys: LateKeys | None = None
        self._trust: TrustCache | None = None
        self._identity: BotIdentity | None = None
        self._identity_ready = False  # our device is cross-signed (checked on the server)
        self._memberships: Memberships | None = None
        self._synced = asyncio.Event()  # a sync succeeded in this run
        self._attempted = asyncio.Event()  # a sync was tried (succeeded or failed)
        self._stopping = False
        #: failed sync requests since construction (each followed by a growing pause)
        self.sync_errors = 0
        #: told after each sync: True when it succeeded (health and metrics)
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
    def rate_limited_count(self) -> int:
        """How many sends the homeserver rate-limited (each was retried after retry_after_ms)."""
        return self._sender.rate_limited if self._sender is not None else 0

    @property
    def state(self) -> MatrixState:
        if self._state is None:
            raise MatrixChannelError("the Matrix channel is not started")
        return self._state

    # -- lifecycle --------------------------------------------------------------------------

    async def start(self, handler: Handler, first_sync_timeout: float = 15.0) -> None:
        """Log in (or restore the saved device), then sync once and return; the sync loop
        goes on in the background. A homeserver that is down does not hold `start` (and so the
        other channels): the loop keeps retrying with backoff. Raises `MatrixChannelError` if a
        first login is impossible (wrong password, unreachable homeserver) or the account's
        cross-signing identity is not ours (`matrix_identity`: the message says what to do)."""
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
        self._sync_task = asyncio.create_task(self._sync_loop(initial=token is None))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._attempted.wait(), first_sync_timeout)

    async def open(self) -> None:
        """Log in (or restore the saved device) without syncing: `start` goes on from here;
        the `relais matrix` commands use `identity` and then `stop`."""
        self._stopping = False
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
        self._stopping = True
        if self._sync_task is not None:
            self._sync_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sync_task
            self._sync_task = None
        queues = list(self._queues.values())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*(q.join() for q in queues)), drain_timeout)
        for worker in [*self._workers.values(), *self._express]:
            worker.cancel()
        for worker in [*self._workers.values(), *self._express]:
            with contextlib.suppress(asyncio.CancelledError):
                await worker
        self._workers.clear()
        self._express.clear()
        self._handling.clear()
        self._beside.clear()
        self._queues.clear()
        self._batches.clear()
        self._synced.clear()
        self._attempted.clear()
        if self._client is not None:
            await self._client.close()
        if self._state is not None:
            self._state.close()
            self._state = None

    async def _login(self) -> None:
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

    # -- sync loop --------------------------------------------------------------------------

    async def _sync_loop(self, initial: bool) -> None:
        failures = 0
        first = True  # the first sync of a run returns at once (start() waits for it)
        while not self._stopping:
            timeout = 0 if first else self._sync_timeout_ms
            delay: float | None = None
            try:
                await self._ensure_identity()
            except IdentityError as exc:
                # no room is read while our device is not signed by the account's identity
                logger.error("matrix: not reading any room: %s", exc)
                failures += 1
                self._attempted.set()
                await asyncio.sleep(backoff(failures, base=5.0, cap=300.0))
                continue
            except NETWORK_ERRORS:
                failures += 1
                self._attempted.set()
                await asyncio.sleep(backoff(failures, base=0.5, cap=60.0))
                continue
            try:
                response = await self.client.sync(timeout=timeout, sync_filter=_SYNC_FILTER)
            except NETWORK_ERRORS as exc:
                delay, reason = backoff(failures, base=0.5, cap=60.0), type(exc).__name__
            else:
                if isinstance(response, SyncResponse):
                    failures = 0
                    try:
                        await self._after_sync(response, initial)
                    except NETWORK_ERRORS as exc:
                        logger.warning("matrix: after-sync work failed: %s", type(exc).__name__)
                    except Exception:
                        logger.exception("matrix: after-sync work failed")
                    initial = first = False
                    if self.on_poll is not None:
                        self.on_poll(True)
                    self._synced.set()
                    self._attempted.set()
                    continue
                delay = retry_delay(response, failures)
                reason = str(response.status_code)
                if response.status_code == "M_UNKNOWN_TOKEN":
                    with contextlib.suppress(MatrixChannelError, *NETWORK_ERRORS):
                        await self._login()  # same device id, so the same crypto identity
                if delay is None:
                    delay = backoff(failures, base=2.0, cap=300.0)
            failures += 1
            self.sync_errors += 1
            if self.on_poll is not None:
                self.on_poll(False)
            self._attempted.set()
            logger.warning("matrix: sync failed (%s); retrying in %.1fs", reason, delay)
            await asyncio.sleep(delay)

    async def _after_sync(self, response: SyncResponse, initial: bool) -> None:
        client = self.client
        # The crypto chores nio's sync_forever does between syncs.
        if client.outgoing_to_device_messages:
            await client.send_to_device_messages()
        if client.should_upload_keys:
            await client.keys_upload()
        if client.should_query_keys:
            await client.keys_query()
        if client.should_claim_keys:
            await client.keys_claim(client.get_users_for_key_claiming())
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

        batch = _Batch(token=response.next_batch)
        self._batches.append(batch)
        for room_id, info in response.rooms.join.items():
            for event in info.timeline.events:
                if self._should_handle(room_id, event, initial):
                    batch.remaining += 1
                    if (
                        room_id in self._handling
                        and room_id not in self._beside
                        and _is_sos(event)
                    ):
                        self._handle_beside(room_id, event, batch)  # never behind a slow turn
                    else:
                        self._queue(room_id).put_nowait((event, batch))
            rooms.check_size(room_id)
        self.late_keys.retry()
        self._save_tokens()

    def _should_handle(self, room_id: str, event: Event, initial: bool) -> bool:
        if isinstance(event, RoomMemberEvent) and event.state_key == self.user_id:
            if event.membership in ("invite", "join"):
                self.state.set_room_since(room_id, event.server_timestamp)
            return False
        if not is_answerable(event):
            return False  # not a message, an edit, or an automatic notice
        if event.sender == self.user_id or self.state.is_processed(event.event_id):
            return False
        since = self.state.room_since(room_id) or self.state.first_start_ms
        if initial or event.server_timestamp < min(since, int(time.time() * 1000)):
            self.state.mark_processed(event.event_id, room_id)
            return False
        return True

    def _save_tokens(self) -> None:
        while self._batches and self._batches[0].remaining == 0:
            self.state.save_sync_token(self._batches.popleft().token)

    # -- handling ---------------------------------------------------------------------------

    def _queue(self, room_id: str) -> asyncio.Queue[tuple[Event, _Batch]]:
        queue = self._queues.get(room_id)
        if queue is None:
            queue = self._queues[room_id] = asyncio.Queue()
            self._workers[room_id] = asyncio.create_task(self._worker(room_id, queue))
        return queue

    def _handle_beside(self, room_id: str, event: Event, batch: _Batch) -> None:
        """Handle a /sos at once, beside the room's busy worker (bot.chat.sos answers it
        without waiting for the conversation's lock)."""

        async def run() -> None:
            try:
                await self._handle_event(room_id, event)
            except Exception:
                logger.exception("matrix: handling event %s in %s failed", event.event_id, room_id)
            finally:
                self._beside.discard(room_id)
            batch.remaining -= 1
            if self._state is not None:
                self._save_tokens()

        self._beside.add(room_id)
        task = asyncio.create_task(run())
        self._express.add(task)
        task.add_done_callback(self._express.discard)

    async def _worker(self, room_id: str, queue: asyncio.Queue[tuple[Event, _Batch]]) -> None:
        while True:
            event, batch = await queue.get()
            self._handling.add(room_id)
            try:
                await self._handle_event(room_id, event)
            except asyncio.CancelledError:
                # stopped mid-way: the batch's token stays unsaved, so after a restart the
                # event is synced again (and, if it was answered, skipped as processed)
                raise
            except Exception:
                logger.exception("matrix: handling event %s in %s failed", event.event_id, room_id)
            finally:
                self._handling.discard(room_id)
            batch.remaining -= 1
            queue.task_done()
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
                    await self._send_all(room_id, [Reply(self._undecryptable_text)], event, "")
                state.mark_processed(event.event_id, room_id)
                return
            event = decrypted
        incoming = to_incoming(
            self.client,
            self.client.rooms.get(room_id),
            room_id,
            event,
            encrypted=encrypted,
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
        await self._send_all(room_id, replies, event, incoming.user_id, reader)
        state.mark_processed(event.event_id, room_id)

    async def _sender_identity(self, room_id: str, event: Event) -> SenderIdentity:
        try:
            return await self.trust.sender_identity(room_id, event)
        except NETWORK_ERRORS as exc:
            logger.warning("matrix: keys of a sender unknown (%s)", type(exc).__name__)
            return SenderIdentity(None, device_cross_signed=False, enforced=self.trust.enforced)

    async def _send_all(
        self,
        room_id: str,
        replies: list[Reply],
        event: Event,
        user_id: str,
        reader: OlmDevice | None = None,
    ) -> None:
        for index, reply in enumerate(replies):
            key = f"{event.event_id}:{index}"
            result = await self.send_reply(room_id, reply, key, user_id, reader=reader)
            if result.status != "sent":
                logger.error(
                    "matrix: reply %d to %s in %s not sent: %s",
                    index,
                    event.event_id,
                    room_id,
                    result.detail,
                )

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
        """Send `reply` to a room; `key` makes the transaction ids (a retry posts once);
        `reader`: a device not cross-signed that may read it (`Sender.send`)."""
        sender = self._sender
        if sender is None:
            return SendResult("failed", detail="not started")
        result = SendResult("failed", detail="empty reply")
        contents = render_reply(reply, user_id) if reply.text or reply.buttons else []
        for part, content in enumerate(contents):
            result = await sender.send(room_id, content, tx_id_for(f"{key}.{part}"), reader=reader)
            if result.status != "sent":
                return result
        if reply.attachment is not None:
            name, data = reply.attachment
            uploaded = await sender.upload(room_id, name, data)
            if isinstance(uploaded, SendResult):
                return uploaded
            result = await sender.send(room_id, uploaded, tx_id_for(f"{key}.file"), reader=reader)
        return result

    async def send_to_user(
        self,
        user_id: str,
        reply: Reply,
        idempotency_key: str | None = None,
        *,
        expected_identity: str | None = None,
    ) -> SendResult:
        if self._client is None or self._state is None or self._trust is None:
            return SendResult("failed", detail="not started")
        if expected_identity is not None:
            refused = await self._trust.refuse_unless(user_id, expected_identity)
            if refused is not None:
                return refused
        try:
            room = await DirectRooms(self._client, self._state).room_for(user_id)
        except NETWORK_ERRORS as exc:
            return SendResult("failed", detail=type(exc).__name__)
        if isinstance(room, SendResult):
            return room
        if self._sender is None or not await self._sender.reachable(room, user_id):
            # an encrypted message to someone with no device could never be read
            return SendResult("unreachable", detail="no device")
        key = idempotency_key or f"relais-{time.time_ns()}"
        return await self.send_reply(room, reply, key, user_id)


def _is_sos(event: Event) -> bool:
    """A decrypted (or plain) text message that is /sos or !sos."""
    return isinstance(event, RoomMessageText) and is_sos(event.body)
