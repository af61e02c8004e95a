"""Canary: text typed by practitioners never appears at rest in clear, nor in the logs or the
audit log, on SQLite (database file, WAL, shm) and PostgreSQL (every row dumped as text)."""

from __future__ import annotations

import logging
import uuid

import pytest
from sqlalchemy import select, text

from bot.app import Relais
from storage.db import sqlite_path
from storage.models import AuditEntryRow, Base
from tests.storage.helpers import enrol
from tests.stored import stored_session


def _canaries() -> dict[str, str]:
    tag = uuid.uuid4().hex[:12]
    return {
        kind: f"CANARY{kind}{tag}"
        for kind in ("note", "amendment", "session", "name", "contact", "phone", "inbound")
    }


def _leaks(haystack: bytes, canaries: dict[str, str]) -> list[str]:
    found = []
    for kind, canary in canaries.items():
        for needle in (
            canary.encode(),
            canary.encode("utf-16-le"),
            canary.encode().hex().encode(),
        ):
            if needle in haystack:
                found.append(kind)
    return found


async def _write_everything(relais: Relais, canaries: dict[str, str]) -> None:
    owner = await enrol(relais, canaries["name"], "coordinator", user_id="4242")
    await relais.create_case("K-CAN", owner=canaries["name"])
    note = await relais.log_note(owner, "K-CAN", f"He said {canaries['note']}", ["concern"])
    await relais.amend_note(owner, "K-CAN", note.id, canaries["amendment"])
    await relais.save_session(
        "telegram", "chat-1", {"vars": {"what_happened": canaries["session"]}}
    )
    await relais.import_contacts(
        {
            "contact": [
                {
                    "key": "psy",
                    "role": "on_call_psychologist",
                    "name": "Dr Who",
                    "phone": canaries["phone"],
                    "notes": canaries["contact"],
                }
            ]
        }
    )
    # a Telegram update as the channel keeps it until handled (bot.channels.telegram)
    typed = {"update_id": 7, "message": {"message_id": 1, "text": canaries["inbound"]}}
    await relais.store_updates("telegram", [("7", typed)])
    # and read it all back through the use cases (reads are logged and audited too)
    assert await relais.pending_updates("telegram") == [("7", typed)]
    bodies = " ".join(n.body for n in await relais.list_notes(owner, "K-CAN"))
    assert canaries["note"] in bodies
    session = await stored_session(relais, "telegram", "chat-1")
    assert session is not None
    assert session.state["vars"]["what_happened"] == canaries["session"]
    contacts = await relais.contacts_for(owner, ["on_call_psychologist", "case_owner"], "K-CAN")
    assert contacts[0].phone == canaries["phone"]
    await relais.export_case("K-CAN")
    await relais.audit_export("K-CAN")


async def test_canary_never_at_rest_in_clear(
    relais: Relais, caplog: pytest.LogCaptureFixture
) -> None:
    canaries = _canaries()
    caplog.set_level(logging.DEBUG)
    await _write_everything(relais, canaries)

    assert _leaks(caplog.text.encode(), canaries) == [], "a canary reached the logs"
    async with relais.db.connect() as conn:
        audit = repr((await conn.execute(select(AuditEntryRow))).all()).encode()
    assert _leaks(audit, canaries) == [], "a canary reached the audit log"

    path = sqlite_path(relais.config.database_url())
    if path is not None:  # SQLite: the files themselves, while open (WAL full) and after
        for suffix in ("", "-wal", "-shm"):
            file = path.with_name(path.name + suffix)
            if file.exists():
                assert _leaks(file.read_bytes(), canaries) == [], f"canary in {file.name}"
        await relais.db.close()  # the last connection checkpoints the WAL
        content = path.read_bytes()
        assert _leaks(content, canaries) == []
        assert b"K-CAN" in content  # positive control: clear values are found where they are
        assert path.stat().st_size > 0
    else:  # PostgreSQL: every row of every table as text
        dump = []
        async with relais.db.connect() as conn:
            for table in Base.metadata.sorted_tables:
                rows = await conn.execute(text(f'SELECT t::text FROM "{table.name}" t'))
                dump.extend(r[0] for r in rows)
        blob = "\n".join(dump).encode()
        assert len(dump) > 10
        assert b"K-CAN" in blob  # positive control
        assert _leaks(blob, canaries) == [], "a canary is readable in PostgreSQL"
