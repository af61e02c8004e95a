"""Anchors of the audit chain outside the database, and the checks that use them.

The HMAC chain (storage.audit) shows an entry modified, inserted or deleted in the middle; it
cannot show a log whose tail was cut and whose head row was rewound to match, or one wiped and
restarted: the database alone then looks intact. So the head ("SEQ:HASH") leaves the database:

- `AnchorSink` appends it to `[audit] anchor_file` (on another mount, or append-only) and/or
  sends it to syslog every `anchor_every` entries and when Relais stops;
- `relais audit head` prints it, for an operator to note down or a monitor to collect;
- `check_anchors` compares the log with every anchor (and with `--expect-head`): an anchored
  entry that is gone, or whose hash differs, is a finding;
- `check_population` flags an empty or short log beside a populated database (every case and
  every note was audited when created, so the log has at least that many entries).
"""

from __future__ import annotations

import contextlib
import hmac
import logging
import os
import re
import syslog
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.audit import AuditProblem
from storage.errors import ConfigError
from storage.models import AuditEntryRow, CaseRow, NoteRow

__all__ = [
    "Anchor",
    "AnchorSink",
    "check_anchor_file",
    "check_anchors",
    "check_population",
    "format_head",
    "parse_head",
    "read_anchors",
]

log = logging.getLogger(__name__)

_HEAD = re.compile(r"^(\d{1,18}):([0-9a-f]{64})$")


@dataclass(frozen=True, slots=True)
class Anchor:
    """A head recorded outside the database; `source` says where (for the finding)."""

    seq: int
    hash: str
    source: str


def format_head(seq: int, digest: str) -> str:
    return f"{seq}:{digest}"


def parse_head(text: str, source: str = "--expect-head") -> Anchor:
    """'SEQ:HASH' (as `relais audit head` prints it) -> Anchor; ValueError names the form."""
    match = _HEAD.match(text.strip())
    if match is None:
        raise ValueError(
            f"{source}: expected SEQ:HASH as `relais audit head` prints it "
            "(a number, a colon, 64 hex digits)"
        )
    return Anchor(int(match.group(1)), match.group(2), source)


def read_anchors(where: str | Path) -> list[Anchor]:
    """Every anchor in the file, in order; lines that are not anchors are ignored. A missing
    file has none; a file that cannot be read raises ConfigError (saying why)."""
    path = Path(where).expanduser()
    try:
        text = path.read_text(encoding="ascii", errors="replace")
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise ConfigError(f"cannot read the anchor file {path}: {exc.strerror}", "audit") from None
    anchors = []
    for number, line in enumerate(text.splitlines(), start=1):
        head = line.split()[0] if line.split() else ""
        match = _HEAD.match(head)
        if match is not None:
            anchors.append(Anchor(int(match.group(1)), match.group(2), f"{path}:{number}"))
    return anchors


class AnchorSink:
    """Where the head goes: a file and/or syslog, every `every` entries and at shutdown.

    Written after the transaction that moved the head has committed, so an anchor never names
    an entry that was rolled back. Failing to write an anchor is logged, never fatal: the
    action was recorded in the database already.
    """

    def __init__(self, where: str = "", *, use_syslog: bool = False, every: int = 100) -> None:
        path = Path(where).expanduser() if where else None
        self.path = path
        self.use_syslog = use_syslog
        self.every = max(1, every)
        self._anchored = 0  # the newest seq this process anchored (or found in the file)
        if path is not None:
            try:
                found = read_anchors(path)
            except ConfigError:  # the next write says what is wrong; starting is not refused
                found = []
            self._anchored = max((a.seq for a in found), default=0)

    @property
    def enabled(self) -> bool:
        return self.path is not None or self.use_syslog

    def after_commit(self, seq: int, digest: str, now: datetime) -> None:
        """A transaction moved the head to `seq`: anchor it when `every` entries have passed."""
        if seq // self.every > self._anchored // self.every:
            self.anchor(seq, digest, now)

    def anchor(self, seq: int, digest: str, now: datetime) -> None:
        if seq <= self._anchored and self._anchored:
            return
        line = f"{format_head(seq, digest)} {now.isoformat()}"
        if self.path is not None:
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
                with os.fdopen(fd, "a", encoding="ascii") as handle:
                    handle.write(line + "\n")
                    handle.flush()
                    os.fsync(handle.fileno())
            except OSError as exc:
                log.error("could not write the audit anchor to %s: %s", self.path, exc.strerror)
                return
        if self.use_syslog:
            with contextlib.suppress(OSError):
                syslog.openlog("relais", syslog.LOG_PID, syslog.LOG_AUTH)
                syslog.syslog(syslog.LOG_INFO, f"audit head {line}")
        self._anchored = seq


