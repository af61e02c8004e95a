"""The tamper-evident audit log: who, which case, which action, when; HMAC-chained.

Each entry's hash is ``HMAC(secret, canonical(entry) + prev_hash)``; the secret never enters
the database. Writers lock the one-row `audit_head` (``FOR UPDATE`` on PostgreSQL, the write
lock of ``BEGIN IMMEDIATE`` on SQLite), so the chain never forks. Entries are written in the
transaction of the action they record: if the audit write fails, the action fails.

`verify` walks the chain and names each modified, inserted or deleted entry. An entry carries
ids and codes only (``detail`` is JSON of ids), never content.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import AuditEntryRow, AuditHead

__all__ = [
    "GENESIS",
    "AuditEntry",
    "AuditLog",
    "AuditProblem",
    "AuditReport",
]

GENESIS = "0" * 64
ActorKind = Literal["practitioner", "operator", "system"]
_DETAIL_VALUE = (str, int, bool, type(None))


@dataclass(frozen=True, slots=True)
class AuditEntry:
    seq: int
    at: datetime
    actor_kind: str
    actor_id: str | None
    action: str
    outcome: str
    case_id: str | None
    case_code: str | None
    detail: Mapping[str, Any]
    prev_hash: str
    hash: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": self.at.isoformat(),
            "actor_kind": self.actor_kind,
            "actor_id": self.actor_id,
            "action": self.action,
            "outcome": self.outcome,
            "case_code": self.case_code,
            "detail": dict(self.detail),
            "hash": self.hash,
        }


@dataclass(frozen=True, slots=True)
class AuditProblem:
    seq: int
    kind: Literal[
        "modified",
        "inserted",
        "deleted",
        "modified_or_inserted",
        "truncated",
        "anchor_mismatch",
        "anchor_missing",
        "head_missing",
        "wiped",
    ]
    message: str


@dataclass(frozen=True, slots=True)
class AuditReport:
    entries: int
    problems: tuple[AuditProblem, ...]
    head_seq: int
    head_hash: str

    @property
    def ok(self) -> bool:
        return not self.problems


def _canonical_detail(detail: Mapping[str, Any] | None) -> str:
    detail = dict(detail or {})
    for key, value in detail.items():
        values = value if isinstance(value, list | tuple) else [value]
        if not all(isinstance(v, _DETAIL_VALUE) for v in values):
            raise TypeError(f"audit detail {key!r} must hold ids, not {type(value).__name__}")
    return json.dumps(detail, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


class AuditLog:
    """Appends to and verifies the chain. Holds the HMAC secret; stateless otherwise."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("the audit secret must be at least 16 bytes")
        self._secret = secret

    def _mac(
        self,
        *,
        seq: int,
        at: datetime,
        actor_kind: str,
        actor_id: str | None,
        action: str,
        outcome: str,
        case_id: str | None,
        case_code: str | None,
        detail: str,
        prev_hash: str,
    ) -> str:
        body = json.dumps(
            [
                seq,
                at.isoformat(),
                actor_kind,
                actor_id,
                action,
                outcome,
                case_id,
                case_code,
                detail,
                prev_hash,
            ],
            separators=(",", ":"),
            ensure_ascii=True,
        )
        return hmac.new(self._secret, body.encode("ascii"), hashlib.sha256).hexdigest()

    async def append(
        self,
        conn: AsyncConnection,
        *,
        at: datetime,
        actor_kind: ActorKind,
        actor_id: str | None,
        action: str,
        outcome: str = "ok",
        case_id: str | None = None,
        case_code: str | None = None,
        detail: Mapping[str, Any] | None = None,
        head: tuple[int, str] | None = None,
    ) -> tuple[int, str]:
        """Append one entry in the caller's transaction; returns its (seq, hash).

        `head` is the chain head read earlier in this same transaction while holding the
        write lock (SQLite's BEGIN IMMEDIATE): it saves a round trip. Otherwise the head row
        is read here, locked FOR UPDATE on PostgreSQL.
        """
        if head is None:
            query = select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == 1)
            if conn.dialect.name != "sqlite":
                query = query.with_for_update()
            row = (await conn.execute(query)).one()
            head = (int(row.seq), str(row.hash))
        seq, prev = head[0] + 1, head[1]
        text = _canonical_detail(detail)
        fields: dict[str, Any] = {
            "seq": seq,
            "at": at,
            "actor_kind": actor_kind,
            "actor_id": actor_id,
            "action": action,
            "outcome": outcome,
            "case_id": case_id,
            "case_code": case_code,
            "detail": text,
        }
        digest = self._mac(prev_hash=prev, **fields)
        entry = insert(AuditEntryRow).values(prev_hash=prev, hash=digest, **fields)
        move_head = update(AuditHead).where(AuditHead.id == 1)
        if conn.dialect.name == "postgresql":  # one round trip: INSERT in a CTE, then UPDATE
            added = entry.returning(AuditEntryRow.seq, AuditEntryRow.hash).cte("added")
            await conn.execute(
                move_head.where(added.c.seq == AuditHead.seq + 1)
                .values(seq=added.c.seq, hash=added.c.hash)
                .add_cte(added)
            )
        else:
            await conn.execute(entry)
            await conn.execute(move_head.values(seq=seq, hash=digest))
        return seq, digest

    @staticmethod
    def _entry(row: Any) -> AuditEntry:
        return AuditEntry(
            seq=row.seq,
            at=row.at,
            actor_kind=row.actor_kind,
            actor_id=row.actor_id,
            action=row.action,
            outcome=row.outcome,
            case_id=row.case_id,
            case_code=row.case_code,
            detail=json.loads(row.detail),
            prev_hash=row.prev_hash,
            hash=row.hash,
        )

    async def for_case(self, conn: AsyncConnection, *, case_code: str) -> list[AuditEntry]:
        rows = await conn.execute(
            select(AuditEntryRow)
            .where(AuditEntryRow.case_code == case_code)
            .order_by(AuditEntryRow.seq)
        )
        return [self._entry(r) for r in rows]

    def _valid(self, row: Any) -> bool:
        digest = self._mac(
            seq=row.seq,
            at=row.at,
            actor_kind=row.actor_kind,
            actor_id=row.actor_id,
            action=row.action,
            outcome=row.outcome,
            case_id=row.case_id,
            case_code=row.case_code,
            detail=row.detail,
            prev_hash=row.prev_hash,
        )
        return hmac.compare_digest(digest, row.hash)

    async def verify(self, conn: AsyncConnection) -> AuditReport:
        rows: Sequence[Any] = (
            await conn.execute(select(AuditEntryRow).order_by(AuditEntryRow.seq))
        ).all()
        head = (
            await conn.execute(select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == 1))
        ).first()
        if head is None:  # the chain cannot be checked against its head: say so, and walk it
            last_seq, last_hash = (rows[-1].seq, rows[-1].hash) if rows else (0, GENESIS)
            problems = self.check_chain(rows, head_seq=last_seq, head_hash=last_hash)
            missing = AuditProblem(
                last_seq,
                "head_missing",
                "the audit head row is missing (table audit_head): it was deleted; nothing can "
                "be audited until it is restored, and deleted entries at the end cannot be "
                "ruled out without an anchor",
            )
            return AuditReport(len(rows), (missing, *problems), last_seq, last_hash)
        problems = self.check_chain(rows, head_seq=int(head.seq), head_hash=str(head.hash))
        return AuditReport(len(rows), tuple(problems), int(head.seq), str(head.hash))

    @staticmethod
    async def head(conn: AsyncConnection) -> tuple[int, str] | None:
        """The chain's head (seq, hash) as the head row says; None if the row is missing."""
        row = (
            await conn.execute(select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == 1))
        ).first()
        return None if row is None else (int(row.seq), str(row.hash))

    def check_chain(
        self, rows: Sequence[Any], *, head_seq: int, head_hash: str
    ) -> list[AuditProblem]:
        problems: list[AuditProblem] = []
        prev_seq, prev_hash = 0, GENESIS
        for index, row in enumerate(rows):
            following = rows[index + 1] if index + 1 < len(rows) else None
            if not self._valid(row):
                after = following.prev_hash if following is not None else head_hash
                if after == row.hash:
                    problems.append(
                        AuditProblem(row.seq, "modified", f"entry {row.seq} was modified")
                    )
                    prev_seq, prev_hash = row.seq, row.hash
                elif after == prev_hash:
                    problems.append(
                        AuditProblem(row.seq, "inserted", f"entry {row.seq} was inserted")
                    )
                else:
                    problems.append(
                        AuditProblem(
                            row.seq,
                            "modified_or_inserted",
                            f"entry {row.seq} was modified or inserted",
                        )
                    )
                    prev_seq, prev_hash = row.seq, row.hash
                continue
            if row.prev_hash != prev_hash:
                missing = list(range(prev_seq + 1, row.seq))
                which = (
                    f"entries {missing[0]}..{missing[-1]}"
                    if len(missing) > 1
                    else f"entry {missing[0]}"
                    if missing
                    else f"an entry before {row.seq}"
                )
                problems.append(
                    AuditProblem(
                        missing[0] if missing else row.seq,
                        "deleted",
                        f"{which} deleted (the chain breaks before entry {row.seq})",
                    )
                )
            prev_seq, prev_hash = row.seq, row.hash
        if head_seq != prev_seq or not hmac.compare_digest(head_hash, prev_hash):
            if head_seq > prev_seq:
                problems.append(
                    AuditProblem(
                        prev_seq + 1,
                        "truncated",
                        f"entries {prev_seq + 1}..{head_seq} deleted from the end of the log",
                    )
                )
            elif not problems:
                problems.append(
                    AuditProblem(head_seq, "modified", "the chain head does not match the log")
                )
        return problems
