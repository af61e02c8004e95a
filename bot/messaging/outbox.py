"""The outbox: every message Relais sends a practitioner on its own (check-in reminders and
escalations, pages, publishing notices, operations alerts) is a row before it is a network call.

States: pending -> sending -> sent | unreachable | failed; a failed send goes back to pending
with a backoff, for as long as the message is useful (`bot.checkins.delivery`: only real send
failures count, in `failures`; `attempts` counts claims, a crash mid-send included).
The idempotency key is per (occurrence, kind, recipient): inserting a message
twice is a no-op, and a send is retried with the same key (Matrix: the transaction id, so a
retry after a crash posts once).

Crash between the send and the record: the row stays `sending` under this process's lease; when
the lease expires (`checkins.send_lease`), any process sends it again with the same key. Matrix
deduplicates by transaction id: exactly once. Telegram has no idempotency: the residual window
in which a crash causes a second copy is the time between the Bot API answering and the tiny
"sent" transaction committing (milliseconds; the record is written immediately after each send,
never batched). A reminder is never lost: it is either recorded sent, or re-sent.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from bot.messages import Button, Reply
from storage import checkins_repo as repo
from storage.crypto import KeyRing
from storage.models import new_id
from storage.repos.outbox import Outbox
from storage.tx import Tx

__all__ = ["decode_payload", "payload_meta", "queue_message", "replace_message"]

_TABLE = "outbox"
_COLUMN = "payload"


def _encode(reply: Reply, meta: dict[str, Any] | None = None) -> str:
    return json.dumps(
        {
            "t": reply.text,
            "k": reply.kind,
            "b": [[b.label, b.token] for b in reply.buttons],
            "m": meta or {},
        },
        separators=(",", ":"),
        ensure_ascii=False,
    )


def payload_meta(keys: KeyRing, item: repo.OutboxItem) -> dict[str, Any]:
    """The data a queued message was rendered from (e.g. the counts of a summary)."""
    data = json.loads(keys.decrypt(item.payload_enc, table=_TABLE, column=_COLUMN, row_id=item.id))
    meta = data.get("m", {})
    return meta if isinstance(meta, dict) else {}


async def replace_message(
    tx: Tx, item: repo.OutboxItem, reply: Reply, meta: dict[str, Any] | None = None
) -> bool:
    """Re-render a message nobody has claimed yet; False if it is already being sent."""
    payload = tx.keys.encrypt(_encode(reply, meta), table=_TABLE, column=_COLUMN, row_id=item.id)
    return await tx.outbox.replace_payload(outbox_id=item.id, payload_enc=payload)


def decode_payload(keys: KeyRing, item: repo.OutboxItem) -> Reply:
    data = json.loads(keys.decrypt(item.payload_enc, table=_TABLE, column=_COLUMN, row_id=item.id))
    return Reply(
        data["t"],
        buttons=tuple(Button(label, token) for label, token in data["b"]),
        kind=data["k"],
    )


async def queue_message(
    tx: Tx,
    *,
    key: str,
    practitioner_id: str,
    kind: str,
    reply: Reply,
    occurrence_id: str | None = None,
    not_before: datetime | None = None,
    meta: dict[str, Any] | None = None,
    sink: list[dict[str, Any]] | None = None,
) -> bool:
    """Queue `reply` for a practitioner in the caller's transaction; False if `key` exists.
    With `sink`, the row is appended there for one `tx.outbox.enqueue_many` at the end of a
    batch."""
    outbox_id = new_id()
    payload = tx.keys.encrypt(_encode(reply, meta), table=_TABLE, column=_COLUMN, row_id=outbox_id)
    values = Outbox.values(
        idempotency_key=key,
        practitioner_id=practitioner_id,
        kind=kind,
        payload_enc=payload,
        now=tx.now,
        outbox_id=outbox_id,
        occurrence_id=occurrence_id,
        not_before=not_before,
    )
    if sink is not None:
        sink.append(values)
        return True
    return await tx.outbox.enqueue(**_enqueue_kwargs(values))


def _enqueue_kwargs(values: dict[str, Any]) -> dict[str, Any]:
    return {
        "idempotency_key": values["idempotency_key"],
        "practitioner_id": values["practitioner_id"],
        "kind": values["kind"],
        "payload_enc": values["payload_enc"],
        "now": values["created_at"],
        "outbox_id": values["id"],
        "occurrence_id": values["occurrence_id"],
        "not_before": values["next_attempt_at"],
    }