async def check_anchors(
    conn: AsyncConnection, head_seq: int, anchors: Sequence[Anchor]
) -> list[AuditProblem]:
    """Each anchor must name an entry still in the log, with the same hash."""
    wanted = sorted({anchor.seq for anchor in anchors})
    by_seq: dict[int, str] = {}
    for start in range(0, len(wanted), 500):
        rows = await conn.execute(
            select(AuditEntryRow.seq, AuditEntryRow.hash).where(
                AuditEntryRow.seq.in_(wanted[start : start + 500])
            )
        )
        by_seq.update({int(row.seq): str(row.hash) for row in rows})
    problems: list[AuditProblem] = []
    beyond = [anchor for anchor in anchors if anchor.seq > head_seq]
    newest_beyond = max(beyond, key=lambda anchor: anchor.seq) if beyond else None
    for anchor in anchors:
        if anchor.seq > head_seq and anchor is not newest_beyond:
            continue  # one finding for a cut tail: the newest anchor beyond the head
        found = by_seq.get(anchor.seq)
        if found is None:
            which = (
                f"the log ends at entry {head_seq}"
                if anchor.seq > head_seq
                else f"entry {anchor.seq} is missing"
            )
            problems.append(
                AuditProblem(
                    anchor.seq,
                    "truncated",
                    f"the anchor {anchor.seq}:{anchor.hash[:16]}… ({anchor.source}) names an "
                    f"entry the log no longer holds: {which} (entries were deleted)",
                )
            )
        elif not hmac.compare_digest(found, anchor.hash):
            problems.append(
                AuditProblem(
                    anchor.seq,
                    "anchor_mismatch",
                    f"entry {anchor.seq} differs from its anchor ({anchor.source}): the log "
                    "was rewritten from there on",
                )
            )
    return problems


def check_anchor_file(
    where: str, anchors: Sequence[Anchor], *, entries: int, every: int
) -> list[AuditProblem]:
    """An anchor file configured, yet empty or gone while the log is long enough to have been
    anchored: someone removed the record kept outside the database."""
    if not where or entries < every or any(a.source != "--expect-head" for a in anchors):
        return []
    return [
        AuditProblem(
            0,
            "anchor_missing",
            f"the anchor file {where} holds no anchor although the log has {entries} entries "
            f"(one is written every {every} and when Relais stops): it was removed or emptied "
            "(right after anchor_file was first set, run verify once more)",
        )
    ]


async def check_population(conn: AsyncConnection, entries: int) -> list[AuditProblem]:
    """Every case and note was audited when created: fewer entries means a wiped log."""
    cases = int(await conn.scalar(select(func.count()).select_from(CaseRow)) or 0)
    notes = int(await conn.scalar(select(func.count()).select_from(NoteRow)) or 0)
    if entries >= cases + notes:
        return []
    first = await conn.scalar(select(func.min(AuditEntryRow.seq)))
    state = "empty" if entries == 0 else f"short ({entries} entries, from #{first})"
    return [
        AuditProblem(
            1,
            "wiped",
            f"the audit log is {state} while the database holds {cases} case(s) and "
            f"{notes} note(s), each of which was audited: the log was wiped or cut",
        )
    ]
