"""A case's information-sharing record (the disclosure form): `tx.sharing`.

Which agencies or roles may receive which categories of information, who signed the form and
when, when it is reviewed, whether the person was told. The recipients (with their categories,
as JSON) and the signer are AES-GCM ciphertext bound to `sharing_records|<column>|<id>`;
decrypted here. Category ids come from the content (content/lifecycle/sharing.yaml).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.crypto import KeyRing
from storage.models import SharingRecordRow, new_id
from storage.upsert import insert_replacing

__all__ = ["Allowance", "SharingRecord", "SharingRecords"]

_T = SharingRecordRow.__tablename__


@dataclass(frozen=True, slots=True)
class Allowance:
    """An agency or role (as the form names it) and the categories it may receive."""

    recipient: str
    categories: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SharingRecord:
    id: str
    case_id: str
    allowed: tuple[Allowance, ...]
    signed_on: date | None
    signed_by: str | None
    review_on: date | None
    person_informed: bool | None
    review_schedule_id: str | None
    updated_by: str | None
    updated_at: datetime

    def for_recipient(self, name: str) -> Allowance | None:
        """The allowance of `name` (compared without case and outer spaces), if any."""
        wanted = name.strip().casefold()
        return next((a for a in self.allowed if a.recipient.casefold() == wanted), None)


class SharingRecords:
    def __init__(self, conn: AsyncConnection, keys: KeyRing) -> None:
        self._conn = conn
        self._keys = keys

    async def get(self, *, case_id: str) -> SharingRecord | None:
        row = (
            await self._conn.execute(
                select(SharingRecordRow).where(SharingRecordRow.case_id == case_id)
            )
        ).first()
        if row is None:
            return None
        data = json.loads(self._keys.decrypt(row.allowed_enc, **self._aad("allowed", row.id)))
        signer = (
            self._keys.decrypt(row.signed_by_enc, **self._aad("signed_by", row.id))
            if row.signed_by_enc is not None
            else None
        )
        return SharingRecord(
            id=row.id,
            case_id=row.case_id,
            allowed=tuple(Allowance(str(r), tuple(str(c) for c in cats)) for r, cats in data),
            signed_on=row.signed_on,
            signed_by=signer,
            review_on=row.review_on,
            person_informed=row.person_informed,
            review_schedule_id=row.review_schedule_id,
            updated_by=row.updated_by,
            updated_at=row.updated_at,
        )

    async def put(
        self,
        *,
        case_id: str,
        allowed: tuple[Allowance, ...],
        signed_on: date | None,
        signed_by: str | None,
        review_on: date | None,
        person_informed: bool | None,
        review_schedule_id: str | None,
        updated_by: str | None,
        now: datetime,
    ) -> str:
        """Write the whole record (created, or replaced keeping its id); returns its id."""
        existing = (
            await self._conn.execute(
                select(SharingRecordRow.id).where(SharingRecordRow.case_id == case_id)
            )
        ).scalar()
        record_id = str(existing) if existing else new_id()
        payload = json.dumps([[a.recipient, list(a.categories)] for a in allowed])
        values = {
            "id": record_id,
            "case_id": case_id,
            "allowed_enc": self._keys.encrypt(payload, **self._aad("allowed", record_id)),
            "signed_on": signed_on,
            "signed_by_enc": (
                self._keys.encrypt(signed_by, **self._aad("signed_by", record_id))
                if signed_by
                else None
            ),
            "review_on": review_on,
            "person_informed": person_informed,
            "review_schedule_id": review_schedule_id,
            "updated_by": updated_by,
            "updated_at": now,
        }
        await self._conn.execute(
            insert_replacing(self._conn, SharingRecordRow, values, conflict=["case_id"])
        )
        return record_id

    async def set_review_schedule(self, *, record_id: str, schedule_id: str | None) -> None:
        await self._conn.execute(
            update(SharingRecordRow)
            .where(SharingRecordRow.id == record_id)
            .values(review_schedule_id=schedule_id)
        )

    async def by_review_schedule(self, *, schedule_id: str) -> str | None:
        """The case id of the record whose review reminder is this schedule."""
        found = (
            await self._conn.execute(
                select(SharingRecordRow.case_id).where(
                    SharingRecordRow.review_schedule_id == schedule_id
                )
            )
        ).scalar()
        return str(found) if found else None

    @staticmethod
    def _aad(column: str, row_id: str) -> dict[str, str]:
        return {"table": _T, "column": column, "row_id": row_id}
