"""Re-encrypt every encrypted column under the active key, in batches, resumably.

Progress (table, last row id, rows done) is committed with each batch in
`key_rotation_state`; running it again after an interruption continues where it stopped.
Values already under the target key are skipped, so a repeated batch is harmless.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.crypto import KeyRing, key_id_of
from storage.models import (
    Base,
    CheckinScheduleRow,
    ContactRow,
    DialogDraftRow,
    DialogSessionRow,
    InboundUpdateRow,
    KeyRotationStateRow,
    NoteRow,
    OutboxRow,
    PractitionerRow,
)
from storage.models.exit import ExitAnswerRow
from storage.models.feedback import FeedbackRow
from storage.models.lifecycle import SharingRecordRow
from storage.models.review import CaseDecisionRow

__all__ = [
    "ENCRYPTED_COLUMNS",
    "TEXT_ENCRYPTED_COLUMNS",
    "RotationProgress",
    "pending_rotation",
    "reencrypt",
]

log = logging.getLogger(__name__)


class Connects(Protocol):
    """`storage.database.Database` (or an engine): connections, and connections in a
    transaction."""

    def connect(self) -> AbstractAsyncContextManager[AsyncConnection]: ...
    def begin(self) -> AbstractAsyncContextManager[AsyncConnection]: ...


#: every encrypted column, by model: (model, [column names without the _enc suffix]); the
#: ciphertext of `<name>` is in the LargeBinary column `<name>_enc`, bound to `table|name|id`
ENCRYPTED_COLUMNS: tuple[tuple[type[Base], tuple[str, ...]], ...] = (
    (PractitionerRow, ("display_name",)),
    (NoteRow, ("body",)),
    (ContactRow, ("name", "phone", "hours", "notes")),
    (DialogSessionRow, ("state",)),
    (DialogDraftRow, ("review_comment",)),
    (CheckinScheduleRow, ("label",)),
    (OutboxRow, ("payload",)),
    (InboundUpdateRow, ("payload",)),
    (FeedbackRow, ("comment",)),
    (CaseDecisionRow, ("outcome",)),
    (SharingRecordRow, ("allowed", "signed_by")),
    (ExitAnswerRow, ("answer",)),
)
#: ciphertext kept in a text column as `<prefix><base64>` (model, column, prefix)
TEXT_ENCRYPTED_COLUMNS: tuple[tuple[type[Base], str, str], ...] = (
    (DialogDraftRow, "source", "enc:"),
)


def _columns(model: type[Base]) -> list[tuple[str, str, str | None]]:
    """(attribute, AAD column name, text prefix or None) of a model's encrypted columns."""
    found: list[tuple[str, str, str | None]] = [
        (f"{c}_enc", c, None) for m, names in ENCRYPTED_COLUMNS if m is model for c in names
    ]
    found += [(c, c, prefix) for m, c, prefix in TEXT_ENCRYPTED_COLUMNS if m is model]
    return found


def _models() -> list[type[Base]]:
    models = [m for m, _ in ENCRYPTED_COLUMNS]
    models += [m for m, _c, _p in TEXT_ENCRYPTED_COLUMNS if m not in models]
    return models


@dataclass(frozen=True, slots=True)
class RotationProgress:
    target_key_id: str
    rows_done: int
    finished: bool
    resumed: bool


async def pending_rotation(engine: Connects) -> tuple[int, str] | None:
    """(state id, target key id) of an unfinished rotation, if any."""
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                select(KeyRotationStateRow.id, KeyRotationStateRow.target_key_id)
                .where(KeyRotationStateRow.finished_at.is_(None))
                .order_by(KeyRotationStateRow.id.desc())
            )
        ).first()
        await conn.rollback()
    return (row.id, row.target_key_id) if row else None


async def reencrypt(
    engine: Connects,
    keys: KeyRing,
    now: Callable[[], datetime],
    *,
    batch: int = 500,
    stop_after_batches: int | None = None,
) -> RotationProgress:
    """Re-encrypt everything under `keys.active_id`; resumes an unfinished rotation."""
    target = keys.active_id
    pending = await pending_rotation(engine)
    resumed = pending is not None
    if pending is not None and pending[1] != target:
        raise ValueError(
            f"an unfinished rotation targets key {pending[1]}, but the active key is {target}"
        )
    async with engine.begin() as conn:
        if pending is None:
            result = await conn.execute(
                insert(KeyRotationStateRow).values(
                    target_key_id=target, started_at=now(), rows_done=0
                )
            )
            state_id = int(result.inserted_primary_key[0])  # type: ignore[index]
        else:
            state_id = pending[0]
        state = (
            await conn.execute(
                select(KeyRotationStateRow).where(KeyRotationStateRow.id == state_id)
            )
        ).one()
    models = _models()
    tables = [model.__tablename__ for model in models]
    start_index = tables.index(state.current_table) if state.current_table in tables else 0
    last_id: str | None = state.last_id if state.current_table in tables else None
    done = int(state.rows_done)
    batches = 0
    for model in models[start_index:]:
        table = model.__tablename__
        columns = _columns(model)
        cols: Any = [getattr(model, attr) for attr, _name, _prefix in columns]
        id_col: Any = model.id  # type: ignore[attr-defined]
        while True:
            if stop_after_batches is not None and batches >= stop_after_batches:
                return RotationProgress(target, done, False, resumed)
            async with engine.begin() as conn:
                query = select(id_col, *cols).order_by(id_col).limit(batch)
                if last_id is not None:
                    query = query.where(id_col > last_id)
                rows = (await conn.execute(query)).all()
                for row in rows:
                    values: dict[str, Any] = {}
                    for attr, column, prefix in columns:
                        stored = getattr(row, attr)
                        if stored is None:
                            continue
                        if prefix is not None:
                            if not stored.startswith(prefix):
                                continue  # not encrypted (e.g. older plain rows)
                            blob = base64.b64decode(stored[len(prefix) :])
                        else:
                            blob = stored
                        if key_id_of(blob) == target:
                            continue
                        plain = keys.decrypt(blob, table=table, column=column, row_id=row.id)
                        fresh = keys.encrypt(plain, table=table, column=column, row_id=row.id)
                        values[attr] = (
                            fresh
                            if prefix is None
                            else prefix + base64.b64encode(fresh).decode("ascii")
                        )
                        if model is PractitionerRow:
                            values["name_hash"] = keys.lookup_hash(plain)
                    if values:
                        await conn.execute(update(model).where(id_col == row.id).values(values))
                        done += 1
                last_id = rows[-1].id if rows else None
                await conn.execute(
                    update(KeyRotationStateRow)
                    .where(KeyRotationStateRow.id == state_id)
                    .values(current_table=table, last_id=last_id, rows_done=done)
                )
            batches += 1
            if not rows:
                break
            log.info("key rotation: %s up to row %s (%d rows re-encrypted)", table, last_id, done)
    async with engine.begin() as conn:
        await conn.execute(
            update(KeyRotationStateRow)
            .where(KeyRotationStateRow.id == state_id)
            .values(finished_at=now(), rows_done=done)
        )
    return RotationProgress(target, done, True, resumed)
