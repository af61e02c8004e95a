"""The audit chain anchored outside the database: a cut tail with a rewound head, or a wiped
and reset log, no longer verifies as intact (`relais audit head|verify`, `[audit] anchor_file`).
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest
from sqlalchemy import delete, select, update

from bot.app import Relais
from bot.cli import main
from bot.clock import FakeClock
from bot.config import AuditConfig, Config
from bot.errors import InvalidInput
from storage.audit import GENESIS
from storage.audit_anchor import read_anchors
from storage.models import AuditEntryRow, AuditHead
from tests.storage.helpers import make_world


@pytest.fixture
def anchored(config: Config, tmp_path: Path) -> Config:
    anchor = tmp_path / "elsewhere" / "audit.anchor"
    anchor.parent.mkdir()
    return dataclasses.replace(config, audit=AuditConfig(anchor_file=str(anchor), anchor_every=5))


async def _seed(relais: Relais, notes: int = 6) -> None:
    world = await make_world(relais)
    for i in range(notes):
        await relais.log_note(world.mentor, "K-1", f"note {i}", ["progress"])


async def _rewind(relais: Relais, to_seq: int) -> None:
    """What someone with write access to the database does to hide the last entries."""
    async with relais.db.begin() as conn:
        kept = (
            await conn.execute(select(AuditEntryRow.hash).where(AuditEntryRow.seq == to_seq))
        ).scalar_one()
        await conn.execute(delete(AuditEntryRow).where(AuditEntryRow.seq > to_seq))
        await conn.execute(update(AuditHead).values(seq=to_seq, hash=kept))


async def _wipe(relais: Relais) -> None:
    async with relais.db.begin() as conn:
        await conn.execute(delete(AuditEntryRow))
        await conn.execute(update(AuditHead).values(seq=0, hash=GENESIS))


async def test_the_head_is_anchored_every_n_entries_and_at_close(
    anchored: Config, clock: FakeClock
) -> None:
    path = Path(anchored.audit.anchor_file)
    async with await Relais.open(anchored, clock) as relais:
        await _seed(relais)
        seqs = [a.seq for a in read_anchors(path)]
        head = await relais.audit_head()
        # one anchor each time the head passes a multiple of five, not one per entry
        assert seqs == sorted({seq for seq in range(1, head[0] + 1) if seq % 5 == 0})
    anchors = read_anchors(path)
    assert (anchors[-1].seq, anchors[-1].hash) == head  # and the final head at close
    assert oct(os.stat(path).st_mode & 0o777) == oct(0o600)


async def test_a_cut_tail_with_a_rewound_head_fails_against_the_anchor(
    anchored: Config, clock: FakeClock
) -> None:
    async with await Relais.open(anchored, clock) as relais:
        await _seed(relais)
    async with await Relais.open(anchored, clock) as relais:
        before = await relais.audit_verify()
        assert before.ok, before.problems
        await _rewind(relais, before.head_seq - 3)
        report = await relais.audit_verify()
        # the chain alone is consistent: only the anchor outside the database shows the cut
        assert not report.ok
        assert [p.kind for p in report.problems] == ["truncated"]
        assert f"log ends at entry {before.head_seq - 3}" in report.problems[0].message


async def test_expect_head_catches_a_cut_tail_without_an_anchor_file(relais: Relais) -> None:
    await _seed(relais)
    noted = await relais.audit_head()
    assert (await relais.audit_verify(f"{noted[0]}:{noted[1]}")).ok
    await _rewind(relais, noted[0] - 2)
    assert (await relais.audit_verify()).ok  # what verify said before anchors existed
    report = await relais.audit_verify(f"{noted[0]}:{noted[1]}")
    assert [p.kind for p in report.problems] == ["truncated"]
    assert "--expect-head" in report.problems[0].message


async def test_a_rewritten_log_differs_from_the_head_noted_earlier(relais: Relais) -> None:
    await _seed(relais)
    seq, digest = await relais.audit_head()
    report = await relais.audit_verify(f"{seq}:{'0' * 64}")
    assert [(p.seq, p.kind) for p in report.problems] == [(seq, "anchor_mismatch")]
    del digest


async def test_a_wiped_and_reset_log_is_flagged_beside_a_populated_database(
    relais: Relais,
) -> None:
    await _seed(relais)
    await _wipe(relais)
    report = await relais.audit_verify()
    assert [p.kind for p in report.problems] == ["wiped"]
    assert "the audit log is empty while the database holds 1 case(s) and 6 note(s)" in (
        report.problems[0].message
    )


async def test_a_wiped_log_restarted_from_genesis_is_flagged_as_short(relais: Relais) -> None:
    world = await make_world(relais)
    for i in range(4):
        await relais.log_note(world.mentor, "K-1", f"note {i}", [])
    await _wipe(relais)
    await relais.log_note(world.mentor, "K-1", "after the wipe", [])
    report = await relais.audit_verify()
    assert [p.kind for p in report.problems] == ["wiped"]
    assert "short (1 entries, from #1)" in report.problems[0].message


async def test_a_wiped_log_fails_against_its_anchors(anchored: Config, clock: FakeClock) -> None:
    async with await Relais.open(anchored, clock) as relais:
        await _seed(relais)
        await _wipe(relais)
        kinds = {p.kind for p in (await relais.audit_verify()).problems}
    assert kinds == {"truncated", "wiped"}


async def test_a_missing_head_row_is_a_finding_not_a_traceback(relais: Relais) -> None:
    await _seed(relais)
    async with relais.db.begin() as conn:
        await conn.execute(delete(AuditHead))
    report = await relais.audit_verify()
    assert [p.kind for p in report.problems] == ["head_missing"]
    assert "audit head row is missing" in report.problems[0].message


async def test_a_malformed_expected_head_is_a_clear_error(relais: Relais) -> None:
    with pytest.raises(InvalidInput, match="expected SEQ:HASH"):
        await relais.audit_verify("12:abc")


def test_the_command_line_prints_the_head_and_verifies_against_it(
    sqlite_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name in ("RELAIS_KEYS", "RELAIS_AUDIT_SECRET", "RELAIS_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("RELAIS_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("RELAIS_DATA_DIR", str(tmp_path / "data"))
    assert main(["admin", "invite", "--role", "coordinator", "--name", "Olga"]) == 0
    assert main(["case", "create", "K-1", "--owner", "Olga"]) == 0
    capsys.readouterr()
    assert main(["audit", "head"]) == 0
    head = capsys.readouterr().out.strip()
    seq, digest = head.split(":")
    assert int(seq) >= 2
    assert len(digest) == 64
    assert main(["audit", "verify", "--expect-head", head]) == 0
    assert f"head {head}" in capsys.readouterr().out
    import sqlite3

    with sqlite3.connect(sqlite_url.split("///", 1)[1]) as db:
        db.execute("DELETE FROM audit_log WHERE seq = ?", (int(seq),))
        previous = db.execute("SELECT hash FROM audit_log WHERE seq = ?", (int(seq) - 1,))
        db.execute("UPDATE audit_head SET seq = ?, hash = ?", (int(seq) - 1, *previous.fetchone()))
    assert main(["audit", "verify"]) == 0  # the database alone cannot tell
    capsys.readouterr()
    assert main(["audit", "verify", "--expect-head", head]) == 1
    out, err = capsys.readouterr()
    assert "TAMPERED: the anchor" in out
    assert "Traceback" not in out + err
    with sqlite3.connect(sqlite_url.split("///", 1)[1]) as db:
        db.execute("DELETE FROM audit_head")
    assert main(["audit", "head"]) == 1
    assert "audit head row is missing" in capsys.readouterr().err
    assert main(["audit", "verify"]) == 1
    assert "TAMPERED: the audit head row is missing" in capsys.readouterr().out


def test_syslog_receives_the_head(monkeypatch: pytest.MonkeyPatch) -> None:
    import syslog
    from datetime import UTC, datetime

    from storage.audit_anchor import AnchorSink

    sent: list[str] = []
    monkeypatch.setattr(syslog, "syslog", lambda _priority, message: sent.append(message))
    sink = AnchorSink("", use_syslog=True, every=2)
    now = datetime(2026, 1, 5, tzinfo=UTC)
    for seq in range(1, 6):
        sink.after_commit(seq, f"{seq:064x}", now)
    assert [m.split()[2].split(":")[0] for m in sent] == ["2", "4"]
    assert sent[0].startswith("audit head 2:")


async def test_a_removed_anchor_file_is_a_finding(anchored: Config, clock: FakeClock) -> None:
    async with await Relais.open(anchored, clock) as relais:
        await _seed(relais)
        assert (await relais.audit_verify()).ok
        os.unlink(anchored.audit.anchor_file)
        report = await relais.audit_verify()
    assert [p.kind for p in report.problems] == ["anchor_missing"]
    assert "holds no anchor although the log has" in report.problems[0].message


async def test_an_unreadable_anchor_file_is_a_clear_error(
    anchored: Config, clock: FakeClock
) -> None:
    from bot.errors import ConfigError

    os.mkdir(anchored.audit.anchor_file)  # not a file: cannot be read
    async with await Relais.open(anchored, clock) as relais:
        with pytest.raises(ConfigError, match="cannot read the anchor file"):
            await relais.audit_verify()
